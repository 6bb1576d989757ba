// The server's sign-in parts on their own: TOTP against the RFC 6238 test
// vectors, the back-off schedule, session expiry, the `next` filter and the
// static assets' types.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin/console/server/backoff.h"
#include "admin/console/server/dispatcher.h"
#include "admin/console/server/sessions.h"
#include "admin/console/server/static_assets.h"
#include "admin/console/server/totp.h"

namespace vigil::console {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr store::TimeUs kSecond = 1'000'000;
constexpr store::TimeUs kNow = 1'773'576'000'000'000;
// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890", in base32.
constexpr const char* kRfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

TEST(Totp, Rfc6238Sha1Vectors) {
  const std::string seed = "12345678901234567890";
  ASSERT_EQ(totp::decode_secret(kRfcSecret), seed);
  const std::pair<std::int64_t, const char*> vectors[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
  };
  for (const auto& [t, code] : vectors) {
    EXPECT_EQ(totp::code_at(seed, t, 8), code) << t;
    // Six digits are the last six of the same truncation.
    EXPECT_EQ(totp::code_at(seed, t), std::string(code).substr(2)) << t;
  }
}

TEST(Totp, MatchAllowsOneStepEitherSideAndNothingElse) {
  // 287082 is the code of step 1 (t = 30..59).
  EXPECT_EQ(totp::match(kRfcSecret, "287082", 59), 1);
  EXPECT_EQ(totp::match(kRfcSecret, "287082", 30), 1);
  EXPECT_EQ(totp::match(kRfcSecret, "287082", 89), 1);  // the phone is 30 s behind
  EXPECT_EQ(totp::match(kRfcSecret, "287082", 0), 1);   // ... or ahead
  EXPECT_EQ(totp::match(kRfcSecret, "287082", 90), std::nullopt);
  EXPECT_EQ(totp::match(kRfcSecret, "287 082", 59), 1);
  EXPECT_EQ(totp::match(kRfcSecret, "287083", 59), std::nullopt);
  EXPECT_EQ(totp::match(kRfcSecret, "28708", 59), std::nullopt);
  EXPECT_EQ(totp::match(kRfcSecret, "2870820", 59), std::nullopt);
  EXPECT_EQ(totp::match(kRfcSecret, "28708a", 59), std::nullopt);
  EXPECT_EQ(totp::match(kRfcSecret, "", 59), std::nullopt);
  EXPECT_EQ(totp::match("not base32!", "287082", 59), std::nullopt);
  // Lower case and spaces in the secret, as people type it.
  EXPECT_EQ(totp::match("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", "287082", 59), 1);
}

TEST(Totp, NewSecretsAreTwentyRandomBytesInBase32) {
  const std::string a = totp::new_secret();
  const std::string b = totp::new_secret();
  EXPECT_EQ(a.size(), 32U);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), std::string::npos);
  ASSERT_TRUE(totp::decode_secret(a).has_value());
  EXPECT_EQ(totp::decode_secret(a)->size(), totp::kSecretBytes);
  // What the user's app will compute, the server accepts.
  const std::string code = totp::code_at(*totp::decode_secret(a), 1'700'000'000);
  EXPECT_EQ(totp::match(a, code, 1'700'000'000), 1'700'000'000 / 30);
  EXPECT_EQ(totp::otpauth_uri("Vigil", "dsl one", a),
            "otpauth://totp/Vigil:dsl%20one?secret=" + a +
                "&issuer=Vigil&algorithm=SHA1&digits=6&period=30");
}

TEST(LoginBackoff, FiveFreeFailuresThenADoublingDelayUpToFifteenMinutes) {
  LoginBackoff b;
  store::TimeUs now = kNow;
  for (int i = 0; i < 4; ++i) {
    b.record_failure("dsl1", "10.0.0.1", now);
    EXPECT_EQ(b.retry_after_s("dsl1", "10.0.0.1", now), 0) << i;
  }
  b.record_failure("dsl1", "10.0.0.1", now);  // the fifth
  EXPECT_EQ(b.retry_after_s("dsl1", "10.0.0.1", now), 1);
  EXPECT_EQ(b.retry_after_s("dsl1", "10.0.0.2", now), 1);     // the account, from anywhere
  EXPECT_EQ(b.retry_after_s("deputy1", "10.0.0.1", now), 1);  // the address, for anyone
  EXPECT_EQ(b.retry_after_s("deputy1", "10.0.0.2", now), 0);
  std::int64_t expected = 1;
  for (int i = 0; i < 14; ++i) {
    now += expected * kSecond;
    EXPECT_EQ(b.retry_after_s("dsl1", "10.0.0.1", now), 0);
    b.record_failure("dsl1", "10.0.0.1", now);
    expected = std::min<std::int64_t>(expected * 2, 900);
    EXPECT_EQ(b.retry_after_s("dsl1", "10.0.0.1", now), expected) << i;
  }
  EXPECT_EQ(expected, 900);
  // Part way through a delay, what is left is reported (rounded up).
  EXPECT_EQ(b.retry_after_s("dsl1", "10.0.0.9", now + 899 * kSecond + 1), 1);
  // A success clears the account, not the address.
  b.record_success("dsl1");
  EXPECT_EQ(b.retry_after_s("dsl1", "10.0.0.9", now), 0);
  EXPECT_EQ(b.retry_after_s("dsl1", "10.0.0.1", now), 900);
  // A day after the last failure, the count is forgotten.
  now += 24 * 3600 * kSecond;
  EXPECT_EQ(b.retry_after_s("x", "10.0.0.1", now), 0);
  b.record_failure("x", "10.0.0.1", now);
  EXPECT_EQ(b.retry_after_s("y", "10.0.0.1", now), 0);
}

TEST(LoginBackoff, IPv6ClientsAreCountedByTheirSlash64) {
  EXPECT_EQ(backoff_address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(backoff_address_key("2001:db8:1:2:bbbb::7"), "2001:db8:1:2::/64");
  EXPECT_EQ(backoff_address_key("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(backoff_address_key("192.0.2.7"), "192.0.2.7");
  LoginBackoff b;
  for (int i = 0; i < 5; ++i) {
    b.record_failure("u" + std::to_string(i), "2001:db8:1:2::" + std::to_string(i + 1), kNow);
  }
  EXPECT_EQ(b.retry_after_s("v", "2001:db8:1:2:ffff::1", kNow), 1);
  EXPECT_EQ(b.retry_after_s("v", "2001:db8:1:3::1", kNow), 0);
}

TEST(LoginBackoff, TablesStayBoundedByForgettingTheStalest) {
  BackoffPolicy p;
  p.max_entries = 3;
  LoginBackoff b(p);
  for (int i = 0; i < 5; ++i) b.record_failure("old", "10.0.0.1", kNow);  // closed
  b.record_failure("a", "10.0.0.2", kNow + 1);
  b.record_failure("b", "10.0.0.3", kNow + 2);
  b.record_failure("c", "10.0.0.4", kNow + 3);  // pushes out the stalest: "old" / 10.0.0.1
  EXPECT_EQ(b.retry_after_s("old", "10.0.0.9", kNow + 4), 0);
}

TEST(Sessions, IdleAndLifetimeLimitsAndCapacity) {
  Sessions s({std::chrono::minutes(30), std::chrono::hours(12), 2});
  const auto id = s.create(7, 0, kNow);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->size(), 64U);
  auto found = s.find(*id, kNow + 29 * 60 * kSecond);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user_id, 7);
  EXPECT_EQ(found->csrf_token.size(), 64U);
  EXPECT_NE(found->csrf_token, *id);
  EXPECT_FALSE(s.find(*id, kNow + 60 * 60 * kSecond).has_value());  // 31 min idle
  EXPECT_EQ(s.size(), 0U);
  EXPECT_FALSE(s.find("", kNow).has_value());
  EXPECT_FALSE(s.find(std::string(64, '0'), kNow).has_value());

  const auto a = s.create(1, 0, kNow);
  const auto b = s.create(1, 0, kNow);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(s.create(2, 0, kNow).has_value());  // full of live sessions
  s.erase_user(1, *a);
  EXPECT_TRUE(s.find(*a, kNow).has_value());
  EXPECT_FALSE(s.find(*b, kNow).has_value());
  // Expired sessions make room.
  EXPECT_TRUE(s.create(3, 0, kNow).has_value());
  EXPECT_TRUE(s.create(4, 0, kNow + 31 * 60 * kSecond).has_value());
}

TEST(SafeNext, OnlyPathsOnThisServer) {
  for (const char* ok : {"/", "/incidents", "/incidents?severity=danger&x=%2F%2F", "/a/b/c"}) {
    EXPECT_TRUE(safe_next(ok)) << ok;
  }
  for (const char* bad : {"", "//evil.example", "/\\evil.example", "https://evil.example", "evil",
                          "/\r\nSet-Cookie: x=y", "/\tx", "/a b", "/caf\xc3\xa9", "\\\\evil",
                          "javascript:alert(1)"}) {
    EXPECT_FALSE(safe_next(bad)) << bad;
  }
  EXPECT_FALSE(safe_next("/" + std::string(3000, 'a')));
}

TEST(StaticAssets, TypesByExtensionAndTheScriptIsEmbedded) {
  EXPECT_EQ(static_content_type("console.css"), "text/css; charset=utf-8");
  EXPECT_EQ(static_content_type("console.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(static_content_type("logo.svg"), "image/svg+xml");
  EXPECT_EQ(static_content_type("logo.png"), "image/png");
  EXPECT_EQ(static_content_type("notes"), "application/octet-stream");
  EXPECT_EQ(static_content_type(".js"), "application/octet-stream");
  const StaticAsset* js = find_static_asset("console.js");
  ASSERT_NE(js, nullptr);
  EXPECT_THAT(std::string(js->body), HasSubstr("data-confirm"));
  EXPECT_EQ(find_static_asset("../console.js"), nullptr);
  EXPECT_NE(find_static_asset("console.css"), nullptr);
}

TEST(StandardHeaders, AHandlerCannotSetCookiesOrWeakenThePolicy) {
  Response r;
  r.headers = {{"Set-Cookie", "a=b"},
               {"content-security-policy", "default-src *"},
               {"Cache-Control", "public, max-age=99999"},
               {"X-Evil", "a\r\nSet-Cookie: c=d"},
               {"Bad Name", "x"},
               {"Content-Disposition", "attachment; filename=\"referral.json\""}};
  add_standard_headers(r, false);
  int csp = 0;
  for (const auto& [k, v] : r.headers) {
    EXPECT_NE(k, "Set-Cookie");
    EXPECT_NE(k, "X-Evil");
    EXPECT_NE(k, "Bad Name");
    if (k == "Content-Security-Policy" || k == "content-security-policy") {
      ++csp;
      EXPECT_THAT(v, HasSubstr("default-src 'none'"));
    }
    if (k == "Cache-Control") {
      EXPECT_EQ(v, "no-store");
    }
  }
  EXPECT_EQ(csp, 1);
  EXPECT_EQ(r.headers.front().first, "Content-Disposition");
}

std::string csp_of(const Response& r) {
  std::string out;
  int n = 0;
  for (const auto& [k, v] : r.headers) {
    if (k == "Content-Security-Policy") {
      out = v;
      ++n;
    }
  }
  EXPECT_EQ(n, 1);
  return out;
}

TEST(StandardHeaders, OnlyTheReportPolicyAllowsInlineStyleAndNeverScript) {
  Response page;
  add_standard_headers(page, false);
  EXPECT_THAT(csp_of(page), HasSubstr("style-src 'self'"));
  EXPECT_THAT(csp_of(page), Not(HasSubstr("unsafe-inline")));

  Response report;
  report.policy = Response::Policy::SelfContainedReport;
  // A handler's own policy header is dropped even here: the server picks.
  report.headers = {{"Content-Security-Policy", "script-src *"}};
  add_standard_headers(report, false);
  const std::string csp = csp_of(report);
  EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
  EXPECT_THAT(csp, HasSubstr("style-src 'unsafe-inline'"));
  EXPECT_THAT(csp, HasSubstr("script-src 'none'"));
  EXPECT_THAT(csp, HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(csp, HasSubstr("sandbox"));
  EXPECT_THAT(csp, Not(HasSubstr("script-src *")));
  EXPECT_THAT(csp, Not(HasSubstr("'self'")));
}

}  // namespace
}  // namespace vigil::console
