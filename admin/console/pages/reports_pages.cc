// The monthly reports in the console: which months have data, which reports
// are in reports.dir, a form to generate one now, the report itself and its
// CSV and JSON files. The report is admin/report's, written where
// `vigilctl report monthly` writes it: reports.dir/YYYY-MM for the aggregate
// report, reports.dir/YYYY-MM/named for the DSL's named one.
//
// Paths: the month is exactly YYYY-MM (report::parse_month, then written
// back by month_text) and a file is a name from the report's own table ids
// (fixed when the routes are built); nothing from the request ever becomes a
// path. Auditors and admins get the aggregate report only; the named one
// needs ViewNamedReports, and generating, viewing or downloading it is
// audited before anything is read. Every download is audited as
// `report.export`.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <system_error>

#include "admin/console/html.h"
#include "admin/console/pages/admin_common.h"
#include "admin/console/pages/pages.h"
#include "admin/report/output.h"
#include "admin/report/report.h"
#include "store/casework.h"
#include "store/report_queries.h"

namespace vigil::console::pages {
namespace {

namespace fs = std::filesystem;

constexpr int kMonthsListed = 12;  // months with data shown: this one and the eleven before
constexpr std::string_view kNamedFolder = "named";

struct ReportShared {
  explicit ReportShared(PagesOptions o) : options(std::move(o)) {
    // The files a report folder may hold, from the report's own tables.
    report::MonthlyReport model;
    model.audience = report::Audience::Named;
    model.lists.emplace();  // the lists table is there when a configuration is
    for (const report::Table& t : report::report_tables(model)) {
      (t.names_people ? named_only : aggregate).insert(t.id + ".csv");
    }
    aggregate.insert("report.json");
  }
  PagesOptions options;
  std::set<std::string, std::less<>> aggregate;   // in every report
  std::set<std::string, std::less<>> named_only;  // in the named report only
  // One generation at a time: two would write the same .partial files.
  std::mutex generate_mu;

  [[nodiscard]] store::TimeUs now() const {
    if (options.clock) return options.clock();
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  [[nodiscard]] fs::path folder(report::Month m, report::Audience a) const {
    fs::path p = fs::path(options.reports_dir) / report::month_text(m);
    if (a == report::Audience::Named) p /= kNamedFolder;
    return p;
  }
  [[nodiscard]] bool allowed_file(std::string_view name, report::Audience a) const {
    if (aggregate.contains(name)) return true;
    return a == report::Audience::Named && named_only.contains(name);
  }
};

using SharedPtr = std::shared_ptr<ReportShared>;

// The month of a request: exactly YYYY-MM, written back the same.
std::optional<report::Month> request_month(const Request& req) {
  const std::string text = admin::field(req, "month");
  const auto m = report::parse_month(text);
  if (!m || report::month_text(*m) != text) return std::nullopt;
  return m;
}

bool can_see_named(const PageContext& ctx) {
  return allowed(ctx.user.role, Capability::ViewNamedReports);
}

bool exists_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

std::optional<std::string> slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return s.str();
}

// Refused when the row cannot be written: the read happens only once it is
// on the audit log.
std::optional<Response> audit_or_refuse(const Request& req, PageContext& ctx,
                                        std::string_view action, const std::string& detail) {
  auto a = ctx.casework.audit(ctx.user.name, action, "report", 0, detail);
  if (!a) return admin::store_failure(req, a.error());
  return std::nullopt;
}

std::string month_link(report::Month m, report::Audience a) {
  std::string href = "/reports/" + report::month_text(m);
  if (a == report::Audience::Named) href += "/named";
  return href;
}

// ------------------------------------------------------------------ /reports

Response list_page(const SharedPtr& s, const Request& req, PageContext& ctx,
                   std::string_view flash = {}, int status = 200) {
  const report::Month current = report::month_of(s->now());
  std::string body;
  body +=
      "<p>The monthly filtering and monitoring report: counts, categories, the lists in force, "
      "concerns and their outcomes, and what Vigil can and cannot see. The aggregate report "
      "names no one";
  body += can_see_named(ctx)
              ? "; the named report adds the people with most incidents and each concern's "
                "outcome, and every use of it is recorded in the audit log.</p>"
              : ".</p>";
  body += "<p><a href=\"/reports/annual\">The annual filtering and monitoring review</a></p>";

  // Months with hits in the store.
  std::vector<std::pair<report::Month, std::int64_t>> with_data;
  std::string store_problem;
  {
    store::ReportQueriesOptions qo;
    qo.path = s->options.store_path;
    auto q = store::ReportQueries::open(qo);
    if (!q) {
      store_problem = q.error().message;
    } else {
      report::Month m = current;
      for (int i = 0; i < kMonthsListed; ++i, m = report::previous_month(m)) {
        auto t = (*q)->trend_counts(report::month_range(m), report::prevent_categories());
        if (!t) {
          store_problem = t.error().message;
          break;
        }
        if (t->hits.hits > 0) with_data.emplace_back(m, t->hits.hits);
      }
    }
  }

  // Reports already in reports.dir, newest first.
  std::map<std::string, std::pair<bool, bool>, std::greater<>> generated;  // aggregate, named
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(s->options.reports_dir, ec)) {
    const std::string name = e.path().filename().string();
    const auto m = report::parse_month(name);
    if (!m || report::month_text(*m) != name) continue;
    const bool agg = exists_file(s->folder(*m, report::Audience::Aggregate) / "report.html");
    const bool named = exists_file(s->folder(*m, report::Audience::Named) / "report.html");
    if (agg || named) generated[name] = {agg, named};
  }

