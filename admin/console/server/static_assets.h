#pragma once
// The files of admin/console/static/, embedded at build time
// (embed_static.cmake writes static_assets_data.cc), served at
// /static/<name> without a session and cached for an hour.

#include <span>
#include <string_view>

namespace vigil::console {

struct StaticAsset {
  std::string_view name;  // file name, like "console.css"
  std::string_view body;  // the file's bytes
};

// Every embedded file, in name order.
std::span<const StaticAsset> static_assets() noexcept;

// The file named `name`; nullptr when there is none.
const StaticAsset* find_static_asset(std::string_view name) noexcept;

// Content-Type by extension: .css .js .svg .png .ico .woff2 .txt .json;
// application/octet-stream for anything else.
std::string_view static_content_type(std::string_view name) noexcept;

}  // namespace vigil::console
