// Concerns: the lifecycle through the pages (only the allowed next steps,
// invalid moves refused and nothing changed), the review date and its
// escalation to the deputy DSL, the emergency guidance, the under-18 flag,
// the staff form and "my concerns" (state only), and the reporter's 403 on
// everything else.

#include <set>

#include "admin/console/pages/safeguarding.h"
#include "tests/unit/admin/console/pages/safeguarding_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SafeguardingConcerns : public SafeguardingTest {
 protected:
  void SetUp() override {
    SafeguardingTest::SetUp();
    ann_ = person("L1", "Ann Learner", true);
    bob_ = person("L2", "Bob Adult", false);
    append({hit(kNow - 2 * kHour, "10.0.0.1", "L1", "extremism", "danger"),
            hit(kNow - 3 * kHour, "10.0.0.2", "L2", "extremism", "caution"),
            hit(kNow - 9 * kHour, "10.0.0.2", "L2", "hate_speech", "caution")});
    ann_incident_ = sql("SELECT id FROM incidents WHERE person_id = " + std::to_string(ann_));
    bob_incident_ = sql("SELECT id FROM incidents WHERE category = 'extremism' AND person_id = " +
                        std::to_string(bob_));
    bob_hate_ = sql("SELECT id FROM incidents WHERE category = 'hate_speech'");
  }

  std::int64_t open(std::int64_t incident, const std::string& summary = "Worrying searches") {
    store::NewConcern nc;
    nc.summary = summary;
    nc.incident_ids = {incident};
    auto id = cw_->open_concern("dsl1", nc);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : 0;
  }

  std::string state_of(std::int64_t id) {
    return sql_text("SELECT state FROM concerns WHERE id = " + std::to_string(id));
  }

  Response move(std::int64_t id, const std::string& to, Fields extra = {}) {
    extra.emplace_back("to", to);
    return post("/concerns/" + std::to_string(id) + "/state", dsl(), std::move(extra));
  }

  // The next-step buttons the concern page offers.
  std::set<std::string> buttons(std::int64_t id) {
    Response page = get("/concerns/" + std::to_string(id), dsl());
    std::set<std::string> out;
    const std::string marker = "<button type=\"submit\" name=\"to\" value=\"";
    for (std::size_t p = page.body.find(marker); p != std::string::npos;
         p = page.body.find(marker, p + 1)) {
      const std::size_t start = p + marker.size();
      out.insert(page.body.substr(start, page.body.find('"', start) - start));
    }
    return out;
  }

  std::int64_t ann_ = 0, bob_ = 0, ann_incident_ = 0, bob_incident_ = 0, bob_hate_ = 0;
};

