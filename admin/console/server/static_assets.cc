#include "admin/console/server/static_assets.h"

#include <array>
#include <utility>

namespace vigil::console {

const StaticAsset* find_static_asset(std::string_view name) noexcept {
  for (const StaticAsset& a : static_assets()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::string_view static_content_type(std::string_view name) noexcept {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kTypes{{
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (name.size() > ext.size() && name.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

}  // namespace vigil::console
