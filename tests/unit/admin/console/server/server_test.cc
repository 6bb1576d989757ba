// The console's HTTPS server, end to end: a real server on 127.0.0.1:0
// with a temporary store, spoken to over real TLS. Sign-in and its cookies,
// CSRF and Origin checks, the role matrix for every capability, back-off,
// session expiry with an injected clock, TOTP, audit rows, security
// headers, TLS versions, the self-signed certificate and hostile `next`.

#include "admin/console/server/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <deque>
#include <map>
#include <stdexcept>

#include "admin/console/html.h"
#include "admin/console/password.h"
#include "admin/console/roles.h"
#include "admin/console/server/totp.h"
#include "store/casework.h"
#include "store/credentials.h"
#include "store/maintenance.h"
#include "tests/unit/admin/console/server/tls_client.h"
#include "tests/unit/store/store_test_util.h"

namespace vigil::console {
namespace {

using testing::Call;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Reply;
using ::testing::StartsWith;

constexpr const char* kPassword = "correct horse battery";
constexpr store::TimeUs kMinute = 60'000'000;
constexpr store::TimeUs kSecond = 1'000'000;

struct SignedIn {
  std::string cookie;  // the session id
  std::string csrf;    // the session's CSRF token
  Reply reply;         // the answer to the sign-in POST
};

std::string cookie_value(const Reply& r, const std::string& name) {
  for (const std::string& c : r.all("set-cookie")) {
    if (c.rfind(name + "=", 0) == 0)
      return c.substr(name.size() + 1, c.find(';') - name.size() - 1);
  }
  return {};
}

std::string set_cookie_line(const Reply& r, const std::string& name) {
  for (const std::string& c : r.all("set-cookie")) {
    if (c.rfind(name + "=", 0) == 0) return c;
  }
  return {};
}

// The text between `before` and the next `until` in `body`, "" when absent.
std::string between(const std::string& body, const std::string& before, char until = '"') {
  const std::size_t start = body.find(before);
  if (start == std::string::npos) return {};
  const std::size_t from = start + before.size();
  const std::size_t end = body.find(until, from);
  return end == std::string::npos ? std::string() : body.substr(from, end - from);
}

std::string hidden_field(const std::string& body, const std::string& name) {
  return between(body, "name=\"" + name + "\" value=\"");
}

// Every occurrence of `from` in `text` replaced by `to`.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string form(std::initializer_list<std::pair<std::string, std::string>> fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += html::url_component(k) + "=" + html::url_component(v);
  }
  return out;
}

