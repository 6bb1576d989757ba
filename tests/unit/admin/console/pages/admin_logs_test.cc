// The decision, checks and audit logs: paging, the checks form, chain
// verification before and after tampering, and what auditors may read.

#include <gmock/gmock.h>

#include "tests/unit/admin/console/pages/admin_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using store::Role;
using ::testing::HasSubstr;
using ::testing::Not;

class AdminLogs : public AdminPagesTest {};

TEST_F(AdminLogs, TheDecisionLogIsPagedNewestFirst) {
  for (int i = 1; i <= 60; ++i) {
    store::DecisionEntry d{"add_block", "site" + std::to_string(i) + ".example.org", "test domains",
                           "reason " + std::to_string(i)};
    ASSERT_TRUE(cw_->record_decision("admin", d).ok());
  }
  Response first = get("/api/decisions", Role::Auditor);
  ASSERT_EQ(first.status, 200);
  boost::json::value v = parse_json(first.body);
  ASSERT_EQ(v.at("decisions").as_array().size(), 50u);
  EXPECT_EQ(v.at("decisions").as_array()[0].at("target").as_string(), "site60.example.org");
  const auto next = v.at("next_before").to_number<std::int64_t>();
  Response second = get("/api/decisions", Role::Auditor, {{"before", std::to_string(next)}});
  boost::json::value w = parse_json(second.body);
  ASSERT_EQ(w.at("decisions").as_array().size(), 10u);
  EXPECT_EQ(w.at("decisions").as_array()[9].at("target").as_string(), "site1.example.org");
  EXPECT_FALSE(w.as_object().contains("next_before"));

  Response html = get("/decisions", Role::Dsl);
  EXPECT_THAT(html.body, HasSubstr("added a block entry"));
  EXPECT_THAT(html.body, HasSubstr("reason 60"));
  EXPECT_THAT(html.body, HasSubstr("/decisions?before="));
  EXPECT_EQ(get("/decisions", Role::Reporter).status, 403);
}