  body += "<h2>Generate a report</h2>";
  body += admin::form_open(ctx, "/reports", "stack");
  // A text field with the recent months offered: any month since 2000 can
  // be typed, the recent ones picked.
  body +=
      "<label for=\"month\">Month (UTC, YYYY-MM)</label><input id=\"month\" name=\"month\" "
      "required maxlength=\"7\" pattern=\"[0-9]{4}-[0-9]{2}\" list=\"recent-months\" "
      "value=\"" +
      html::attr(report::month_text(report::previous_month(current))) +
      "\"><datalist id=\"recent-months\">";
  {
    report::Month m = current;
    for (int i = 0; i < kMonthsListed; ++i, m = report::previous_month(m)) {
      body += "<option value=\"" + html::attr(report::month_text(m)) + "\">";
    }
  }
  body += "</datalist>";
  if (can_see_named(ctx)) {
    body +=
        "<label for=\"audience\">For</label><select id=\"audience\" name=\"audience\">"
        "<option value=\"aggregate\" selected>Directors and governors (names no one)</option>"
        "<option value=\"named\">The DSL (names people; audited)</option></select>";
  }
  body += "<button type=\"submit\">Generate now</button></form>";
  body +=
      "<p class=\"hint\">Generating a month again replaces its report. The report for the month "
      "just ended is also made on the 1st of each month.</p>";

  body += "<h2>Months with data</h2>";
  if (!store_problem.empty()) {
    body += "<p>The incident store could not be read: " + html::escape(store_problem) + "</p>";
  } else if (with_data.empty()) {
    body += "<p>Nothing was recorded in the last " + std::to_string(kMonthsListed) + " months.</p>";
  } else {
    body += "<table><thead><tr><th>Month</th><th>Hits</th></tr></thead><tbody>";
    for (const auto& [m, hits] : with_data) {
      body += "<tr><td>" + html::escape(report::month_text(m)) + "</td><td>" +
              std::to_string(hits) + "</td></tr>";
    }
    body += "</tbody></table>";
  }

