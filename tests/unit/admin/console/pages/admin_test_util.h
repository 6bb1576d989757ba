#pragma once
// The admin pages' test fixture: a temporary store with a few hits, a
// temporary rules tree (a statutory slot, domain, URL, keyword, pattern and
// allow lists, one hand-made entry, one invalid line), users of each role,
// and the routes called as the server would (capability first).

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "admin/console/pages/pages.h"
#include "admin/console/roles.h"
#include "admin/console/route.h"
#include "rules/explain.h"
#include "rules/policy/policy.h"
#include "rules/snapshot.h"
#include "store/casework.h"
#include "store/writer.h"
#include "tests/unit/store/store_test_util.h"

namespace vigil::console::pages::testing {

using store::testing::FakeClock;
using store::testing::kHour;
using store::testing::kNow;
using store::testing::raw_exec;
using store::testing::raw_int;
using store::testing::raw_text;
using store::testing::TempDir;

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline constexpr const char* kPolicy = R"toml(# admin pages test tree
default_group = "learners"

[[statutory]]
slot = "iwf"
name = "IWF URL list"
path = "statutory/iwf.urls"
format = "urls"
source = "Internet Watch Foundation (test slot)"

[[list]]
name = "test domains"
path = "lists/extremism.domains"
format = "domains"
category = "extremism"
action = "block"
source = "test fixture"
licence = "CC0"

[[list]]
name = "test urls"
path = "lists/drugs.urls"
format = "urls"
category = "drugs"
action = "block"

[[list]]
name = "test keywords"
path = "lists/violence.keywords"
format = "keywords"
category = "violence"
action = "alert"

[[list]]
name = "test patterns"
path = "lists/extremism.regex"
format = "regex"
category = "extremism"
action = "alert"

[[list]]
name = "test allow"
path = "lists/allow.domains"
format = "domains"
category = "extremism"
allow = true

[[group]]
name = "learners"

[[group]]
name = "staff"

[[entry]]
domain = "ok.example.org"
allow = true
reason = "fixture: an allow entry"
by = "fixture"
)toml";

// A rules tree and a store, and the admin routes over them.
class AdminPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rules_ = tmp_.file("rules");
    db_ = tmp_.file("store.db");
    write_file(rules_ + "/policy.toml", kPolicy);
    write_file(rules_ + "/statutory/iwf.urls", "iwf-test.example.net/abuse\n");
    write_file(rules_ + "/lists/extremism.domains",
               "bad.example.org\nworse.example.org\nnot a domain line\n");
    write_file(rules_ + "/lists/drugs.urls", "http://drugs.example.com/buy\n");
    write_file(rules_ + "/lists/violence.keywords", "knife crime\n");
    write_file(rules_ + "/lists/extremism.regex", "jihad[0-9]+\n");
    write_file(rules_ + "/lists/allow.domains", "good.example.org\n");

    store::WriterOptions wo;
    wo.path = db_;
    wo.clock = clock_.fn();
    auto w = store::Writer::open(wo);
    ASSERT_TRUE(w.ok()) << w.error().message;
    std::uint64_t ticket = 0;
    // Three hits on "test domains" from two devices, one on "test keywords".
    for (int i = 0; i < 4; ++i) {
      store::HitRecord h =
          store::testing::make_hit(kNow - kHour + i, "10.0.0." + std::to_string(1 + i % 2));
      h.device_mac = i % 2 == 0 ? "02:00:00:00:00:01" : "02:00:00:00:00:02";
      h.list = i == 3 ? "test keywords" : "test domains";
      h.category = i == 3 ? "violence" : "extremism";
      ticket = (*w)->append(std::move(h)).ticket;
    }
    ASSERT_TRUE((*w)->wait_acked(ticket, std::chrono::seconds(10)));
    (*w)->stop();

    auto cw =
        store::Casework::open({db_, std::chrono::seconds(5), std::chrono::hours(48), clock_.fn()});
    ASSERT_TRUE(cw.ok()) << cw.error().message;
    cw_ = std::move(*cw);
    ASSERT_TRUE(cw_->add_user("setup", "admin", store::Role::Admin, "").ok());
    ASSERT_TRUE(cw_->add_user("setup", "dsl", store::Role::Dsl, "").ok());
    ASSERT_TRUE(cw_->add_user("setup", "governor", store::Role::Auditor, "").ok());

    options_.store_path = db_;
    options_.rules_dir = rules_;
    options_.control_socket = tmp_.file("no-vigild.sock");
    options_.clock = clock_.fn();
    routes_ = admin_routes(options_);
  }

  static Principal as(store::Role role) {
    Principal p;
    p.role = role;
    p.name = role == store::Role::Admin     ? "admin"
             : role == store::Role::Auditor ? "governor"
                                            : "dsl";
    p.user_id = 1;
    p.csrf_token = "csrf-token-for-tests";
    return p;
  }

  // Calls the route as the server does: 404/405 when nothing matches, 403
  // without the route's capability, otherwise the handler.
  Response call(Method method, const std::string& path, const Principal& user, Fields fields = {}) {
    Request r;
    r.method = method;
    r.path = path;
    r.api = path.starts_with("/api/");
    if (method == Method::Post) {
      r.form = std::move(fields);
      r.content_type = "application/x-www-form-urlencoded";
    } else {
      r.query = std::move(fields);
    }
    Fields params;
    bool exists = false;
    const Route* route = find_route(routes_, method, path, params, exists);
    Response out;
    if (route == nullptr) {
      out.status = exists ? 405 : 404;
      return out;
    }
    if (!allowed(user.role, route->need)) {
      out.status = 403;
      return out;
    }
    r.path_params = std::move(params);
    PageContext ctx{*cw_, user};
    return route->handler(r, ctx);
  }

  Response get(const std::string& path, store::Role role = store::Role::Admin, Fields query = {}) {
    return call(Method::Get, path, as(role), std::move(query));
  }
  Response post(const std::string& path, Fields form, store::Role role = store::Role::Admin) {
    return call(Method::Post, path, as(role), std::move(form));
  }

  // The tree as rules/ loads it now; fails the test when it does not load.
  std::shared_ptr<const rules::RuleSnapshot> load_tree() {
    std::string error;
    auto policy = rules::load_policy(rules_, error);
    EXPECT_TRUE(policy.has_value()) << error;
    if (!policy) return nullptr;
    auto snap = rules::RuleSnapshot::build(*policy, error);
    EXPECT_TRUE(snap != nullptr) << error;
    return snap;
  }

  rules::Decision explain(const std::string& input) {
    auto snap = load_tree();
    if (!snap) return {};
    rules::RuleSnapshot::Scratch scratch;
    EXPECT_TRUE(snap->prepare(scratch));
    return rules::explain(*snap, scratch, input, "");
  }

  std::int64_t count(const std::string& sql) { return raw_int(db_, sql); }

  TempDir tmp_;
  std::string rules_;
  std::string db_;
  FakeClock clock_;
  std::unique_ptr<store::Casework> cw_;
  PagesOptions options_;
  std::vector<Route> routes_;
};

