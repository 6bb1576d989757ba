// Concerns: the state machine, chronology, referral content, assignment,
// and the audit rows every change and every read leaves.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "store/casework.h"
#include "store/maintenance.h"
#include "store/writer.h"
#include "tests/unit/store/store_test_util.h"

namespace vigil::store {
namespace {

using testing::FakeClock;
using ::testing::HasSubstr;
using testing::kHour;
using testing::kNow;
using testing::make_hit;
using testing::raw_exec;
using testing::raw_int;
using testing::raw_text;
using testing::TempDir;

using S = ConcernState;

class StoreConcern : public ::testing::Test {
 protected:
  void SetUp() override {
    WriterOptions o;
    o.path = db_;
    o.clock = clock_.fn();
    auto w = Writer::open(o);
    ASSERT_TRUE(w.ok()) << w.error().message;
    std::uint64_t t = 0;
    for (int i = 0; i < 3; ++i) {
      HitRecord h = make_hit(kNow - kHour + i, "10.0.0." + std::to_string(i + 1), "extremism",
                             i == 0 ? "danger" : "caution");
      h.person_ref = "L100" + std::to_string(i);
      h.attribution_source = "csv";
      h.attribution_confidence = 1;
      t = (*w)->append(std::move(h)).ticket;
    }
    ASSERT_TRUE((*w)->wait_acked(t, std::chrono::seconds(10)));
    (*w)->stop();
    auto cw = Casework::open({db_, std::chrono::seconds(5), std::chrono::hours(48), clock_.fn()});
    ASSERT_TRUE(cw.ok()) << cw.error().message;
    cw_ = std::move(*cw);
    ASSERT_TRUE(cw_->add_user("admin", "dsl1", Role::Dsl, "argon2id$x").ok());
    ASSERT_TRUE(cw_->add_user("admin", "deputy", Role::DeputyDsl, "").ok());
    ASSERT_TRUE(cw_->add_user("admin", "teacher", Role::Reporter, "").ok());
  }

  std::int64_t open_concern(std::vector<std::int64_t> incidents = {1}) {
    NewConcern nc;
    nc.summary = "Learner searched for a banned group's material";
    nc.incident_ids = std::move(incidents);
    nc.assign_to = "dsl1";
    auto id = cw_->open_concern("teacher", nc);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : 0;
  }

  std::int64_t audit_rows(const std::string& action) {
    return raw_int(db_, "SELECT count(*) FROM audit_log WHERE action = '" + action + "'");
  }

