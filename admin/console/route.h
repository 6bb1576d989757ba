#pragma once
// A page or API endpoint: method, path pattern, the capability it needs, and
// the handler. The server matches the request, checks the session, the CSRF
// token (every POST) and the capability before the handler runs; a handler
// still checks per-object rules (a reporter sees only the concerns they
// raised).

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "admin/console/http.h"
#include "admin/console/roles.h"

namespace vigil::store {
class Casework;
}

namespace vigil::console {

// What a handler may use for one request. `casework` belongs to the thread
// serving the request for the request's duration; it is never shared.
struct PageContext {
  store::Casework& casework;
  const Principal& user;
};

using Handler = std::function<Response(const Request&, PageContext&)>;

struct Route {
  Method method = Method::Get;
  std::string_view pattern;  // "/incidents/{id}": literal segments and {name} captures
  Capability need = Capability::ViewDashboard;
  Handler handler;
};

// Matches `path` against `pattern` segment by segment; a {name} segment
// matches one non-empty segment and is returned as a parameter. A trailing
// slash is not ignored ("/a/" does not match "/a").
std::optional<Fields> match_pattern(std::string_view pattern, std::string_view path);

// The first route whose method and pattern match; nullptr when none does.
// `path_exists` is set when some route has the path with another method
// (the server answers 405 instead of 404).
const Route* find_route(const std::vector<Route>& routes, Method method, std::string_view path,
                        Fields& params, bool& path_exists);

}  // namespace vigil::console