inline boost::json::value parse_json(const std::string& text) {
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << ec.message() << "\n" << text.substr(0, 2000);
  return v;
}

// A one-shot stand-in for vigild's control socket: answers the first
// request line with `answer` and remembers what it was asked.
class FakeVigild {
 public:
  FakeVigild(std::string path, std::string answer) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    thread_ = std::thread([this, answer = std::move(answer)] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[512];
      while (asked_.find('\n') == std::string::npos) {
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        asked_.append(buf, static_cast<std::size_t>(n));
      }
      const std::string line = answer + "\n";
      (void)!::write(c, line.data(), line.size());
      ::close(c);
    });
  }
  ~FakeVigild() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // What vigild was asked (valid once the console's call returned).
  std::string asked() {
    if (thread_.joinable()) thread_.join();
    return asked_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::thread thread_;
  std::string asked_;
};

// Hostile text the pages must show, never obey.
inline const std::string kScript = "<script>alert(1)</script>";
inline const std::string kBreakout = "\"><img src=x onerror=alert(1)>";
inline const std::string kRlo = "evil\xE2\x80\xAEgpj.exe";  // U+202E right-to-left override
inline const std::string kControl = std::string("bell\x07") + "esc\x1B[31m";
inline const std::string kBadUtf8 = "bad\xC3\x28utf8\xFF";

// Every hostile value is shown escaped: no markup of its own, no raw
// control bytes or bidirectional overrides, and the page is valid UTF-8.
inline void expect_safe_html(const std::string& body) {
  EXPECT_EQ(body.find("<script>alert"), std::string::npos);
  EXPECT_EQ(body.find("<img"), std::string::npos);
  EXPECT_EQ(body.find("onerror=alert(1)>"), std::string::npos);
  EXPECT_EQ(body.find("\xE2\x80\xAE"), std::string::npos);
  for (char c : body) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 || c == '\n') << "raw control byte " << static_cast<int>(u);
    if (u < 0x20 && c != '\n') break;
  }
  boost::json::error_code ec;
  // A valid UTF-8 check borrowed from the JSON parser: a string of the page.
  std::string quoted = "\"";
  for (char c : body) {
    if (c == '"' || c == '\\') quoted += '\\';
    if (c == '\n') {
      quoted += "\\n";
      continue;
    }
    quoted += c;
  }
  quoted += '"';
  (void)boost::json::parse(quoted, ec);
  EXPECT_FALSE(ec) << "the page is not valid UTF-8";
}

}  // namespace vigil::console::pages::testing
