// Incidents: the list and its filters against SQL, keyset paging both
// ways, the incident page (hits, activity an hour either side with
// background noise hidden), triage (dismiss with a reason and the
// false-positive count it feeds, open a concern, add to a concern of the
// same person) and the audit rows every identifying read leaves.

#include <set>

#include "tests/unit/admin/console/pages/safeguarding_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SafeguardingIncidents : public SafeguardingTest {
 protected:
  void SetUp() override {
    SafeguardingTest::SetUp();
    ann_ = person("L1", "Ann Learner", true);
    bob_ = person("L2", "Bob Adult", false);
    store::HitRecord a1 = hit(kNow - 2 * kHour, "10.0.0.1", "L1", "extremism", "danger");
    store::HitRecord a2 = hit(kNow - 2 * kHour + kMinute, "10.0.0.1", "L1", "extremism", "caution");
    a2.value = "forum.example.org";
    a2.entry = "forum.example.org";
    a2.observation = "sni";
    store::HitRecord a3 = hit(kNow - 30 * kHour, "10.0.0.1", "L1", "gambling", "advisory");
    a3.list = "gambling_list";
    a3.entry = "bet.example.com";
    a3.value = "bet.example.com";
    store::HitRecord b1 = hit(kNow - 3 * kHour, "10.0.0.2", "L2", "extremism", "caution");
    store::HitRecord d1 = hit(kNow - 5 * kHour, "10.0.0.9", "", "violence", "caution");
    d1.hostname = "lab-pc-9";
    store::HitRecord b2 = hit(kNow - 50 * kHour, "10.0.0.2", "L2", "self_harm", "danger");
    b2.kind = "search_term";
    b2.observation = "search_term";
    b2.search_term = "how to hurt myself";
    auto act = [](store::TimeUs ts, const std::string& name) {
      return store::ActivityRecord{ts, "10.0.0.1", "", "dns", name};
    };
    append({a1, a2, a3, b1, d1, b2},
           {act(kNow - 2 * kHour - 30 * kMinute, "news.example.org"),
            act(kNow - 2 * kHour - 20 * kMinute, "e123.a.akamaiedge.net"),
            act(kNow - 2 * kHour - 10 * kMinute, "www.google-analytics.com"),
            act(kNow - 2 * kHour, "example.org"), act(kNow - 5 * kHour, "outside.example.com")});
    i_ann_ext_ = incident_of(ann_, "extremism");
    i_ann_bet_ = incident_of(ann_, "gambling");
    i_bob_ext_ = incident_of(bob_, "extremism");
    i_bob_harm_ = incident_of(bob_, "self_harm");
    i_device_ = sql("SELECT id FROM incidents WHERE person_id IS NULL");
    device9_ = sql("SELECT id FROM devices WHERE ip = '10.0.0.9'");
  }

  std::int64_t incident_of(std::int64_t person_id, const std::string& category) {
    return sql("SELECT id FROM incidents WHERE person_id = " + std::to_string(person_id) +
               " AND category = '" + category + "'");
  }

  // Incident ids an API list answer holds, in order.
  std::vector<std::int64_t> ids(const Response& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::int64_t> out;
    boost::json::value v = parse_json(r.body);
    if (!v.is_object()) return out;
    for (const auto& item : v.at("items").as_array()) out.push_back(item.at("id").as_int64());
    return out;
  }

  std::vector<std::int64_t> sql_ids(const std::string& where) {
    std::vector<std::int64_t> out;
    std::int64_t n = sql("SELECT count(*) FROM incidents i " + where);
    for (std::int64_t k = 0; k < n; ++k) {
      out.push_back(sql("SELECT id FROM incidents i " + where +
                        " ORDER BY last_us DESC, id DESC LIMIT 1 OFFSET " + std::to_string(k)));
    }
    return out;
  }

  std::int64_t ann_ = 0, bob_ = 0;
  std::int64_t i_ann_ext_ = 0, i_ann_bet_ = 0, i_bob_ext_ = 0, i_bob_harm_ = 0, i_device_ = 0;
  std::int64_t device9_ = 0;
};

