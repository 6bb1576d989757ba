#pragma once
// Internal helpers shared by the identity parsers: bounded line splitting,
// rejected-line bookkeeping, UTF-8 checks, hex and address parsing. Not
// part of the public interface.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/identity/types.h"

namespace vigil::identity::detail {

inline bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n';
}

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

inline char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

std::string lower(std::string_view s);

// Counts an invalid line and keeps "path:line: reason" among the first few.
void reject(ParseDiagnostics& diag, std::uint32_t line, std::string_view reason);

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s) noexcept;

// Whether `s` holds a C0 control, DEL, or a C1 control (U+0080..U+009F).
// Assumes valid UTF-8.
bool has_control(std::string_view s) noexcept;

// Copies `in` with every invalid UTF-8 sequence and every control
// character replaced by U+FFFD; returns whether anything was replaced.
bool sanitise_text(std::string_view in, std::string& out);

// Cuts `s` to at most `max` bytes at a UTF-8 character boundary.
void cut_utf8(std::string& s, std::size_t max);

// Decimal, no sign, no overflow.
std::optional<std::uint64_t> parse_u64(std::string_view s) noexcept;

// Dotted quad or IPv6 text (no zone, no brackets).
std::optional<IpAddress> parse_ip(std::string_view s) noexcept;

// "aa:b:0c" (1 or 2 hex digits per byte, ':' between), at most `max` bytes.
bool parse_colon_hex(std::string_view s, std::size_t max, std::vector<std::uint8_t>& out);
std::string format_colon_hex(std::span<const std::uint8_t> bytes);

// The Ethernet address inside a DHCPv6 DUID-LLT (type 1) or DUID-LL
// (type 3) with hardware type 1; nullopt for any other DUID.
std::optional<MacAddress> mac_from_duid(std::span<const std::uint8_t> duid) noexcept;

// Calls fn(line_number, line) for each line of `text` (1-based; a UTF-8 BOM
// on line 1 and a trailing CR removed). A line longer than `max_line` is
// rejected in `diag` and not passed on.
template <typename Fn>
void for_each_line(std::string_view text, std::size_t max_line, ParseDiagnostics& diag, Fn&& fn) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::uint32_t number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (number < UINT32_MAX) ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line) {
      reject(diag, number, "line longer than " + std::to_string(max_line) + " bytes");
      continue;
    }
    if (!fn(number, line)) break;
  }
}

}  // namespace vigil::identity::detail
