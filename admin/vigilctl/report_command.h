#pragma once
// `vigilctl report monthly (--db FILE | --config FILE [--set k=v]...)
// --month YYYY-MM|last [--out DIR] [--audience aggregate|named] [--force]`:
// the monthly filtering report (admin/report) as DIR/report.html, one CSV
// per table and DIR/report.json; prints the paths written.
//
// The store is --db, else store.path of the configuration. The coverage
// statement and the list table come from the configuration (--config and
// --set; without either it describes the defaults and says so). DIR is
// --out, else reports.dir/YYYY-MM from the configuration. DIR is created;
// a DIR that holds anything is refused unless --force, which first removes
// the report files (report.html, report.json, *.csv) already there, so no
// table of an earlier named report survives next to an aggregate one.
// A named report (dsl and deputy_dsl only: the operator's file access is
// the check here) first appends a `report.named` audit row naming the
// operating-system user; if that row cannot be written, no report is made.
//
// With --notify (needs --config) and reports.monthly_recipients set, a
// short email with a link to the report in the console (console.public_url
// + /reports/YYYY-MM) goes to those addresses once the files are written;
// never an attachment or a figure. Empty recipients: no email, exit 0.
//
// Exit status: 0 on success; 1 with one error line when the store is
// missing or unreadable, a file cannot be written or the notice cannot be
// sent (the report is written then); 2 for a bad command
// line, month, configuration or DIR.

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "daemon/config/cli_options.h"

namespace vigil::admin {

struct ReportOptions {
  std::string db;
  config::CliOptions config;
  std::string month;  // YYYY-MM, or "last": the month before the current one (UTC)
  std::string out;
  std::string audience = "aggregate";
  bool force = false;
  bool notify = false;  // email reports.monthly_recipients a link (report_notice.h)
};

// Adds `report monthly` to vigilctl's command line; returns the subcommand.
CLI::App* add_report_commands(CLI::App& app, ReportOptions& options);

// Runs it if it was parsed: its exit status, or nullopt when it was not.
std::optional<int> run_report_command(const CLI::App* monthly, const ReportOptions& options);

}  // namespace vigil::admin