TEST_F(SafeguardingIncidents, TheListHoldsEveryIncidentNewestFirst) {
  ASSERT_EQ(sql("SELECT count(*) FROM incidents"), 5);
  EXPECT_EQ(ids(get("/api/incidents", dsl())), sql_ids(""));
  Response page = get("/incidents", dsl());
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("Ann Learner (L1)"));
  EXPECT_THAT(page.body, HasSubstr("lab-pc-9 (10.0.0.9)"));
  EXPECT_THAT(page.body, HasSubstr("5 incidents match."));
  EXPECT_THAT(page.body, HasSubstr("Under 18"));
  EXPECT_THAT(page.body, HasSubstr("href=\"/incidents/" + std::to_string(i_ann_ext_) + "\""));
}

TEST_F(SafeguardingIncidents, EachFilterNarrowsTheListAsSqlDoes) {
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"severity", "danger"}})),
            sql_ids("WHERE highest_severity = 'danger'"));
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"severity", "danger"}, {"severity", "advisory"}})),
            sql_ids("WHERE highest_severity IN ('danger', 'advisory')"));
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"category", "extremism"}})),
            sql_ids("WHERE category = 'extremism'"));
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"person", "L1"}})),
            sql_ids("WHERE person_id = " + std::to_string(ann_)));
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"person_id", std::to_string(bob_)}})),
            sql_ids("WHERE person_id = " + std::to_string(bob_)));
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"device", std::to_string(device9_)}})),
            std::vector<std::int64_t>{i_device_});
  // From four hours ago (UTC, with Z): the two incidents still going then.
  const std::string four_hours_ago = "2026-03-15T08:00Z";
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"from", four_hours_ago}})),
            sql_ids("WHERE last_us >= " + std::to_string(kNow - 4 * kHour)));
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"to", "2026-03-14"}})),
            sql_ids("WHERE first_us < " + std::to_string(kNow - 12 * kHour)));
  // Filters combine.
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"person", "L2"}, {"severity", "danger"}})),
            std::vector<std::int64_t>{i_bob_harm_});
  ASSERT_TRUE(cw_->dismiss_incident("dsl1", i_bob_ext_, "a news article").ok());
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"status", "dismissed"}})),
            std::vector<std::int64_t>{i_bob_ext_});
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"status", "new"}})),
            sql_ids("WHERE status = 'new'"));

  // Nobody with that reference: no incidents, and the page says so.
  EXPECT_TRUE(ids(get("/api/incidents", dsl(), {{"person", "NOPE"}})).empty());
  Response nobody = get("/incidents", dsl(), {{"person", "NOPE"}});
  EXPECT_THAT(nobody.body, HasSubstr("No one has the reference &quot;NOPE&quot;."));

  // The form keeps what was chosen.
  Response page = get("/incidents", dsl(), {{"severity", "danger"}, {"category", "self_harm"}});
  EXPECT_THAT(page.body, HasSubstr("value=\"danger\" checked"));
  EXPECT_THAT(page.body, HasSubstr("<option value=\"self_harm\" selected>"));
  EXPECT_THAT(page.body, HasSubstr("1 incident matches."));
}

TEST_F(SafeguardingIncidents, BadFiltersAreRefusedWithOneLine) {
  for (Fields q :
       {Fields{{"severity", "extreme"}}, Fields{{"category", "knitting"}},
        Fields{{"status", "gone"}}, Fields{{"from", "yesterday"}}, Fields{{"to", "2026-02-31"}},
        Fields{{"device", "-1"}}, Fields{{"after", "12"}}, Fields{{"limit", "100000"}}}) {
    Response api = get("/api/incidents", dsl(), q);
    EXPECT_EQ(api.status, 400) << q.front().first;
    boost::json::value v = parse_json(api.body);
    ASSERT_TRUE(v.is_object());
    EXPECT_FALSE(str(v.at("error")).empty());
    EXPECT_EQ(str(v.at("error")).find('\n'), std::string::npos);
    EXPECT_EQ(get("/incidents", dsl(), q).status, 400);
  }
}

