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

namespace vigil::console::pages {

struct PagesOptions {
  std::string store_path;      // store.path
  std::string rules_dir;       // rules.dir: the tree the lists pages read and edit
  std::string control_socket;  // control.socket: vigild's, for reload and status
  std::string public_url;      // console.public_url, may be empty
  std::function<store::TimeUs()> clock;  // wall clock in microseconds; system clock when empty
};

// All routes: safeguarding_routes() followed by admin_routes().
std::vector<Route> make_routes(const PagesOptions& options);

std::vector<Route> safeguarding_routes(const PagesOptions& options);
std::vector<Route> admin_routes(const PagesOptions& options);

}  // namespace vigil::console::pages
