#pragma once
// Shared by the safeguarding pages' tests: a temporary store with users of
// every role, hits appended through the real store::Writer, and the routes
// of safeguarding_routes() called the way the server calls them (find_route,
// then the handler with a Principal and a Casework). HTML is checked for
// escaping, JSON parsed with Boost.JSON (compiled once, in the pages
// library).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "admin/console/pages/pages.h"
#include "admin/console/roles.h"
#include "admin/console/route.h"
#include "store/casework.h"
#include "store/maintenance.h"
#include "store/writer.h"
#include "tests/unit/store/store_test_util.h"

namespace vigil::console::pages::testing {

using store::testing::FakeClock;
using store::testing::kDay;
using store::testing::kHour;
using store::testing::kMinute;
using store::testing::kNow;
using store::testing::raw_exec;
using store::testing::raw_int;
using store::testing::raw_text;
using store::testing::TempDir;

// Hostile text as a hit, a host name or a person's name may carry it.
inline const std::string kScript = "<script>alert(1)</script>";
inline const std::string kBreakout = "\"><img src=x onerror=alert(1)>";
inline const std::string kJsUrl = "javascript:alert(document.cookie)";
inline const std::string kRlo = "gro.\xE2\x80\xAEgood";  // U+202E RIGHT-TO-LEFT OVERRIDE
inline const std::string kControl = std::string("bell\x07 esc\x1b[31m nul") + '\0' + "x";
inline const std::string kBadUtf8 = "bad\xff\xfe\xc3(";

inline store::HitRecord hit(store::TimeUs ts, const std::string& ip, const std::string& person_ref,
                            const std::string& category = "extremism",
                            const std::string& severity = "caution") {
  store::HitRecord h = store::testing::make_hit(ts, ip, category, severity);
  h.person_ref = person_ref;
  if (!person_ref.empty()) {
    h.attribution_source = "dhcp_lease";
    h.attribution_confidence = 0.75;
  }
  return h;
}

class SafeguardingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Local time is UTC so "today" and the shown times do not depend on the machine.
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    auto init = store::init_store(db_);
    ASSERT_TRUE(init.ok()) << init.error().message;
    auto cw =
        store::Casework::open({db_, std::chrono::seconds(5), std::chrono::hours(48), clock_.fn()});
    ASSERT_TRUE(cw.ok()) << cw.error().message;
    cw_ = std::move(*cw);
    for (auto [name, role] :
         {std::pair{"dsl1", store::Role::Dsl}, std::pair{"deputy1", store::Role::DeputyDsl},
          std::pair{"teacher", store::Role::Reporter}, std::pair{"teacher2", store::Role::Reporter},
          std::pair{"itadmin", store::Role::Admin}, std::pair{"governor", store::Role::Auditor}}) {
      auto id = cw_->add_user("setup", name, role, "");
      ASSERT_TRUE(id.ok()) << id.error().message;
      users_[name] = Principal{*id, name, role, "csrf-token"};
    }
    options_.store_path = db_;
    options_.control_socket = dir_.file("no-vigild.sock");
    options_.clock = clock_.fn();
    routes_ = safeguarding_routes(options_);
  }

  const Principal& user(const std::string& name) { return users_.at(name); }
  const Principal& dsl() { return user("dsl1"); }
  const Principal& deputy() { return user("deputy1"); }
  const Principal& reporter() { return user("teacher"); }
  const Principal& admin() { return user("itadmin"); }
  const Principal& auditor() { return user("governor"); }
  // The signed-in user of a role, for loops over every role.
  const Principal& of_role(store::Role role) {
    for (const auto& [name, p] : users_)
      if (p.role == role) return p;
    throw std::logic_error("no user of that role");
  }

  std::int64_t person(const std::string& reference, const std::string& name, bool under_18) {
    store::PersonRecord p;
    p.reference = reference;
    p.display_name = name;
    p.kind = "learner";
    p.under_18 = under_18;
    auto id = cw_->upsert_person("setup", p);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : 0;
  }

  // Appends through the real writer and waits until everything is committed.
  void append(std::vector<store::HitRecord> hits,
              std::vector<store::ActivityRecord> activity = {}) {
    store::WriterOptions o;
    o.path = db_;
    o.clock = clock_.fn();
    auto w = store::Writer::open(o);
    ASSERT_TRUE(w.ok()) << w.error().message;
    std::uint64_t last = 0;
    for (store::HitRecord& h : hits) {
      auto r = (*w)->append(std::move(h));
      ASSERT_EQ(r.status, store::AppendStatus::Accepted);
      last = r.ticket;
    }
    for (const store::ActivityRecord& a : activity) {
      ASSERT_TRUE((*w)->record_activity(a));
    }
    if (last != 0) {
      ASSERT_TRUE((*w)->wait_acked(last, std::chrono::seconds(10)));
    }
    (*w)->stop();
    ASSERT_EQ((*w)->stats().lost_at_stop, 0U);
  }

  void record_rule_set(store::TimeUs loaded_us) {
    store::WriterOptions o;
    o.path = db_;
    o.clock = clock_.fn();
    auto w = store::Writer::open(o);
    ASSERT_TRUE(w.ok()) << w.error().message;
    store::RuleSetRecord rs;
    rs.loaded_us = loaded_us;
    rs.version = "abc";
    rs.source = "/etc/vigil/rules";
    rs.lists = 12;
    rs.entries = 48210;
    rs.loaded_by = "vigild (start)";
    auto r = (*w)->record_rule_set(rs).get();
    ASSERT_TRUE(r.ok()) << r.error().message;
    (*w)->stop();
  }

  // The request the server would hand over, through find_route.
  Response call(Method method, const std::string& path, const Principal& who, Fields query = {},
                Fields form = {}, std::string json_body = {}) {
    Request r;
    r.method = method;
    r.path = path;
    r.query = std::move(query);
    r.form = std::move(form);
    r.api = path.starts_with("/api/");
    if (!json_body.empty()) {
      r.body = std::move(json_body);
      r.content_type = "application/json";
    } else if (method == Method::Post) {
      r.content_type = "application/x-www-form-urlencoded";
    }
    r.remote_address = "127.0.0.1";
    bool exists = false;
    const Route* route = find_route(routes_, method, path, r.path_params, exists);
    EXPECT_NE(route, nullptr) << path;
    if (route == nullptr) return Response{404, "text/plain", "no route", {}};
    last_need_ = route->need;
    PageContext ctx{*cw_, who};
    return route->handler(r, ctx);
  }
  Response get(const std::string& path, const Principal& who, Fields query = {}) {
    return call(Method::Get, path, who, std::move(query));
  }
  Response post(const std::string& path, const Principal& who, Fields form) {
    return call(Method::Post, path, who, {}, std::move(form));
  }
  Response post_json(const std::string& path, const Principal& who, std::string body) {
    return call(Method::Post, path, who, {}, {}, std::move(body));
  }

  std::int64_t sql(const std::string& query) { return raw_int(db_, query); }
  std::string sql_text(const std::string& query) { return raw_text(db_, query); }
  std::int64_t audit_count(const std::string& action) {
    return sql("SELECT count(*) FROM audit_log WHERE action = '" + action + "'");
  }

  // Parses a JSON answer (Boost.JSON refuses invalid UTF-8); fails the test if it does not parse.
  static boost::json::value parse_json(const std::string& body) {
    boost::json::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    EXPECT_FALSE(ec) << "not JSON: " << ec.message() << ": " << body.substr(0, 300);
    return v;
  }

  static std::string str(const boost::json::value& v) {
    return v.is_string() ? std::string(v.as_string().data(), v.as_string().size()) : std::string();
  }

  TempDir dir_;
  std::string db_ = dir_.file("vigil.db");
  FakeClock clock_;
  std::unique_ptr<store::Casework> cw_;
  std::map<std::string, Principal> users_;
  PagesOptions options_;
  std::vector<Route> routes_;
  Capability last_need_ = Capability::ViewDashboard;
};