  body += "<h2>Generated reports</h2>";
  if (generated.empty()) {
    body += "<p>No report has been generated yet.</p>";
  } else {
    body += "<table><thead><tr><th>Month</th><th>Report</th><th>Files</th></tr></thead><tbody>";
    for (const auto& [name, which] : generated) {
      const report::Month m = *report::parse_month(name);
      std::string links;
      std::string files;
      if (which.first) {
        links += "<a href=\"" + html::attr(month_link(m, report::Audience::Aggregate)) +
                 "\">Aggregate</a>";
        files += "<a href=\"/reports/" + html::attr(name) +
                 "/report.json\">JSON</a> <a href=\"/reports/" + html::attr(name) +
                 "/summary.csv\">summary CSV</a>";
      }
      if (which.second && can_see_named(ctx)) {
        if (!links.empty()) links += ' ';
        links += "<a href=\"" + html::attr(month_link(m, report::Audience::Named)) + "\">Named</a>";
        if (!files.empty()) files += ' ';
        files += "<a href=\"/reports/" + html::attr(name) + "/named/report.json\">named JSON</a>";
      }
      if (links.empty()) continue;
      body += "<tr><td>" + html::escape(name) + "</td><td>" + links + "</td><td>" + files +
              "</td></tr>";
    }
    body += "</tbody></table>";
  }
  (void)req;
  return admin::page(ctx, "Reports", std::move(body), "reports", flash, status);
}

// Removes the report files a folder holds (as `vigilctl report monthly
// --force` does), so no table of an earlier report survives a new one.
std::string clear_report_files(const fs::path& dir) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const bool report_file = name == "report.html" || name == "report.json" ||
                             e.path().extension() == ".csv" || e.path().extension() == ".partial";
    if (report_file && e.is_regular_file(ec) && !fs::remove(e.path(), ec)) {
      return e.path().string() + ": " + ec.message();
    }
  }
  return ec ? dir.string() + ": " + ec.message() : std::string{};
}

std::string make_folder(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return dir.string() + ": " + ec.message();
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec,
                  fs::perm_options::replace, ec);
  return ec ? dir.string() + ": " + ec.message() : std::string{};
}

Response generate(const SharedPtr& s, const Request& req, PageContext& ctx) {
  const auto month = request_month(req);
  if (!month) return list_page(s, req, ctx, "Choose a month as YYYY-MM.", 400);
  const store::TimeUs now = s->now();
  const report::Month current = report::month_of(now);
  if (report::month_range(*month).from_us > report::month_range(current).from_us) {
    return list_page(s, req, ctx, "That month has not started yet.", 400);
  }
  std::string audience_text = admin::field(req, "audience");
  if (audience_text.empty()) audience_text = "aggregate";
  const auto audience = report::parse_audience(audience_text);
  if (!audience) return list_page(s, req, ctx, "Choose who the report is for.", 400);
  if (*audience == report::Audience::Named && !can_see_named(ctx)) {
    return error_response(req, 403,
                          "Your role (" + std::string(store::role_name(ctx.user.role)) +
                              ") may generate the aggregate report only.");
  }
  if (s->options.reports_dir.empty()) {
    return list_page(s, req, ctx, "reports.dir is not set in the configuration.", 500);
  }
  const fs::path dir = s->folder(*month, *audience);

  std::lock_guard lock(s->generate_mu);
  if (*audience == report::Audience::Named) {
    // Names are read only once the reading is on the audit log.
    if (auto refused = audit_or_refuse(
            req, ctx, "report.named",
            "monthly " + report::month_text(*month) + " generated in the console")) {
      return *refused;
    }
  }
  store::ReportQueriesOptions qo;
  qo.path = s->options.store_path;
  auto queries = store::ReportQueries::open(qo);
  if (!queries) return admin::store_failure(req, queries.error());

  report::ReportOptions ro;
  ro.audience = *audience;
  ro.generated_us = now;
  if (s->options.config != nullptr) {
    ro.config = s->options.config;
    ro.config_source = s->options.config_source;
  }
  auto model = report::build_monthly(**queries, *month, ro);
  if (!model) return admin::store_failure(req, model.error());

  if (std::string e = make_folder(dir); !e.empty()) return list_page(s, req, ctx, e, 500);
  if (std::string e = clear_report_files(dir); !e.empty()) return list_page(s, req, ctx, e, 500);
  for (auto write : {&report::write_html, &report::write_csv, &report::write_json}) {
    const report::Written w = write(*model, dir.string());
    if (!w) return list_page(s, req, ctx, "The report could not be written: " + w.error, 500);
  }
  return redirect(month_link(*month, *audience));
}

