// Fuzz target for the e2guardian phrase list loader. The input up to the
// first 0x01 byte is the top file; the rest is the text every included file
// reads as (so includes nest, fan out and loop). The last byte picks which
// included names are unreadable, to exercise the fatal paths.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "rules/lists/list_formats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::rules;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t split = in.find('\x01');
  const std::string top(in.substr(0, split));
  const std::string included(split == std::string_view::npos ? std::string_view{}
                                                             : in.substr(split + 1));
  const unsigned missing_mask = size > 0 ? data[size - 1] : 0;
  const FileReader reader = [&](const std::string& path) -> std::optional<std::string> {
    if (path == "/fuzz/top") return top;
    if ((std::hash<std::string>{}(path)&7) < (missing_mask & 7) / 4) return std::nullopt;
    return included;
  };
  const PhraseList l = load_phrase_list("/fuzz/top", reader);
  if (l.diag.first_invalid.size() > ListDiagnostics::kMaxReportedInvalid) __builtin_trap();
  for (const auto& e : l.entries) {
    if (e.terms.empty()) __builtin_trap();
    if (e.banned && e.weight != 0) __builtin_trap();
    for (const auto& t : e.terms) {
      if (t.text.empty()) __builtin_trap();
    }
  }
  return 0;
}
