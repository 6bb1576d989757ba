// The Prevent referral: every section of the DfE content, pre-filled and
// edited, the evidence annex, the "nothing is sent" note, and an audit row
// for every export (page or JSON).

#include "tests/unit/admin/console/pages/safeguarding_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SafeguardingReferral : public SafeguardingTest {
 protected:
  void SetUp() override {
    SafeguardingTest::SetUp();
    person("L1", "Ann Learner", true);
    person("L2", "Bob Adult", false);
    store::HitRecord a = hit(kNow - 2 * kHour, "10.0.0.1", "L1", "extremism", "danger");
    a.value = "banned-group.example.org";
    store::HitRecord s = hit(kNow - 2 * kHour + kMinute, "10.0.0.1", "L1", "extremism", "caution");
    s.kind = "search_term";
    s.observation = "search_term";
    s.value = "http://search.example/?q=join+the+movement";
    s.search_term = "join the movement";
    s.attribution_source = "csv";
    s.attribution_confidence = 1;
    append({a, s, hit(kNow - kHour, "10.0.0.2", "L2", "extremism", "caution")});
    store::NewConcern nc;
    nc.summary = "Searches for a proscribed group's material";
    nc.incident_ids = {
        sql("SELECT id FROM incidents WHERE person_id = (SELECT id FROM people "
            "WHERE reference = 'L1')")};
    auto id = cw_->open_concern("dsl1", nc);
    ASSERT_TRUE(id.ok()) << id.error().message;
    ann_concern_ = *id;
    nc.summary = "An adult learner's searches";
    nc.incident_ids = {
        sql("SELECT id FROM incidents WHERE person_id = (SELECT id FROM people "
            "WHERE reference = 'L2')")};
    auto b = cw_->open_concern("dsl1", nc);
    ASSERT_TRUE(b.ok());
    bob_concern_ = *b;
  }
  std::string path(std::int64_t id) { return "/concerns/" + std::to_string(id) + "/referral"; }

  std::int64_t ann_concern_ = 0, bob_concern_ = 0;
};

TEST_F(SafeguardingReferral, ThePageHoldsEverySectionTheEvidenceAndTheNote) {
  Response page = get(path(ann_concern_), dsl());
  ASSERT_EQ(page.status, 200) << page.body;
  const std::string& b = page.body;
  for (const char* title :
       {"How the concern arose", "Indicators", "Worrying internet use", "How it was found",
        "Contacts", "Additional needs", "Other safeguarding concerns", "Discussions held",
        "Parent or carer support (under 18)", "What you are worried about"}) {
    EXPECT_THAT(b, HasSubstr("<h2>" + std::string(title) + "</h2>")) << title;
  }
  EXPECT_THAT(b, HasSubstr("Nothing is sent anywhere automatically."));
  // Pre-filled from the concern and its incidents.
  EXPECT_THAT(b, HasSubstr("Searches for a proscribed group&#39;s material"));
  EXPECT_THAT(b, HasSubstr("extremism: 2 hits, highest danger"));
  EXPECT_THAT(b, HasSubstr("Ann Learner"));
  EXPECT_THAT(b, HasSubstr("Under 18: enhanced handling"));
  // The annex: each hit with its time, device, what matched, attribution.
  EXPECT_THAT(b, HasSubstr("Annex: what the web filter recorded"));
  EXPECT_THAT(b, HasSubstr("banned-group.example.org"));
  EXPECT_THAT(b, HasSubstr("join the movement"));
  EXPECT_THAT(b, HasSubstr("Sun 15 Mar 2026, 10:00 UTC"));
  EXPECT_THAT(b, HasSubstr("Sun 15 Mar 2026, 10:01 UTC"));
  EXPECT_THAT(b, HasSubstr("10.0.0.1"));
  EXPECT_THAT(b, HasSubstr("DHCP lease, 75% sure"));
  EXPECT_THAT(b, HasSubstr("imported device list, 100% sure"));
  EXPECT_THAT(b, HasSubstr("cannot see what was on encrypted pages"));
  // Only this concern's evidence.
  EXPECT_THAT(b, Not(HasSubstr("10.0.0.2")));
  // The edit form, for printing after.
  EXPECT_THAT(b, HasSubstr("name=\"worries\""));
  EXPECT_THAT(b, HasSubstr("class=\"no-print\" id=\"edit\""));
  EXPECT_EQ(audit_count("referral.export"), 1);

  // The adult's has no parent/carer part to fill.
  EXPECT_THAT(get(path(bob_concern_), dsl()).body,
              HasSubstr("Not applicable: the person is not recorded as under 18."));
  EXPECT_EQ(audit_count("referral.export"), 2);
}

