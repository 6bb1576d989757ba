#include "rules/snapshot.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "rules/policy/policy.h"

namespace vigil::rules {
namespace {

namespace fs = std::filesystem;

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vigil-rules-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name) << text;
  }

  // A tree with one list of each kind and three groups.
  void standard_tree() {
    write("policy.toml", R"(
default_group = "learners"

[[statutory]]
slot = "ctiru"
path = "ctiru.urls"
format = "urls"

[[list]]
name = "extremist sites"
path = "extremism.domains"
format = "domains"
category = "extremism"
severity = "danger"
action = "alert"

[[list]]
name = "gambling"
path = "gambling.domains"
format = "domains"
category = "gambling"

[[list]]
name = "allowed"
path = "allow.domains"
format = "domains"
category = "extremism"
allow = true

[[list]]
name = "extremism words"
path = "extremism.keywords"
format = "keywords"
category = "extremism"
action = "alert"
edit_distance = 1

[[list]]
name = "weighted"
path = "weighted.phrases"
format = "phrases"
category = "violence"
action = "block"

[[group]]
name = "learners"
naughtiness_limit = 50
[group.actions]
gambling = "block"

[[group]]
name = "staff"
naughtiness_limit = 100
[group.actions]
gambling = "log"

[[entry]]
domain = "research.badsite.example"
allow = true
reason = "History department coursework on propaganda"
by = "dsl"

[[entry]]
domain = "poker.casino.example"
block = true
category = "gambling"
reason = "Reported by a tutor: used during lessons"
by = "it"
)");
    write("ctiru.urls", "terror.example/videos\n");
    write("extremism.domains", "badsite.example\nterror.example\n");
    write("gambling.domains", "casino.example\n");
    write("allow.domains", "news.example\nterror.example\n");
    write("extremism.keywords", "# words\nextremist\n");
    write("weighted.phrases", "<fight><30>\n<weapon><25>\n<knife>,<school><60>\n");
  }

  std::shared_ptr<const RuleSnapshot> build(std::string& error) {
    auto policy = load_policy(dir_.string(), error);
    if (!policy) return nullptr;
    return RuleSnapshot::build(*policy, error);
  }

  Decision host(const RuleSnapshot& s, const std::string& name, const std::string& group = "") {
    inspect::Observation o;
    o.kind = inspect::ObservationKind::Sni;
    o.value = name;
    s.prepare(scratch_);
    return s.decide(o, group, scratch_);
  }

  Decision url(const RuleSnapshot& s, const std::string& h, const std::string& target) {
    inspect::Observation o;
    o.kind = inspect::ObservationKind::HttpUrl;
    o.value = target;
    o.http_host = h;
    s.prepare(scratch_);
    return s.decide(o, "", scratch_);
  }

  fs::path dir_;
  RuleSnapshot::Scratch scratch_;
};

TEST_F(SnapshotTest, DomainRulesMatchAtLabelBoundaries) {
  standard_tree();
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(host(*s, "badsite.example").verdict, Verdict::Alert);
  EXPECT_EQ(host(*s, "www.badsite.example").verdict, Verdict::Alert);
  EXPECT_EQ(host(*s, "notbadsite.example").verdict, Verdict::None);
  Decision d = host(*s, "badsite.example");
  ASSERT_EQ(d.hits.size(), 1u);
  EXPECT_EQ(d.hits[0].list, "extremist sites");
  EXPECT_EQ(d.hits[0].line, 1u);
  EXPECT_EQ(d.hits[0].severity, Severity::Danger);
}

TEST_F(SnapshotTest, HandMadeAllowBeatsDenyAndSaysWhy) {
  standard_tree();
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  Decision d = host(*s, "research.badsite.example");
  EXPECT_EQ(d.verdict, Verdict::Allow);
  EXPECT_NE(d.reason.find("coursework"), std::string::npos) << d.reason;
  bool overridden = false;
  for (const Hit& h : d.hits) overridden = overridden || (h.list == "extremist sites" && h.allowed);
  EXPECT_TRUE(overridden);
}

TEST_F(SnapshotTest, StatutoryListBeatsAllowEntries) {
  standard_tree();
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  // terror.example is on an allow list, but its /videos path is on the CTIRU slot.
  Decision d = url(*s, "terror.example", "/videos/123");
  EXPECT_EQ(d.verdict, Verdict::Block);
  EXPECT_NE(d.reason.find("statutory"), std::string::npos) << d.reason;
  // The rest of the site is allowed.
  EXPECT_EQ(host(*s, "terror.example").verdict, Verdict::Allow);
}