TEST_F(SafeguardingConcerns, TheLifecycleOffersOnlyTheAllowedStepsAndRefusesTheRest) {
  const std::int64_t id = open(ann_incident_);
  EXPECT_EQ(buttons(id), (std::set<std::string>{"under_review", "emergency"}));

  // Skipping the review is refused; nothing changes.
  Response skip = move(id, "internal_support");
  EXPECT_EQ(skip.status, 400);
  EXPECT_THAT(skip.body, HasSubstr("cannot go from raised to internal_support"));
  EXPECT_EQ(state_of(id), "raised");

  EXPECT_EQ(move(id, "under_review", {{"note", "Spoke to tutor"}}).status, 303);
  EXPECT_EQ(state_of(id), "under_review");
  EXPECT_EQ(buttons(id), (std::set<std::string>{"no_further_action", "internal_support", "referred",
                                                "emergency"}));
  // No further action and referral need a note.
  EXPECT_EQ(move(id, "no_further_action").status, 400);
  EXPECT_EQ(state_of(id), "under_review");

  // Internal support with no date given: reviewed two days from now.
  EXPECT_EQ(move(id, "internal_support", {{"note", "Mentoring weekly"}}).status, 303);
  EXPECT_EQ(state_of(id), "internal_support");
  EXPECT_EQ(sql("SELECT review_due_us FROM concerns WHERE id = " + std::to_string(id)),
            kNow + 48 * kHour);
  EXPECT_EQ(buttons(id),
            (std::set<std::string>{"under_review", "referred", "emergency", "closed"}));
  Response page = get("/concerns/" + std::to_string(id), dsl());
  EXPECT_THAT(page.body, HasSubstr("Tue 17 Mar 2026, 12:00 UTC"));

  // Closing needs the outcome; an invalid move over the API is one JSON line.
  EXPECT_EQ(move(id, "closed").status, 400);
  Response api = post_json("/api/concerns/" + std::to_string(id) + "/state", dsl(),
                           R"({"to":"no_further_action","note":"x"})");
  EXPECT_EQ(api.status, 400);
  EXPECT_THAT(str(parse_json(api.body).at("error")), HasSubstr("cannot go from"));
  EXPECT_EQ(
      post_json("/api/concerns/" + std::to_string(id) + "/state", dsl(), R"({"to":"gone"})").status,
      400);
  EXPECT_EQ(state_of(id), "internal_support");

  Response closed = post_json("/api/concerns/" + std::to_string(id) + "/state", dsl(),
                              R"({"to":"closed","outcome":"Support worked; no further worry"})");
  EXPECT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(str(parse_json(closed.body).at("state")), "closed");
  EXPECT_EQ(state_of(id), "closed");
  EXPECT_EQ(sql_text("SELECT outcome FROM concerns WHERE id = " + std::to_string(id)),
            "Support worked; no further worry");
  EXPECT_EQ(buttons(id), (std::set<std::string>{"under_review"}));

  // The chronology holds every step; each change and each read is audited.
  Response done = get("/concerns/" + std::to_string(id), dsl());
  for (const char* words :
       {"Raised", "Under review", "Internal support", "Spoke to tutor", "Mentoring weekly",
        "Outcome: Support worked; no further worry", "Review due: Tue 17 Mar 2026, 12:00 UTC"}) {
    EXPECT_THAT(done.body, HasSubstr(words));
  }
  EXPECT_EQ(audit_count("concern.state"), 3);
  EXPECT_GE(audit_count("concern.read"), 5);
  boost::json::value v = parse_json(get("/api/concerns/" + std::to_string(id), dsl()).body);
  EXPECT_EQ(v.at("events").as_array().size(),
            static_cast<std::size_t>(sql("SELECT count(*) FROM concern_events WHERE concern_id = " +
                                         std::to_string(id))));
  EXPECT_EQ(str(v.at("concern").at("state")), "closed");
  EXPECT_EQ(v.at("incidents").as_array().size(), 1U);
  EXPECT_EQ(v.at("incidents").as_array()[0].at("hits").as_array().size(), 1U);
}

TEST_F(SafeguardingConcerns, AnEmergencySaysCall999AtOnce) {
  const std::int64_t id = open(ann_incident_);
  const std::string call999 = "Call 999 now if anyone is in immediate danger.";
  EXPECT_THAT(get("/concerns/" + std::to_string(id), dsl()).body, Not(HasSubstr(call999)));
  EXPECT_EQ(move(id, "emergency", {{"note", "Threat made in class"}}).status, 303);
  Response page = get("/concerns/" + std::to_string(id), dsl());
  const std::size_t banner = page.body.find(call999);
  ASSERT_NE(banner, std::string::npos);
  EXPECT_LT(banner, page.body.find("id=\"summary-h\""));  // before anything else
  EXPECT_THAT(page.body, HasSubstr("<div class=\"emergency\" role=\"alert\">"));
}

TEST_F(SafeguardingConcerns, UnderEighteensAreFlaggedForEnhancedHandling) {
  const std::int64_t a = open(ann_incident_);
  const std::int64_t b = open(bob_incident_);
  EXPECT_THAT(get("/concerns/" + std::to_string(a), dsl()).body,
              HasSubstr("Enhanced handling: under 18."));
  EXPECT_THAT(get("/concerns/" + std::to_string(b), dsl()).body,
              Not(HasSubstr("Enhanced handling")));
  Response list = get("/concerns", dsl());
  EXPECT_THAT(list.body, HasSubstr("Ann Learner (L1) <span class=\"badge u18\">Under 18</span>"));
  EXPECT_THAT(list.body, Not(HasSubstr("Bob Adult (L2) <span class=\"badge u18\">")));
  boost::json::value v = parse_json(get("/api/concerns", dsl()).body);
  ASSERT_EQ(v.at("items").as_array().size(), 2U);
  for (const auto& item : v.at("items").as_array())
    EXPECT_EQ(item.at("under_18").as_bool(), item.at("id").as_int64() == a);
  // Both lists named people: both audited, with what was asked.
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'concern.list' AND actor = 'dsl1' "
                "AND detail = 'state=open -> 2'"),
            2);
}

