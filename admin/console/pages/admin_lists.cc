// Lists and rules: every list of the rules tree with its counts, source and
// age, hits and false positives from the store, invalid lines; adding and
// removing entries (with a reason); the hand-made entries of policy.toml;
// "why was this blocked?"; asking vigild to reload.

#include <chrono>
#include <map>
#include <string>

#include "admin/console/html.h"
#include "admin/console/pages/admin_common.h"
#include "admin/console/pages/admin_control.h"
#include "admin/console/pages/admin_rules_edit.h"
#include "rules/explain.h"
#include "store/casework.h"

namespace vigil::console::pages::admin {
namespace {

using html::escape;

constexpr int kHitDays = 30;

bool is_statutory(const rules::ListSpec& spec) {
  return spec.statutory != rules::StatutorySlot::None;
}

std::string_view slot_name(rules::StatutorySlot slot) {
  switch (slot) {
    case rules::StatutorySlot::Iwf:
      return "iwf";
    case rules::StatutorySlot::Ctiru:
      return "ctiru";
    case rules::StatutorySlot::None:
      break;
  }
  return "";
}

std::string_view format_words(rules::ListFormat f) {
  switch (f) {
    case rules::ListFormat::Domains:
      return "domain names";
    case rules::ListFormat::Urls:
      return "web addresses (URLs)";
    case rules::ListFormat::Regex:
      return "patterns (regular expressions)";
    case rules::ListFormat::Keywords:
      return "keywords";
    case rules::ListFormat::Phrases:
      return "weighted phrases (e2guardian)";
  }
  return "";
}

std::string_view verdict_words(rules::Verdict v) {
  switch (v) {
    case rules::Verdict::None:
      return "Nothing matched: allowed and not logged.";
    case rules::Verdict::Allow:
      return "Allowed by an allow entry.";
    case rules::Verdict::Log:
      return "Logged only (not blocked, no alert).";
    case rules::Verdict::Alert:
      return "Alert: allowed, logged and shown to the DSL.";
    case rules::Verdict::Block:
      return "Block: the rules say block. This version of Vigil records it and alerts; it does "
             "not stop the visit itself.";
  }
  return "";
}

std::vector<std::string> category_names() {
  std::vector<std::string> out;
  for (int i = 0; i < static_cast<int>(rules::Category::kCount); ++i) {
    out.emplace_back(rules::category_name(static_cast<rules::Category>(i)));
  }
  return out;
}

struct HitCounts {
  std::map<std::string, store::ListHitCount, std::less<>> by_list;
  std::string error;  // the store could not say
};

HitCounts hit_counts(Shared& shared, PageContext& ctx) {
  HitCounts out;
  auto rows = ctx.casework.reader().hits_by_list(shared.now() - kHitDays * kDayUs);
  if (!rows) {
    out.error = rows.error().message;
    return out;
  }
  for (auto& r : *rows) out.by_list.emplace(r.list, std::move(r));
  return out;
}

// Whether a loaded list is one policy.toml declares (the snapshot adds one
// pseudo-list per hand-made entry after them).
std::size_t declared_lists(const LoadedTree& tree) {
  if (!tree.snapshot || !tree.policy) return 0;
  return std::min(tree.policy->lists.size(), tree.snapshot->lists().size());
}

// ---------------------------------------------------------------- the page

std::string entry_forms(PageContext& ctx, const rules::ListSpec& spec) {
  std::string out = "<details class=\"edit\"><summary>Add or remove an entry</summary>";
  for (bool add : {true, false}) {
    out += form_open(ctx, add ? "/lists/entries/add" : "/lists/entries/remove", "stack");
    out += "<input type=\"hidden\" name=\"list\" value=\"" + html::attr(spec.name) + "\">";
    out += std::string("<label>") + (add ? "Entry to add" : "Entry to remove") +
           " <input name=\"entry\" required maxlength=\"2048\" autocomplete=\"off\"></label>";
    out +=
        "<label>Why (required; goes to the decision log) <textarea name=\"reason\" required "
        "rows=\"2\" maxlength=\"2000\"></textarea></label>";
    out += std::string("<button type=\"submit\">") + (add ? "Add" : "Remove") + "</button></form>";
  }
  out += "</details>";
  return out;
}

std::string list_card(PageContext& ctx, const rules::LoadedList& l, const HitCounts& hits,
                      store::TimeUs now, bool can_manage, std::size_t index) {
  const rules::ListSpec& spec = l.spec;
  std::string out = "<article class=\"list-card\" id=\"list-" + std::to_string(index) + "\">";
  out += "<h2>" + escape(spec.name) + "</h2>";
  if (is_statutory(spec)) {
    out += "<p class=\"badge statutory\">Statutory list: always blocks, read-only here</p>";
  } else if (spec.allow) {
    out += "<p class=\"badge allow\">Allow list: its entries beat other lists' blocks</p>";
  }
  out += "<dl>";
  out += "<dt>Entries</dt><dd>" + std::to_string(l.entries);
  if (l.diag.duplicate > 0) out += ", " + std::to_string(l.diag.duplicate) + " repeated";
  if (l.diag.invalid > 0) out += ", " + std::to_string(l.diag.invalid) + " invalid lines";
  out += "</dd>";
  out += "<dt>Holds</dt><dd>" + escape(format_words(spec.format)) + "</dd>";
  out += "<dt>Category</dt><dd>" + escape(rules::category_name(spec.category)) + " (" +
         escape(rules::severity_name(spec.severity)) + "; action " +
         escape(rules::action_name(spec.action)) + ")</dd>";
  out += "<dt>Source</dt><dd>" + (spec.source.empty() ? "not stated" : escape(spec.source));
  if (!spec.licence.empty()) out += "; licence " + escape(spec.licence);
  if (!spec.version.empty()) out += "; version " + escape(spec.version);
  out += "</dd>";
  const store::TimeUs modified_us =
      std::chrono::duration_cast<std::chrono::microseconds>(l.modified.time_since_epoch()).count();
  out += "<dt>File</dt><dd><code>" + escape(spec.path) + "</code>, changed " +
         escape(age_words(modified_us, now)) + " (" + escape(format_time(modified_us)) + ")</dd>";
  auto h = hits.by_list.find(spec.name);
  out += "<dt>Hits, last " + std::to_string(kHitDays) + " days</dt><dd>";
  if (!hits.error.empty()) {
    out += "not available";
  } else if (h == hits.by_list.end()) {
    out += "none";
  } else {
    out += std::to_string(h->second.hits) + ", of which " +
           std::to_string(h->second.false_positives) +
           " in incidents dismissed as false positives; last " +
           escape(format_time(h->second.last_hit_us));
  }
  out += "</dd></dl>";
  if (!l.diag.first_invalid.empty()) {
    out += "<details class=\"invalid\"><summary>" + std::to_string(l.diag.invalid) +
           " invalid lines (skipped)</summary><ul>";
    for (const rules::RejectedLine& r : l.diag.first_invalid) {
      out += "<li><code>" + escape(r.file.empty() ? spec.path : r.file) + ":" +
             std::to_string(r.line) + "</code>: " + escape(r.reason) + " <code>" + escape(r.text) +
             "</code></li>";
    }
    if (l.diag.invalid > l.diag.first_invalid.size()) {
      out += "<li>and " + std::to_string(l.diag.invalid - l.diag.first_invalid.size()) +
             " more (vigilctl rules check lists them all)</li>";
    }
    out += "</ul></details>";
  }
  if (is_statutory(spec)) {
    out +=
        "<p class=\"note\">No one can add to, remove from or switch off this list from the "
        "console. It is replaced only by its licensed source.</p>";
  } else if (can_manage) {
    out += entry_forms(ctx, spec);
  }
  out += "</article>";
  return out;
}

std::string manual_section(PageContext& ctx, const rules::Policy& policy, bool can_manage) {
  std::string out =
      "<section class=\"manual\"><h2>Hand-made entries</h2><p>Domains allowed or blocked by "
      "hand, each with the reason it was made. They are kept in <code>policy.toml</code>. A "
      "hand-made block cannot be softened by a group's setting; statutory lists still block "
      "whatever is allowed here.</p>";
  if (policy.manual.empty()) {
    out += "<p>None yet.</p>";
  } else {
    out +=
        "<div class=\"table-wrap\"><table><thead><tr><th>Domain</th><th>Effect</th>"
        "<th>Category</th><th>Reason</th><th>By</th><th>Line</th>";
    if (can_manage) out += "<th>Remove</th>";
    out += "</tr></thead><tbody>";
    for (const rules::ManualEntry& m : policy.manual) {
      out += "<tr><td>" + escape(m.domain) + "</td><td>" + (m.allow ? "allow" : "block") +
             "</td><td>" + (m.allow ? std::string() : escape(rules::category_name(m.category))) +
             "</td><td>" + escape(m.reason) + "</td><td>" + escape(m.by) + "</td><td>" +
             std::to_string(m.line) + "</td>";
      if (can_manage) {
        out += "<td>" + form_open(ctx, "/lists/manual/remove", "inline");
        out += "<input type=\"hidden\" name=\"domain\" value=\"" + html::attr(m.domain) + "\">";
        out += "<input type=\"hidden\" name=\"effect\" value=\"" +
               std::string(m.allow ? "allow" : "block") + "\">";
        out +=
            "<label>Why <input name=\"reason\" required maxlength=\"2000\"></label>"
            "<button type=\"submit\">Remove</button></form></td>";
      }
      out += "</tr>";
    }
    out += "</tbody></table></div>";
  }
  if (can_manage) {
    out += form_open(ctx, "/lists/manual/add", "stack");
    out += "<h3>Add a hand-made entry</h3>";
    out += "<label>Domain <input name=\"domain\" required maxlength=\"300\"></label>";
    out +=
        "<label>Effect <select name=\"effect\"><option value=\"block\">block</option>"
        "<option value=\"allow\">allow</option></select></label>";
    out += "<label>Category (for a block) <select name=\"category\">" +
           options_html(category_names(), "extremism") + "</select></label>";
    out +=
        "<label>Why (required; goes to the decision log) <textarea name=\"reason\" required "
        "rows=\"2\" maxlength=\"2000\"></textarea></label><button type=\"submit\">Add</button>"
        "</form>";
  }
  out += "</section>";
  return out;
}

inspect::JsonObject list_json(const rules::LoadedList& l, const HitCounts& hits) {
  const rules::ListSpec& spec = l.spec;
  const store::TimeUs modified_us =
      std::chrono::duration_cast<std::chrono::microseconds>(l.modified.time_since_epoch()).count();
  inspect::JsonObject o;
  o.str("name", spec.name)
      .str("path", spec.path)
      .str("format", rules::list_format_name(spec.format))
      .str("category", rules::category_name(spec.category))
      .str("severity", rules::severity_name(spec.severity))
      .str("action", rules::action_name(spec.action))
      .boolean("allow", spec.allow)
      .boolean("statutory", is_statutory(spec))
      .str("slot", slot_name(spec.statutory))
      .str("source", spec.source)
      .str("licence", spec.licence)
      .str("version", spec.version)
      .str("sha256", l.sha256)
      .str("modified", iso_time(modified_us))
      .num("entries", l.entries)
      .num("duplicate", l.diag.duplicate)
      .num("invalid", l.diag.invalid)
      .num("skipped", l.diag.skipped);
  auto h = hits.by_list.find(spec.name);
  const bool known = hits.error.empty();
  o.num("hits_30d", std::int64_t{known && h != hits.by_list.end() ? h->second.hits : 0});
  o.num("false_positives_30d",
        std::int64_t{known && h != hits.by_list.end() ? h->second.false_positives : 0});
  std::vector<inspect::JsonObject> invalid;
  for (const rules::RejectedLine& r : l.diag.first_invalid) {
    inspect::JsonObject i;
    i.str("file", r.file.empty() ? spec.path : r.file)
        .num("line", std::uint64_t{r.line})
        .str("reason", r.reason)
        .str("text", r.text);
    invalid.push_back(std::move(i));
  }
  o.array("invalid_lines", invalid);
  return o;
}

Response lists_json(Shared& shared, const LoadedTree& tree, const HitCounts& hits) {
  inspect::JsonObject o;
  o.str("rules_dir", shared.rules.dir());
  o.str("error", tree.error);
  o.str("hits_error", hits.error);
  o.num("hit_days", std::int64_t{kHitDays});
  std::vector<inspect::JsonObject> lists;
  std::map<std::string, bool, std::less<>> named;
  const std::size_t n = declared_lists(tree);
  for (std::size_t i = 0; i < n; ++i) {
    lists.push_back(list_json(tree.snapshot->lists()[i], hits));
    named[tree.snapshot->lists()[i].spec.name] = true;
  }
  o.array("lists", lists);
  std::vector<inspect::JsonObject> manual;
  if (tree.policy) {
    for (const rules::ManualEntry& m : tree.policy->manual) {
      inspect::JsonObject e;
      e.str("domain", m.domain)
          .str("effect", m.allow ? "allow" : "block")
          .str("category", m.allow ? std::string_view{} : rules::category_name(m.category))
          .str("reason", m.reason)
          .str("by", m.by)
          .num("line", std::uint64_t{m.line});
      manual.push_back(std::move(e));
    }
  }
  o.array("manual", manual);
  std::vector<inspect::JsonObject> other;
  for (const auto& [name, c] : hits.by_list) {
    if (named.count(name) != 0) continue;
    inspect::JsonObject e;
    e.str("list", name).num("hits", c.hits).num("false_positives", c.false_positives);
    other.push_back(std::move(e));
  }
  o.array("other_hits", other);
  if (tree.snapshot) {
    const rules::SnapshotStats& st = tree.snapshot->stats();
    inspect::JsonObject s;
    s.num("domains", st.domains)
        .num("urls", st.urls)
        .num("keywords", st.keywords)
        .num("phrases", st.phrases)
        .num("regexes", st.regexes)
        .num("manual", st.manual);
    o.object("totals", s);
  }
  return json_response(o.text());
}

Response lists_page(Shared& shared, const Request& req, PageContext& ctx,
                    std::string_view flash = {}, int status = 200) {
  auto tree = shared.rules.current();
  const HitCounts hits = hit_counts(shared, ctx);
  if (req.api) {
    Response r = lists_json(shared, *tree, hits);
    r.status = status;
    return r;
  }
  const bool can_manage = allowed(ctx.user.role, Capability::ManageLists);
  const store::TimeUs now = shared.now();
  std::string body;
  body += "<p>Rules folder <code>" + escape(shared.rules.dir()) + "</code>.";
  if (allowed(ctx.user.role, Capability::TestRules)) {
    body += " <a href=\"/lists/test\">Why was something blocked? Test a name, address or text.</a>";
  }
  body += "</p>";
  if (can_manage) {
    body += form_open(ctx, "/lists/reload", "inline") +
            "<button type=\"submit\">Ask vigild to reload the rules now</button></form>";
  }
  if (!tree->error.empty()) {
    body += "<p class=\"error\">The rules tree does not load: <code>" + escape(tree->error) +
            "</code>. vigild keeps running the rules it loaded last; fix the file, then "
            "check it with <code>vigilctl rules check</code>.</p>";
  }
  if (!hits.error.empty()) {
    body += "<p class=\"error\">Hit counts are not available: " + escape(hits.error) + "</p>";
  }
  std::map<std::string, bool, std::less<>> named;
  const std::size_t n = declared_lists(*tree);
  if (tree->snapshot) {
    const rules::SnapshotStats& st = tree->snapshot->stats();
    body += "<p>" + std::to_string(n) + " lists: " + std::to_string(st.domains) +
            " domain names, " + std::to_string(st.urls) + " web addresses, " +
            std::to_string(st.keywords) + " keywords, " + std::to_string(st.phrases) +
            " phrases, " + std::to_string(st.regexes) + " patterns, " + std::to_string(st.manual) +
            " hand-made entries.</p>";
  }
  body += "<section class=\"lists\">";
  for (std::size_t i = 0; i < n; ++i) {
    const rules::LoadedList& l = tree->snapshot->lists()[i];
    named[l.spec.name] = true;
    body += list_card(ctx, l, hits, now, can_manage, i);
  }
  body += "</section>";
  if (tree->policy && !tree->policy->ut1_tree)
    body += manual_section(ctx, *tree->policy, can_manage);
  std::string other;
  for (const auto& [name, c] : hits.by_list) {
    if (named.count(name) != 0 || name == "manual allow" || name == "manual block") continue;
    other += "<li>" + escape(name) + ": " + std::to_string(c.hits) + " hits, " +
             std::to_string(c.false_positives) + " false positives</li>";
  }
  if (!other.empty()) {
    body += "<section><h2>Hits on lists no longer in the tree (last " + std::to_string(kHitDays) +
            " days)</h2><ul>" + other + "</ul></section>";
  }
  return page(ctx, "Lists and rules", std::move(body), "lists", flash, status);
}

// ---------------------------------------------------------------- changes

store::Result<std::int64_t> record_with(PageContext& ctx, const store::DecisionEntry& d) {
  return ctx.casework.record_decision(ctx.user.name, d);
}

Response change_done(Shared& shared, const Request& req, PageContext& ctx,
                     const EditOutcome& outcome) {
  if (outcome.status != 200) {
    if (req.api) return error_response(req, outcome.status, outcome.message);
    return lists_page(shared, req, ctx, outcome.message, outcome.status);
  }
  const ReloadOutcome reload = ask_vigild_reload(shared.options.control_socket);
  if (req.api) {
    inspect::JsonObject d;
    d.str("change", outcome.decision.change)
        .str("target", outcome.decision.target)
        .str("list", outcome.decision.list)
        .str("reason", outcome.decision.reason);
    inspect::JsonObject r;
    r.str("outcome", reload_kind_name(reload.kind)).str("message", reload.message);
    inspect::JsonObject o;
    o.boolean("ok", true).str("message", outcome.message).str("file", outcome.file);
    o.object("decision", d).object("reload", r);
    return json_response(o.text());
  }
  return lists_page(shared, req, ctx, outcome.message + " " + reload_sentence(reload));
}

Response change_list(Shared& shared, const Request& req, PageContext& ctx, bool add) {
  ListEntryChange c;
  c.list = field(req, "list");
  c.entry = field(req, "entry");
  c.reason = field(req, "reason");
  c.add = add;
  const EditOutcome outcome = change_list_entry(
      shared.rules, c, [&](const store::DecisionEntry& d) { return record_with(ctx, d); });
  return change_done(shared, req, ctx, outcome);
}

Response change_manual(Shared& shared, const Request& req, PageContext& ctx, bool add) {
  ManualEntryChange c;
  c.domain = field(req, "domain");
  const std::string effect = field(req, "effect");
  if (effect != "allow" && effect != "block") {
    return error_response(req, 400, "Say whether the entry allows or blocks (effect).");
  }
  c.allow = effect == "allow";
  c.category = field(req, "category");
  c.reason = field(req, "reason");
  c.add = add;
  const EditOutcome outcome =
      change_manual_entry(shared.rules, c, ctx.user.name,
                          [&](const store::DecisionEntry& d) { return record_with(ctx, d); });
  return change_done(shared, req, ctx, outcome);
}

Response reload(Shared& shared, const Request& req, PageContext& ctx) {
  const ReloadOutcome outcome = ask_vigild_reload(shared.options.control_socket);
  const std::string sentence = reload_sentence(outcome);
  std::string detail = std::string(reload_kind_name(outcome.kind)) + ": " + outcome.message;
  if (detail.size() > 1000) detail.resize(1000);
  // The audit row's detail is a record, not a page: cut, never refused.
  auto a = ctx.casework.audit(ctx.user.name, "rules.reload", "rules", 0, detail);
  if (!a) return store_failure(req, a.error());
  if (req.api) {
    inspect::JsonObject o;
    o.boolean("ok", outcome.kind == ReloadOutcome::Kind::Reloaded)
        .str("outcome", reload_kind_name(outcome.kind))
        .str("message", outcome.message);
    return json_response(o.text());
  }
  return lists_page(shared, req, ctx, sentence);
}

// ---------------------------------------------------------------- test box

Response test_page(Shared& shared, const Request& req, PageContext& ctx) {
  const std::string input = field(req, "input");
  const std::string group = field(req, "group");
  if (input.size() > 4096) return error_response(req, 400, "The text to test is over 4096 bytes.");
  auto tree = shared.rules.current();
  std::optional<rules::Decision> decision;
  std::string problem = tree->error;
  if (tree->snapshot && !input.empty()) {
    bool known_group = group.empty();
    for (const rules::GroupPolicy& g : tree->policy->groups)
      known_group = known_group || g.name == group;
    if (!known_group) return error_response(req, 400, "There is no group named '" + group + "'.");
    rules::RuleSnapshot::Scratch scratch;
    if (!tree->snapshot->prepare(scratch)) {
      problem = "not enough memory to test the rules";
    } else {
      decision = rules::explain(*tree->snapshot, scratch, input, group);
    }
  }
  if (req.api) {
    if (!problem.empty() && !decision) return error_response(req, 503, problem);
    if (!decision)
      return error_response(req, 400, "Give the name, address or text to test (input).");
    return json_response(rules::decision_json(input, *decision));
  }
  std::string body =
      "<p>Type a site name (<code>example.com</code>), a web address "
      "(<code>http://example.com/page</code>) or some text, to see what the rules folder "
      "decides and which list entry made the decision.</p>";
  body += "<form method=\"get\" action=\"/lists/test\" class=\"stack\">";
  body += "<label>Name, address or text <input name=\"input\" value=\"" + html::attr(input) +
          "\" maxlength=\"4096\" autocomplete=\"off\"></label>";
  if (tree->policy) {
    std::vector<std::string> groups{""};
    for (const rules::GroupPolicy& g : tree->policy->groups) groups.push_back(g.name);
    body += "<label>Group <select name=\"group\">";
    for (const std::string& g : groups) {
      body += "<option value=\"" + html::attr(g) + "\"" + (g == group ? " selected" : "") + ">" +
              (g.empty()
                   ? std::string("the default group (") + escape(tree->policy->default_group) + ")"
                   : escape(g)) +
              "</option>";
    }
    body += "</select></label>";
  }
  body += "<button type=\"submit\">Test</button></form>";
  if (!problem.empty()) {
    body +=
        "<p class=\"error\">The rules cannot be tested: <code>" + escape(problem) + "</code></p>";
  }
  if (decision) {
    body += "<section class=\"result\"><h2>Result for <code>" + escape(input) + "</code></h2>";
    body += "<p class=\"verdict verdict-" + std::string(rules::verdict_name(decision->verdict)) +
            "\">" + escape(verdict_words(decision->verdict)) + "</p>";
    if (!decision->reason.empty()) body += "<p>Why: " + escape(decision->reason) + "</p>";
    if (decision->hits.empty()) {
      body += "<p>No list entry matched.</p>";
    } else {
      body +=
          "<div class=\"table-wrap\"><table><thead><tr><th>List</th><th>Entry</th>"
          "<th>File and line</th><th>Category</th><th>Action</th><th>Note</th></tr></thead>"
          "<tbody>";
      for (const rules::Hit& h : decision->hits) {
        std::string note;
        if (h.statutory) note = "statutory: cannot be overridden";
        if (h.allow_entry) note = "allow entry";
        if (h.allowed) note = "overridden by an allow entry";
        if (!h.search_term.empty())
          note += (note.empty() ? "" : "; ") + ("search: " + h.search_term);
        body += "<tr><td>" + escape(h.list) + "</td><td><code>" + escape(h.entry) +
                "</code></td><td><code>" + escape(h.list_path) + ":" + std::to_string(h.line) +
                "</code></td><td>" + escape(rules::category_name(h.category)) + "</td><td>" +
                escape(rules::action_name(h.action)) + "</td><td>" + escape(note) + "</td></tr>";
      }
      body += "</tbody></table></div>";
    }
    body += "</section>";
  }
  return page(ctx, "Why was this blocked?", std::move(body), "lists");
}

}  // namespace

std::vector<Route> list_routes(const std::shared_ptr<Shared>& shared) {
  auto s = shared;
  auto view = [s](const Request& r, PageContext& c) { return lists_page(*s, r, c); };
  auto add = [s](const Request& r, PageContext& c) { return change_list(*s, r, c, true); };
  auto remove = [s](const Request& r, PageContext& c) { return change_list(*s, r, c, false); };
  auto manual_add = [s](const Request& r, PageContext& c) { return change_manual(*s, r, c, true); };
  auto manual_remove = [s](const Request& r, PageContext& c) {
    return change_manual(*s, r, c, false);
  };
  auto do_reload = [s](const Request& r, PageContext& c) { return reload(*s, r, c); };
  auto test = [s](const Request& r, PageContext& c) { return test_page(*s, r, c); };
  using C = Capability;
  return {
      {Method::Get, "/lists", C::ViewLists, view},
      {Method::Get, "/api/lists", C::ViewLists, view},
      {Method::Get, "/lists/test", C::TestRules, test},
      {Method::Get, "/api/lists/test", C::TestRules, test},
      {Method::Post, "/lists/entries/add", C::ManageLists, add},
      {Method::Post, "/api/lists/entries/add", C::ManageLists, add},
      {Method::Post, "/lists/entries/remove", C::ManageLists, remove},
      {Method::Post, "/api/lists/entries/remove", C::ManageLists, remove},
      {Method::Post, "/lists/manual/add", C::ManageLists, manual_add},
      {Method::Post, "/api/lists/manual/add", C::ManageLists, manual_add},
      {Method::Post, "/lists/manual/remove", C::ManageLists, manual_remove},
      {Method::Post, "/api/lists/manual/remove", C::ManageLists, manual_remove},
      {Method::Post, "/lists/reload", C::ManageLists, do_reload},
      {Method::Post, "/api/lists/reload", C::ManageLists, do_reload},
  };
}

}  // namespace vigil::console::pages::admin
