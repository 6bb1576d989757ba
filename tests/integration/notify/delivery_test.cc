// Email and webhook delivery against real servers on 127.0.0.1: SMTP with
// STARTTLS, SMTP with implicit TLS, a plaintext-only SMTP server, and an
// HTTPS webhook receiver (tests/integration/notify/notify_servers.py), with
// certificates made here by the openssl command.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "daemon/notify/email.h"
#include "daemon/notify/notifier.h"
#include "daemon/notify/smtp_channel.h"
#include "daemon/notify/webhook_channel.h"

extern char** environ;

namespace vigil::notify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kUser = "vigil-alerts";
constexpr const char* kPassword = "correct horse";
constexpr const char* kSecret = "shared webhook secret";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::map<std::string, std::string> read_kv(const fs::path& p) {
  std::map<std::string, std::string> out;
  std::istringstream in(read_file(p));
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// One of notify_servers.py's servers, stopped when this goes out of scope.
class Server {
 public:
  Server(std::vector<std::string> args, const fs::path& out) : out_(out) {
    fs::create_directories(out);
    int in_pipe[2];
    int out_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    const std::string log = (out / "server.log").string();
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    args.insert(args.begin(), {VIGIL_PYTHON, NOTIFY_SERVERS_PY});
    args.insert(args.end(), {"--out", out.string()});
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(in_pipe[0]);
    close(out_pipe[1]);
    stdin_ = in_pipe[1];
    // "PORT <n>\n" once it listens.
    std::string line;
    pollfd p{out_pipe[0], POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[64];
      const ssize_t n = read(out_pipe[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    close(out_pipe[0]);
    if (line.rfind("PORT ", 0) == 0)
      port_ = static_cast<int>(std::strtol(line.c_str() + 5, nullptr, 10));
  }
  ~Server() {
    if (stdin_ >= 0) close(stdin_);  // the server exits on EOF
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  std::string log() const { return read_file(out_ / "server.log"); }
  bool has_record(int n) const { return fs::exists(out_ / (std::to_string(n) + ".txt")); }
  std::size_t records() const {
    std::size_t n = 0;
    while (has_record(static_cast<int>(n) + 1)) ++n;
    return n;
  }
  std::map<std::string, std::string> fields(int n) const {
    return read_kv(out_ / (std::to_string(n) + ".txt"));
  }
  std::string data(int n, const char* ext) const {
    return read_file(out_ / (std::to_string(n) + "." + ext));
  }
  std::string auth_log() const { return read_file(out_ / "auth.txt"); }

 private:
  fs::path out_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = 0;
};

class DeliveryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/vigil-notify-delivery-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    certs_dir_ = new fs::path(tmpl);
    // trusted: in the CA file, for 127.0.0.1. untrusted: the same name, not
    // in the CA file. wrong_name: in the CA file, for another host.
    make_cert("trusted", "IP:127.0.0.1");
    make_cert("untrusted", "IP:127.0.0.1");
    make_cert("wrong_name", "DNS:wrong.example");
    std::ofstream(*certs_dir_ / "ca.pem")
        << read_file(*certs_dir_ / "trusted.pem") << read_file(*certs_dir_ / "wrong_name.pem");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*certs_dir_);
    delete certs_dir_;
  }
  static void make_cert(const std::string& name, const std::string& san) {
    const std::string base = (*certs_dir_ / name).string();
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=vigil-test-" +
        name + " -addext subjectAltName=" + san + " -keyout " + base + ".key -out " + base +
        ".pem 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    out_ = *certs_dir_ / info->name();
  }

  std::unique_ptr<Server> smtp_server(const std::string& tls, const std::string& cert = "trusted") {
    auto s = std::make_unique<Server>(
        std::vector<std::string>{"smtp", "--tls", tls, "--cert", cert_path(cert), "--key",
                                 key_path(cert), "--user", kUser, "--password", kPassword},
        out_ / ("smtp-" + tls + "-" + cert));
    EXPECT_GT(s->port(), 0) << s->log();
    return s;
  }
  std::unique_ptr<Server> webhook_server(const std::string& statuses,
                                         const std::string& cert = "trusted") {
    auto s = std::make_unique<Server>(
        std::vector<std::string>{"webhook", "--cert", cert_path(cert), "--key", key_path(cert),
                                 "--secret", kSecret, "--statuses", statuses},
        out_ / ("webhook-" + cert));
    EXPECT_GT(s->port(), 0) << s->log();
    return s;
  }
  static std::string cert_path(const std::string& name) {
    return (*certs_dir_ / (name + ".pem")).string();
  }
  static std::string key_path(const std::string& name) {
    return (*certs_dir_ / (name + ".key")).string();
  }
  static std::string ca_file() { return (*certs_dir_ / "ca.pem").string(); }

  SmtpOptions smtp_options(const std::string& scheme, int port) {
    SmtpOptions o;
    o.url = scheme + "://127.0.0.1:" + std::to_string(port);
    o.user = kUser;
    o.password = kPassword;
    o.from = "vigil@centre.example";
    o.to = {"dsl@centre.example", "deputy@centre.example"};
    o.ca_file = ca_file();
    o.connect_timeout = 5s;
    o.timeout = 10s;
    return o;
  }
  WebhookOptions webhook_options(int port) {
    WebhookOptions o;
    o.url = "https://127.0.0.1:" + std::to_string(port) + "/vigil/hook";
    o.secret = kSecret;
    o.ca_file = ca_file();
    o.connect_timeout = 5s;
    o.timeout = 10s;
    return o;
  }

  static Message concern_message() {
    Notification n = concern_raised(123, rules::Category::Extremism, rules::Severity::Danger, "p1");
    n.raised_at = std::chrono::system_clock::from_time_t(1748944800);  // 2025-06-03 10:00 UTC
    return render(n, "https://vigil.centre.lan:8443", "5f3a9c0d1e2b");
  }

  static fs::path* certs_dir_;  // NOLINT(readability-identifier-naming): a static member
  fs::path out_;
};

fs::path* DeliveryTest::certs_dir_ = nullptr;

TEST_F(DeliveryTest, StartTlsDeliversWithLoginAndProperHeaders) {
  auto server = smtp_server("starttls");
  SmtpChannel channel(smtp_options("smtp", server->port()));
  const Delivery d = channel.deliver(concern_message(), {});
  ASSERT_EQ(d.outcome, Outcome::Delivered) << d.error << "\n" << server->log();
  ASSERT_TRUE(eventually([&] { return server->has_record(1); }));

  const auto f = server->fields(1);
  EXPECT_THAT(f.at("tls"), StartsWith("TLSv1."));  // STARTTLS happened before MAIL
  EXPECT_EQ(f.at("authenticated"), "1");
  EXPECT_EQ(f.at("login"), kUser);
  EXPECT_EQ(f.at("mail_from"), "vigil@centre.example");
  EXPECT_EQ(f.at("rcpt_to"), "dsl@centre.example,deputy@centre.example");
  EXPECT_THAT(server->auth_log(), HasSubstr("login=vigil-alerts ok=1 tls=TLSv1."));

  const std::string eml = server->data(1, "eml");
  EXPECT_THAT(eml, HasSubstr("Date: Tue, 03 Jun 2025 10:00:00 +0000\r\n"));
  EXPECT_THAT(eml, HasSubstr("Message-ID: <5f3a9c0d1e2b@centre.example>\r\n"));
  EXPECT_THAT(eml, HasSubstr("From: Vigil <vigil@centre.example>\r\n"));
  EXPECT_THAT(eml, HasSubstr("To: dsl@centre.example,\r\n deputy@centre.example\r\n"));
  EXPECT_THAT(eml, HasSubstr("Subject: Vigil: new safeguarding concern (danger, extremism)\r\n"));
  EXPECT_THAT(eml, HasSubstr("MIME-Version: 1.0\r\n"));
  EXPECT_THAT(eml, HasSubstr("Content-Type: text/plain; charset=UTF-8\r\n"));
  EXPECT_THAT(eml, HasSubstr("\r\n\r\nA new safeguarding concern (danger, extremism) needs review: "
                             "https://vigil.centre.lan:8443/concerns/123\r\n"));
}

TEST_F(DeliveryTest, ImplicitTlsCarriesEncodedSubjectAndDotLinesIntact) {
  auto server = smtp_server("implicit");
  SmtpChannel channel(smtp_options("smtps", server->port()));
  Message m = concern_message();
  m.subject = "Pryder diogelu newydd — ŵŷ";
  // Lines SMTP would end the message at, or eat a dot from, unless stuffed.
  m.text = "first\n.\n..two dots\n.leading\nlast\n";
  const Delivery d = channel.deliver(m, {});
  ASSERT_EQ(d.outcome, Outcome::Delivered) << d.error << "\n" << server->log();
  ASSERT_TRUE(eventually([&] { return server->has_record(1); }));
  const auto f = server->fields(1);
  EXPECT_THAT(f.at("tls"), StartsWith("TLSv1."));
  EXPECT_EQ(f.at("login"), kUser);
  const std::string eml = server->data(1, "eml");
  EXPECT_THAT(eml, HasSubstr("Subject: =?UTF-8?B?"));
  EXPECT_THAT(eml, HasSubstr("\r\n\r\nfirst\r\n.\r\n..two dots\r\n.leading\r\nlast\r\n"));
}

TEST_F(DeliveryTest, APlaintextServerIsRefusedWhenTlsIsRequired) {
  auto server = smtp_server("none");
  SmtpChannel channel(smtp_options("smtp", server->port()));
  const Delivery d = channel.deliver(concern_message(), {});
  EXPECT_EQ(d.outcome, Outcome::Retry);
  EXPECT_THAT(d.error, HasSubstr("SSL"));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server->records(), 0u);
  EXPECT_EQ(server->auth_log(), "") << "the password went out in plaintext";

  // The same server takes the message from a client told not to insist,
  // so it was TLS, not the server, that made the difference.
  SmtpOptions lax = smtp_options("smtp", server->port());
  lax.require_tls = false;
  const Delivery d2 = SmtpChannel(lax).deliver(concern_message(), {});
  ASSERT_EQ(d2.outcome, Outcome::Delivered) << d2.error << "\n" << server->log();
  ASSERT_TRUE(eventually([&] { return server->has_record(1); }));
  EXPECT_EQ(server->fields(1).at("tls"), "none");
}

TEST_F(DeliveryTest, AnUntrustedCertificateIsRefused) {
  for (const std::string tls : {"implicit", "starttls"}) {
    auto server = smtp_server(tls, "untrusted");
    SmtpChannel channel(smtp_options(tls == "implicit" ? "smtps" : "smtp", server->port()));
    const Delivery d = channel.deliver(concern_message(), {});
    EXPECT_EQ(d.outcome, Outcome::Retry) << tls;
    EXPECT_THAT(d.error, HasSubstr("certificate")) << tls;
    EXPECT_EQ(server->records(), 0u) << tls;
    EXPECT_EQ(server->auth_log(), "") << tls;
  }
}

TEST_F(DeliveryTest, ACertificateForAnotherHostIsRefused) {
  auto server = smtp_server("implicit", "wrong_name");
  SmtpChannel channel(smtp_options("smtps", server->port()));
  const Delivery d = channel.deliver(concern_message(), {});
  EXPECT_EQ(d.outcome, Outcome::Retry);
  EXPECT_THAT(d.error, HasSubstr("127.0.0.1"));
  EXPECT_EQ(server->records(), 0u);
}

TEST_F(DeliveryTest, AWrongPasswordIsRetriedNotDropped) {
  auto server = smtp_server("starttls");
  SmtpOptions o = smtp_options("smtp", server->port());
  o.password = "wrong";
  const Delivery d = SmtpChannel(o).deliver(concern_message(), {});
  EXPECT_EQ(d.outcome, Outcome::Retry);
  EXPECT_THAT(d.error, HasSubstr("Login denied"));
  EXPECT_THAT(server->auth_log(), HasSubstr("ok=0 tls=TLSv1."));
  EXPECT_EQ(server->records(), 0u);
}

TEST_F(DeliveryTest, WebhookPostsSignedJson) {
  auto server = webhook_server("200");
  WebhookChannel channel(webhook_options(server->port()));
  const Message m = concern_message();
  const Delivery d = channel.deliver(m, {});
  ASSERT_EQ(d.outcome, Outcome::Delivered) << d.error << "\n" << server->log();
  ASSERT_TRUE(eventually([&] { return server->has_record(1); }));
  const auto f = server->fields(1);
  EXPECT_EQ(f.at("path"), "/vigil/hook");
  EXPECT_EQ(f.at("content_type"), "application/json");
  EXPECT_EQ(f.at("event"), "concern_raised");
  EXPECT_EQ(f.at("delivery"), "5f3a9c0d1e2b");
  EXPECT_EQ(f.at("signature_ok"), "1");
  EXPECT_THAT(f.at("tls"), StartsWith("TLSv1."));
  EXPECT_EQ(server->data(1, "body"), m.json);

  // A receiver with another secret sees a signature that does not verify.
  WebhookOptions other = webhook_options(server->port());
  other.secret = "not the shared secret";
  ASSERT_EQ(WebhookChannel(other).deliver(m, {}).outcome, Outcome::Delivered);
  ASSERT_TRUE(eventually([&] { return server->has_record(2); }));
  EXPECT_EQ(server->fields(2).at("signature_ok"), "0");
}

TEST_F(DeliveryTest, WebhookWithAnUntrustedCertificateIsRefused) {
  auto server = webhook_server("200", "untrusted");
  const Delivery d = WebhookChannel(webhook_options(server->port())).deliver(concern_message(), {});
  EXPECT_EQ(d.outcome, Outcome::Retry);
  EXPECT_THAT(d.error, HasSubstr("certificate"));
  EXPECT_EQ(server->records(), 0u);
}

// Through the Notifier: a 500 is retried after a back-off, and the retry is
// the same signed request.
TEST_F(DeliveryTest, Webhook500IsRetriedThen200Delivers) {
  auto server = webhook_server("500,200");
  DispatchSettings settings;
  settings.retry_min = 50ms;
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::make_unique<WebhookChannel>(webhook_options(server->port())));
  std::vector<std::string> log;
  std::mutex log_mu;
  NotifierOptions options;
  options.log = [&](LogLevel, std::string_view line) {
    std::lock_guard lock(log_mu);
    log.emplace_back(line);
  };
  Notifier notifier(settings, std::move(channels), options);
  ASSERT_TRUE(
      notifier.post(concern_raised(7, rules::Category::SelfHarm, rules::Severity::Danger, "p")));
  ASSERT_TRUE(eventually([&] { return notifier.stats().dispatch.channels[0].delivered == 1; }))
      << server->log();
  notifier.stop();
  ASSERT_EQ(server->records(), 2u);
  EXPECT_EQ(server->fields(1).at("status"), "500");
  EXPECT_EQ(server->fields(2).at("status"), "200");
  EXPECT_EQ(server->data(1, "body"), server->data(2, "body"));
  EXPECT_EQ(server->fields(2).at("signature_ok"), "1");
  const ChannelStats s = notifier.stats().dispatch.channels[0];
  EXPECT_EQ(s.failed_attempts, 1u);
  EXPECT_EQ(s.last_error, "webhook: the receiver answered HTTP 500");
  std::lock_guard lock(log_mu);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_THAT(log[0],
              HasSubstr("webhook delivery failing: webhook: the receiver answered HTTP 500"));
  EXPECT_EQ(log[1], "webhook delivering again after 1 failed attempt");
}

