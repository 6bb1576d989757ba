#include "admin/console/pages/pages.h"

#include <iterator>

namespace vigil::console::pages {

std::vector<Route> make_routes(const PagesOptions& options) {
  std::vector<Route> routes = safeguarding_routes(options);
#ifndef VIGIL_CONSOLE_NO_ADMIN_PAGES
  std::vector<Route> admin = admin_routes(options);
  routes.insert(routes.end(), std::make_move_iterator(admin.begin()),
                std::make_move_iterator(admin.end()));
#endif
  for (Route& r : annual_review_routes(options)) routes.push_back(std::move(r));
  std::vector<Route> reports = report_routes(options);
  routes.insert(routes.end(), std::make_move_iterator(reports.begin()),
                std::make_move_iterator(reports.end()));
  return routes;
}

}  // namespace vigil::console::pages