void expect_security_headers(const Reply& r, bool cacheable, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(r.header("content-security-policy"),
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  EXPECT_EQ(r.header("strict-transport-security"), "max-age=31536000");
  EXPECT_EQ(r.header("x-frame-options"), "DENY");
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(r.header("referrer-policy"), "no-referrer");
  EXPECT_EQ(r.header("cross-origin-opener-policy"), "same-origin");
  EXPECT_THAT(r.header("permissions-policy"), HasSubstr("camera=()"));
  EXPECT_EQ(r.header("cache-control"), cacheable ? "max-age=3600" : "no-store");
}

class ConsoleServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store::init_store(db_).ok());
    auto cw = store::Casework::open({.path = db_, .clock = clock_.fn()});
    ASSERT_TRUE(cw.ok()) << cw.error().message;
    casework_ = std::move(*cw);
    const auto hash = hash_password(kPassword, test_password_cost());
    ASSERT_TRUE(hash.has_value());
    for (const auto& [name, role] :
         std::vector<std::pair<std::string, store::Role>>{{"admin1", store::Role::Admin},
                                                          {"dsl1", store::Role::Dsl},
                                                          {"deputy1", store::Role::DeputyDsl},
                                                          {"reporter1", store::Role::Reporter},
                                                          {"auditor1", store::Role::Auditor}}) {
      auto id = casework_->add_user("setup", name, role, *hash);
      ASSERT_TRUE(id.ok()) << id.error().message;
      ids_[name] = *id;
    }
    start(TotpMode::Optional);
  }

  void TearDown() override {
    if (server_) server_->stop();
  }

  // (Re)starts the server on the same store.
  void start(TotpMode mode, const std::function<void(ServerOptions&)>& tweak = {}) {
    if (server_) server_->stop();
    server_.reset();
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.cert_path = cert_;
    o.key_path = key_;
    o.store_path = db_;
    o.totp = mode;
    o.session_idle = std::chrono::minutes(30);
    o.session_lifetime = std::chrono::hours(12);
    o.password_cost = test_password_cost();
    o.clock = clock_.fn();
    if (tweak) tweak(o);
    std::string error;
    server_ = ConsoleServer::open(o, routes(), error);
    ASSERT_NE(server_, nullptr) << error;
    server_->start();
    port_ = server_->port();
  }

  // For every capability: GET /t/<name>, GET /api/t/<name>, POST /t/<name>.
  std::vector<Route> routes() {
    std::vector<Route> out;
    for (int i = 0; i < kCapabilityCount; ++i) {
      const auto cap = static_cast<Capability>(i);
      const std::string name(capability_name(cap));
      const std::string& html_path = patterns_.emplace_back("/t/" + name);
      const std::string& api_path = patterns_.emplace_back("/api/t/" + name);
      auto handler = [name](const Request& req, PageContext& ctx) {
        if (req.api) return json_response("{\"ok\":\"" + name + "\"}");
        Response r;
        r.body = "ok " + name + " for " + ctx.user.name;
        return r;
      };
      out.push_back({Method::Get, html_path, cap, handler});
      out.push_back({Method::Get, api_path, cap, handler});
      out.push_back({Method::Post, html_path, cap, handler});
      out.push_back({Method::Post, api_path, cap, handler});
    }
    out.push_back({Method::Get, "/", Capability::ViewDashboard, [](const Request&, PageContext&) {
                     Response r;
                     r.body = "dashboard";
                     return r;
                   }});
    out.push_back({Method::Get, "/boom", Capability::ViewDashboard,
                   [](const Request&, PageContext&) -> Response {
                     throw std::runtime_error("kaboom: internal detail");
                   }});
    return out;
  }

  std::string origin() const { return "https://127.0.0.1:" + std::to_string(port_); }

  Reply get(const std::string& target, const SignedIn* s = nullptr,
            std::vector<std::pair<std::string, std::string>> headers = {},
            const std::string& source = "127.0.0.1") {
    Call c;
    c.target = target;
    c.headers = std::move(headers);
    c.source = source;
    if (s != nullptr) c.headers.emplace_back("Cookie", "__Host-vigil_session=" + s->cookie);
    return testing::request(port_, c);
  }

  Reply post(const std::string& target, const std::string& body, const SignedIn* s,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    Call c;
    c.method = "POST";
    c.target = target;
    c.body = body;
    c.headers = std::move(headers);
    c.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    if (s != nullptr) c.headers.emplace_back("Cookie", "__Host-vigil_session=" + s->cookie);
    return testing::request(port_, c);
  }

  // GET /login, then POST it from `source`. `cookie` is a session cookie
  // the browser already holds (sent along), `next` the page asked for.
  SignedIn login(const std::string& name, const std::string& password = kPassword,
                 const std::string& code = "", const std::string& source = "127.0.0.1",
                 const std::string& next = "/", const std::string& old_session = "") {
    const Reply page = get("/login", nullptr, {}, source);
    const std::string login_cookie = cookie_value(page, "__Host-vigil_login");
    const std::string token = hidden_field(page.body, "login_csrf");
    EXPECT_EQ(token.size(), 64U);
    EXPECT_EQ(token, login_cookie);
    std::string cookies = "__Host-vigil_login=" + login_cookie;
    if (!old_session.empty()) cookies += "; __Host-vigil_session=" + old_session;
    Call c;
    c.method = "POST";
    c.target = "/login";
    c.source = source;
    c.body = form({{"user", name},
                   {"password", password},
                   {"code", code},
                   {"login_csrf", token},
                   {"next", next}});
    c.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Cookie", cookies},
                 {"Origin", origin()}};
    SignedIn s;
    s.reply = testing::request(port_, c);
    s.cookie = cookie_value(s.reply, "__Host-vigil_session");
    if (s.reply.status == 303 && !s.cookie.empty()) {
      s.csrf = hidden_field(get("/account", &s).body, "csrf");
    }
    return s;
  }

  store::testing::TempDir dir_;
  std::string db_ = dir_.file("vigil.db");
  std::string cert_ = dir_.file("tls/console/cert.pem");
  std::string key_ = dir_.file("tls/console/key.pem");
  store::testing::FakeClock clock_;
  std::unique_ptr<store::Casework> casework_;
  std::map<std::string, std::int64_t> ids_;
  std::deque<std::string> patterns_;  // the routes' patterns point here
  std::unique_ptr<ConsoleServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(ConsoleServerTest, SignInSetsAHostOnlySecureCookieWithAFreshId) {
  SignedIn s = login("dsl1");
  ASSERT_EQ(s.reply.status, 303) << s.reply.body;
  EXPECT_EQ(s.reply.header("location"), "/");
  const std::string line = set_cookie_line(s.reply, "__Host-vigil_session");
  EXPECT_THAT(line, StartsWith("__Host-vigil_session="));
  EXPECT_THAT(line, HasSubstr("; Path=/"));
  EXPECT_THAT(line, HasSubstr("; Secure"));
  EXPECT_THAT(line, HasSubstr("; HttpOnly"));
  EXPECT_THAT(line, HasSubstr("; SameSite=Strict"));
  EXPECT_THAT(line, Not(HasSubstr("Domain")));
  EXPECT_EQ(s.cookie.size(), 64U);  // 256 bits
  // The pre-session cookie has the same flags and is cleared at sign-in.
  EXPECT_THAT(set_cookie_line(s.reply, "__Host-vigil_login"), HasSubstr("Max-Age=0"));
  EXPECT_EQ(get("/t/view_dashboard", &s).status, 200);

  // Signing in again while holding a session gives a new id and ends the old one.
  SignedIn again = login("dsl1", kPassword, "", "127.0.0.1", "/", s.cookie);
  ASSERT_EQ(again.reply.status, 303);
  EXPECT_NE(again.cookie, s.cookie);
  EXPECT_EQ(get("/t/view_dashboard", &again).status, 200);
  EXPECT_EQ(get("/t/view_dashboard", &s).status, 303);
  // An id the server never issued is worth nothing and is cleared.
  SignedIn planted{std::string(64, 'a'), "", {}};
  const Reply r = get("/t/view_dashboard", &planted);
  EXPECT_EQ(r.status, 303);
  EXPECT_THAT(set_cookie_line(r, "__Host-vigil_session"), HasSubstr("Max-Age=0"));
}

