#include "admin/console/route.h"

namespace vigil::console {
namespace {

// The next '/'-separated segment of `s` after its leading '/'; advances `s`.
std::optional<std::string_view> next_segment(std::string_view& s) {
  if (s.empty()) return std::nullopt;
  if (s.front() != '/') return std::nullopt;
  s.remove_prefix(1);
  const std::size_t slash = s.find('/');
  const std::string_view seg = s.substr(0, slash);
  s = slash == std::string_view::npos ? std::string_view{} : s.substr(slash);
  return seg;
}

}  // namespace

std::optional<Fields> match_pattern(std::string_view pattern, std::string_view path) {
  Fields params;
  for (;;) {
    const bool pattern_done = pattern.empty();
    const bool path_done = path.empty();
    if (pattern_done || path_done) {
      if (pattern_done && path_done) return params;
      return std::nullopt;
    }
    auto want = next_segment(pattern);
    auto have = next_segment(path);
    if (!want || !have) return std::nullopt;
    if (want->size() >= 2 && want->front() == '{' && want->back() == '}') {
      if (have->empty()) return std::nullopt;
      params.emplace_back(std::string{want->substr(1, want->size() - 2)}, std::string{*have});
    } else if (*want != *have) {
      return std::nullopt;
    }
  }
}

const Route* find_route(const std::vector<Route>& routes, Method method, std::string_view path,
                        Fields& params, bool& path_exists) {
  path_exists = false;
  const Method wanted = method == Method::Head ? Method::Get : method;
  for (const Route& route : routes) {
    auto matched = match_pattern(route.pattern, path);
    if (!matched) continue;
    path_exists = true;
    if (route.method != wanted) continue;
    params = std::move(*matched);
    return &route;
  }
  return nullptr;
}

}  // namespace vigil::console
