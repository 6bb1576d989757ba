// The IT specialist's and the auditors' routes, in one list for the server.

#include "admin/console/pages/admin_common.h"
#include "admin/console/pages/pages.h"

namespace vigil::console::pages {

std::vector<Route> admin_routes(const PagesOptions& options) {
  auto shared = std::make_shared<admin::Shared>(options);
  std::vector<Route> routes;
  for (auto part : {admin::list_routes, admin::people_routes, admin::user_routes,
                    admin::settings_routes, admin::log_routes}) {
    for (Route& r : part(shared)) {
      if (r.method == Method::Post) r.handler = admin::with_fields(std::move(r.handler));
      routes.push_back(std::move(r));
    }
  }
  return routes;
}

}  // namespace vigil::console::pages