TEST_F(SafeguardingIncidents, KeysetPagingWalksOlderAndBackNewer) {
  const std::vector<std::int64_t> all = sql_ids("");
  std::vector<std::int64_t> walked;
  std::vector<std::string> cursors;
  Fields q{{"limit", "2"}};
  for (int page = 0; page < 5; ++page) {
    Response r = get("/api/incidents", dsl(), q);
    boost::json::value v = parse_json(r.body);
    for (const auto& item : v.at("items").as_array()) walked.push_back(item.at("id").as_int64());
    const auto* next = v.as_object().if_contains("next_cursor");
    if (next == nullptr) break;
    cursors.push_back(str(*next));
    q = {{"limit", "2"}, {"after", str(*next)}};
  }
  EXPECT_EQ(walked, all);
  ASSERT_EQ(cursors.size(), 2U);  // 5 incidents, 2 a page: three pages

  // From the last page, "newer" gives the middle page again.
  Response last = get("/api/incidents", dsl(), {{"limit", "2"}, {"after", cursors[1]}});
  boost::json::value v = parse_json(last.body);
  const std::string newer = str(v.at("newer_cursor"));
  EXPECT_EQ(ids(get("/api/incidents", dsl(), {{"limit", "2"}, {"before", newer}})),
            (std::vector<std::int64_t>{all[2], all[3]}));
  // And from the middle page, newer is the first page, with no newer beyond it.
  Response middle = get("/api/incidents", dsl(), {{"limit", "2"}, {"after", cursors[0]}});
  const std::string to_first = str(parse_json(middle.body).at("newer_cursor"));
  Response first = get("/api/incidents", dsl(), {{"limit", "2"}, {"before", to_first}});
  EXPECT_EQ(ids(first), (std::vector<std::int64_t>{all[0], all[1]}));
  EXPECT_EQ(parse_json(first.body).as_object().if_contains("newer_cursor"), nullptr);

  // The page has the same links.
  Response page = get("/incidents", dsl(), {{"limit", "2"}, {"after", cursors[0]}});
  EXPECT_THAT(page.body, HasSubstr("Newer</a>"));
  EXPECT_THAT(page.body, HasSubstr("Older &rarr;</a>"));
  EXPECT_THAT(get("/incidents", dsl(), {{"limit", "2"}}).body, Not(HasSubstr("Newer</a>")));
}

TEST_F(SafeguardingIncidents, DismissingNeedsAReasonAndFeedsTheRulesFalsePositiveCount) {
  const std::string path = "/incidents/" + std::to_string(i_bob_ext_) + "/dismiss";
  // No reason (or only spaces): refused, nothing changes.
  Response none = post(path, dsl(), {{"reason", "   "}});
  EXPECT_EQ(none.status, 400);
  EXPECT_THAT(none.body, HasSubstr("a reason is needed"));
  Response none_api = post_json("/api" + path, dsl(), "{}");
  EXPECT_EQ(none_api.status, 400);
  EXPECT_FALSE(str(parse_json(none_api.body).at("error")).empty());
  EXPECT_EQ(sql_text("SELECT status FROM incidents WHERE id = " + std::to_string(i_bob_ext_)),
            "new");
  EXPECT_EQ(audit_count("incident.dismiss"), 0);

  // With a reason: dismissed, audited, and counted against the rule.
  Response ok = post(path, dsl(), {{"reason", "A history lesson on the 1930s"}});
  EXPECT_EQ(ok.status, 303);
  EXPECT_EQ(sql_text("SELECT status FROM incidents WHERE id = " + std::to_string(i_bob_ext_)),
            "dismissed");
  EXPECT_EQ(
      sql_text("SELECT dismiss_reason FROM incidents WHERE id = " + std::to_string(i_bob_ext_)),
      "A history lesson on the 1930s");
  EXPECT_EQ(audit_count("incident.dismiss"), 1);
  auto fp = cw_->reader().false_positive_counts();
  ASSERT_TRUE(fp.ok());
  ASSERT_EQ(fp->size(), 1U);
  EXPECT_EQ((*fp)[0].list, "test_list");
  EXPECT_EQ((*fp)[0].entry, "example.org");
  EXPECT_EQ((*fp)[0].incidents, 1);

  // Ann's incident has a hit of the same rule: its page says so.
  Response other = get("/incidents/" + std::to_string(i_ann_ext_), dsl());
  EXPECT_THAT(other.body, HasSubstr("This rule was dismissed 1 time as a false positive"));
  boost::json::value v =
      parse_json(get("/api/incidents/" + std::to_string(i_ann_ext_), dsl()).body);
  std::set<std::int64_t> counts;
  for (const auto& h : v.at("hits").as_array()) counts.insert(h.at("dismissed_before").as_int64());
  EXPECT_EQ(counts, (std::set<std::int64_t>{0, 1}));  // example.org once, forum.example.org never

  // The dismissed incident says why, and cannot be dismissed again.
  Response page = get("/incidents/" + std::to_string(i_bob_ext_), dsl(), {{"done", "dismissed"}});
  EXPECT_THAT(page.body, HasSubstr("A history lesson on the 1930s"));
  EXPECT_THAT(page.body, HasSubstr("Dismissed as a false positive. Your reason has been kept."));
  EXPECT_THAT(page.body, Not(HasSubstr("/dismiss\"")));
  EXPECT_EQ(post(path, dsl(), {{"reason", "again"}}).status, 400);
  EXPECT_EQ(audit_count("incident.dismiss"), 1);
}