TEST_F(SnapshotTest, GroupsGetTheirOwnActions) {
  standard_tree();
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(host(*s, "casino.example", "learners").verdict, Verdict::Block);
  EXPECT_EQ(host(*s, "casino.example", "staff").verdict, Verdict::Log);
  EXPECT_EQ(host(*s, "casino.example", "unknown-group").verdict, Verdict::Block);  // default
  // A hand-made block entry blocks for every group, with its reason.
  Decision d = host(*s, "poker.casino.example", "staff");
  EXPECT_EQ(d.verdict, Verdict::Block);
  EXPECT_NE(d.reason.find("used during lessons"), std::string::npos) << d.reason;
}

TEST_F(SnapshotTest, KeywordsMatchDisguisedAndMisspelledText) {
  standard_tree();
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  s->prepare(scratch_);
  EXPECT_EQ(s->decide_text("join the extremist forum", "", scratch_).verdict, Verdict::Alert);
  EXPECT_EQ(s->decide_text("join the EXTREMIST forum", "", scratch_).verdict, Verdict::Alert);
  EXPECT_EQ(s->decide_text("join the 3xtr3m1st forum", "", scratch_).verdict, Verdict::Alert);
  EXPECT_EQ(s->decide_text("join the extremlst forum", "", scratch_).verdict, Verdict::Alert);
  EXPECT_EQ(s->decide_text("a forum about gardening", "", scratch_).verdict, Verdict::None);
}

TEST_F(SnapshotTest, SearchTermsAreMatchedAsTheirOwnKind) {
  standard_tree();
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  inspect::Observation o;
  o.kind = inspect::ObservationKind::HttpUrl;
  o.http_host = "www.google.co.uk";
  o.value = "/search?q=%C3%BCber+how+to+become+an+extr%65mist&hl=en";
  o.flow_id = 7;
  auto term = s->search_term(o);
  ASSERT_TRUE(term);
  EXPECT_EQ(term->kind, inspect::ObservationKind::SearchTerm);
  EXPECT_EQ(term->value, "über how to become an extremist");
  EXPECT_EQ(term->search_engine, "google");
  EXPECT_EQ(term->http_url, o.value);
  EXPECT_EQ(term->flow_id, 7U);
  s->prepare(scratch_);
  Decision d = s->decide(*term, "", scratch_);
  EXPECT_EQ(d.verdict, Verdict::Alert);
  ASSERT_FALSE(d.hits.empty());
  for (const Hit& h : d.hits) {
    EXPECT_EQ(h.kind, HitKind::SearchTerm);
    EXPECT_EQ(h.observation, inspect::ObservationKind::SearchTerm);
    EXPECT_EQ(h.search_term, "über how to become an extremist");
  }
  // Not a search: no term.
  o.http_host = "www.example.com";
  EXPECT_FALSE(s->search_term(o));
}

TEST_F(SnapshotTest, ProviderSearchEnginesComeFromPolicy) {
  standard_tree();
  std::ofstream(dir_ / "policy.toml", std::ios::app) << R"(
[[search_engine]]
name = "library catalogue"
host = "catalogue.college.example"
path = "/find"
parameter = "terms"
)";
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  inspect::Observation o;
  o.kind = inspect::ObservationKind::HttpUrl;
  o.http_host = "catalogue.college.example";
  o.value = "/find?terms=extremist+leaflets";
  auto term = s->search_term(o);
  ASSERT_TRUE(term);
  EXPECT_EQ(term->value, "extremist leaflets");
  EXPECT_EQ(term->search_engine, "library catalogue");
  o.value = "/browse?terms=extremist";  // wrong path
  EXPECT_FALSE(s->search_term(o));
}

TEST_F(SnapshotTest, BadSearchEngineIsAnErrorWithFileAndLine) {
  standard_tree();
  std::ofstream(dir_ / "policy.toml", std::ios::app) << R"(
[[search_engine]]
name = "broken"
host = "search.example"
parameter = "q=1"
)";
  std::string error;
  EXPECT_FALSE(build(error));
  EXPECT_NE(error.find("policy.toml:"), std::string::npos) << error;
  EXPECT_NE(error.find("'parameter' must be a query parameter name"), std::string::npos) << error;
}

