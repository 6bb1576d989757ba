#include "daemon/identity/text_util.h"

#include <arpa/inet.h>

#include <cstring>

namespace vigil::identity::detail {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (n > s.size() - i) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool is_control_at(std::string_view s, std::size_t i, std::size_t n) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (n == 1) return b0 < 0x20 || b0 == 0x7F;
  // U+0080..U+009F encode as C2 80..C2 9F.
  return n == 2 && b0 == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
}

}  // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

void reject(ParseDiagnostics& diag, std::uint32_t line, std::string_view reason) {
  ++diag.invalid;
  if (diag.first_invalid.size() < ParseDiagnostics::kMaxReported) {
    std::string msg = diag.path;
    msg += ':';
    msg += std::to_string(line);
    msg += ": ";
    msg += reason;
    diag.first_invalid.push_back(std::move(msg));
  }
}

bool is_valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool has_control(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_sequence(s, i);
    if (n == 0) n = 1;
    if (is_control_at(s, i, n)) return true;
    i += n;
  }
  return false;
}

bool sanitise_text(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  bool replaced = false;
  for (std::size_t i = 0; i < in.size();) {
    const std::size_t n = utf8_sequence(in, i);
    if (n == 0 || is_control_at(in, i, n)) {
      out += kReplacement;
      replaced = true;
      i += n == 0 ? 1 : n;
      continue;
    }
    out.append(in.substr(i, n));
    i += n;
  }
  return replaced;
}

void cut_utf8(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
}

std::optional<std::uint64_t> parse_u64(std::string_view s) noexcept {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<IpAddress> parse_ip(std::string_view s) noexcept {
  char buf[64];
  if (s.empty() || s.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  std::uint8_t bytes[16];
  if (s.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, bytes) != 1) return std::nullopt;
    return IpAddress::from_v4(bytes);
  }
  if (inet_pton(AF_INET6, buf, bytes) != 1) return std::nullopt;
  return IpAddress::from_v6(bytes);
}

bool parse_colon_hex(std::string_view s, std::size_t max, std::vector<std::uint8_t>& out) {
  out.clear();
  if (s.empty()) return false;
  while (true) {
    const std::size_t colon = s.find(':');
    const std::string_view part = s.substr(0, colon);
    if (part.empty() || part.size() > 2 || out.size() >= max) return false;
    int v = 0;
    for (const char c : part) {
      const int h = hex_value(c);
      if (h < 0) return false;
      v = v * 16 + h;
    }
    out.push_back(static_cast<std::uint8_t>(v));
    if (colon == std::string_view::npos) return true;
    s.remove_prefix(colon + 1);
  }
}

std::string format_colon_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) out += ':';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  return out;
}

std::optional<MacAddress> mac_from_duid(std::span<const std::uint8_t> duid) noexcept {
  if (duid.size() < 4) return std::nullopt;
  const unsigned type = (unsigned{duid[0]} << 8) | duid[1];
  const unsigned hw = (unsigned{duid[2]} << 8) | duid[3];
  if (hw != 1) return std::nullopt;
  std::size_t at = 0;
  if (type == 1) {
    at = 8;  // type, hardware type, time
  } else if (type == 3) {
    at = 4;  // type, hardware type
  } else {
    return std::nullopt;
  }
  if (duid.size() != at + 6) return std::nullopt;
  MacAddress mac;
  for (std::size_t i = 0; i < 6; ++i) mac.bytes[i] = duid[at + i];
  if (!mac.is_device_address()) return std::nullopt;
  return mac;
}

}  // namespace vigil::identity::detail