TEST_F(SafeguardingReferral, EditingUpdatesTheContentBeforePrinting) {
  Fields form;
  const std::vector<std::pair<std::string, std::string>> parts{
      {"how_arose", "Flagged by the web filter on 15 March"},
      {"indicators", "Withdrawn; new vocabulary"},
      {"internet_use", "Searches for a proscribed group"},
      {"how_found", "The college web filter"},
      {"contacts", "An online group"},
      {"additional_needs", "Dyslexia; support plan in place"},
      {"other_concerns", "None known"},
      {"discussions", "Tutor spoke with Ann on 16 March"},
      {"parent_carer_support", "Mother aware and supportive"},
      {"worries", "Being drawn into extremist views"},
  };
  for (const auto& p : parts) form.push_back(p);
  Response saved = post(path(ann_concern_), dsl(), form);
  ASSERT_EQ(saved.status, 303) << saved.body;
  EXPECT_EQ(saved.headers.front().second, path(ann_concern_) + "?done=saved");
  Response page = get(path(ann_concern_), dsl(), {{"done", "saved"}});
  for (const auto& [key, text] : parts) EXPECT_THAT(page.body, HasSubstr(text)) << key;
  EXPECT_THAT(page.body, Not(HasSubstr("Not filled in yet.")));
  EXPECT_THAT(page.body, HasSubstr("Content last edited"));
  EXPECT_EQ(sql_text("SELECT updated_by FROM concern_referrals WHERE concern_id = " +
                     std::to_string(ann_concern_)),
            "dsl1");

  // The API changes one part and keeps the rest.
  Response one = post_json("/api" + path(ann_concern_), dsl(), R"({"worries":"Now less worried"})");
  EXPECT_EQ(one.status, 200) << one.body;
  boost::json::value v = parse_json(get("/api" + path(ann_concern_), dsl()).body);
  EXPECT_EQ(str(v.at("sections").at("worries")), "Now less worried");
  EXPECT_EQ(str(v.at("sections").at("contacts")), "An online group");
  EXPECT_EQ(str(v.at("note")),
            "Nothing is sent anywhere automatically. Print this page, or copy it "
            "into your local authority's Prevent referral form, and send it "
            "the way they ask.");
  EXPECT_EQ(v.at("evidence").as_array().size(), 1U);
  EXPECT_EQ(v.at("evidence").as_array()[0].at("hits").as_array().size(), 2U);
  EXPECT_EQ(v.at("person").at("under_18").as_bool(), true);
  // Nothing sent: refused, nothing changed.
  EXPECT_EQ(post(path(ann_concern_), dsl(), {}).status, 400);
  EXPECT_EQ(audit_count("concern.referral"), 2);
  EXPECT_EQ(audit_count("referral.export"), 2);
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'referral.export' AND detail = "
                "'json' AND actor = 'dsl1'"),
            1);
}

TEST_F(SafeguardingReferral, OnlyTheSafeguardingLeadsExportIt) {
  for (store::Role role : {store::Role::Reporter, store::Role::Admin, store::Role::Auditor}) {
    EXPECT_EQ(get(path(ann_concern_), of_role(role)).status, 403);
    EXPECT_EQ(get("/api" + path(ann_concern_), of_role(role)).status, 403);
    EXPECT_EQ(post(path(ann_concern_), of_role(role), {{"worries", "x"}}).status, 403);
  }
  EXPECT_EQ(audit_count("referral.export"), 0);
  EXPECT_EQ(get(path(ann_concern_), deputy()).status, 200);
  EXPECT_EQ(get(path(999), deputy()).status, 404);
}

}  // namespace
}  // namespace vigil::console::pages::testing
