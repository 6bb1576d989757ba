// Fuzz target for the keyword and regex list parsers: the input is a whole
// list, read both ways. Every accepted keyword is valid UTF-8 without a line
// break, every regex pattern is non-empty, each line number is within the
// input, and the counters agree with the entries.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/lists/list_formats.h"

namespace {

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::rules;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint32_t lines = 1;
  for (char c : text) lines += c == '\n' ? 1 : 0;

  const KeywordList k = parse_keyword_list(text, "fuzz");
  if (k.entries.size() != k.diag.accepted) __builtin_trap();
  for (const auto& e : k.entries) {
    if (e.text.empty() || !valid_utf8(e.text)) __builtin_trap();
    if (e.text.find('\n') != std::string::npos || e.text.find('\r') != std::string::npos) {
      __builtin_trap();
    }
    if (e.line == 0 || e.line > lines) __builtin_trap();
  }
  if (k.diag.first_invalid.size() > ListDiagnostics::kMaxReportedInvalid) __builtin_trap();

  const RegexList r = parse_regex_list(text, "fuzz");
  if (r.entries.size() != r.diag.accepted) __builtin_trap();
  for (const auto& e : r.entries) {
    if (e.pattern.empty() || e.line == 0 || e.line > lines) __builtin_trap();
  }
  return 0;
}
