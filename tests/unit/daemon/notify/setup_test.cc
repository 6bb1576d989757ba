// From notify.* keys to settings and channels.

#include "daemon/notify/setup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace vigil::notify {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-notify-setup-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    chmod(path.c_str(), mode);
    return path;
  }

  config::Config load(const std::vector<std::string>& overrides) {
    config::LoadResult r = config::load_defaults(overrides);
    EXPECT_TRUE(r) << (r.errors.empty() ? "" : r.errors.front());
    return r ? *r.config : config::Config();
  }

  std::string dir_;
};

TEST_F(SetupTest, NothingConfiguredMeansNoChannels) {
  const SetupResult r = setup_from_config(config::Config());
  ASSERT_TRUE(r) << r.error;
  EXPECT_FALSE(r.setup->smtp);
  EXPECT_FALSE(r.setup->webhook);
  EXPECT_TRUE(r.setup->make_channels().empty());
  EXPECT_EQ(r.setup->dispatch.throttle, std::chrono::minutes(10));
  EXPECT_EQ(r.setup->dispatch.digest_hour, 7);
}

TEST_F(SetupTest, ReadsEveryKey) {
  const std::string pw = write("smtp-password", "s3cret pass\n");
  const std::string secret = write("hook-secret", "hook-key\r\n");
  const SetupResult r = setup_from_config(load({
      "notify.smtp_url=smtps://mail.centre.example:465",
      "notify.smtp_user=vigil-alerts",
      "notify.smtp_password_file=" + pw,
      "notify.from=vigil@centre.example",
      "notify.to=dsl@centre.example,deputy@centre.example",
      "notify.webhook_url=https://hooks.centre.example/vigil",
      "notify.webhook_secret_file=" + secret,
      "notify.tls_ca_file=/etc/vigil/ca.pem",
      "notify.throttle=15m",
      "notify.digest_hour=6",
      "console.public_url=https://vigil.centre.lan:8443",
  }));
  ASSERT_TRUE(r) << r.error;
  const notify::Setup& s = *r.setup;
  EXPECT_EQ(s.dispatch.public_url, "https://vigil.centre.lan:8443");
  EXPECT_EQ(s.dispatch.throttle, std::chrono::minutes(15));
  EXPECT_EQ(s.dispatch.digest_hour, 6);
  ASSERT_TRUE(s.smtp);
  EXPECT_EQ(s.smtp->url, "smtps://mail.centre.example:465");
  EXPECT_EQ(s.smtp->user, "vigil-alerts");
  EXPECT_EQ(s.smtp->password, "s3cret pass");
  EXPECT_EQ(s.smtp->from, "vigil@centre.example");
  EXPECT_THAT(s.smtp->to, ElementsAre("dsl@centre.example", "deputy@centre.example"));
  EXPECT_EQ(s.smtp->ca_file, "/etc/vigil/ca.pem");
  EXPECT_TRUE(s.smtp->require_tls);  // not a configuration key: always on outside tests
  ASSERT_TRUE(s.webhook);
  EXPECT_EQ(s.webhook->secret, "hook-key");
  EXPECT_EQ(s.webhook->ca_file, "/etc/vigil/ca.pem");
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front();
  const auto channels = s.make_channels();
  ASSERT_EQ(channels.size(), 2u);
  EXPECT_EQ(channels[0]->name(), "email");
  EXPECT_EQ(channels[1]->name(), "webhook");
}

TEST_F(SetupTest, AnUnreadableSecretNamesTheKey) {
  const SetupResult r = setup_from_config(load({
      "notify.smtp_url=smtp://mail.centre.example:587",
      "notify.smtp_user=u",
      "notify.smtp_password_file=" + dir_ + "/missing",
      "notify.from=vigil@centre.example",
      "notify.to=dsl@centre.example",
  }));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error, HasSubstr("notify.smtp_password_file: cannot read " + dir_ + "/missing"));

  const std::string empty = write("empty", "\n");
  const SetupResult e = setup_from_config(load({
      "notify.webhook_url=https://hooks.centre.example/vigil",
      "notify.webhook_secret_file=" + empty,
  }));
  ASSERT_FALSE(e);
  EXPECT_THAT(e.error, HasSubstr("notify.webhook_secret_file: " + empty + " is empty"));
}

TEST_F(SetupTest, WarnsAboutWhatAnOperatorShouldFix) {
  const std::string pw = write("pw", "x", 0644);
  const SetupResult r = setup_from_config(load({
      "notify.smtp_url=smtp://mail.centre.example:587",
      "notify.smtp_user=u",
      "notify.smtp_password_file=" + pw,
      "notify.from=vigil@centre.example",
      "notify.to=dsl@centre.example",
      "notify.webhook_url=http://10.0.0.5/hook",
  }));
  ASSERT_TRUE(r) << r.error;
  const auto& w = r.setup->warnings;
  ASSERT_EQ(w.size(), 3u);
  EXPECT_THAT(w[0], HasSubstr("can be read by other users"));
  EXPECT_THAT(w[1], HasSubstr("http://"));
  EXPECT_THAT(w[2], HasSubstr("console.public_url is not set"));
}

TEST_F(SetupTest, ASecretNeedsItsWebhook) {
  const std::vector<std::string> overrides = {"notify.webhook_secret_file=/x"};
  config::LoadResult r = config::load_defaults(overrides);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.errors.front(), HasSubstr("notify.webhook_secret_file"));
}

}  // namespace
}  // namespace vigil::notify
