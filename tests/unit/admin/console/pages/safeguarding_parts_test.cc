// The safeguarding pages' small parts: times typed into forms, ids,
// multi-line text, hardened JSON, request bodies, the background-noise
// list and vigild's status answer.

#include "admin/console/pages/safeguarding_health.h"
#include "admin/console/pages/safeguarding_json.h"
#include "admin/console/pages/safeguarding_noise.h"
#include "admin/console/pages/safeguarding_util.h"
#include "tests/unit/admin/console/pages/safeguarding_test_util.h"

namespace vigil::console::pages::safeguarding {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kNow;

class SafeguardingParts : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
};

TEST_F(SafeguardingParts, TimesTypedIntoFormsAndTheApi) {
  EXPECT_EQ(parse_time("2026-03-15T12:00"), kNow);
  EXPECT_EQ(parse_time("2026-03-15T12:00Z"), kNow);
  EXPECT_EQ(parse_time(" 2026-03-15 12:00:00 "), kNow);
  EXPECT_EQ(parse_time("2026-03-15"), kNow - 12 * kHour);
  EXPECT_EQ(parse_time(std::to_string(kNow)), kNow);
  for (const char* bad :
       {"", "yesterday", "2026-02-30", "2026-13-01", "2026-03-15T25:00", "2026-03-15T12:00+01",
        "2026-3-15", "0", "-5", "2026-03-15T12", "99999999999999999999999"}) {
    EXPECT_FALSE(parse_time(bad).has_value()) << bad;
  }
  EXPECT_EQ(end_of_local_day(kNow), kNow + 12 * kHour);
  EXPECT_EQ(relative_time(kNow - 2 * kHour, kNow), "2 hours ago");
  EXPECT_EQ(relative_time(kNow + 3 * kDay, kNow), "in 3 days");
  EXPECT_EQ(relative_time(kNow - 60'000'000, kNow), "1 minute ago");
  EXPECT_EQ(relative_time(kNow, kNow), "just now");
  EXPECT_EQ(iso_time(kNow), "2026-03-15T12:00:00Z");
  EXPECT_EQ(input_time(kNow), "2026-03-15T12:00");
  EXPECT_EQ(format_time(kNow), "Sun 15 Mar 2026, 12:00 UTC");
}

TEST_F(SafeguardingParts, IdsAreWholePositiveNumbers) {
  EXPECT_EQ(parse_id("42"), 42);
  for (const char* bad : {"", "0", "-1", "+1", "1.5", "1e3", " 1", "9999999999999999999", "abc"})
    EXPECT_FALSE(parse_id(bad).has_value()) << bad;
}

TEST_F(SafeguardingParts, TypedTextKeepsItsLinesAndNothingElse) {
  EXPECT_EQ(multiline("one\r\ntwo <b>\nthree"), "one<br>two &lt;b&gt;<br>three");
  EXPECT_EQ(textarea_text("a\nb&"), "\na\nb&amp;");
  EXPECT_EQ(one_line("a\nb"), "a b");
  EXPECT_EQ(multiline("tab\there"), "tab\\x09here");
}

TEST_F(SafeguardingParts, JsonAnswersHideMarkupAndReorderingCharacters) {
  const std::string in = "{\"v\":\"<script>&\xE2\x80\xAE\xE2\x80\xA8\xC3\xA9\"}";
  const std::string out = harden_json(in);
  EXPECT_EQ(out, "{\"v\":\"\\u003cscript\\u003e\\u0026\\u202e\\u2028\xC3\xA9\"}");
  boost::json::value v = boost::json::parse(out);
  EXPECT_EQ(std::string(v.at("v").as_string().c_str()),
            "<script>&\xE2\x80\xAE\xE2\x80\xA8\xC3\xA9");
}

TEST_F(SafeguardingParts, RequestBodiesFromFormsOrJson) {
  Request form;
  form.form = {{"reason", "r"}, {"x", "1"}};
  std::string error;
  auto f = post_fields(form, error);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(field(*f, "reason"), "r");

  Request json;
  json.content_type = "application/json";
  json.body = R"({"reason":"r","ids":[1,"2"],"flag":true,"none":null})";
  f = post_fields(json, error);
  ASSERT_TRUE(f.has_value()) << error;
  EXPECT_EQ(field(*f, "reason"), "r");
  EXPECT_EQ(field_values(*f, "ids"), (std::vector<std::string_view>{"1", "2"}));
  EXPECT_EQ(field(*f, "flag"), "true");
  EXPECT_FALSE(field(*f, "none").has_value());

  for (const char* bad :
       {"", "{", "[]", "{\"a\":{}}", "{\"a\":[[1]]}", "{\"a\":0.5}", "{\"a\":\"\xC3\"}"}) {
    json.body = bad;
    error.clear();
    EXPECT_FALSE(post_fields(json, error).has_value()) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST_F(SafeguardingParts, BackgroundNoiseMatchesAtLabelBoundaries) {
  ASSERT_GE(noise_domains().size(), 20U);
  for (std::string_view d : noise_domains()) {
    EXPECT_EQ(d.find(' '), std::string_view::npos) << d;
    EXPECT_EQ(d.find('#'), std::string_view::npos) << d;
  }
  EXPECT_TRUE(is_background_noise("akamaiedge.net"));
  EXPECT_TRUE(is_background_noise("e123.A.AkamaiEdge.NET."));
  EXPECT_TRUE(is_background_noise("www.google-analytics.com"));
  EXPECT_TRUE(is_background_noise("v10.events.data.microsoft.com"));
  EXPECT_FALSE(
      is_background_noise("data.microsoft.com"));  // only events.data.microsoft.com is listed
  EXPECT_FALSE(is_background_noise("notakamaiedge.net"));
  EXPECT_FALSE(is_background_noise("akamaiedge.net.example.org"));
  EXPECT_FALSE(is_background_noise("extremist-forum.example.org"));
  EXPECT_FALSE(is_background_noise(""));
  EXPECT_FALSE(is_background_noise("net"));
}

TEST_F(SafeguardingParts, VigildsAnswersAreReadOrExplained) {
  std::string error;
  auto ok = parse_vigild_status(
      R"({"ok":true,"result":{"uptime_s":5,"queue_drops":2,"store":{"alarm":"none"},)"
      R"("interfaces":[{"name":"eth0","running":false,"kernel_dropped":3,"error":"gone"}]}})",
      error);
  ASSERT_TRUE(ok.has_value()) << error;
  EXPECT_EQ(ok->uptime_s, 5U);
  EXPECT_EQ(ok->queue_drops, 2U);
  ASSERT_EQ(ok->interfaces.size(), 1U);
  EXPECT_FALSE(ok->interfaces[0].running);
  EXPECT_EQ(ok->interfaces[0].error, "gone");
  EXPECT_FALSE(parse_vigild_status(R"({"ok":false,"error":"busy"})", error).has_value());
  EXPECT_EQ(error, "vigild refused: busy");
  EXPECT_FALSE(parse_vigild_status("not json", error).has_value());

  testing::TempDir dir;
  auto none = ask_vigild_status(dir.file("absent.sock"), std::chrono::milliseconds(200), error);
  EXPECT_FALSE(none.has_value());
  EXPECT_EQ(error, "vigild not reachable: it does not seem to be running");
  EXPECT_FALSE(ask_vigild_status("", std::chrono::milliseconds(200), error).has_value());
  EXPECT_EQ(error, "vigild not reachable: no control socket is configured");
}

}  // namespace
}  // namespace vigil::console::pages::safeguarding