  TempDir dir_;
  std::string db_ = dir_.file("vigil.db");
  FakeClock clock_;
  std::unique_ptr<Casework> cw_;
};

TEST(StoreConcernStates, TheTransitionTableIsExactlyTheProcedure) {
  const std::set<std::pair<S, S>> allowed{{S::Raised, S::UnderReview},
                                          {S::Raised, S::Emergency},
                                          {S::UnderReview, S::NoFurtherAction},
                                          {S::UnderReview, S::InternalSupport},
                                          {S::UnderReview, S::Referred},
                                          {S::UnderReview, S::Emergency},
                                          {S::NoFurtherAction, S::UnderReview},
                                          {S::NoFurtherAction, S::Closed},
                                          {S::InternalSupport, S::UnderReview},
                                          {S::InternalSupport, S::Referred},
                                          {S::InternalSupport, S::Emergency},
                                          {S::InternalSupport, S::Closed},
                                          {S::Referred, S::InternalSupport},
                                          {S::Referred, S::Closed},
                                          {S::Emergency, S::Referred},
                                          {S::Emergency, S::InternalSupport},
                                          {S::Emergency, S::Closed},
                                          {S::Closed, S::UnderReview}};
  for (int f = 0; f <= static_cast<int>(S::Closed); ++f) {
    for (int t = 0; t <= static_cast<int>(S::Closed); ++t) {
      auto from = static_cast<S>(f);
      auto to = static_cast<S>(t);
      EXPECT_EQ(concern_transition_allowed(from, to), allowed.count({from, to}) == 1)
          << concern_state_name(from) << " -> " << concern_state_name(to);
    }
  }
  for (int s = 0; s <= static_cast<int>(S::Closed); ++s) {
    EXPECT_EQ(parse_concern_state(concern_state_name(static_cast<S>(s))), static_cast<S>(s));
  }
}

TEST_F(StoreConcern, OpeningLinksIncidentsAndPrefillsTheReferral) {
  std::int64_t id = open_concern({1, 2});
  ASSERT_NE(id, 0);
  auto rec = cw_->read_concern("dsl1", id);
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_EQ(rec->concern.state, S::Raised);
  EXPECT_EQ(rec->concern.raised_by, "teacher");
  EXPECT_EQ(rec->concern.assigned_to, "dsl1");
  EXPECT_EQ(rec->concern.raised_us, kNow);
  EXPECT_NE(rec->concern.person_id, 0);  // taken from the first incident
  ASSERT_EQ(rec->incidents.size(), 2U);
  EXPECT_EQ(rec->incidents[0].status, IncidentStatus::Linked);
  EXPECT_EQ(rec->incidents[0].concern_id, id);
  ASSERT_EQ(rec->events.size(), 4U);  // raised, two links, assigned
  EXPECT_EQ(rec->events[0].kind, "raised");
  EXPECT_EQ(rec->events[1].kind, "incident_linked");
  EXPECT_EQ(rec->events[3].kind, "assigned");
  EXPECT_EQ(rec->referral.how_arose, "Learner searched for a banned group's material");
  EXPECT_THAT(rec->referral.internet_use, HasSubstr("extremism: 1 hits, highest danger"));
  EXPECT_EQ(audit_rows("concern.open"), 1);
  EXPECT_EQ(audit_rows("concern.read"), 1);
  EXPECT_EQ(raw_text(db_, "SELECT actor FROM audit_log WHERE action = 'concern.read'"), "dsl1");
  // An incident belongs to one concern.
  EXPECT_EQ(cw_->link_incident("dsl1", open_concern({3}), 1).error().code, ErrorCode::Invalid);
}

// While a concern is worked, the same person's further hits in the category
// join its incident (the DSL's evidence grows); once it is closed they start
// a new incident to be looked at afresh.
TEST_F(StoreConcern, LaterHitsJoinTheIncidentOfAnOpenConcernOnly) {
  const std::int64_t concern = open_concern();
  auto append_one = [&](TimeUs ts) {
    WriterOptions o;
    o.path = db_;
    o.clock = clock_.fn();
    auto w = Writer::open(o);
    ASSERT_TRUE(w.ok()) << w.error().message;
    HitRecord h = make_hit(ts, "10.0.0.1", "extremism", "caution");
    h.person_ref = "L1000";
    h.attribution_source = "csv";
    h.attribution_confidence = 1;
    ASSERT_TRUE((*w)->wait_acked((*w)->append(std::move(h)).ticket, std::chrono::seconds(10)));
    (*w)->stop();
  };
  append_one(kNow - kHour + 10 * testing::kMinute);
  EXPECT_EQ(raw_int(db_, "SELECT hit_count FROM incidents WHERE id = 1"), 2);
  EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM incidents"), 3);

  ASSERT_TRUE(cw_->transition_concern("dsl1", concern, S::UnderReview, "").ok());
  ASSERT_TRUE(cw_->transition_concern("dsl1", concern, S::NoFurtherAction, "talked to tutor").ok());
  ASSERT_TRUE(cw_->transition_concern("dsl1", concern, S::Closed, "", "no risk").ok());
  append_one(kNow - kHour + 20 * testing::kMinute);
  EXPECT_EQ(raw_int(db_, "SELECT hit_count FROM incidents WHERE id = 1"), 2);
  EXPECT_EQ(raw_int(db_,
                    "SELECT count(*) FROM incidents WHERE status = 'new' AND person_id = "
                    "(SELECT id FROM people WHERE reference = 'L1000')"),
            1);
}

TEST_F(StoreConcern, AConcernMovesThroughReviewToAnOutcome) {
  std::int64_t id = open_concern();
  ASSERT_TRUE(cw_->transition_concern("dsl1", id, S::UnderReview, "gathering information").ok());
  clock_.now += kHour;
  ASSERT_TRUE(
      cw_->transition_concern("dsl1", id, S::InternalSupport, "mentor sessions agreed").ok());
  auto c = cw_->reader().concern(id);
  ASSERT_TRUE(c.ok() && c->has_value());
  ASSERT_TRUE((*c)->review_due_us.has_value());
  EXPECT_EQ(*(*c)->review_due_us, kNow + kHour + 48 * kHour);  // the default review period
  // Reviews due by then are listed.
  ConcernFilter due;
  due.review_due_before = kNow + 50 * kHour;
  EXPECT_EQ(cw_->reader().concerns(due)->size(), 1U);
  due.review_due_before = kNow;
  EXPECT_EQ(cw_->reader().concerns(due)->size(), 0U);
  // Closing needs an outcome.
  auto no_outcome = cw_->transition_concern("dsl1", id, S::Closed, "");
  ASSERT_FALSE(no_outcome.ok());
  EXPECT_EQ(no_outcome.error().code, ErrorCode::Invalid);
  ASSERT_TRUE(
      cw_->transition_concern("dsl1", id, S::Closed, "", "support completed; no further concerns")
          .ok());
  c = cw_->reader().concern(id);
  EXPECT_EQ((*c)->state, S::Closed);
  EXPECT_EQ((*c)->outcome, "support completed; no further concerns");
  EXPECT_FALSE((*c)->review_due_us.has_value());
  EXPECT_EQ(audit_rows("concern.state"), 3);
  auto events = cw_->reader().concern_events(id);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->back().from_state, "internal_support");
  EXPECT_EQ(events->back().to_state, "closed");
  EXPECT_THAT(events->back().text, HasSubstr("Outcome: support completed"));
  // Reopening needs a note and clears the outcome.
  EXPECT_FALSE(cw_->transition_concern("dsl1", id, S::UnderReview, "").ok());
  ASSERT_TRUE(
      cw_->transition_concern("dsl1", id, S::UnderReview, "new disclosure from a tutor").ok());
  EXPECT_EQ((*cw_->reader().concern(id))->outcome, "");
}

TEST_F(StoreConcern, TransitionsOutsideTheProcedureChangeNothing) {
  std::int64_t id = open_concern();
  const std::int64_t events = raw_int(db_, "SELECT count(*) FROM concern_events");
  const std::int64_t audits = raw_int(db_, "SELECT count(*) FROM audit_log");
  auto r = cw_->transition_concern("dsl1", id, S::Closed, "n", "o");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("cannot go from raised to closed"));
  EXPECT_FALSE(cw_->transition_concern("dsl1", id, S::Raised, "n").ok());
  EXPECT_FALSE(cw_->transition_concern("dsl1", id, S::Referred, "n").ok());
  ASSERT_TRUE(cw_->transition_concern("dsl1", id, S::UnderReview, "").ok());
  // No further action and referral need a note saying why.
  EXPECT_FALSE(cw_->transition_concern("dsl1", id, S::NoFurtherAction, "").ok());
  EXPECT_FALSE(cw_->transition_concern("dsl1", id, S::Referred, "").ok());
  EXPECT_EQ((*cw_->reader().concern(id))->state, S::UnderReview);
  EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM concern_events"), events + 1);
  EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM audit_log"), audits + 1);
  EXPECT_EQ(cw_->transition_concern("dsl1", 9999, S::UnderReview, "").error().code,
            ErrorCode::NotFound);
  ASSERT_TRUE(
      cw_->transition_concern("dsl1", id, S::Emergency, "immediate risk; police called").ok());
  ASSERT_TRUE(cw_->transition_concern("dsl1", id, S::Referred, "Prevent referral made").ok());
}