TEST_F(SafeguardingIncidents, TheIncidentPageShowsHitsAndActivityWithBackgroundHidden) {
  const std::string path = "/incidents/" + std::to_string(i_ann_ext_);
  Response page = get(path, dsl());
  ASSERT_EQ(page.status, 200);
  const std::string& b = page.body;
  EXPECT_THAT(b, HasSubstr("Ann Learner (L1)"));
  EXPECT_THAT(b, HasSubstr("Under 18"));
  EXPECT_THAT(b, HasSubstr("forum.example.org"));
  EXPECT_THAT(b, HasSubstr("Secure site name (TLS)"));
  EXPECT_THAT(b, HasSubstr("list test_list, line 7"));
  EXPECT_THAT(b, HasSubstr("DHCP lease, 75% sure"));
  EXPECT_THAT(b, HasSubstr("Sun 15 Mar 2026, 10:00 UTC"));
  // Activity: an hour either side, background hidden, the matched name kept.
  EXPECT_THAT(b, HasSubstr("news.example.org"));
  EXPECT_THAT(b, Not(HasSubstr("akamaiedge.net")));
  EXPECT_THAT(b, Not(HasSubstr("google-analytics.com")));
  EXPECT_THAT(b, Not(HasSubstr("outside.example.com")));
  EXPECT_THAT(b, HasSubstr("2 background lookups"));
  EXPECT_THAT(b, HasSubstr("href=\"" + path + "?noise=1\">Show everything</a>"));
  EXPECT_THAT(b, HasSubstr("<tr class=\"matched\">"));
  Response all = get(path, dsl(), {{"noise", "1"}});
  EXPECT_THAT(all.body, HasSubstr("e123.a.akamaiedge.net"));
  EXPECT_THAT(all.body, HasSubstr("www.google-analytics.com"));
  EXPECT_THAT(all.body, Not(HasSubstr("outside.example.com")));

  // The JSON has every row, marked.
  boost::json::value v = parse_json(get("/api" + path, dsl()).body);
  int background = 0, matched = 0;
  for (const auto& row : v.at("activity").as_array()) {
    background += row.at("background").as_bool() ? 1 : 0;
    matched += row.at("matched").as_bool() ? 1 : 0;
  }
  EXPECT_EQ(v.at("activity").as_array().size(), 4U);
  EXPECT_EQ(background, 2);
  EXPECT_EQ(matched, 1);
  EXPECT_EQ(v.at("hits").as_array().size(), 2U);
  EXPECT_EQ(v.at("incident").at("under_18").as_bool(), true);

  // Three views, each audited: the incident, its hits, the activity.
  EXPECT_EQ(audit_count("incident.read"), 3);
  EXPECT_EQ(audit_count("incident.read_hits"), 3);
  EXPECT_EQ(audit_count("activity.read"), 3);
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'activity.read' AND actor = "
                "'dsl1' AND object_id = " +
                std::to_string(i_ann_ext_)),
            3);
  // Listing is audited too, with the filter.
  get("/incidents", dsl(), {{"severity", "danger"}});
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'incident.list' AND detail LIKE "
                "'severity=danger%'"),
            1);
}

