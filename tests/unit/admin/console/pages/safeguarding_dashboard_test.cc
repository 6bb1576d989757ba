// The dashboard: its counts equal the SQL counts for every role that sees
// it; names and links only for the safeguarding leads; the health block
// (store, disk, vigild through a real control socket, or plainly "not
// reachable") only for the roles with ViewHealth.

#include "daemon/control/control_server.h"
#include "tests/unit/admin/console/pages/safeguarding_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A stand-in vigild answering `status` as daemon/app does.
class FakeVigild : public daemon::ControlHandler {
 public:
  std::string status_json() override {
    return R"({"uptime_s":7200,"workers":2,"rules_generation":3,"rules_loaded_us":1,)"
           R"("frames_queued":10,"queue_drops":5,"store":{"alarm":"busy","spool_depth":7,)"
           R"("committed":100,"dropped_over_bound":2},"interfaces":[{"name":"eth1",)"
           R"("running":true,"frames":99,"queue_drops":0,"kernel_dropped":30,)"
           R"("interface_dropped":1}]})";
  }
  std::string stats_json() override { return "{}"; }
  daemon::ReloadOutcome reload() override { return {true, "reloaded"}; }
  std::string test_json(const std::string&, const std::string&) override { return "{}"; }
  std::vector<daemon::MetricSample> metrics() override { return {}; }
};

class SafeguardingDashboard : public SafeguardingTest {
 protected:
  void SetUp() override {
    SafeguardingTest::SetUp();
    person("L1", "Ann Learner", true);
    append({hit(kNow - 2 * kHour, "10.0.0.1", "L1", "extremism", "danger"),
            hit(kNow - 3 * kHour, "10.0.0.2", "L2", "extremism", "caution"),
            hit(kNow - 4 * kHour, "10.0.0.3", "L3", "gambling", "advisory"),
            hit(kNow - 5 * kHour, "10.0.0.4", "L4", "violence", "caution"),
            hit(kNow - 6 * kHour, "10.0.0.5", "", "drugs", "danger")});
    // One dismissed, one linked: neither is new.
    ASSERT_TRUE(cw_->dismiss_incident("dsl1",
                                      sql("SELECT id FROM incidents WHERE category = "
                                          "'violence'"),
                                      "a news site")
                    .ok());
    auto concern = [&](const std::string& category) {
      store::NewConcern nc;
      nc.summary = "About " + category;
      nc.incident_ids = {sql("SELECT id FROM incidents WHERE category = '" + category + "'")};
      auto id = cw_->open_concern("dsl1", nc);
      EXPECT_TRUE(id.ok());
      return id.ok() ? *id : 0;
    };
    const std::int64_t overdue = concern("gambling");
    const std::int64_t today = concern("drugs");
    store::NewConcern plain;
    plain.summary = "Due tomorrow";
    const std::int64_t tomorrow = *cw_->open_concern("teacher", plain);
    plain.summary = "Closed";
    const std::int64_t closed = *cw_->open_concern("teacher", plain);
    ASSERT_TRUE(cw_->set_review_due("dsl1", overdue, kNow - kHour).ok());
    ASSERT_TRUE(cw_->set_review_due("dsl1", today, kNow + 3 * kHour).ok());
    ASSERT_TRUE(cw_->set_review_due("dsl1", tomorrow, kNow + 30 * kHour).ok());
    ASSERT_TRUE(cw_->transition_concern("dsl1", closed, store::ConcernState::Emergency, "").ok());
    ASSERT_TRUE(
        cw_->transition_concern("dsl1", closed, store::ConcernState::Closed, "", "done").ok());
  }

  // The numbers a person would count in the store.
  std::int64_t sql_new(const std::string& severity) {
    return sql("SELECT count(*) FROM incidents WHERE status = 'new' AND highest_severity = '" +
               severity + "'");
  }
  std::int64_t sql_open() { return sql("SELECT count(*) FROM concerns WHERE state <> 'closed'"); }
  std::int64_t sql_overdue() {
    return sql("SELECT count(*) FROM concerns WHERE state <> 'closed' AND review_due_us < " +
               std::to_string(kNow));
  }
  std::int64_t sql_today() {
    // kNow is 12:00 UTC; the day ends 12 hours later.
    return sql("SELECT count(*) FROM concerns WHERE state <> 'closed' AND review_due_us >= " +
               std::to_string(kNow) + " AND review_due_us < " + std::to_string(kNow + 12 * kHour));
  }
};