TEST_F(StoreConcern, AssignmentIsForEnabledDsls) {
  std::int64_t id = open_concern();
  EXPECT_THAT(cw_->assign_concern("admin", id, "teacher").error().message,
              HasSubstr("not a dsl or deputy_dsl"));
  EXPECT_EQ(cw_->assign_concern("admin", id, "nobody").error().code, ErrorCode::NotFound);
  ASSERT_TRUE(cw_->assign_concern("dsl1", id, "deputy").ok());
  EXPECT_EQ((*cw_->reader().concern(id))->assigned_to, "deputy");
  ASSERT_TRUE(cw_->set_user_disabled("admin", "deputy", true).ok());
  EXPECT_THAT(cw_->assign_concern("dsl1", id, "deputy").error().message, HasSubstr("disabled"));
  EXPECT_EQ(cw_->add_user("admin", "dsl1", Role::Dsl, "").error().code, ErrorCode::Exists);
  EXPECT_EQ(cw_->add_user("admin", "bad name", Role::Dsl, "").error().code, ErrorCode::Invalid);
}

TEST_F(StoreConcern, NotesAndReferralContentAreKeptAndAudited) {
  std::int64_t id = open_concern();
  ASSERT_TRUE(cw_->add_note("dsl1", id, "spoke to the learner's tutor").ok());
  EXPECT_FALSE(cw_->add_note("dsl1", id, "").ok());
  EXPECT_FALSE(cw_->add_note("dsl1", id, std::string(kMaxTextBytes + 1, 'x')).ok());
  ReferralContent r;
  r.how_arose = "Vigil flagged searches";
  r.indicators = "expressed support for a proscribed group";
  r.internet_use = "searches and a forum";
  r.how_found = "web monitoring alert, 14:02";
  r.contacts = "none known";
  r.additional_needs = "none";
  r.other_concerns = "attendance dropping";
  r.discussions = "tutor, learner";
  r.parent_carer_support = "parents informed and supportive";
  r.worries = "being drawn into extremism";
  ASSERT_TRUE(cw_->update_referral("dsl1", id, r).ok());
  auto rec = cw_->read_concern("deputy", id);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->referral.worries, "being drawn into extremism");
  EXPECT_EQ(rec->referral.parent_carer_support, "parents informed and supportive");
  EXPECT_EQ(rec->referral.updated_by, "dsl1");
  EXPECT_EQ(rec->events.back().kind, "referral");
  EXPECT_EQ(rec->events[rec->events.size() - 2].text, "spoke to the learner's tutor");
  r.worries = std::string(kMaxTextBytes + 1, 'w');
  EXPECT_EQ(cw_->update_referral("dsl1", id, r).error().code, ErrorCode::Invalid);
  EXPECT_EQ(audit_rows("concern.note"), 1);
  EXPECT_EQ(audit_rows("concern.referral"), 1);
  EXPECT_TRUE(verify_audit(db_)->ok);
}