TEST_F(SafeguardingIncidents, TriageOpensAConcernAndAddsTheSamePersonsIncidentsOnly) {
  Response opened =
      post("/incidents/" + std::to_string(i_ann_ext_) + "/concern", dsl(),
           {{"summary", "Repeated visits to a banned group's forum"}, {"assign_to_me", "1"}});
  ASSERT_EQ(opened.status, 303) << opened.body;
  const std::int64_t concern = sql("SELECT max(id) FROM concerns");
  EXPECT_EQ(opened.headers.front().second, "/concerns/" + std::to_string(concern) + "?done=opened");
  EXPECT_EQ(sql("SELECT person_id FROM concerns WHERE id = " + std::to_string(concern)), ann_);
  EXPECT_EQ(sql_text("SELECT raised_by FROM concerns"), "dsl1");
  EXPECT_EQ(sql_text("SELECT coalesce(u.name, '') FROM concerns c JOIN users u ON "
                     "u.id = c.assigned_user_id"),
            "dsl1");
  EXPECT_EQ(sql_text("SELECT status FROM incidents WHERE id = " + std::to_string(i_ann_ext_)),
            "linked");

  // Ann's other incident offers her open concern; Bob's does not.
  Response ann_page = get("/incidents/" + std::to_string(i_ann_bet_), dsl());
  EXPECT_THAT(ann_page.body,
              HasSubstr("<option value=\"" + std::to_string(concern) + "\">Concern "));
  Response bob_page = get("/incidents/" + std::to_string(i_bob_ext_), dsl());
  EXPECT_THAT(bob_page.body, HasSubstr("There is no open concern about this person."));

  EXPECT_EQ(post("/incidents/" + std::to_string(i_ann_bet_) + "/link", dsl(),
                 {{"concern_id", std::to_string(concern)}})
                .status,
            303);
  EXPECT_EQ(sql("SELECT concern_id FROM incidents WHERE id = " + std::to_string(i_ann_bet_)),
            concern);
  // Bob's incident cannot join Ann's concern.
  Response wrong = post("/incidents/" + std::to_string(i_bob_ext_) + "/link", dsl(),
                        {{"concern_id", std::to_string(concern)}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_THAT(wrong.body, HasSubstr("about someone else"));
  EXPECT_EQ(sql_text("SELECT status FROM incidents WHERE id = " + std::to_string(i_bob_ext_)),
            "new");
  // Opening without a summary is refused.
  EXPECT_EQ(post("/incidents/" + std::to_string(i_bob_ext_) + "/concern", dsl(), {{"summary", ""}})
                .status,
            400);
  EXPECT_EQ(sql("SELECT count(*) FROM concerns"), 1);
}

TEST_F(SafeguardingIncidents, OnlyTheSafeguardingLeadsSeeIncidents) {
  for (store::Role role : {store::Role::Reporter, store::Role::Admin, store::Role::Auditor}) {
    const Principal& who = of_role(role);
    EXPECT_EQ(get("/incidents", who).status, 403);
    EXPECT_EQ(last_need_, Capability::ViewIncidents);
    EXPECT_EQ(get("/api/incidents/" + std::to_string(i_ann_ext_), who).status, 403);
    EXPECT_EQ(post("/incidents/" + std::to_string(i_ann_ext_) + "/dismiss", who,
                   {{"reason", "not allowed"}})
                  .status,
              403);
    EXPECT_EQ(last_need_, Capability::TriageIncidents);
  }
  EXPECT_EQ(audit_count("incident.dismiss"), 0);
  EXPECT_EQ(audit_count("incident.read"), 0);
  EXPECT_EQ(get("/incidents", deputy()).status, 200);
  EXPECT_EQ(get("/incidents/999999", dsl()).status, 404);
  EXPECT_EQ(get("/incidents/abc", dsl()).status, 404);
}

}  // namespace
}  // namespace vigil::console::pages::testing
