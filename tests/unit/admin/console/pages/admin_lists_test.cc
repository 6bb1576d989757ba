// Lists and rules: counts as the tree loads them, entry changes with their
// reasons, refused changes that leave every file as it was, statutory lists,
// the test box and the reload button.

#include <gmock/gmock.h>

#include <filesystem>

#include "tests/unit/admin/console/pages/admin_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using store::Role;
using ::testing::HasSubstr;
using ::testing::Not;

class AdminLists : public AdminPagesTest {
 protected:
  std::string domains() const { return rules_ + "/lists/extremism.domains"; }
  std::int64_t decisions() { return count("SELECT count(*) FROM decision_log"); }

  // Every file of the tree, by path: what a refused change must not touch.
  std::map<std::string, std::string> tree_files() const {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(rules_)) {
      if (e.is_regular_file()) out[e.path().string()] = read_file(e.path().string());
    }
    return out;
  }
};

TEST_F(AdminLists, PageCountsAreTheLoadedTreesCounts) {
  // One incident of device 1 dismissed: its two hits are false positives.
  auto page = cw_->list_incidents("dsl", {}, {});
  ASSERT_TRUE(page.ok());
  std::int64_t dismissed = 0;
  for (const store::Incident& i : page->items) {
    if (i.device_mac == "02:00:00:00:00:01" && i.category == "extremism") dismissed = i.id;
  }
  ASSERT_NE(dismissed, 0);
  ASSERT_TRUE(cw_->dismiss_incident("dsl", dismissed, "a test site").ok());

  auto snap = load_tree();
  ASSERT_TRUE(snap);
  Response r = get("/api/lists");
  ASSERT_EQ(r.status, 200) << r.body;
  boost::json::value v = parse_json(r.body);
  const auto& lists = v.at("lists").as_array();
  std::size_t declared = 0;
  for (const rules::LoadedList& l : snap->lists()) {
    if (l.spec.name == "manual allow" || l.spec.name == "manual block") continue;
    ++declared;
    bool found = false;
    for (const auto& j : lists) {
      if (j.at("name").as_string() != l.spec.name) continue;
      found = true;
      EXPECT_EQ(j.at("entries").to_number<std::uint64_t>(), l.entries) << l.spec.name;
      EXPECT_EQ(j.at("invalid").to_number<std::uint64_t>(), l.diag.invalid) << l.spec.name;
      EXPECT_EQ(j.at("statutory").as_bool(), l.spec.statutory != rules::StatutorySlot::None);
    }
    EXPECT_TRUE(found) << l.spec.name;
  }
  EXPECT_EQ(lists.size(), declared);
  for (const auto& j : lists) {
    if (j.at("name").as_string() == "test domains") {
      EXPECT_EQ(j.at("entries").to_number<int>(), 2);
      EXPECT_EQ(j.at("hits_30d").to_number<int>(), 3);
      EXPECT_EQ(j.at("false_positives_30d").to_number<int>(), 2);
      ASSERT_EQ(j.at("invalid_lines").as_array().size(), 1u);
      EXPECT_EQ(j.at("invalid_lines").as_array()[0].at("line").to_number<int>(), 3);
      EXPECT_EQ(j.at("source").as_string(), "test fixture");
    }
    if (j.at("name").as_string() == "test keywords") {
      EXPECT_EQ(j.at("hits_30d").to_number<int>(), 1);
      EXPECT_EQ(j.at("false_positives_30d").to_number<int>(), 0);
    }
  }
  ASSERT_EQ(v.at("manual").as_array().size(), 1u);
  EXPECT_EQ(v.at("manual").as_array()[0].at("domain").as_string(), "ok.example.org");

  Response html = get("/lists");
  ASSERT_EQ(html.status, 200);
  EXPECT_THAT(html.body, HasSubstr("test domains"));
  EXPECT_THAT(html.body, HasSubstr("extremism.domains:3</code>"));  // the invalid line
  EXPECT_THAT(html.body, HasSubstr("3, of which 2 in incidents dismissed"));
  EXPECT_THAT(html.body, HasSubstr("Statutory list"));
}

TEST_F(AdminLists, AnEntryWithoutAReasonIsRefusedAndNothingChanges) {
  const auto before = tree_files();
  for (const std::string reason : {"", "   ", "\n"}) {
    Response r = post("/lists/entries/add",
                      {{"list", "test domains"}, {"entry", "new.example.org"}, {"reason", reason}});
    EXPECT_EQ(r.status, 400);
    EXPECT_THAT(r.body, HasSubstr("reason"));
  }
  Response api =
      post("/api/lists/entries/add", {{"list", "test domains"}, {"entry", "new.example.org"}});
  EXPECT_EQ(api.status, 400);
  EXPECT_TRUE(parse_json(api.body).as_object().contains("error"));
  EXPECT_EQ(tree_files(), before);
  EXPECT_EQ(decisions(), 0);
  EXPECT_EQ(explain("new.example.org").verdict, rules::Verdict::None);
}

