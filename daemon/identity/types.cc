#include "daemon/identity/types.h"

namespace vigil::identity {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads 12 hex digits from `text`, skipping a separator at each position
// where `separator_after(i)` says one belongs (i = digits read so far).
template <typename Sep>
std::optional<MacAddress> read_digits(std::string_view text, char sep, Sep separator_after) {
  MacAddress mac;
  std::size_t digits = 0;
  std::size_t i = 0;
  while (digits < 12) {
    if (digits != 0 && separator_after(digits)) {
      if (i >= text.size() || text[i] != sep) return std::nullopt;
      ++i;
    }
    if (i >= text.size()) return std::nullopt;
    const int h = hex_value(text[i++]);
    if (h < 0) return std::nullopt;
    auto& b = mac.bytes[digits / 2];
    b = static_cast<std::uint8_t>((b << 4) | h);
    ++digits;
  }
  if (i != text.size()) return std::nullopt;
  return mac;
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) noexcept {
  switch (text.size()) {
    case 17: {
      const char sep = text[2];
      if (sep != ':' && sep != '-') return std::nullopt;
      return read_digits(text, sep, [](std::size_t d) { return d % 2 == 0; });
    }
    case 14:
      return read_digits(text, '.', [](std::size_t d) { return d % 4 == 0; });
    case 12:
      return read_digits(text, '\0', [](std::size_t) { return false; });
    default:
      return std::nullopt;
  }
}

std::string MacAddress::to_string() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(17);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) out += ':';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  return out;
}

std::string_view lease_source_name(LeaseSource s) noexcept {
  switch (s) {
    case LeaseSource::Dnsmasq:
      return "dnsmasq";
    case LeaseSource::Dhcpd:
      return "dhcpd";
  }
  return "?";
}

std::string_view neighbour_state_name(NeighbourState s) noexcept {
  switch (s) {
    case NeighbourState::Reachable:
      return "reachable";
    case NeighbourState::Stale:
      return "stale";
    case NeighbourState::Delay:
      return "delay";
    case NeighbourState::Probe:
      return "probe";
    case NeighbourState::Permanent:
      return "permanent";
  }
  return "?";
}

}  // namespace vigil::identity
