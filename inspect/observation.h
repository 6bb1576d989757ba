#pragma once
// The values inspect/ hands to the rest of Vigil: one Observation per name
// seen (DNS question, TLS/QUIC server name, HTTP host and URL), and one
// FlowSummary per flow when it ends, carrying nDPI's classification.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/ip_address.h"

namespace vigil::inspect {

// The first six are what the wire shows (and the corpus scores). SearchTerm is
// derived by the rules engine from an HttpUrl (the decoded query a learner
// typed into a search engine); HttpText is readable text from a plain-HTTP
// body (HTML with the markup removed, decoded and decompressed).
enum class ObservationKind : std::uint8_t {
  Dns,
  DnsAnswer,
  Sni,
  QuicSni,
  HttpHost,
  HttpUrl,
  SearchTerm,
  HttpText,
};

// The corpus TSV names: dns, dns_answer, sni, quic_sni, http_host, http_url;
// then search_term and http_text.
std::string_view kind_name(ObservationKind kind) noexcept;

enum class Transport : std::uint8_t { Other = 0, Tcp = 6, Udp = 17 };

struct Observation {
  ObservationKind kind = ObservationKind::Dns;
  std::string value;
  std::uint64_t ts_us = 0;  // packet time, microseconds since the epoch
  std::uint64_t flow_id = 0;
  IpAddress client;  // innermost IP of the querying / requesting host
  IpAddress server;
  std::uint16_t client_port = 0;
  std::uint16_t server_port = 0;
  Transport transport = Transport::Other;

  // DNS
  bool dns_response = false;
  std::uint16_t dns_id = 0;
  std::vector<std::string> dns_addresses;  // A/AAAA answers for this name (responses)
  // TLS / QUIC
  std::vector<std::string> alpn;
  bool ech = false;  // ECH or ESNI offered: the visible name may be a cover name
  std::uint32_t quic_version = 0;
  // HTTP (set on both the http_host and the http_url observation of a request)
  std::string http_method;
  std::string http_host;
  std::string http_user_agent;
  // HttpText and SearchTerm: the request-target the text or term came from.
  std::string http_url;
  // SearchTerm: which engine's table entry recognised it ("google").
  std::string search_engine;
  // HttpText: the response's status code, or 0 when the text is a form the
  // client posted (something the learner typed rather than read).
  std::uint16_t http_status = 0;
};

// Circumvention and evasion signals a filtering appliance acts on later.
enum FlowFlag : std::uint32_t {
  kFlowVpn = 1u << 0,
  kFlowTor = 1u << 1,
  kFlowProxy = 1u << 2,
  kFlowEncryptedDns = 1u << 3,  // DoH / DoT / DoQ / DNSCrypt
  kFlowEch = 1u << 4,
  kFlowRemoteDesktop = 1u << 5,
};

// The names of the set FlowFlag bits, in bit order ("vpn", "tor", "proxy",
// "encrypted_dns", "ech", "remote_desktop").
std::vector<std::string_view> flow_flag_names(std::uint32_t flags);

struct FlowClassification {
  std::string app_protocol;  // nDPI "master.app" name, e.g. "TLS.YouTube"
  std::string category;      // nDPI category name
  std::vector<std::string> risks;
  std::uint32_t flags = 0;  // FlowFlag bits
  bool decided = false;     // nDPI reached a verdict (vs. gave up)
};

struct FlowSummary {
  std::uint64_t flow_id = 0;
  IpAddress client;  // the side that opened the flow (SYN sender, or first sender)
  IpAddress server;
  std::uint16_t client_port = 0;
  std::uint16_t server_port = 0;
  Transport transport = Transport::Other;
  std::uint8_t ip_proto = 0;
  std::uint64_t first_ts_us = 0;
  std::uint64_t last_ts_us = 0;
  std::uint64_t packets_to_server = 0;
  std::uint64_t packets_to_client = 0;
  std::uint64_t bytes_to_server = 0;
  std::uint64_t bytes_to_client = 0;
  std::string end_reason;  // "idle", "closed", "cap", "shutdown"
  FlowClassification classification;
};

}  // namespace vigil::inspect