TEST_F(StoreConcern, ReadsOfIncidentsAreAuditedWithTheUser) {
  auto page = cw_->list_incidents("dsl1", IncidentFilter{{"danger"}}, PageRequest{10});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 1U);
  ASSERT_TRUE(cw_->read_incident("deputy", 2).ok());
  ASSERT_TRUE(cw_->read_incident_hits("deputy", 2, 0, 100).ok());
  EXPECT_EQ(cw_->read_incident("deputy", 999).error().code, ErrorCode::NotFound);
  EXPECT_THAT(raw_text(db_, "SELECT detail FROM audit_log WHERE action = 'incident.list'"),
              HasSubstr("severity=danger"));
  EXPECT_EQ(raw_text(db_, "SELECT actor FROM audit_log WHERE action = 'incident.read'"), "deputy");
  EXPECT_EQ(raw_int(db_, "SELECT object_id FROM audit_log WHERE action = 'incident.read_hits'"), 2);
  EXPECT_EQ(cw_->list_incidents("", {}, PageRequest{10}).error().code, ErrorCode::Invalid);
}

TEST_F(StoreConcern, AReadWhoseAuditRowCannotBeWrittenIsRefused) {
  std::int64_t id = open_concern();
  auto cw =
      Casework::open({db_, std::chrono::milliseconds(50), std::chrono::hours(48), clock_.fn()});
  ASSERT_TRUE(cw.ok());
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &blocker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto rec = (*cw)->read_concern("dsl1", id);
  sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(blocker);
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.error().code, ErrorCode::Busy);
}

