// The logs the standards ask for: the decision log (every list change,
// who, why), the checks log (DfE Standard 2: what was tested, the result,
// what was done) with its form, and the hash-chained audit log with its
// verification. Auditors read the audit log without identifiable learner
// detail: see redact_for().

#include <string>

#include "admin/console/html.h"
#include "admin/console/pages/admin_common.h"
#include "store/casework.h"

namespace vigil::console::pages::admin {
namespace {

using html::escape;

constexpr std::size_t kPageSize = 50;
constexpr std::size_t kMaxCheckText = 4000;

std::int64_t before_of(const Request& req) {
  auto id = parse_id(field(req, "before"));
  return id ? *id : 0;
}

std::string older_link(std::string_view path, std::size_t shown, std::int64_t last_id) {
  if (shown < kPageSize || last_id <= 1) return {};
  return "<nav class=\"pager\"><a href=\"" + std::string(path) +
         "?before=" + std::to_string(last_id) + "\">Older</a></nav>";
}

// ---------------------------------------------------------------- decisions

std::string change_words(std::string_view change) {
  if (change == "add_block") return "added a block entry";
  if (change == "remove_block") return "removed a block entry";
  if (change == "add_allow") return "added an allow entry";
  if (change == "remove_allow") return "removed an allow entry";
  if (change == "reload") return "reloaded the rules";
  if (change == "policy") return "changed the policy";
  return std::string(change);
}

Response decisions_page(const Request& req, PageContext& ctx) {
  const std::int64_t before = before_of(req);
  auto rows = ctx.casework.reader().decisions(before, kPageSize);
  if (!rows) return store_failure(req, rows.error());
  const std::int64_t last = rows->empty() ? 0 : rows->back().id;
  if (req.api) {
    std::vector<inspect::JsonObject> items;
    for (const store::DecisionRow& d : *rows) {
      inspect::JsonObject o;
      o.num("id", d.id)
          .str("time", iso_time(d.ts_us))
          .str("actor", d.actor)
          .str("change", d.entry.change)
          .str("target", d.entry.target)
          .str("list", d.entry.list)
          .str("reason", d.entry.reason);
      items.push_back(std::move(o));
    }
    inspect::JsonObject o;
    o.array("decisions", items);
    if (rows->size() == kPageSize) o.num("next_before", last);
    return json_response(o.text());
  }
  std::string body =
      "<p>Every change to what is blocked or allowed, who made it and why, newest first.</p>";
  if (rows->empty()) {
    body += "<p>No decisions recorded" + std::string(before > 0 ? " before this point." : " yet.") +
            "</p>";
  } else {
    body +=
        "<div class=\"table-wrap\"><table><thead><tr><th>When</th><th>Who</th><th>Change</th>"
        "<th>Entry</th><th>List</th><th>Why</th></tr></thead><tbody>";
    for (const store::DecisionRow& d : *rows) {
      body += "<tr><td>" + escape(format_time(d.ts_us)) + "</td><td>" + escape(d.actor) +
              "</td><td>" + escape(change_words(d.entry.change)) + "</td><td><code>" +
              escape(d.entry.target) + "</code></td><td>" + escape(d.entry.list) + "</td><td>" +
              escape(d.entry.reason) + "</td></tr>";
    }
    body += "</tbody></table></div>";
  }
  body += older_link("/decisions", rows->size(), last);
  return page(ctx, "Decision log", std::move(body), "decisions");
}

// ---------------------------------------------------------------- checks

std::string_view result_words(std::string_view result) {
  if (result == "pass") return "passed";
  if (result == "fail") return "failed";
  if (result == "partial") return "partly passed";
  return result;
}

Response checks_page(const Request& req, PageContext& ctx, std::string_view flash = {},
                     int status = 200) {
  const std::int64_t before = before_of(req);
  auto rows = ctx.casework.reader().checks(before, kPageSize);
  if (!rows) return store_failure(req, rows.error());
  const std::int64_t last = rows->empty() ? 0 : rows->back().id;
  if (req.api) {
    std::vector<inspect::JsonObject> items;
    for (const store::CheckRow& c : *rows) {
      inspect::JsonObject o;
      o.num("id", c.id)
          .str("time", iso_time(c.ts_us))
          .str("actor", c.actor)
          .str("what", c.entry.what)
          .str("result", c.entry.result)
          .str("action", c.entry.action);
      items.push_back(std::move(o));
    }
    inspect::JsonObject o;
    o.array("checks", items);
    if (rows->size() == kPageSize) o.num("next_before", last);
    Response r = json_response(o.text());
    r.status = status;
    return r;
  }
  std::string body =
      "<p>The checks that filtering and monitoring work (DfE standard: check at least once a "
      "year, when something changes, and keep a log): what was tested, the result, and what "
      "was done about it.</p>";
  if (allowed(ctx.user.role, Capability::RecordChecks)) {
    body += "<section><h2>Record a check</h2>" + form_open(ctx, "/checks", "stack");
    body +=
        "<label>What was tested <textarea name=\"what\" rows=\"2\" required maxlength=\"4000\">"
        "</textarea></label>";
    body +=
        "<label>Result <select name=\"result\"><option value=\"pass\">passed</option>"
        "<option value=\"partial\">partly passed</option><option value=\"fail\">failed</option>"
        "</select></label>";
    body +=
        "<label>What was done about it <textarea name=\"action\" rows=\"2\" maxlength=\"4000\">"
        "</textarea></label><button type=\"submit\">Record</button></form></section>";
  }
  if (rows->empty()) {
    body += "<p>No checks recorded" + std::string(before > 0 ? " before this point." : " yet.") +
            "</p>";
  } else {
    body +=
        "<div class=\"table-wrap\"><table><thead><tr><th>When</th><th>Who</th>"
        "<th>What was tested</th><th>Result</th><th>Action</th></tr></thead><tbody>";
    for (const store::CheckRow& c : *rows) {
      body += "<tr><td>" + escape(format_time(c.ts_us)) + "</td><td>" + escape(c.actor) +
              "</td><td>" + escape(c.entry.what) + "</td><td class=\"result-" +
              html::attr(c.entry.result) + "\">" + escape(result_words(c.entry.result)) +
              "</td><td>" + escape(c.entry.action) + "</td></tr>";
    }
    body += "</tbody></table></div>";
  }
  body += older_link("/checks", rows->size(), last);
  return page(ctx, "Checks log", std::move(body), "checks", flash, status);
}

Response add_check(const Request& req, PageContext& ctx) {
  store::CheckEntry e;
  e.what = std::string(trim(field(req, "what")));
  e.result = field(req, "result");
  e.action = std::string(trim(field(req, "action")));
  std::optional<std::string> problem =
      text_problem(e.what, "What was tested", kMaxCheckText, true, true);
  if (!problem) problem = text_problem(e.action, "What was done", kMaxCheckText, false, true);
  if (!problem && e.result != "pass" && e.result != "fail" && e.result != "partial") {
    problem = "Choose the result: passed, partly passed or failed";
  }
  if (problem) {
    if (req.api) return error_response(req, 400, *problem);
    return checks_page(req, ctx, *problem + ". The check was not recorded.", 400);
  }
  auto id = ctx.casework.record_check(ctx.user.name, e);
  if (!id) return store_failure(req, id.error());
  if (req.api) {
    inspect::JsonObject o;
    o.boolean("ok", true).num("id", *id);
    return json_response(o.text());
  }
  return checks_page(req, ctx, "The check was recorded.");
}

// ---------------------------------------------------------------- audit

// What an auditor may read of an audit row. Directors and governors see
// who did what and when, never which learner: the object id of a person or
// a device is hidden, and so is the detail of every action whose detail is
// not known to be free of learner detail (a dismissal's reason, a filter
// naming a person, a device attribution, whatever a later part writes).
struct Shown {
  std::string object;  // "incident 12", "person (hidden)"
  std::string detail;
  bool object_hidden = false;
  bool detail_hidden = false;
};

bool detail_without_learners(std::string_view action) {
  for (std::string_view prefix : {"user.", "setting.", "decision.", "check.", "rules.", "store."}) {
    if (action.starts_with(prefix)) return true;
  }
  return action == "people.import" || action == "people.view";
}

Shown redact_for(store::Role role, const store::AuditRow& row) {
  Shown s;
  s.object = row.object_type;
  s.detail = row.detail;
  const bool auditor = role == store::Role::Auditor;
  if (auditor && (row.object_type == "person" || row.object_type == "device")) {
    s.object_hidden = row.object_id != 0;
  }
  if (row.object_id != 0)
    s.object += s.object_hidden ? " (hidden)" : " " + std::to_string(row.object_id);
  if (auditor && !row.detail.empty() && !detail_without_learners(row.action)) {
    s.detail_hidden = true;
    s.detail = "(hidden: may identify a learner)";
  }
  return s;
}

Response audit_page(const Request& req, PageContext& ctx) {
  const std::int64_t before = before_of(req);
  auto rows = ctx.casework.reader().audit_rows_before(before, kPageSize);
  if (!rows) return store_failure(req, rows.error());
  const std::int64_t last = rows->empty() ? 0 : rows->back().id;
  const store::Role role = ctx.user.role;
  if (req.api) {
    std::vector<inspect::JsonObject> items;
    for (const store::AuditRow& r : *rows) {
      const Shown s = redact_for(role, r);
      inspect::JsonObject o;
      o.num("id", r.id)
          .str("time", iso_time(r.ts_us))
          .str("actor", r.actor)
          .str("action", r.action)
          .str("object_type", r.object_type);
      if (!s.object_hidden) o.num("object_id", r.object_id);
      o.boolean("object_hidden", s.object_hidden)
          .str("detail", s.detail_hidden ? std::string() : r.detail)
          .boolean("detail_hidden", s.detail_hidden)
          .str("prev_hash", r.prev_hash)
          .str("hash", r.hash);
      items.push_back(std::move(o));
    }
    inspect::JsonObject o;
    o.array("rows", items);
    if (rows->size() == kPageSize) o.num("next_before", last);
    return json_response(o.text());
  }
  std::string body =
      "<p>Who did what in the console, newest first. Each row holds the hash of the one "
      "before, so a row changed or removed afterwards breaks the chain.</p>";
  body += "<p><a href=\"/audit/verify\">Verify the chain</a></p>";
  if (role == store::Role::Auditor) {
    body +=
        "<p class=\"note\">As an auditor you see who did what and when; details that could "
        "identify a learner are hidden.</p>";
  }
  if (rows->empty()) {
    body += "<p>No rows" + std::string(before > 0 ? " before this point." : " yet.") + "</p>";
  } else {
    body +=
        "<div class=\"table-wrap\"><table><thead><tr><th>#</th><th>When</th><th>Who</th>"
        "<th>Action</th><th>Object</th><th>Detail</th></tr></thead><tbody>";
    for (const store::AuditRow& r : *rows) {
      const Shown s = redact_for(role, r);
      body += "<tr><td>" + std::to_string(r.id) + "</td><td>" + escape(format_time(r.ts_us)) +
              "</td><td>" + escape(r.actor) + "</td><td>" + escape(r.action) + "</td><td>" +
              escape(s.object) + "</td><td" + (s.detail_hidden ? " class=\"hidden\"" : "") + ">" +
              escape(s.detail) + "</td></tr>";
    }
    body += "</tbody></table></div>";
  }
  body += older_link("/audit", rows->size(), last);
  return page(ctx, "Audit log", std::move(body), "audit");
}

Response verify_page(const Request& req, PageContext& ctx) {
  auto v = ctx.casework.reader().verify_audit();
  if (!v) return store_failure(req, v.error());
  if (req.api) {
    inspect::JsonObject o;
    o.boolean("ok", v->ok)
        .num("rows", v->rows)
        .str("head_hash", v->head_hash)
        .num("first_bad_id", v->first_bad_id)
        .str("problem", v->problem);
    return json_response(o.text());
  }
  std::string body;
  if (v->ok) {
    body += "<p class=\"verdict ok\">The audit chain is intact: " + std::to_string(v->rows) +
            " rows verified.</p>";
    body += "<p>Head hash <code>" + escape(v->head_hash) +
            "</code>. Write it down with the date: if an older row is changed later, the chain "
            "will no longer end in this hash.</p>";
  } else {
    body += "<p class=\"verdict broken\">The audit chain is broken at row " +
            std::to_string(v->first_bad_id) + ": " + escape(v->problem) + ".</p>";
    body += "<p>" + std::to_string(v->rows) +
            " rows before it verify; the last good row's hash is <code>" + escape(v->head_hash) +
            "</code>. Someone changed or removed rows outside the console: keep a backup of "
            "the store as it is and tell the DSL and the directors.</p>";
  }
  body += "<p><a href=\"/audit\">Back to the audit log</a></p>";
  return page(ctx, "Audit chain", std::move(body), "audit");
}

}  // namespace

std::vector<Route> log_routes(const std::shared_ptr<Shared>& shared) {
  (void)shared;
  auto decisions = [](const Request& r, PageContext& c) { return decisions_page(r, c); };
  auto checks = [](const Request& r, PageContext& c) { return checks_page(r, c); };
  auto check_add = [](const Request& r, PageContext& c) { return add_check(r, c); };
  auto audit = [](const Request& r, PageContext& c) { return audit_page(r, c); };
  auto verify = [](const Request& r, PageContext& c) { return verify_page(r, c); };
  using C = Capability;
  return {
      {Method::Get, "/decisions", C::ViewDecisionLog, decisions},
      {Method::Get, "/api/decisions", C::ViewDecisionLog, decisions},
      {Method::Get, "/checks", C::ViewChecks, checks},
      {Method::Get, "/api/checks", C::ViewChecks, checks},
      {Method::Post, "/checks", C::RecordChecks, check_add},
      {Method::Post, "/api/checks", C::RecordChecks, check_add},
      {Method::Get, "/audit", C::ViewAuditLog, audit},
      {Method::Get, "/api/audit", C::ViewAuditLog, audit},
      {Method::Get, "/audit/verify", C::ViewAuditLog, verify},
      {Method::Get, "/api/audit/verify", C::ViewAuditLog, verify},
  };
}

}  // namespace vigil::console::pages::admin