TEST_F(SafeguardingDashboard, CountsEqualTheStoreForEveryRoleThatSeesThem) {
  ASSERT_EQ(sql_new("danger"), 1);  // drugs is linked, so only extremism L1
  ASSERT_EQ(sql_new("caution"), 1);
  ASSERT_EQ(sql_new("advisory"), 0);
  ASSERT_EQ(sql_open(), 3);
  ASSERT_EQ(sql_overdue(), 1);
  ASSERT_EQ(sql_today(), 1);
  for (store::Role role :
       {store::Role::Dsl, store::Role::DeputyDsl, store::Role::Admin, store::Role::Auditor}) {
    Response r = get("/api/dashboard", of_role(role));
    ASSERT_EQ(r.status, 200) << r.body;
    boost::json::value v = parse_json(r.body);
    for (const char* sev : {"danger", "caution", "advisory"})
      EXPECT_EQ(v.at("incidents_new").at(sev).as_int64(), sql_new(sev)) << sev;
    EXPECT_EQ(v.at("concerns_open").as_int64(), sql_open());
    EXPECT_EQ(v.at("reviews_overdue").as_int64(), sql_overdue());
    EXPECT_EQ(v.at("reviews_due_today").as_int64(), sql_today());
    const bool lead = role == store::Role::Dsl || role == store::Role::DeputyDsl;
    EXPECT_EQ(v.as_object().if_contains("overdue") != nullptr, lead);
    EXPECT_EQ(v.as_object().if_contains("health") != nullptr, role != store::Role::Auditor);
  }
  EXPECT_EQ(get("/", reporter()).status, 403);
  EXPECT_EQ(last_need_, Capability::ViewDashboard);

  // A new danger hit is counted at once.
  append({hit(kNow - kMinute, "10.0.0.7", "L7", "terrorism", "danger")});
  boost::json::value v = parse_json(get("/api/dashboard", admin()).body);
  EXPECT_EQ(v.at("incidents_new").at("danger").as_int64(), 2);
}

TEST_F(SafeguardingDashboard, OnlyTheLeadsSeeNamesAndLinks) {
  Response lead = get("/", dsl());
  ASSERT_EQ(lead.status, 200);
  EXPECT_THAT(lead.body, HasSubstr("href=\"/incidents?status=new&amp;severity=danger\""));
  EXPECT_THAT(lead.body, HasSubstr("href=\"/concerns?review=overdue\""));
  EXPECT_THAT(lead.body, HasSubstr("Reviews overdue"));
  EXPECT_THAT(lead.body, HasSubstr("<span class=\"count\">1</span> <span class=\"label\">reviews "
                                   "due today</span>"));
  EXPECT_GE(audit_count("concern.list"), 1);

  for (const Principal* who : {&admin(), &auditor()}) {
    const std::int64_t audited = sql("SELECT count(*) FROM audit_log");
    Response r = get("/", *who);
    ASSERT_EQ(r.status, 200);
    const std::string main = r.body.substr(r.body.find("<main>"));  // past the navigation
    EXPECT_THAT(main, Not(HasSubstr("href=\"/incidents")));
    EXPECT_THAT(main, Not(HasSubstr("href=\"/concerns")));
    EXPECT_THAT(main, Not(HasSubstr("Ann")));
    EXPECT_THAT(main, Not(HasSubstr("L3")));
    EXPECT_THAT(main, HasSubstr("These are counts only."));
    EXPECT_THAT(main, HasSubstr("<span class=\"count\">3</span> <span class=\"label\">open "
                                "concerns</span>"));
    // Counts read nobody's details: nothing to audit.
    EXPECT_EQ(sql("SELECT count(*) FROM audit_log"), audited);
  }
  EXPECT_THAT(get("/", admin()).body, HasSubstr("System health"));
  EXPECT_THAT(get("/", auditor()).body, Not(HasSubstr("System health")));
}

TEST_F(SafeguardingDashboard, HealthSaysPlainlyWhenVigildIsNotReachable) {
  record_rule_set(kNow - 10 * kDay);
  Response r = get("/", admin());
  EXPECT_THAT(r.body, HasSubstr("vigild not reachable: it does not seem to be running"));
  EXPECT_THAT(r.body, HasSubstr("Nothing is being checked while vigild is down."));
  EXPECT_THAT(r.body, HasSubstr("The lists were last loaded 10 days ago"));
  EXPECT_THAT(r.body, HasSubstr("12 lists, 48,210 entries"));
  EXPECT_THAT(r.body, HasSubstr(" free of "));
  boost::json::value v = parse_json(get("/api/dashboard", admin()).body);
  const auto& health = v.at("health");
  EXPECT_FALSE(health.at("vigild_reachable").as_bool());
  EXPECT_EQ(health.at("rules").at("loaded_us").as_int64(), kNow - 10 * kDay);
  EXPECT_GT(health.at("disk_total_bytes").as_int64(), 0);
}

TEST_F(SafeguardingDashboard, HealthShowsVigildsDropsAndAlarmWhenItAnswers) {
  record_rule_set(kNow - 2 * kHour);
  FakeVigild vigild;
  std::string error;
  options_.control_socket = dir_.file("control.sock");
  auto server =
      daemon::ControlServer::open(vigild, {.socket_path = options_.control_socket}, error);
  ASSERT_NE(server, nullptr) << error;
  server->start();
  routes_ = safeguarding_routes(options_);

  Response r = get("/", admin());
  EXPECT_THAT(r.body, HasSubstr("Running for 2 hours"));
  EXPECT_THAT(r.body, HasSubstr("36 packets were dropped since vigild started"));
  EXPECT_THAT(r.body, HasSubstr("eth1: capturing, 31 dropped"));
  EXPECT_THAT(r.body, HasSubstr("the store is busy"));
  EXPECT_THAT(r.body, HasSubstr("2 hits could not be stored"));
  EXPECT_THAT(r.body, Not(HasSubstr("The lists were last loaded")));
  EXPECT_THAT(r.body, Not(HasSubstr("not reachable")));
  boost::json::value v = parse_json(get("/api/dashboard", dsl()).body);
  EXPECT_TRUE(v.at("health").at("vigild_reachable").as_bool());
  EXPECT_EQ(v.at("health").at("capture_drops").as_int64(), 36);
  server->stop();
}

}  // namespace
}  // namespace vigil::console::pages::testing
