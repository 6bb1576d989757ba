// safeguarding_routes(): every safeguarding page and endpoint, each area's
// routes in its own matching order.

#include <iterator>

#include "admin/console/pages/pages.h"
#include "admin/console/pages/safeguarding_util.h"

namespace vigil::console::pages {

std::vector<Route> safeguarding_routes(const PagesOptions& options) {
  std::vector<Route> routes;
  for (auto* area : {&safeguarding::dashboard_routes, &safeguarding::incident_routes,
                     &safeguarding::concern_routes, &safeguarding::referral_routes}) {
    std::vector<Route> more = (*area)(options);
    routes.insert(routes.end(), std::make_move_iterator(more.begin()),
                  std::make_move_iterator(more.end()));
  }
  return routes;
}

}  // namespace vigil::console::pages