TEST_F(SafeguardingConcerns, OverdueReviewsEscalateToTheDeputyOncePerReviewDate) {
  const std::int64_t id = open(ann_incident_);
  ASSERT_TRUE(cw_->transition_concern("dsl1", id, store::ConcernState::UnderReview, "n").ok());
  ASSERT_TRUE(cw_->transition_concern("dsl1", id, store::ConcernState::InternalSupport, "").ok());
  const std::int64_t other = open(bob_incident_);  // no review date: never escalated

  auto escalated = [&] {
    return sql("SELECT count(*) FROM concern_events WHERE kind = 'escalated' AND concern_id = " +
               std::to_string(id));
  };
  // Not yet due.
  auto none = escalate_overdue_reviews(*cw_, clock_.now.load());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0U);

  clock_.now = kNow + 49 * kHour;
  EXPECT_EQ(*escalate_overdue_reviews(*cw_, clock_.now.load()), 1U);
  EXPECT_EQ(*escalate_overdue_reviews(*cw_, clock_.now.load()), 0U);
  EXPECT_EQ(*escalate_overdue_reviews(*cw_, clock_.now.load() + kHour), 0U);
  EXPECT_EQ(escalated(), 1);
  EXPECT_EQ(audit_count("concern.escalate"), 1);
  EXPECT_THAT(sql_text("SELECT text FROM concern_events WHERE kind = 'escalated'"),
              HasSubstr("Passed to the deputy DSL (deputy1) to review now."));
  EXPECT_EQ(sql("SELECT count(*) FROM concern_events WHERE concern_id = " + std::to_string(other) +
                " AND kind = 'escalated'"),
            0);

  // The deputy's dashboard opens with it; the list marks it overdue.
  Response dash = get("/", deputy());
  const std::size_t overdue = dash.body.find("Reviews overdue");
  ASSERT_NE(overdue, std::string::npos);
  EXPECT_LT(overdue, dash.body.find("New incidents"));
  EXPECT_THAT(dash.body, HasSubstr("have been passed to you as deputy DSL"));
  EXPECT_THAT(dash.body, HasSubstr("href=\"/concerns/" + std::to_string(id) + "\""));
  Response list = get("/concerns", deputy(), {{"review", "overdue"}});
  EXPECT_THAT(list.body, HasSubstr("Overdue (1 hour ago)"));
  EXPECT_THAT(list.body, Not(HasSubstr("href=\"/concerns/" + std::to_string(other) + "\"")));
  EXPECT_THAT(get("/concerns/" + std::to_string(id), deputy()).body,
              HasSubstr("Review overdue: passed to the deputy DSL"));

  // A new review date that passes in turn is escalated once more.
  Response set = post("/concerns/" + std::to_string(id) + "/review", dsl(),
                      {{"review_due", "2026-03-17T14:00"}});
  EXPECT_EQ(set.status, 303);
  EXPECT_EQ(*escalate_overdue_reviews(*cw_, clock_.now.load()), 0U);  // 14:00 is still ahead
  clock_.now = kNow + 51 * kHour;
  EXPECT_EQ(*escalate_overdue_reviews(*cw_, clock_.now.load()), 1U);
  EXPECT_EQ(*escalate_overdue_reviews(*cw_, clock_.now.load()), 0U);
  EXPECT_EQ(escalated(), 2);
  // Closed concerns are never escalated.
  ASSERT_TRUE(cw_->transition_concern("dsl1", id, store::ConcernState::Closed, "", "done").ok());
  EXPECT_EQ(*escalate_overdue_reviews(*cw_, kNow + 100 * kHour), 0U);
}