TEST_F(AdminLogs, ChecksAreRecordedAndListed) {
  Response r =
      post("/checks", {{"what", "tried the test URL of the IWF list from a learner laptop"},
                       {"result", "pass"},
                       {"action", "none needed"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("The check was recorded"));
  EXPECT_THAT(r.body, HasSubstr("tried the test URL"));
  EXPECT_EQ(raw_text(db_, "SELECT result FROM checks_log"), "pass");
  EXPECT_EQ(raw_text(db_, "SELECT actor FROM checks_log"), "admin");

  EXPECT_EQ(post("/checks", {{"what", "x"}, {"result", "maybe"}}).status, 400);
  EXPECT_EQ(post("/checks", {{"what", " "}, {"result", "fail"}}).status, 400);
  EXPECT_EQ(post("/api/checks", {{"what", "x\x01"}, {"result", "fail"}}).status, 400);
  EXPECT_EQ(count("SELECT count(*) FROM checks_log"), 1);

  Response dsl = post("/api/checks", {{"what", "VPN detection"}, {"result", "partial"}}, Role::Dsl);
  ASSERT_EQ(dsl.status, 200);
  Response view = get("/api/checks", Role::Auditor);
  boost::json::value v = parse_json(view.body);
  ASSERT_EQ(v.at("checks").as_array().size(), 2u);
  EXPECT_EQ(v.at("checks").as_array()[0].at("result").as_string(), "partial");
  // Auditors read the log but record nothing; the form is not shown to them.
  EXPECT_EQ(post("/checks", {{"what", "x"}, {"result", "pass"}}, Role::Auditor).status, 403);
  EXPECT_THAT(get("/checks", Role::Auditor).body, Not(HasSubstr("Record a check")));
}

TEST_F(AdminLogs, TheAuditChainVerifiesAndShowsTheBrokenRowAfterTampering) {
  ASSERT_TRUE(cw_->record_check("admin", {"filter test", "pass", ""}).ok());
  Response ok = get("/audit/verify", Role::Auditor);
  ASSERT_EQ(ok.status, 200);
  EXPECT_THAT(ok.body, HasSubstr("The audit chain is intact"));
  auto v = cw_->reader().verify_audit();
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->ok);
  EXPECT_THAT(ok.body, HasSubstr(v->head_hash));
  EXPECT_THAT(ok.body, HasSubstr(std::to_string(v->rows) + " rows verified"));

  // Someone edits a row outside the console.
  std::string err;
  ASSERT_EQ(raw_exec(db_,
                     "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'nobody' "
                     "WHERE id = 2",
                     &err),
            0)
      << err;
  Response broken = get("/audit/verify", Role::Dsl);
  ASSERT_EQ(broken.status, 200);
  EXPECT_THAT(broken.body, HasSubstr("The audit chain is broken at row 2"));
  Response api = get("/api/audit/verify", Role::Auditor);
  boost::json::value j = parse_json(api.body);
  EXPECT_FALSE(j.at("ok").as_bool());
  EXPECT_EQ(j.at("first_bad_id").to_number<int>(), 2);
  EXPECT_EQ(j.at("rows").to_number<int>(), 1);
  EXPECT_EQ(get("/audit/verify", Role::Admin).status, 403);  // admins see counts, not who did what
}

TEST_F(AdminLogs, AuditorsDoNotSeeLearnerDetailInTheAuditLog) {
  auto person = cw_->upsert_person("admin", {"L42", "Dee Learner", "learner", "", "", true});
  ASSERT_TRUE(person.ok());
  ASSERT_TRUE(cw_->attribute_device("admin", 1, *person, "manual", 1.0).ok());
  auto page = cw_->list_incidents("dsl", {.person_id = *person}, {});
  ASSERT_TRUE(page.ok());
  ASSERT_TRUE(cw_->audit("dsl", "concern.note_export", "concern", 7, "L42 Dee Learner").ok());
  ASSERT_TRUE(cw_->set_setting("admin", "console.dsl_name", "Jo Bloggs").ok());

  const std::string person_detail = "person " + std::to_string(*person) + " via manual";
  Response dsl = get("/audit", Role::Dsl);
  ASSERT_EQ(dsl.status, 200);
  EXPECT_THAT(dsl.body, HasSubstr(person_detail));
  EXPECT_THAT(dsl.body, HasSubstr("L42 Dee Learner"));

  Response auditor = get("/audit", Role::Auditor);
  ASSERT_EQ(auditor.status, 200);
  EXPECT_THAT(auditor.body, Not(HasSubstr(person_detail)));
  EXPECT_THAT(auditor.body, Not(HasSubstr("L42")));
  EXPECT_THAT(auditor.body, Not(HasSubstr("person=" + std::to_string(*person))));
  EXPECT_THAT(auditor.body, HasSubstr("person (hidden)"));
  EXPECT_THAT(auditor.body, HasSubstr("device (hidden)"));
  EXPECT_THAT(auditor.body, HasSubstr("(hidden: may identify a learner)"));
  EXPECT_THAT(auditor.body, HasSubstr("console.dsl_name = Jo Bloggs"));  // staff, not learners

  Response api = get("/api/audit", Role::Auditor);
  const std::string text = api.body;
  EXPECT_THAT(text, Not(HasSubstr("L42")));
  EXPECT_THAT(text, Not(HasSubstr(person_detail)));
  boost::json::value v = parse_json(text);
  bool hidden_object = false;
  for (const auto& row : v.at("rows").as_array()) {
    if (row.at("object_type").as_string() == "person") {
      EXPECT_TRUE(row.at("object_hidden").as_bool());
      EXPECT_FALSE(row.as_object().contains("object_id"));
      hidden_object = true;
    }
  }
  EXPECT_TRUE(hidden_object);
}

}  // namespace
}  // namespace vigil::console::pages::testing