TEST_F(SnapshotTest, PlainHttpTextIsScannedForPhrases) {
  standard_tree();
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  s->prepare(scratch_);
  inspect::Observation o;
  o.kind = inspect::ObservationKind::HttpText;
  o.value = "Breaking news: a FIGHT with a w3apon outside the station";
  o.http_host = "news.example";
  o.http_url = "/today";
  Decision d = s->decide(o, "", scratch_);
  EXPECT_EQ(d.verdict, Verdict::Block) << d.reason;
  EXPECT_EQ(d.phrase_score, 55);
  ASSERT_EQ(d.hits.size(), 2U);
  for (const Hit& h : d.hits) {
    EXPECT_EQ(h.observation, inspect::ObservationKind::HttpText);
    EXPECT_EQ(h.value, "news.example/today");  // the page, not its text
  }
}

TEST_F(SnapshotTest, WeightedPhrasesInASearchTermKeepTheLimit) {
  standard_tree();
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  s->prepare(scratch_);
  inspect::Observation o;
  o.kind = inspect::ObservationKind::SearchTerm;
  o.value = "a fight broke out";  // 30, below the limit of 50
  Decision d = s->decide(o, "", scratch_);
  EXPECT_EQ(d.verdict, Verdict::Log) << d.reason;
  EXPECT_EQ(d.phrase_score, 30);
  ASSERT_EQ(d.hits.size(), 1U);
  EXPECT_EQ(d.hits[0].kind, HitKind::SearchTerm);
  EXPECT_EQ(d.hits[0].weight, 30);
  o.value = "a fight with a weapon";  // 55
  EXPECT_EQ(s->decide(o, "", scratch_).verdict, Verdict::Block);
}

TEST_F(SnapshotTest, WeightedPhrasesAddUpAcrossAFlowEachOnce) {
  standard_tree();
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  s->prepare(scratch_);
  inspect::Observation o;
  o.kind = inspect::ObservationKind::HttpText;
  FlowScore flow;
  // 30: below the learners' limit of 50, logged.
  o.value = "a fight broke out";
  Decision d = s->decide(o, "", scratch_, &flow);
  EXPECT_EQ(d.verdict, Verdict::Log);
  EXPECT_EQ(flow.total, 30);
  EXPECT_EQ(d.phrase_added, 30);
  // The same phrase again in the same flow adds nothing (singular mode).
  o.value = "another fight";
  d = s->decide(o, "", scratch_, &flow);
  EXPECT_EQ(d.verdict, Verdict::Log);
  EXPECT_EQ(flow.total, 30);
  EXPECT_EQ(d.phrase_added, 0);  // nothing new for the person's score either
  // A new phrase brings the flow to 55: now the phrases act.
  o.value = "someone had a weapon";
  d = s->decide(o, "", scratch_, &flow);
  EXPECT_EQ(d.verdict, Verdict::Block) << d.reason;
  EXPECT_EQ(d.phrase_score, 55);
  EXPECT_NE(d.reason.find("phrase score in this flow 55 of limit 50"), std::string::npos)
      << d.reason;
  // Without a flow, the same text alone stays below the limit.
  EXPECT_EQ(s->decide(o, "", scratch_).verdict, Verdict::Log);
  // Staff have a limit of 100: the same flow total does not act for them.
  FlowScore staff;
  o.value = "a fight with a weapon";
  EXPECT_EQ(s->decide(o, "staff", scratch_, &staff).verdict, Verdict::Log);
}

TEST_F(SnapshotTest, WeightedPhrasesOnlyActAtTheNaughtinessLimit) {
  standard_tree();
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  s->prepare(scratch_);
  // 30 < 50: logged only; 30 + 25 = 55 >= 50: the list's action.
  EXPECT_EQ(s->decide_text("a fight broke out", "", scratch_).verdict, Verdict::Log);
  EXPECT_EQ(s->decide_text("a fight with a weapon", "", scratch_).verdict, Verdict::Block);
  // Each phrase counts once however often it appears (singular mode).
  EXPECT_EQ(s->decide_text("fight fight fight fight", "", scratch_).verdict, Verdict::Log);
  // A combination needs all of its terms.
  EXPECT_EQ(s->decide_text("a knife", "", scratch_).verdict, Verdict::None);
  EXPECT_EQ(s->decide_text("a knife at school", "", scratch_).verdict, Verdict::Block);
}