TEST_F(SafeguardingConcerns, NotesAssignmentReviewDatesAndLinks) {
  const std::int64_t id = open(bob_incident_);
  const std::string base = "/concerns/" + std::to_string(id);
  EXPECT_EQ(post(base + "/note", dsl(), {{"text", "  "}}).status, 400);
  EXPECT_EQ(post(base + "/note", dsl(), {{"text", "Called home"}}).status, 303);
  EXPECT_EQ(sql("SELECT count(*) FROM concern_events WHERE kind = 'note'"), 1);

  Response page = get(base, dsl());
  EXPECT_THAT(page.body, HasSubstr("<option value=\"deputy1\">deputy1 (deputy DSL)</option>"));
  EXPECT_THAT(page.body, Not(HasSubstr("<option value=\"teacher\"")));
  EXPECT_EQ(post(base + "/assign", dsl(), {{"user", "deputy1"}}).status, 303);
  EXPECT_EQ(sql_text("SELECT u.name FROM concerns c JOIN users u ON u.id = c.assigned_user_id"),
            "deputy1");
  EXPECT_EQ(post(base + "/assign", dsl(), {{"user", "teacher"}}).status, 400);
  EXPECT_EQ(sql_text("SELECT u.name FROM concerns c JOIN users u ON u.id = c.assigned_user_id"),
            "deputy1");

  // A date alone means the end of that day.
  EXPECT_EQ(post(base + "/review", dsl(), {{"review_due", "2026-03-20"}}).status, 303);
  EXPECT_EQ(sql("SELECT review_due_us FROM concerns"), kNow + 5 * kDay + 12 * kHour - 1);
  EXPECT_EQ(post(base + "/review", dsl(), {{"review_due", "soon"}}).status, 400);

  EXPECT_EQ(post(base + "/link", dsl(), {{"incident_id", std::to_string(bob_hate_)}}).status, 303);
  EXPECT_EQ(sql("SELECT concern_id FROM incidents WHERE id = " + std::to_string(bob_hate_)), id);
  EXPECT_EQ(post(base + "/link", dsl(), {{"incident_id", "999"}}).status, 404);
  EXPECT_EQ(post(base + "/link", dsl(), {{"incident_id", "x"}}).status, 400);
  EXPECT_EQ(audit_count("concern.note"), 1);
  EXPECT_EQ(audit_count("concern.assign"), 1);
  EXPECT_EQ(audit_count("concern.review_due"), 1);
  EXPECT_EQ(audit_count("concern.link_incident"), 1);
}

TEST_F(SafeguardingConcerns, StaffRaiseConcernsAndSeeOnlyTheirOwnStatus) {
  Response form = get("/concerns/new", reporter());
  EXPECT_EQ(form.status, 200);
  EXPECT_THAT(form.body, HasSubstr("call 999 now"));
  EXPECT_THAT(form.body, HasSubstr("name=\"csrf\" value=\"csrf-token\""));

  Response raised = post("/concerns/new", reporter(),
                         {{"who", "A learner in group B"},
                          {"person_ref", "L2"},
                          {"what", "Said he wants to join a group that attacks people"},
                          {"when", "Tuesday morning"}});
  ASSERT_EQ(raised.status, 303) << raised.body;
  EXPECT_EQ(raised.headers.front().second, "/concerns/mine?done=raised");
  const std::int64_t mine = sql("SELECT max(id) FROM concerns");
  EXPECT_EQ(sql_text("SELECT raised_by FROM concerns WHERE id = " + std::to_string(mine)),
            "teacher");
  EXPECT_EQ(sql("SELECT person_id FROM concerns WHERE id = " + std::to_string(mine)), bob_);
  EXPECT_THAT(sql_text("SELECT summary FROM concerns WHERE id = " + std::to_string(mine)),
              HasSubstr("When: Tuesday morning"));
  // Nothing to say: refused.
  EXPECT_EQ(post("/concerns/new", reporter(), {{"who", "someone"}}).status, 400);

  // Someone else's concern, and one the DSL opened.
  ASSERT_EQ(post("/concerns/new", user("teacher2"), {{"what", "Other teacher's worry"}}).status,
            303);
  const std::int64_t theirs = sql("SELECT max(id) FROM concerns");
  const std::int64_t dsls = open(ann_incident_, "DSL's own concern about Ann");

  Response list = get("/concerns/mine", reporter(), {{"done", "raised"}});
  ASSERT_EQ(list.status, 200);
  EXPECT_THAT(list.body, HasSubstr("Thank you. Your concern has been passed"));
  EXPECT_THAT(list.body, HasSubstr("Said he wants to join"));
  EXPECT_THAT(list.body, HasSubstr("Received: waiting for the safeguarding team"));
  EXPECT_THAT(list.body, Not(HasSubstr("Other teacher")));
  EXPECT_THAT(list.body, Not(HasSubstr("Ann")));
  EXPECT_THAT(list.body, Not(HasSubstr("Bob Adult")));  // the name the reporter did not type
  EXPECT_THAT(list.body, Not(HasSubstr("/concerns/" + std::to_string(mine) + "\"")));

  // Moving on shows as "being dealt with", never the decision.
  ASSERT_TRUE(cw_->transition_concern("dsl1", mine, store::ConcernState::UnderReview, "n").ok());
  ASSERT_TRUE(cw_->transition_concern("dsl1", mine, store::ConcernState::Referred, "n").ok());
  Response later = get("/concerns/mine", reporter());
  EXPECT_THAT(later.body, HasSubstr("Being dealt with by the safeguarding team"));
  EXPECT_THAT(later.body, Not(HasSubstr("Prevent")));
  boost::json::value v = parse_json(get("/api/concerns/mine", reporter()).body);
  ASSERT_EQ(v.at("items").as_array().size(), 1U);
  EXPECT_EQ(v.at("items").as_array()[0].at("id").as_int64(), mine);
  EXPECT_EQ(str(v.at("items").as_array()[0].at("status")), "in_progress");
  EXPECT_EQ(v.at("items").as_array()[0].as_object().if_contains("state"), nullptr);

  // Every concern page and list is refused to a reporter, their own included.
  for (std::int64_t id : {mine, theirs, dsls}) {
    EXPECT_EQ(get("/concerns/" + std::to_string(id), reporter()).status, 403);
    Response api = get("/api/concerns/" + std::to_string(id), reporter());
    EXPECT_EQ(api.status, 403);
    EXPECT_FALSE(str(parse_json(api.body).at("error")).empty());
    EXPECT_EQ(get("/concerns/" + std::to_string(id) + "/referral", reporter()).status, 403);
    EXPECT_EQ(post("/concerns/" + std::to_string(id) + "/note", reporter(), {{"text", "x"}}).status,
              403);
  }
  EXPECT_EQ(get("/concerns", reporter()).status, 403);
  EXPECT_EQ(get("/api/concerns", reporter()).status, 403);
  EXPECT_EQ(audit_count("concern.read"), 0);
  EXPECT_EQ(sql("SELECT count(*) FROM concern_events WHERE kind = 'note'"), 0);
  EXPECT_EQ(audit_count("concern.list_mine"), 3);
}