// ------------------------------------------------------------------ the report

// The report page as its own document. The console's CSP would strip its
// inline <style>, so the server sends the report's own policy instead
// (inline style, no script, sandboxed: Response::Policy::SelfContainedReport).
Response view(const SharedPtr& s, const Request& req, PageContext& ctx, report::Audience a) {
  const auto month = request_month(req);
  if (!month) return error_response(req, 404, "There is no such report.");
  if (a == report::Audience::Named) {
    if (!can_see_named(ctx)) return error_response(req, 403, "The named report is for the DSL.");
    if (!exists_file(s->folder(*month, a) / "report.html")) {
      return error_response(req, 404, "There is no such report.");
    }
    if (auto refused = audit_or_refuse(req, ctx, "report.read_named",
                                       report::month_text(*month) + " named report.html viewed")) {
      return *refused;
    }
  }
  auto text = slurp(s->folder(*month, a) / "report.html");
  if (!text) return error_response(req, 404, "There is no such report.");
  Response r;
  r.body = std::move(*text);
  r.policy = Response::Policy::SelfContainedReport;
  return r;
}

Response download(const SharedPtr& s, const Request& req, PageContext& ctx, report::Audience a) {
  const auto month = request_month(req);
  const std::string file = admin::field(req, "file");
  if (!month || !s->allowed_file(file, a))
    return error_response(req, 404, "There is no such file.");
  if (a == report::Audience::Named && !can_see_named(ctx)) {
    return error_response(req, 403, "The named report is for the DSL.");
  }
  const fs::path path = s->folder(*month, a) / file;
  if (!exists_file(path)) return error_response(req, 404, "There is no such file.");
  const std::string month_name = report::month_text(*month);
  if (auto refused =
          audit_or_refuse(req, ctx, "report.export",
                          month_name + " " + std::string(report::audience_name(a)) + " " + file)) {
    return *refused;
  }
  auto text = slurp(path);
  if (!text) return error_response(req, 404, "There is no such file.");
  Response r;
  r.body = std::move(*text);
  r.content_type =
      file.ends_with(".json") ? "application/json; charset=utf-8" : "text/csv; charset=utf-8";
  std::string download_name = "vigil-report-" + month_name + "-";
  if (a == report::Audience::Named) download_name += "named-";
  download_name += file;
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + download_name + "\"");
  return r;
}

}  // namespace

std::vector<Route> report_routes(const PagesOptions& options) {
  auto s = std::make_shared<ReportShared>(options);
  using report::Audience;
  // "/reports/{month}/named" comes before "/reports/{month}/{file}": the
  // first matching route wins.
  return {
      {Method::Get, "/reports", Capability::ViewReports,
       [s](const Request& r, PageContext& c) { return list_page(s, r, c); }},
      {Method::Post, "/reports", Capability::ViewReports,
       [s](const Request& r, PageContext& c) { return generate(s, r, c); }},
      {Method::Get, "/reports/{month}", Capability::ViewReports,
       [s](const Request& r, PageContext& c) { return view(s, r, c, Audience::Aggregate); }},
      {Method::Get, "/reports/{month}/named", Capability::ViewNamedReports,
       [s](const Request& r, PageContext& c) { return view(s, r, c, Audience::Named); }},
      {Method::Get, "/reports/{month}/named/{file}", Capability::ViewNamedReports,
       [s](const Request& r, PageContext& c) { return download(s, r, c, Audience::Named); }},
      {Method::Get, "/reports/{month}/{file}", Capability::ViewReports,
       [s](const Request& r, PageContext& c) { return download(s, r, c, Audience::Aggregate); }},
  };
}

}  // namespace vigil::console::pages