TEST_F(SnapshotTest, UnknownPolicyKeyIsAnErrorWithFileAndLine) {
  write("policy.toml",
        "[[list]]\nname = \"x\"\npath = \"x.domains\"\nformat = \"domains\"\n"
        "category = \"gambling\"\ncolour = \"red\"\n");
  std::string error;
  EXPECT_FALSE(load_policy(dir_.string(), error));
  EXPECT_NE(error.find("policy.toml:6: unknown key 'colour'"), std::string::npos) << error;
}

TEST_F(SnapshotTest, StatutoryListCannotBeSoftened) {
  write("policy.toml",
        "[[statutory]]\nslot = \"iwf\"\npath = \"iwf.urls\"\nformat = \"urls\"\n"
        "action = \"log\"\n");
  std::string error;
  EXPECT_FALSE(load_policy(dir_.string(), error));
  EXPECT_NE(error.find("always blocks"), std::string::npos) << error;
}

TEST_F(SnapshotTest, BadRegexNamesItsFileAndLine) {
  write("policy.toml",
        "[[list]]\nname = \"r\"\npath = \"r.regex\"\nformat = \"regex\"\n"
        "category = \"drugs\"\n");
  write("r.regex", "# fine\nco+caine\n(unclosed\n");
  std::string error;
  EXPECT_FALSE(build(error));
  EXPECT_NE(error.find("r.regex:3:"), std::string::npos) << error;
}

TEST_F(SnapshotTest, UnreadableListIsAnError) {
  write("policy.toml",
        "[[list]]\nname = \"gone\"\npath = \"missing.domains\"\n"
        "format = \"domains\"\ncategory = \"drugs\"\n");
  std::string error;
  EXPECT_FALSE(build(error));
  EXPECT_NE(error.find("missing.domains"), std::string::npos) << error;
}

TEST_F(SnapshotTest, BareUt1FolderTakesCategoryDefaults) {
  write("gambling/domains", "casino.example\n");
  write("adult/urls", "adult.example/videos\n");
  write("shopping/domains", "shop.example\n");
  std::string error;
  auto s = build(error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->lists().size(), 2u);  // shopping has no category
  EXPECT_EQ(host(*s, "casino.example").verdict, Verdict::Block);
  EXPECT_EQ(host(*s, "shop.example").verdict, Verdict::None);
  EXPECT_EQ(url(*s, "adult.example", "/videos/1").verdict, Verdict::Block);
}

}  // namespace
}  // namespace vigil::rules

#include "rules/publisher.h"

namespace vigil::rules {
namespace {

TEST_F(SnapshotTest, FailedReloadKeepsTheRunningSnapshot) {
  standard_tree();
  SnapshotPublisher pub;
  ReloadResult first = pub.reload(dir_.string());
  ASSERT_TRUE(first.ok) << first.error;
  auto running = pub.current();
  ASSERT_TRUE(running);
  EXPECT_EQ(pub.generation(), 1u);
  // Break a list: the reload fails with file:line and the old rules stay.
  write("policy.toml",
        "[[list]]\nname = \"r\"\npath = \"r.regex\"\nformat = \"regex\"\n"
        "category = \"drugs\"\n");
  write("r.regex", "(unclosed\n");
  ReloadResult second = pub.reload(dir_.string());
  EXPECT_FALSE(second.ok);
  EXPECT_NE(second.error.find("r.regex:1:"), std::string::npos) << second.error;
  EXPECT_EQ(pub.current(), running);
  EXPECT_EQ(pub.generation(), 1u);
  EXPECT_EQ(host(*pub.current(), "badsite.example").verdict, Verdict::Alert);
  // Fixed: the new snapshot replaces it; a worker still holding the old one keeps it alive.
  write("r.regex", "co+caine\n");
  ReloadResult third = pub.reload(dir_.string());
  EXPECT_TRUE(third.ok) << third.error;
  EXPECT_EQ(pub.generation(), 2u);
  EXPECT_NE(pub.current(), running);
  EXPECT_EQ(host(*running, "badsite.example").verdict, Verdict::Alert);
  EXPECT_EQ(host(*pub.current(), "badsite.example").verdict, Verdict::None);
}

}  // namespace
}  // namespace vigil::rules
