// Fuzz target for the URL list parser: the input is a whole list. Every
// accepted entry has a host and a path prefix beginning with '/'.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/lists/list_formats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::rules;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const UrlList l = parse_url_list(text, "fuzz");
  if (l.entries.size() != l.diag.accepted) __builtin_trap();
  for (const auto& e : l.entries) {
    if (e.host.empty() || e.path_prefix.empty() || e.path_prefix.front() != '/') __builtin_trap();
  }
  return 0;
}
