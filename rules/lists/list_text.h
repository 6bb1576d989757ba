#pragma once
// Internal helpers shared by the list parsers: line splitting (BOM, CR,
// length bound), whitespace trimming, UTF-8 validation and rejected-line
// bookkeeping. Not part of the public interface.

#include <cstdint>
#include <string>
#include <string_view>

#include "rules/lists/list_formats.h"

namespace vigil::rules::lists_internal {

inline bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (ascii_lower(s[i]) != ascii_lower(prefix[i])) return false;
  }
  return true;
}

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s);

// Records one invalid line: bumps the counter and keeps the first few.
void reject(ListDiagnostics& diag, std::uint32_t line, std::string_view text, std::string reason,
            const std::string& file = {});

// Calls fn(line_number, line) for each line of `text`: a UTF-8 BOM on line 1
// and a trailing CR are removed. Lines longer than kMaxListLineBytes are
// rejected in `diag` and not passed on.
template <typename Fn>
void for_each_line(std::string_view text, ListDiagnostics& diag, Fn&& fn,
                   const std::string& file = {}) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::uint32_t number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (number < UINT32_MAX) ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxListLineBytes) {
      reject(diag, number, line, "line longer than 65536 bytes", file);
      continue;
    }
    fn(number, line);
  }
}

}  // namespace vigil::rules::lists_internal
