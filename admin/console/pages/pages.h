#pragma once
// Every page and JSON endpoint of the console, as routes for the server.
// Safeguarding pages (dashboard, incidents, concerns, referral, the staff
// form) are in safeguarding_*.cc; the IT specialist's and the auditors'
// pages (lists and rules, people and devices, users, settings, decision,
// checks and audit logs) in admin_*.cc.

#include <functional>
#include <string>
#include <vector>

#include "admin/console/route.h"
#include "store/types.h"

namespace vigil::config {
class Config;
}

namespace vigil::console::pages {

struct PagesOptions {
  std::string store_path;      // store.path
  std::string rules_dir;       // rules.dir: the tree the lists pages read and edit
  std::string control_socket;  // control.socket: vigild's, for reload and status
  std::string public_url;      // console.public_url, may be empty
  std::string reports_dir;     // reports.dir: the monthly reports, one folder per month
  // The configuration the console runs with, for the report's coverage
  // statement; it outlives the routes (main's). Null: the report describes
  // the defaults and says so.
  const config::Config* config = nullptr;
  std::string config_source;             // the configuration file's path, for the report
  std::function<store::TimeUs()> clock;  // wall clock in microseconds; system clock when empty
};

// All routes: safeguarding_routes(), admin_routes(), annual_review_routes(),
// then report_routes().
std::vector<Route> make_routes(const PagesOptions& options);

std::vector<Route> safeguarding_routes(const PagesOptions& options);
std::vector<Route> admin_routes(const PagesOptions& options);
// The monthly reports (reports_pages.cc): list, generate, view, download.
std::vector<Route> report_routes(const PagesOptions& options);
// The annual filtering and monitoring review (annual_review.cc); before report_routes().
std::vector<Route> annual_review_routes(const PagesOptions& options);

}  // namespace vigil::console::pages