TEST_F(ConsoleServerTest, EveryResponseCarriesTheSecurityHeaders) {
  SignedIn reporter = login("reporter1");
  ASSERT_EQ(reporter.reply.status, 303);
  expect_security_headers(reporter.reply, false, "303 sign-in");
  const Reply ok = get("/t/raise_concern", &reporter);
  EXPECT_EQ(ok.status, 200);
  expect_security_headers(ok, false, "200");
  const Reply unauth = get("/t/raise_concern");
  EXPECT_EQ(unauth.status, 303);
  expect_security_headers(unauth, false, "303 to sign-in");
  const Reply forbidden = get("/t/view_incidents", &reporter);
  EXPECT_EQ(forbidden.status, 403);
  expect_security_headers(forbidden, false, "403");
  const Reply missing = get("/no/such/page", &reporter);
  EXPECT_EQ(missing.status, 404);
  expect_security_headers(missing, false, "404");
  const Reply login_page = get("/login");
  EXPECT_EQ(login_page.status, 200);
  expect_security_headers(login_page, false, "login page");
  const Reply js = get("/static/console.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_THAT(js.body, HasSubstr("data-confirm"));
  expect_security_headers(js, true, "static");
  const Reply css = get("/static/console.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.header("content-type"), "text/css; charset=utf-8");
  const Reply no_asset = get("/static/nothing.js");
  EXPECT_EQ(no_asset.status, 404);
  expect_security_headers(no_asset, false, "static 404");
  // The pages have no inline script: the only script is /static/console.js.
  EXPECT_THAT(login_page.body, HasSubstr("<script src=\"/static/console.js\" defer></script>"));
  EXPECT_THAT(login_page.body, Not(HasSubstr("<script>")));
}

TEST_F(ConsoleServerTest, TheRoleMatrixDecidesEveryPageAndEndpoint) {
  const std::vector<std::pair<std::string, store::Role>> users{{"admin1", store::Role::Admin},
                                                               {"dsl1", store::Role::Dsl},
                                                               {"deputy1", store::Role::DeputyDsl},
                                                               {"reporter1", store::Role::Reporter},
                                                               {"auditor1", store::Role::Auditor}};
  for (const auto& [name, role] : users) {
    SignedIn s = login(name);
    ASSERT_EQ(s.reply.status, 303) << name;
    for (int i = 0; i < kCapabilityCount; ++i) {
      const auto cap = static_cast<Capability>(i);
      const std::string cap_name(capability_name(cap));
      const int want = allowed(role, cap) ? 200 : 403;
      const Reply page = get("/t/" + cap_name, &s);
      EXPECT_EQ(page.status, want) << name << " " << cap_name;
      const Reply api = get("/api/t/" + cap_name, &s);
      EXPECT_EQ(api.status, want) << name << " api " << cap_name;
      if (want == 200) {
        EXPECT_EQ(page.body, "ok " + cap_name + " for " + name);
      } else {
        EXPECT_EQ(api.header("content-type"), "application/json");
        EXPECT_THAT(api.body, HasSubstr("\"error\""));
      }
    }
  }
  for (int i = 0; i < kCapabilityCount; ++i) {
    const std::string cap_name(capability_name(static_cast<Capability>(i)));
    const Reply page = get("/t/" + cap_name);
    EXPECT_EQ(page.status, 303);
    EXPECT_EQ(page.header("location"), "/login?next=%2Ft%2F" + cap_name);
    const Reply api = get("/api/t/" + cap_name);
    EXPECT_EQ(api.status, 401);
    EXPECT_EQ(api.header("content-type"), "application/json");
  }
}

TEST_F(ConsoleServerTest, PostsNeedTheSessionsCsrfTokenFromThisOrigin) {
  SignedIn s = login("admin1");
  ASSERT_EQ(s.reply.status, 303);
  ASSERT_EQ(s.csrf.size(), 64U);
  EXPECT_EQ(post("/t/view_dashboard", "x=1", &s).status, 403);
  EXPECT_EQ(post("/t/view_dashboard", "csrf=" + std::string(64, '0'), &s).status, 403);
  EXPECT_EQ(post("/t/view_dashboard", "csrf=" + s.csrf, &s).status, 200);
  EXPECT_EQ(post("/t/view_dashboard", "csrf=" + s.csrf, &s, {{"Origin", origin()}}).status, 200);
  EXPECT_EQ(
      post("/t/view_dashboard", "csrf=" + s.csrf, &s, {{"Origin", "https://evil.example"}}).status,
      403);
  EXPECT_EQ(post("/t/view_dashboard", "csrf=" + s.csrf, &s, {{"Origin", "null"}}).status, 403);
  EXPECT_EQ(
      post("/t/view_dashboard", "csrf=" + s.csrf, &s, {{"Sec-Fetch-Site", "cross-site"}}).status,
      403);
  EXPECT_EQ(
      post("/t/view_dashboard", "csrf=" + s.csrf, &s, {{"Sec-Fetch-Site", "same-origin"}}).status,
      200);
  // What Chromium sends for a form post under Referrer-Policy: no-referrer.
  EXPECT_EQ(post("/t/view_dashboard", "csrf=" + s.csrf, &s,
                 {{"Sec-Fetch-Site", "same-origin"}, {"Origin", "null"}})
                .status,
            200);
  EXPECT_EQ(post("/t/view_dashboard", "x=1", &s, {{"Sec-Fetch-Site", "same-origin"}}).status, 403);
  // JSON API calls carry the token in a header.
  Call api;
  api.method = "POST";
  api.target = "/api/t/view_dashboard";
  api.body = "{}";
  api.headers = {{"Content-Type", "application/json"},
                 {"Cookie", "__Host-vigil_session=" + s.cookie}};
  EXPECT_EQ(testing::request(port_, api).status, 403);
  api.headers.emplace_back("X-CSRF-Token", s.csrf);
  EXPECT_EQ(testing::request(port_, api).status, 200);
  // Another user's token is not this session's.
  SignedIn other = login("dsl1");
  EXPECT_EQ(post("/t/view_dashboard", "csrf=" + other.csrf, &s).status, 403);
}

TEST_F(ConsoleServerTest, SignInItselfCannotBeForged) {
  const Reply page = get("/login");
  const std::string token = hidden_field(page.body, "login_csrf");
  const std::string body = form({{"user", "dsl1"}, {"password", kPassword}, {"login_csrf", token}});
  // No pre-session cookie (another site's form cannot send it).
  Reply r = post("/login", body, nullptr);
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(cookie_value(r, "__Host-vigil_session").empty());
  // A cookie that is not the form's token.
  r = post("/login", body, nullptr, {{"Cookie", "__Host-vigil_login=" + std::string(64, 'b')}});
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(cookie_value(r, "__Host-vigil_session").empty());
  // The right pair from a foreign origin.
  r = post("/login", body, nullptr,
           {{"Cookie", "__Host-vigil_login=" + token}, {"Origin", "https://evil.example"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(cookie_value(r, "__Host-vigil_session").empty());
  r = post("/login", body, nullptr, {{"Cookie", "__Host-vigil_login=" + token}});
  EXPECT_EQ(r.status, 303);
  EXPECT_FALSE(cookie_value(r, "__Host-vigil_session").empty());
}

TEST_F(ConsoleServerTest, BackOffPerAddressCountsUnknownUsers) {
  const std::string from = "127.0.0.2";
  std::string first_failure;
  for (int i = 0; i < 5; ++i) {
    SignedIn s = login("nobody" + std::to_string(i), "wrong password here", "", from);
    EXPECT_EQ(s.reply.status, 200);
    EXPECT_THAT(s.reply.body, HasSubstr("The user name, password or code is not right."));
    EXPECT_TRUE(s.cookie.empty());
  }
  // A wrong password for a real user reads exactly like an unknown user.
  SignedIn known = login("auditor1", "wrong password here", "", "127.0.0.3");
  SignedIn unknown = login("nobody", "wrong password here", "", "127.0.0.4");
  EXPECT_EQ(known.reply.status, unknown.reply.status);
  auto normalised = [](const std::string& body, const std::string& name) {
    const std::string token = hidden_field(body, "login_csrf");
    EXPECT_EQ(token.size(), 64U);
    return replace_all(replace_all(body, token, "TOKEN"), name, "NAME");
  };
  EXPECT_EQ(normalised(known.reply.body, "auditor1"), normalised(unknown.reply.body, "nobody"));
  // The sixth attempt from that address is refused, right password or not.
  SignedIn refused = login("dsl1", kPassword, "", from);
  EXPECT_EQ(refused.reply.status, 429);
  EXPECT_EQ(refused.reply.header("retry-after"), "1");
  EXPECT_TRUE(refused.cookie.empty());
  expect_security_headers(refused.reply, false, "429");
  // Another address is not held back by it.
  EXPECT_EQ(login("dsl1", kPassword, "", "127.0.0.5").reply.status, 303);
  // Once the delay has passed, the next failure doubles it.
  clock_.now += 2 * kSecond;
  EXPECT_EQ(login("nobody", "wrong password here", "", from).reply.status, 200);
  EXPECT_EQ(login("dsl1", kPassword, "", from).reply.header("retry-after"), "2");
  clock_.now += 3 * kSecond;
  EXPECT_EQ(login("dsl1", kPassword, "", from).reply.status, 303);
}

TEST_F(ConsoleServerTest, BackOffPerAccountHoldsAcrossAddresses) {
  for (int i = 0; i < 5; ++i) {
    SignedIn s = login("dsl1", "wrong password here", "", "127.0.0." + std::to_string(11 + i));
    EXPECT_EQ(s.reply.status, 200);
  }
  SignedIn refused = login("dsl1", kPassword, "", "127.0.0.20");
  EXPECT_EQ(refused.reply.status, 429);
  EXPECT_EQ(refused.reply.header("retry-after"), "1");
  EXPECT_TRUE(refused.cookie.empty());
  // Other accounts are not held back.
  EXPECT_EQ(login("deputy1", kPassword, "", "127.0.0.21").reply.status, 303);
  clock_.now += 2 * kSecond;
  EXPECT_EQ(login("dsl1", kPassword, "", "127.0.0.20").reply.status, 303);
  // Success cleared the account's count.
  EXPECT_EQ(login("dsl1", "wrong password here", "", "127.0.0.22").reply.status, 200);
  EXPECT_EQ(login("dsl1", kPassword, "", "127.0.0.23").reply.status, 303);
}

TEST_F(ConsoleServerTest, SessionsEndWhenIdleAndAfterTheirLifetime) {
  SignedIn s = login("dsl1");
  ASSERT_EQ(s.reply.status, 303);
  clock_.now += 29 * kMinute;
  EXPECT_EQ(get("/t/view_dashboard", &s).status, 200);
  clock_.now += 29 * kMinute;  // 58 min after sign-in, 29 after the last request
  EXPECT_EQ(get("/t/view_dashboard", &s).status, 200);
  clock_.now += 31 * kMinute;
  const Reply expired = get("/t/view_dashboard", &s);
  EXPECT_EQ(expired.status, 303);
  EXPECT_THAT(expired.header("location"), StartsWith("/login"));
  EXPECT_EQ(get("/api/t/view_dashboard", &s).status, 401);

  SignedIn busy = login("dsl1");
  for (int i = 0; i < 24; ++i) {  // 24 x 29 min = 11 h 36 min of steady use
    clock_.now += 29 * kMinute;
    ASSERT_EQ(get("/t/view_dashboard", &busy).status, 200) << i;
  }
  clock_.now += 29 * kMinute;  // past 12 h since sign-in
  EXPECT_EQ(get("/t/view_dashboard", &busy).status, 303);
}

TEST_F(ConsoleServerTest, ADisabledUsersSessionEndsAndARoleChangeAppliesAtOnce) {
  SignedIn dsl = login("dsl1");
  ASSERT_EQ(get("/t/view_incidents", &dsl).status, 200);
  ASSERT_EQ(store::testing::raw_exec(db_, "UPDATE users SET role = 'reporter' WHERE name = 'dsl1'"),
            SQLITE_OK);
  EXPECT_EQ(get("/t/view_incidents", &dsl).status, 403);
  EXPECT_EQ(get("/t/raise_concern", &dsl).status, 200);
  ASSERT_TRUE(casework_->set_user_disabled("admin1", "dsl1", true).ok());
  EXPECT_EQ(get("/t/raise_concern", &dsl).status, 303);
  EXPECT_EQ(get("/api/t/raise_concern", &dsl).status, 401);
  ASSERT_TRUE(casework_->set_user_disabled("admin1", "dsl1", false).ok());
  EXPECT_EQ(get("/t/raise_concern", &dsl).status, 303);  // the session stays ended
  // A disabled user cannot sign in, and is told nothing more than a typo.
  ASSERT_TRUE(casework_->set_user_disabled("admin1", "auditor1", true).ok());
  SignedIn disabled = login("auditor1");
  EXPECT_EQ(disabled.reply.status, 200);
  EXPECT_TRUE(disabled.cookie.empty());
}

TEST_F(ConsoleServerTest, SignInsAndFailuresAreAudited) {
  SignedIn bad = login(std::string("nob\x01ody"), "wrong password here", "", "127.0.0.31");
  EXPECT_EQ(bad.reply.status, 200);
  const std::string failed = store::testing::raw_text(
      db_, "SELECT actor || '|' || detail FROM audit_log WHERE action = 'login.failed'");
  EXPECT_EQ(failed, "anonymous|user \"nob?ody\" from 127.0.0.31");
  SignedIn wrong = login("dsl1", "wrong password here", "", "127.0.0.32");
  EXPECT_EQ(store::testing::raw_int(db_,
                                    "SELECT object_id FROM audit_log WHERE action = "
                                    "'login.failed' ORDER BY id DESC LIMIT 1"),
            ids_["dsl1"]);
  SignedIn ok = login("dsl1", kPassword, "", "127.0.0.33");
  ASSERT_EQ(ok.reply.status, 303);
  EXPECT_EQ(store::testing::raw_text(
                db_, "SELECT actor || '|' || detail FROM audit_log WHERE action = 'login.ok'"),
            "dsl1|from 127.0.0.33");
  // Signing out is audited and ends the session.
  const Reply out = post("/logout", "csrf=" + ok.csrf, &ok);
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(out.header("location"), "/login");
  EXPECT_THAT(set_cookie_line(out, "__Host-vigil_session"), HasSubstr("Max-Age=0"));
  EXPECT_EQ(get("/t/view_dashboard", &ok).status, 303);
  EXPECT_EQ(store::testing::raw_int(db_,
                                    "SELECT count(*) FROM audit_log WHERE action = 'logout' "
                                    "AND actor = 'dsl1'"),
            1);
  // The audit chain still verifies.
  auto v = store::verify_audit(db_);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
}

TEST_F(ConsoleServerTest, TotpCodesAreAskedForAndUsableOnce) {
  auto creds = store::CredentialStore::open({.path = db_});
  ASSERT_TRUE(creds.ok());
  const std::string secret = totp::new_secret();
  ASSERT_TRUE((*creds)->begin_totp(ids_["dsl1"], secret).ok());
  ASSERT_TRUE((*creds)->enable_totp("dsl1", ids_["dsl1"], secret, 1).ok());
  const std::string raw = *totp::decode_secret(secret);
  const std::int64_t now_s = clock_.now / kSecond;

  EXPECT_EQ(login("dsl1").reply.status, 200);  // no code
  const std::string right = totp::code_at(raw, now_s);
  EXPECT_EQ(login("dsl1", kPassword, right == "000000" ? "111111" : "000000").reply.status, 200);
  SignedIn ok = login("dsl1", kPassword, right);
  EXPECT_EQ(ok.reply.status, 303);
  // The same code again is refused, even from another address.
  EXPECT_EQ(login("dsl1", kPassword, totp::code_at(raw, now_s), "127.0.0.41").reply.status, 200);
  // A code of the previous step is still refused: a newer one was used.
  EXPECT_EQ(login("dsl1", kPassword, totp::code_at(raw, now_s - 30), "127.0.0.42").reply.status,
            200);
  clock_.now += 30 * kSecond;
  EXPECT_EQ(login("dsl1", kPassword, totp::code_at(raw, now_s + 30), "127.0.0.43").reply.status,
            303);
}

TEST_F(ConsoleServerTest, EnrolmentThroughTheAccountPageTurnsTotpOn) {
  SignedIn s = login("reporter1");
  ASSERT_EQ(s.reply.status, 303);
  EXPECT_THAT(get("/account", &s).body, HasSubstr("Set up two-step sign-in"));
  EXPECT_EQ(post("/account/totp/begin", "", &s).status, 403);  // no CSRF token
  Reply begun = post("/account/totp/begin", "csrf=" + s.csrf, &s);
  ASSERT_EQ(begun.status, 303);
  const Reply page = get("/account", &s);
  const std::string secret = between(page.body, "otpauth://totp/Vigil:reporter1?secret=", '&');
  ASSERT_EQ(secret.size(), 32U) << page.body;
  EXPECT_THAT(page.body, HasSubstr(secret + "&amp;issuer=Vigil&amp;algorithm=SHA1"));
  const std::string raw = *totp::decode_secret(secret);
  const std::int64_t now_s = clock_.now / kSecond;
  EXPECT_EQ(post("/account/totp/confirm", form({{"csrf", s.csrf}, {"code", "12345"}}), &s).status,
            400);
  const Reply done = post("/account/totp/confirm",
                          form({{"csrf", s.csrf}, {"code", totp::code_at(raw, now_s)}}), &s);
  ASSERT_EQ(done.status, 303);
  EXPECT_EQ(done.header("location"), "/account?done=totp_on");
  EXPECT_EQ(store::testing::raw_int(db_, "SELECT totp_enabled FROM users WHERE name = 'reporter1'"),
            1);
  EXPECT_EQ(store::testing::raw_int(db_,
                                    "SELECT count(*) FROM audit_log WHERE action = "
                                    "'totp.enrolled'"),
            1);
  EXPECT_EQ(login("reporter1").reply.status, 200);
  clock_.now += 30 * kSecond;
  SignedIn with_code = login("reporter1", kPassword, totp::code_at(raw, now_s + 30));
  EXPECT_EQ(with_code.reply.status, 303);
  // Turning it off needs the password.
  EXPECT_EQ(
      post("/account/totp/disable", form({{"csrf", s.csrf}, {"current", "nope nope nope"}}), &s)
          .status,
      400);
  EXPECT_EQ(
      post("/account/totp/disable", form({{"csrf", s.csrf}, {"current", kPassword}}), &s).status,
      303);
  EXPECT_EQ(store::testing::raw_int(db_,
                                    "SELECT count(*) FROM audit_log WHERE action = "
                                    "'totp.disabled'"),
            1);
  EXPECT_EQ(login("reporter1").reply.status, 303);
}

TEST_F(ConsoleServerTest, RequiredTotpSendsSafeguardingRolesToEnrolFirst) {
  start(TotpMode::Required);
  SignedIn admin = login("admin1", kPassword, "", "127.0.0.1", "/t/view_dashboard");
  ASSERT_EQ(admin.reply.status, 303);
  EXPECT_EQ(admin.reply.header("location"), "/account");
  const Reply page = get("/t/view_dashboard", &admin);
  EXPECT_EQ(page.status, 303);
  EXPECT_EQ(page.header("location"), "/account");
  EXPECT_EQ(get("/api/t/view_dashboard", &admin).status, 403);
  EXPECT_THAT(get("/account", &admin).body, HasSubstr("Your role must use two-step sign-in"));
  // A reporter is not asked to.
  SignedIn reporter = login("reporter1");
  EXPECT_EQ(reporter.reply.header("location"), "/");
  EXPECT_EQ(get("/t/raise_concern", &reporter).status, 200);
  // Once enrolled, the admin carries on.
  ASSERT_EQ(post("/account/totp/begin", "csrf=" + admin.csrf, &admin).status, 303);
  auto creds = store::CredentialStore::open({.path = db_});
  const std::string secret = (*(*creds)->by_id(ids_["admin1"]))->totp_secret;
  const std::string code = totp::code_at(*totp::decode_secret(secret), clock_.now / kSecond);
  ASSERT_EQ(
      post("/account/totp/confirm", form({{"csrf", admin.csrf}, {"code", code}}), &admin).status,
      303);
  EXPECT_EQ(get("/t/view_dashboard", &admin).status, 200);
  // Required: it cannot be turned off.
  EXPECT_EQ(
      post("/account/totp/disable", form({{"csrf", admin.csrf}, {"current", kPassword}}), &admin)
          .status,
      403);
}

TEST_F(ConsoleServerTest, AHostileNextNeverLeavesTheServer) {
  for (const std::string next :
       {"//evil.example", "/\\evil.example", "https://evil.example/", "/\t/evil.example",
        "javascript:alert(1)", "evil.example", "///evil.example", "/ /evil"}) {
    SCOPED_TRACE(next);
    const Reply page = get("/login?next=" + html::url_component(next));
    EXPECT_EQ(hidden_field(page.body, "next"), "/");
    SignedIn s = login("dsl1", kPassword, "", "127.0.0.1", next);
    ASSERT_EQ(s.reply.status, 303);
    EXPECT_EQ(s.reply.header("location"), "/");
    // Already signed in: /login?next= redirects, still only on-site.
    const Reply again = get("/login?next=" + html::url_component(next), &s);
    EXPECT_EQ(again.status, 303);
    EXPECT_EQ(again.header("location"), "/");
  }
  SignedIn s = login("dsl1", kPassword, "", "127.0.0.1", "/t/view_incidents?from=1&to=2");
  EXPECT_EQ(s.reply.header("location"), "/t/view_incidents?from=1&to=2");
  // The page asked for comes back as next.
  const Reply asked = get("/t/view_incidents?severity=danger");
  EXPECT_EQ(asked.header("location"), "/login?next=%2Ft%2Fview_incidents%3Fseverity%3Ddanger");
}

TEST_F(ConsoleServerTest, OnlyTls12OrNewerIsSpoken) {
  testing::TlsOptions old;
  old.min_version = TLS1_VERSION;
  old.max_version = TLS1_1_VERSION;
  testing::TlsConnection tls11(port_, old);
  EXPECT_FALSE(tls11.connected());
  EXPECT_THAT(tls11.error(), HasSubstr("protocol version"));
  old.max_version = TLS1_VERSION;
  EXPECT_FALSE(testing::TlsConnection(port_, old).connected());
  testing::TlsOptions v12;
  v12.max_version = TLS1_2_VERSION;
  testing::TlsConnection tls12(port_, v12);
  ASSERT_TRUE(tls12.connected()) << tls12.error();
  EXPECT_EQ(tls12.version(), TLS1_2_VERSION);
  testing::TlsConnection tls13(port_, {});
  ASSERT_TRUE(tls13.connected());
  EXPECT_EQ(tls13.version(), TLS1_3_VERSION);

  // Plain HTTP gets the connection closed, not a page.
  const int fd = testing::connect_loopback(port_);
  ASSERT_GE(fd, 0);
  const std::string plain = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, plain.data(), plain.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(plain.size()));
  std::string got;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<std::size_t>(n));
  const int e = errno;
  ::close(fd);
  EXPECT_TRUE(n == 0 || e == ECONNRESET) << "the server kept the connection open";
  EXPECT_THAT(got, Not(HasSubstr("HTTP/")));
}

TEST_F(ConsoleServerTest, ASelfSignedCertificateIsMadeWithAPrivateKey) {
  struct stat st {};
  ASSERT_EQ(::stat(key_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat(cert_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644U);
  ASSERT_EQ(::stat(dir_.file("tls/console").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  // The certificate names localhost and the listen address.
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    testing::TlsOptions verify;
    verify.ca_file = cert_;
    verify.verify_host = host;
    testing::TlsConnection c(port_, verify);
    EXPECT_TRUE(c.connected()) << host << ": " << c.error();
  }
  testing::TlsOptions other;
  other.ca_file = cert_;
  other.verify_host = "evil.example";
  EXPECT_FALSE(testing::TlsConnection(port_, other).connected());
  // Restarting keeps the pair.
  ::stat(key_.c_str(), &st);
  const auto key_inode = st.st_ino;
  start(TotpMode::Optional);
  ::stat(key_.c_str(), &st);
  EXPECT_EQ(st.st_ino, key_inode);
  // One file without the other is refused in one line.
  server_->stop();
  server_.reset();
  ASSERT_EQ(::unlink(key_.c_str()), 0);
  ServerOptions o;
  o.port = 0;
  o.cert_path = cert_;
  o.key_path = key_;
  o.store_path = db_;
  o.password_cost = test_password_cost();
  std::string error;
  EXPECT_EQ(ConsoleServer::open(o, {}, error), nullptr);
  EXPECT_THAT(error, HasSubstr("console.tls_key " + key_));
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST_F(ConsoleServerTest, AFailingHandlerIsA500AndTheServerCarriesOn) {
  SignedIn s = login("dsl1");
  const Reply boom = get("/boom", &s);
  EXPECT_EQ(boom.status, 500);
  EXPECT_THAT(boom.body, Not(HasSubstr("kaboom")));
  expect_security_headers(boom, false, "500");
  EXPECT_EQ(get("/t/view_dashboard", &s).status, 200);
  EXPECT_EQ(get("/", &s).body, "dashboard");
  // Unknown paths and methods.
  EXPECT_EQ(get("/t/nothing", &s).status, 404);
  Call del;
  del.method = "DELETE";
  del.target = "/t/view_dashboard";
  del.headers = {{"Cookie", "__Host-vigil_session=" + s.cookie}, {"X-CSRF-Token", s.csrf}};
  EXPECT_EQ(testing::request(port_, del).status, 405);
  // HEAD: the headers GET would send, without the body.
  Call head;
  head.method = "HEAD";
  head.target = "/static/console.js";
  const Reply h = testing::request(port_, head);
  EXPECT_EQ(h.status, 200);
  EXPECT_TRUE(h.body.empty());
  EXPECT_EQ(h.header("content-length"), std::to_string(get("/static/console.js").body.size()));
  // A malformed escape in the address.
  EXPECT_EQ(get("/t/view%zzdashboard", &s).status, 400);
}

TEST_F(ConsoleServerTest, ChangingThePasswordEndsOtherSessions) {
  SignedIn here = login("deputy1");
  SignedIn elsewhere = login("deputy1", kPassword, "", "127.0.0.51");
  ASSERT_EQ(get("/t/view_dashboard", &elsewhere).status, 200);
  auto change = [&](const std::string& current, const std::string& fresh,
                    const std::string& again) {
    return post("/account/password",
                form({{"csrf", here.csrf}, {"current", current}, {"new", fresh}, {"again", again}}),
                &here);
  };
  EXPECT_EQ(change("wrong password!!", "a new long password", "a new long password").status, 400);
  EXPECT_EQ(change(kPassword, "a new long password", "a different one!!").status, 400);
  const Reply short_one = change(kPassword, "short", "short");
  EXPECT_EQ(short_one.status, 400);
  EXPECT_THAT(short_one.body, HasSubstr("at least 12 characters"));
  const Reply ok = change(kPassword, "a new long password", "a new long password");
  ASSERT_EQ(ok.status, 303);
  EXPECT_EQ(ok.header("location"), "/account?done=password");
  EXPECT_EQ(get("/t/view_dashboard", &here).status, 200);
  EXPECT_EQ(get("/t/view_dashboard", &elsewhere).status, 303);
  EXPECT_EQ(store::testing::raw_int(db_,
                                    "SELECT count(*) FROM audit_log WHERE action = "
                                    "'password.changed' AND actor = 'deputy1'"),
            1);
  EXPECT_EQ(login("deputy1", kPassword, "", "127.0.0.52").reply.status, 200);
  EXPECT_EQ(login("deputy1", "a new long password", "", "127.0.0.53").reply.status, 303);
}

TEST_F(ConsoleServerTest, APasswordHashedAtAnotherCostIsRehashedAtSignIn) {
  const PasswordCost older{test_password_cost().ops + 1, test_password_cost().mem_bytes};
  const auto hash = hash_password(kPassword, older);
  ASSERT_TRUE(hash.has_value());
  ASSERT_TRUE(casework_->add_user("setup", "old1", store::Role::Auditor, *hash).ok());
  ASSERT_TRUE(needs_rehash(*hash, test_password_cost()));
  ASSERT_EQ(login("old1").reply.status, 303);
  const std::string now_hash =
      store::testing::raw_text(db_, "SELECT password_hash FROM users WHERE name = 'old1'");
  EXPECT_NE(now_hash, *hash);
  EXPECT_FALSE(needs_rehash(now_hash, test_password_cost()));
  EXPECT_TRUE(verify_password(now_hash, kPassword));
  EXPECT_EQ(login("old1").reply.status, 303);
}

TEST_F(ConsoleServerTest, OversizedRequestsAreRefusedWithTheHeaders) {
  start(TotpMode::Optional, [](ServerOptions& o) { o.max_post_body_bytes = 4096; });
  SignedIn s = login("dsl1");
  const Reply big =
      post("/t/view_dashboard", "csrf=" + s.csrf + "&x=" + std::string(5000, 'a'), &s);
  EXPECT_EQ(big.status, 413);
  expect_security_headers(big, false, "413");
  const Reply headers = get("/t/view_dashboard", &s, {{"X-Filler", std::string(20'000, 'h')}});
  EXPECT_EQ(headers.status, 431);
  EXPECT_EQ(post("/t/view_dashboard", "csrf=" + s.csrf + "&x=" + std::string(3000, 'a'), &s).status,
            200);
}

TEST_F(ConsoleServerTest, StopIsIdempotent) {
  server_->stop();
  server_->stop();
  const int fd = testing::connect_loopback(port_);
  EXPECT_LT(fd, 0) << "still listening after stop()";
  if (fd >= 0) ::close(fd);
}

}  // namespace
}  // namespace vigil::console
