#include "admin/vigilctl/report_command.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "admin/report/output.h"
#include "admin/report/report.h"
#include "admin/vigilctl/report_notice.h"
#include "admin/vigilctl/text_escape.h"
#include "store/casework.h"
#include "store/report_queries.h"

namespace vigil::admin {
namespace {

namespace fs = std::filesystem;

int fail(int status, const std::string& message) {
  std::fprintf(stderr, "vigilctl report monthly: %s\n", escape_control_bytes(message).c_str());
  return status;
}

store::TimeUs now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "vigilctl (root)": the operating-system user, as the audit row's actor
// (the form `vigilctl users` writes).
std::string os_user() {
  std::string name = std::to_string(::geteuid());
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    name = pw->pw_name;
  }
  return "vigilctl (" + name + ")";
}

bool report_file(const fs::path& p) {
  const std::string name = p.filename().string();
  return name == "report.html" || name == "report.json" || p.extension() == ".csv" ||
         p.extension() == ".partial";
}

// Creates DIR (0750) or checks an existing one may be written; with
// `force`, removes the report files already in it.
std::string prepare_out_dir(const std::string& dir, bool force) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) return dir + ": exists and is not a folder";
    bool empty = true;
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
      empty = false;
      if (!force) break;
      if (e.is_regular_file(ec) && report_file(e.path())) {
        if (!fs::remove(e.path(), ec)) return e.path().string() + ": " + ec.message();
      }
    }
    if (ec) return dir + ": " + ec.message();
    if (!empty && !force) return dir + ": not empty (--force replaces the report in it)";
    return {};
  }
  if (!fs::create_directories(dir, ec) || ec) return dir + ": " + ec.message();
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec,
                  fs::perm_options::replace, ec);
  if (ec) return dir + ": " + ec.message();
  return {};
}

}  // namespace

CLI::App* add_report_commands(CLI::App& app, ReportOptions& o) {
  CLI::App* report = app.add_subcommand("report", "Reports from the incident store");
  report->require_subcommand(1);
  CLI::App* monthly = report->add_subcommand(
      "monthly", "The monthly filtering report: report.html, a CSV per table, report.json");
  monthly->add_option("--db", o.db, "The store file (default: store.path)");
  monthly->add_option("--config", o.config.path,
                      "Configuration file: the store, reports.dir and the coverage statement");
  monthly->add_option("--set", o.config.overrides, "Override a configuration key (repeatable)")
      ->type_name("SECTION.KEY=VALUE")
      ->allow_extra_args(false);
  monthly->add_option("--month", o.month, "YYYY-MM (UTC), or 'last' for the month before this one")
      ->required();
  monthly->add_option("--out", o.out, "Folder to write into (default: reports.dir/YYYY-MM)");
  monthly
      ->add_option("--audience", o.audience,
                   "aggregate (names no one; the default) or named (for the DSL and deputy "
                   "DSL: adds the sections that name people, and is audited)")
      ->check(CLI::IsMember({"aggregate", "named"}));
  monthly->add_flag("--force", o.force,
                    "Write into a folder that is not empty, replacing the report there");
  monthly->add_flag("--notify", o.notify,
                    "Then email reports.monthly_recipients a link to the report in the console "
                    "(needs --config; no attachment, no figures)");
  return monthly;
}

std::optional<int> run_report_command(const CLI::App* monthly, const ReportOptions& o) {
  if (monthly == nullptr || !monthly->parsed()) return std::nullopt;
  const store::TimeUs now = now_us();
  std::optional<report::Month> month =
      o.month == "last" ? std::optional(report::previous_month(report::month_of(now)))
                        : report::parse_month(o.month);
  if (!month)
    return fail(2, "--month: expected YYYY-MM (like 2026-03) or last, got \"" + o.month + "\"");
  const std::optional<report::Audience> audience = report::parse_audience(o.audience);
  if (!audience) return fail(2, "--audience: expected aggregate or named");
  if (o.notify && o.config.path.empty()) return fail(2, "--notify needs --config FILE");

  std::optional<config::Config> cfg;
  std::string cfg_source;
  if (!o.config.path.empty() || !o.config.overrides.empty()) {
    config::LoadResult loaded = config::load(o.config);
    if (!loaded)
      return fail(2, loaded.errors.empty() ? "bad configuration" : loaded.errors.front());
    cfg = std::move(loaded.config);
    cfg_source = o.config.path.empty() ? "defaults with --set overrides" : o.config.path;
    if (!o.config.path.empty() && !o.config.overrides.empty())
      cfg_source += " with --set overrides";
  }
  std::string db = o.db;
  if (db.empty() && !o.config.path.empty()) db = cfg->get_string("store.path");
  if (db.empty()) return fail(2, "give the store as --db FILE or --config FILE");
  std::string out = o.out;
  if (out.empty() && !o.config.path.empty()) {
    out = (fs::path(cfg->get_string("reports.dir")) / report::month_text(*month)).string();
  }
  if (out.empty()) return fail(2, "give the folder to write as --out DIR (or --config FILE)");

  std::error_code ec;
  if (!fs::exists(db, ec)) return fail(1, db + ": no such store");
  store::ReportQueriesOptions qo;
  qo.path = db;
  if (cfg) qo.busy_timeout = cfg->get_duration("store.busy_timeout");
  auto queries = store::ReportQueries::open(qo);
  if (!queries) return fail(1, queries.error().message);

  if (std::string e = prepare_out_dir(out, o.force); !e.empty()) return fail(2, e);

  if (*audience == report::Audience::Named) {
    // Names are read only once the reading is on the audit log.
    store::CaseworkOptions co;
    co.path = db;
    auto casework = store::Casework::open(co);
    if (!casework) return fail(1, "named report refused: " + casework.error().message);
    auto a = (*casework)->audit(os_user(), "report.named", "report", 0,
                                "monthly " + report::month_text(*month) + " to " + out);
    if (!a)
      return fail(1,
                  "named report refused: the audit row could not be written: " + a.error().message);
  }

  report::ReportOptions ro;
  ro.audience = *audience;
  ro.generated_us = now;
  if (cfg) {
    ro.config = &*cfg;
    ro.config_source = cfg_source;
  }
  auto model = report::build_monthly(**queries, *month, ro);
  if (!model) return fail(1, model.error().message);

  std::vector<std::string> files;
  for (auto write : {&report::write_html, &report::write_csv, &report::write_json}) {
    const report::Written w = write(*model, out);
    if (!w) return fail(1, w.error);
    files.insert(files.end(), w.files.begin(), w.files.end());
  }
  for (const std::string& f : files) std::printf("%s\n", f.c_str());
  if (model->empty()) {
    std::fprintf(stderr, "vigilctl report monthly: %s: nothing was recorded in this month\n",
                 report::month_text(*month).c_str());
  }
  if (o.notify) {
    const NoticeOutcome n = send_report_notice(*cfg, *month, *audience);
    if (n.status == NoticeOutcome::Status::Failed) return fail(1, n.detail);
    std::fprintf(stderr, "vigilctl report monthly: %s\n", escape_control_bytes(n.detail).c_str());
  }
  return 0;
}

}  // namespace vigil::admin