TEST_F(DeliveryTest, Webhook4xxIsNotRetried) {
  auto server = webhook_server("400,200");
  DispatchSettings settings;
  settings.retry_min = 20ms;
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::make_unique<WebhookChannel>(webhook_options(server->port())));
  NotifierOptions options;
  options.log = [](LogLevel, std::string_view) {};
  Notifier notifier(settings, std::move(channels), options);
  ASSERT_TRUE(
      notifier.post(concern_raised(8, rules::Category::Drugs, rules::Severity::Caution, "p")));
  ASSERT_TRUE(eventually([&] { return notifier.stats().dispatch.channels[0].rejected == 1; }));
  std::this_thread::sleep_for(300ms);  // many back-offs' worth
  notifier.stop();
  EXPECT_EQ(server->records(), 1u);
  EXPECT_EQ(notifier.stats().dispatch.channels[0].delivered, 0u);
}

// The privacy rule end to end: a caller that puts a learner's name, email,
// the URL and search term and the IP where the opaque key belongs still
// sends nothing of them to the DSL's mailbox or the webhook.
TEST_F(DeliveryTest, NoPersonalDetailReachesTheMailboxOrTheWebhook) {
  auto mail = smtp_server("starttls");
  auto hook = webhook_server("200");
  DispatchSettings settings;
  settings.public_url = "https://vigil.centre.lan:8443";
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::make_unique<SmtpChannel>(smtp_options("smtp", mail->port())));
  channels.push_back(std::make_unique<WebhookChannel>(webhook_options(hook->port())));
  NotifierOptions options;
  options.log = [](LogLevel, std::string_view) {};
  Notifier notifier(settings, std::move(channels), options);

  const std::string hostile =
      "Jane O'Doe <jane.odoe@learner.example> http://extreme.example/join?q=how+to+make 10.9.8.7";
  ASSERT_TRUE(notifier.post(
      concern_raised(31, rules::Category::Terrorism, rules::Severity::Danger, hostile)));
  Notification tampered =
      concern_raised(32, rules::Category::Terrorism, rules::Severity::Danger, hostile);
  tampered.console_path = "/concerns/32?who=Jane+O'Doe&url=extreme.example";
  EXPECT_FALSE(notifier.post(tampered));  // refused, not sanitised and sent

  ASSERT_TRUE(eventually([&] { return mail->has_record(1) && hook->has_record(1); }))
      << mail->log() << hook->log();
  notifier.stop();
  const std::string eml = mail->data(1, "eml");
  const std::string body = hook->data(1, "body");
  EXPECT_THAT(eml, HasSubstr("https://vigil.centre.lan:8443/concerns/31"));
  EXPECT_THAT(body, HasSubstr("https://vigil.centre.lan:8443/concerns/31"));
  for (const char* word :
       {"Jane", "Doe", "learner.example", "extreme.example", "join", "how+to", "10.9.8.7"}) {
    EXPECT_THAT(eml, Not(HasSubstr(word)));
    EXPECT_THAT(body, Not(HasSubstr(word)));
  }
  EXPECT_EQ(mail->records(), 1u);
  EXPECT_EQ(hook->records(), 1u);
}

}  // namespace
}  // namespace vigil::notify