// No payload appears as markup; no byte that could mislead a reader or
// break a parser appears raw.
inline void expect_safe_text(const std::string& body, const std::string& where) {
  using ::testing::HasSubstr;
  using ::testing::Not;
  EXPECT_THAT(body, Not(HasSubstr(kScript))) << where;
  EXPECT_THAT(body, Not(HasSubstr("<img"))) << where;
  EXPECT_THAT(body, Not(HasSubstr("href=\"javascript:"))) << where;
  EXPECT_THAT(body, Not(HasSubstr("src=\"javascript:"))) << where;
  EXPECT_THAT(body, Not(HasSubstr("\xE2\x80\xAE"))) << where;
  for (unsigned char c : body) {
    if (c < 0x20 && c != '\n') {
      ADD_FAILURE() << where << ": raw control byte " << static_cast<int>(c);
      break;
    }
  }
  // Every byte sequence is valid UTF-8.
  for (std::size_t i = 0; i < body.size();) {
    const auto c = static_cast<unsigned char>(body[i]);
    std::size_t len = c < 0x80         ? 1
                      : (c >> 5) == 6  ? 2
                      : (c >> 4) == 14 ? 3
                      : (c >> 3) == 30 ? 4
                                       : 0;
    bool ok = len > 0 && i + len <= body.size();
    for (std::size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(body[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      ADD_FAILURE() << where << ": invalid UTF-8 at byte " << i;
      break;
    }
    i += len;
  }
}

inline void expect_safe_html(const std::string& body, const std::string& where) {
  expect_safe_text(body, where);
  // Only the layout's own script tag.
  std::size_t scripts = 0;
  for (std::size_t p = body.find("<script"); p != std::string::npos;
       p = body.find("<script", p + 1))
    ++scripts;
  EXPECT_LE(scripts, 1U) << where;
  EXPECT_EQ(body.find("style=\""), std::string::npos) << where << ": inline style";
}

}  // namespace vigil::console::pages::testing