TEST_F(StoreConcern, DismissalNeedsAReasonAndOnlyAppliesToNewIncidents) {
  EXPECT_FALSE(cw_->dismiss_incident("dsl1", 3, "").ok());
  ASSERT_TRUE(cw_->dismiss_incident("dsl1", 3, "history coursework").ok());
  EXPECT_EQ(raw_text(db_, "SELECT dismiss_reason FROM incidents WHERE id = 3"),
            "history coursework");
  EXPECT_EQ(cw_->dismiss_incident("dsl1", 3, "again").error().code, ErrorCode::Invalid);
  open_concern({1});
  EXPECT_THAT(cw_->dismiss_incident("dsl1", 1, "fp").error().message, HasSubstr("linked"));
  EXPECT_EQ(cw_->dismiss_incident("dsl1", 77, "fp").error().code, ErrorCode::NotFound);
}

TEST_F(StoreConcern, RecordsOfCasesCannotBeDeletedOrRewritten) {
  std::int64_t id = open_concern();
  std::string err;
  EXPECT_NE(raw_exec(db_, "DELETE FROM concerns WHERE id = " + std::to_string(id), &err),
            SQLITE_OK);
  EXPECT_THAT(err, HasSubstr("never deleted"));
  EXPECT_NE(raw_exec(db_, "UPDATE concern_events SET text = 'x'", &err), SQLITE_OK);
  EXPECT_THAT(err, HasSubstr("append-only"));
  EXPECT_NE(raw_exec(db_, "DELETE FROM concern_events", &err), SQLITE_OK);
}

TEST_F(StoreConcern, LogsOfDecisionsChecksAndSettingsAreAudited) {
  ASSERT_TRUE(
      cw_->record_decision("admin", {"add_allow", "bbc.co.uk", "manual", "news site"}).ok());
  EXPECT_FALSE(cw_->record_decision("admin", {"add_allow", "bbc.co.uk", "manual", ""}).ok());
  ASSERT_TRUE(
      cw_->record_check("admin", {"CTIRU test URL from a learner laptop", "pass", ""}).ok());
  EXPECT_FALSE(cw_->record_check("admin", {"x", "maybe", ""}).ok());
  ASSERT_TRUE(cw_->set_setting("admin", "console.title", "Centre A").ok());
  EXPECT_FALSE(cw_->set_setting("admin", "store.stats_rolled_hit_id", "0").ok());
  auto person = cw_->upsert_person("admin", {"L9", "Jo", "learner", "2026", "learners", true});
  ASSERT_TRUE(person.ok());
  ASSERT_TRUE(cw_->attribute_device("admin", 1, *person, "manual", 0.5).ok());
  EXPECT_EQ(cw_->attribute_device("admin", 999, *person, "manual", 0.5).error().code,
            ErrorCode::NotFound);
  EXPECT_EQ(audit_rows("decision.record"), 1);
  EXPECT_EQ(audit_rows("check.record"), 1);
  EXPECT_EQ(audit_rows("setting.set"), 1);
  EXPECT_EQ(audit_rows("person.upsert"), 1);
  EXPECT_EQ(audit_rows("device.attribute"), 1);
  EXPECT_EQ(**cw_->reader().setting("console.title"), "Centre A");
  EXPECT_TRUE(verify_audit(db_)->ok);
}

}  // namespace
}  // namespace vigil::store