TEST_F(AdminLists, AnEntryWithAReasonIsWrittenLoadedAndLogged) {
  const std::string old = read_file(domains());
  Response r = post("/lists/entries/add", {{"list", "test domains"},
                                           {"entry", "New.Example.ORG"},
                                           {"reason", "seen in a grooming chat"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("Added"));
  EXPECT_THAT(r.body, HasSubstr("applies when vigild next loads the rules"));
  EXPECT_EQ(read_file(domains()), old + "New.Example.ORG\n");
  EXPECT_EQ(read_file(domains() + ".bak"), old);

  const rules::Decision d = explain("www.new.example.org");
  EXPECT_EQ(d.verdict, rules::Verdict::Block);
  ASSERT_FALSE(d.hits.empty());
  EXPECT_EQ(d.hits.front().list, "test domains");
  EXPECT_EQ(d.hits.front().line, 4u);

  EXPECT_EQ(decisions(), 1);
  EXPECT_EQ(raw_text(db_, "SELECT actor FROM decision_log"), "admin");
  EXPECT_EQ(raw_text(db_, "SELECT change FROM decision_log"), "add_block");
  EXPECT_EQ(raw_text(db_, "SELECT target FROM decision_log"), "new.example.org");
  EXPECT_EQ(raw_text(db_, "SELECT list FROM decision_log"), "test domains");
  EXPECT_EQ(raw_text(db_, "SELECT reason FROM decision_log"), "seen in a grooming chat");

  // The same name again is refused, and logged once only.
  Response again =
      post("/lists/entries/add",
           {{"list", "test domains"}, {"entry", "new.example.org"}, {"reason", "again"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(decisions(), 1);

  // The lists page sees the new count at once.
  Response api = get("/api/lists");
  const boost::json::value after = parse_json(api.body);
  for (const auto& j : after.at("lists").as_array()) {
    if (j.at("name").as_string() == "test domains") {
      EXPECT_EQ(j.at("entries").to_number<int>(), 3);
    }
  }
}

TEST_F(AdminLists, EntriesOfEveryKindAreAddedAndRemoved) {
  Response url = post(
      "/api/lists/entries/add",
      {{"list", "test urls"}, {"entry", "http://shop.example.com/pills"}, {"reason", "drug shop"}});
  ASSERT_EQ(url.status, 200) << url.body;
  EXPECT_EQ(parse_json(url.body).at("decision").at("target").as_string(), "shop.example.com/pills");
  EXPECT_EQ(explain("http://shop.example.com/pills/cheap").verdict, rules::Verdict::Block);

  Response kw = post("/lists/entries/add",
                     {{"list", "test keywords"}, {"entry", "machete fight"}, {"reason", "local"}});
  ASSERT_EQ(kw.status, 200) << kw.body;
  EXPECT_EQ(explain("a machete fight tonight").verdict, rules::Verdict::Alert);

  Response allow = post(
      "/lists/entries/add",
      {{"list", "test allow"}, {"entry", "worse.example.org"}, {"reason", "a research project"}});
  ASSERT_EQ(allow.status, 200) << allow.body;
  EXPECT_EQ(raw_text(db_, "SELECT change FROM decision_log ORDER BY id DESC"), "add_allow");
  EXPECT_EQ(explain("worse.example.org").verdict, rules::Verdict::Allow);

  Response rm = post("/lists/entries/remove",
                     {{"list", "test domains"}, {"entry", "bad.example.org"}, {"reason", "moved"}});
  ASSERT_EQ(rm.status, 200) << rm.body;
  EXPECT_EQ(read_file(domains()), "worse.example.org\nnot a domain line\n");
  EXPECT_EQ(explain("bad.example.org").verdict, rules::Verdict::None);
  EXPECT_EQ(raw_text(db_, "SELECT change FROM decision_log ORDER BY id DESC"), "remove_block");

  Response missing =
      post("/lists/entries/remove",
           {{"list", "test domains"}, {"entry", "never.example.org"}, {"reason", "tidy"}});
  EXPECT_EQ(missing.status, 404);
  Response no_list = post("/lists/entries/add",
                          {{"list", "no such list"}, {"entry", "x.example.org"}, {"reason", "r"}});
  EXPECT_EQ(no_list.status, 404);
  Response invalid =
      post("/lists/entries/add",
           {{"list", "test domains"}, {"entry", "two words.example.org"}, {"reason", "r"}});
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(count("SELECT count(*) FROM decision_log"), 4);
}

TEST_F(AdminLists, AChangeThatWouldBreakTheTreeIsRefusedAndTheFileKept) {
  const auto before = tree_files();
  // Hyperscan cannot compile an unbalanced group: the tree would not load.
  Response r = post("/lists/entries/add",
                    {{"list", "test patterns"}, {"entry", "jihad(["}, {"reason", "typo"}});
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_THAT(r.body, HasSubstr("would not load"));
  EXPECT_THAT(r.body, HasSubstr("extremism.regex:2"));  // named by the real file, not the temp
  EXPECT_EQ(tree_files(), before);                      // no temporary or backup file left either
  EXPECT_EQ(decisions(), 0);
  EXPECT_TRUE(load_tree() != nullptr);
}

TEST_F(AdminLists, AChangeToATreeThatDoesNotLoadIsRefused) {
  write_file(rules_ + "/policy.toml", std::string(kPolicy) + "\n[[list]]\nname = \"broken\"\n");
  const auto before = tree_files();
  Response r = post("/lists/entries/add",
                    {{"list", "test domains"}, {"entry", "x.example.org"}, {"reason", "why"}});
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("does not load"));
  EXPECT_EQ(tree_files(), before);
  Response page = get("/lists");
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("The rules tree does not load"));
}

TEST_F(AdminLists, StatutoryListsAreReadOnly) {
  const auto before = tree_files();
  for (const char* path : {"/lists/entries/add", "/lists/entries/remove"}) {
    Response r = post(path, {{"list", "IWF URL list"},
                             {"entry", "iwf-test.example.net/abuse"},
                             {"reason", "we were asked to"}});
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_THAT(r.body, HasSubstr("statutory list"));
  }
  Response api =
      post("/api/lists/entries/remove",
           {{"list", "IWF URL list"}, {"entry", "iwf-test.example.net/abuse"}, {"reason", "x"}});
  EXPECT_EQ(api.status, 403);
  EXPECT_THAT(std::string(parse_json(api.body).at("error").as_string()), HasSubstr("statutory"));
  EXPECT_EQ(tree_files(), before);
  EXPECT_EQ(decisions(), 0);
  // No edit controls for it: the only forms naming a list name the others.
  Response page = get("/lists");
  EXPECT_THAT(page.body, Not(HasSubstr("name=\"list\" value=\"IWF URL list\"")));
  EXPECT_THAT(page.body, HasSubstr("name=\"list\" value=\"test domains\""));
  EXPECT_EQ(explain("http://iwf-test.example.net/abuse").verdict, rules::Verdict::Block);
}

TEST_F(AdminLists, HandMadeEntriesAreAddedAndRemovedInPolicyToml) {
  Response add =
      post("/lists/manual/add", {{"domain", "Manual.Example.org"},
                                 {"effect", "block"},
                                 {"category", "extremism"},
                                 {"reason", "DSL asked: \"recruiting\" site\nsee case"}});
  ASSERT_EQ(add.status, 200) << add.body;
  const std::string policy = read_file(rules_ + "/policy.toml");
  EXPECT_THAT(policy, HasSubstr("domain = \"manual.example.org\""));
  EXPECT_THAT(policy, HasSubstr("by = \"admin\""));
  EXPECT_EQ(explain("manual.example.org").verdict, rules::Verdict::Block);
  EXPECT_EQ(raw_text(db_, "SELECT list FROM decision_log"), "hand-made entries (policy.toml)");
  std::string error;
  auto loaded = rules::load_policy(rules_, error);
  ASSERT_TRUE(loaded) << error;
  ASSERT_EQ(loaded->manual.size(), 2u);
  EXPECT_EQ(loaded->manual[1].reason, "DSL asked: \"recruiting\" site\nsee case");

  Response dup = post("/lists/manual/add", {{"domain", "manual.example.org"},
                                            {"effect", "block"},
                                            {"category", "extremism"},
                                            {"reason", "again"}});
  EXPECT_EQ(dup.status, 409);
  Response no_reason =
      post("/lists/manual/remove", {{"domain", "manual.example.org"}, {"effect", "block"}});
  EXPECT_EQ(no_reason.status, 400);

  Response rm = post("/lists/manual/remove", {{"domain", "manual.example.org"},
                                              {"effect", "block"},
                                              {"reason", "the DSL closed the case"}});
  ASSERT_EQ(rm.status, 200) << rm.body;
  EXPECT_EQ(read_file(rules_ + "/policy.toml"), kPolicy);  // back to the file as it was
  EXPECT_EQ(explain("manual.example.org").verdict, rules::Verdict::None);
  EXPECT_EQ(count("SELECT count(*) FROM decision_log"), 2);
  EXPECT_EQ(raw_text(db_, "SELECT change FROM decision_log ORDER BY id DESC"), "remove_block");

  // The fixture's own entry (not written by the console) is removed as cleanly.
  Response rm2 = post("/lists/manual/remove",
                      {{"domain", "ok.example.org"}, {"effect", "allow"}, {"reason", "tidy"}});
  ASSERT_EQ(rm2.status, 200) << rm2.body;
  loaded = rules::load_policy(rules_, error);
  ASSERT_TRUE(loaded) << error;
  EXPECT_TRUE(loaded->manual.empty());
  EXPECT_EQ(loaded->groups.size(), 2u);
}

TEST_F(AdminLists, TheTestBoxExplainsADecision) {
  Response r = get("/lists/test", Role::Dsl, {{"input", "http://bad.example.org/page"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("Block: the rules say block."));
  EXPECT_THAT(r.body, HasSubstr("extremism.domains:1</code>"));
  EXPECT_THAT(r.body, HasSubstr("test domains"));

  Response api = get("/api/lists/test", Role::Admin, {{"input", "good.example.org"}});
  ASSERT_EQ(api.status, 200);
  boost::json::value v = parse_json(api.body);
  EXPECT_EQ(v.at("verdict").as_string(), "allow");
  ASSERT_FALSE(v.at("hits").as_array().empty());
  EXPECT_EQ(v.at("hits").as_array()[0].at("list").as_string(), "test allow");

  Response group = get("/api/lists/test", Role::Admin, {{"input", "x.org"}, {"group", "nobody"}});
  EXPECT_EQ(group.status, 400);
  EXPECT_EQ(get("/lists/test", Role::Auditor).status, 403);  // auditors have no test box
}

TEST_F(AdminLists, ReloadAsksVigildAndSaysWhatHappened) {
  const std::string sock = tmp_.file("vigild.sock");
  options_.control_socket = sock;
  routes_ = admin_routes(options_);
  {
    FakeVigild vigild(sock, R"({"ok":true,"result":{"message":"rules reloaded: 6 lists"}})");
    Response r = post("/lists/reload", {});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_THAT(r.body, HasSubstr("vigild reloaded the rules: rules reloaded: 6 lists"));
    EXPECT_EQ(vigild.asked(), "reload\n");
  }
  {
    FakeVigild vigild(sock, R"({"ok":false,"error":"lists/x.domains:3: bad \"line\""})");
    Response r = post("/api/lists/reload", {});
    ASSERT_EQ(r.status, 200);
    boost::json::value v = parse_json(r.body);
    EXPECT_EQ(v.at("outcome").as_string(), "refused");
    EXPECT_EQ(v.at("message").as_string(), "lists/x.domains:3: bad \"line\"");
  }
  // After an entry change vigild is asked at once.
  {
    FakeVigild vigild(sock, R"({"ok":true,"result":{"message":"rules reloaded"}})");
    Response r = post("/lists/entries/add",
                      {{"list", "test domains"}, {"entry", "z.example.org"}, {"reason", "why"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_THAT(r.body, HasSubstr("vigild reloaded the rules"));
    EXPECT_EQ(vigild.asked(), "reload\n");
  }
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'rules.reload'"), 2);
  Response gone = post("/lists/reload", {});
  EXPECT_THAT(gone.body, HasSubstr("vigild was not reached"));
}

TEST_F(AdminLists, AuditorsSeeTheListsButCannotChangeThem) {
  Response r = get("/lists", Role::Auditor);
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("test domains"));
  EXPECT_THAT(r.body, Not(HasSubstr("Add or remove an entry")));
  EXPECT_THAT(r.body, Not(HasSubstr("/lists/reload")));
  EXPECT_EQ(
      post("/lists/entries/add",
           {{"list", "test domains"}, {"entry", "a.example.org"}, {"reason", "r"}}, Role::Auditor)
          .status,
      403);
  EXPECT_EQ(post("/lists/reload", {}, Role::Dsl).status, 403);
  EXPECT_EQ(decisions(), 0);
}

}  // namespace
}  // namespace vigil::console::pages::testing
