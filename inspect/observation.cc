#include "inspect/observation.h"

#include <utility>

namespace vigil::inspect {

std::string_view kind_name(ObservationKind kind) noexcept {
  switch (kind) {
    case ObservationKind::Dns:
      return "dns";
    case ObservationKind::DnsAnswer:
      return "dns_answer";
    case ObservationKind::Sni:
      return "sni";
    case ObservationKind::QuicSni:
      return "quic_sni";
    case ObservationKind::HttpHost:
      return "http_host";
    case ObservationKind::HttpUrl:
      return "http_url";
    case ObservationKind::SearchTerm:
      return "search_term";
    case ObservationKind::HttpText:
      return "http_text";
  }
  return "unknown";
}

std::vector<std::string_view> flow_flag_names(std::uint32_t flags) {
  static constexpr std::pair<std::uint32_t, std::string_view> kNames[] = {
      {kFlowVpn, "vpn"},     {kFlowTor, "tor"},
      {kFlowProxy, "proxy"}, {kFlowEncryptedDns, "encrypted_dns"},
      {kFlowEch, "ech"},     {kFlowRemoteDesktop, "remote_desktop"},
  };
  std::vector<std::string_view> out;
  for (const auto& [bit, name] : kNames) {
    if ((flags & bit) != 0) out.push_back(name);
  }
  return out;
}

}  // namespace vigil::inspect
