#include "inspect/observation.h"

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

}  // namespace vigil::inspect