TEST_F(SafeguardingConcerns, TheApiRaisesConcernsFromJsonAndRefusesBadBodies) {
  Response made =
      post_json("/api/concerns", dsl(),
                "{\"summary\":\"From the API\",\"incident_ids\":[" + std::to_string(bob_incident_) +
                    "," + std::to_string(bob_hate_) + "],\"assign_to\":\"deputy1\"}");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::int64_t id = parse_json(made.body).at("id").as_int64();
  EXPECT_EQ(sql("SELECT count(*) FROM incidents WHERE concern_id = " + std::to_string(id)), 2);
  EXPECT_EQ(sql("SELECT person_id FROM concerns WHERE id = " + std::to_string(id)), bob_);

  // A reporter may raise one, but not attach incidents or assign it.
  EXPECT_EQ(post_json("/api/concerns", reporter(),
                      "{\"what\":\"x\",\"incident_ids\":[" + std::to_string(ann_incident_) + "]}")
                .status,
            403);
  EXPECT_EQ(post_json("/api/concerns", reporter(), R"({"what":"x","assign_to":"dsl1"})").status,
            403);
  EXPECT_EQ(post_json("/api/concerns", reporter(), R"({"what":"Seen a video"})").status, 201);

  for (const char* body : {"{", "[1,2]", "\"text\"", R"({"what":{"nested":1}})", R"({"what":1.5})",
                           "{\"what\":\"\xff\xfe\"}", R"({"summary":""})"}) {
    Response bad = post_json("/api/concerns", reporter(), body);
    EXPECT_EQ(bad.status, 400) << body;
    boost::json::value v = parse_json(bad.body);
    ASSERT_TRUE(v.is_object()) << body;
    EXPECT_EQ(str(v.at("error")).find('\n'), std::string::npos);
  }
  EXPECT_EQ(sql("SELECT count(*) FROM concerns"), 2);
  // The auditor may not raise concerns (the role matrix).
  EXPECT_EQ(post_json("/api/concerns", auditor(), R"({"what":"x"})").status, 403);
}

}  // namespace
}  // namespace vigil::console::pages::testing
