#pragma once
// An IPv4 or IPv6 address as a plain value. IPv4 lives in the first four bytes.

#include <array>
#include <compare>
#include <cstdint>
#include <string>

namespace vigil::inspect {

struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;

  static IpAddress from_v4(const std::uint8_t* p) noexcept {
    IpAddress a;
    for (int i = 0; i < 4; ++i) a.bytes[i] = p[i];
    return a;
  }
  static IpAddress from_v6(const std::uint8_t* p) noexcept {
    IpAddress a;
    a.v6 = true;
    for (int i = 0; i < 16; ++i) a.bytes[i] = p[i];
    return a;
  }

  // Dotted quad, or RFC 5952 compressed IPv6 (as inet_ntop and tshark print).
  [[nodiscard]] std::string to_string() const;

  auto operator<=>(const IpAddress&) const = default;
  bool operator==(const IpAddress&) const = default;
};

}  // namespace vigil::inspect
