#pragma once
// Named drop and event counters for the inspection path. Malformed input is
// counted here, never logged per packet. One Counters per worker; the owner
// adds them up for `vigilctl extract --stats` and metrics.

#include <array>
#include <cstdint>
#include <string_view>

namespace vigil::inspect {

#define VIGIL_INSPECT_COUNTERS(X)                        \
  X(PacketsTotal, "capture.packets")                     \
  X(BytesTotal, "capture.bytes")                         \
  X(UnsupportedLinktype, "decode.unsupported_linktype")  \
  X(TruncatedL2, "decode.truncated_l2")                  \
  X(TruncatedVlan, "decode.truncated_vlan")              \
  X(TruncatedPppoe, "decode.truncated_pppoe")            \
  X(TruncatedMpls, "decode.truncated_mpls")              \
  X(TruncatedIpv4, "decode.truncated_ipv4")              \
  X(BadIpv4Header, "decode.bad_ipv4_header")             \
  X(TruncatedIpv6, "decode.truncated_ipv6")              \
  X(BadIpv6ExtHeader, "decode.bad_ipv6_ext_header")      \
  X(BadIpv6Header, "decode.bad_ipv6_header")             \
  X(TruncatedUdp, "decode.truncated_udp")                \
  X(BadUdpHeader, "decode.bad_udp_header")               \
  X(TruncatedTcp, "decode.truncated_tcp")                \
  X(BadTcpHeader, "decode.bad_tcp_header")               \
  X(TruncatedTunnel, "decode.truncated_tunnel")          \
  X(TunnelDepthExceeded, "decode.tunnel_depth_exceeded") \
  X(NonIp, "decode.non_ip")                              \
  X(OtherL4, "decode.other_l4")                          \
  X(TruncatedCapture, "decode.truncated_capture")        \
  X(UdpTunnelNotIp, "decode.udp_tunnel_not_ip")          \
  X(Ipv4Fragments, "defrag.ipv4_fragments")              \
  X(Ipv6Fragments, "defrag.ipv6_fragments")              \
  X(Reassembled, "defrag.reassembled")                   \
  X(FragmentOverlap, "defrag.overlap")                   \
  X(FragmentTooBig, "defrag.too_big")                    \
  X(FragmentTimeout, "defrag.timeout")                   \
  X(FragmentTableFull, "defrag.table_full")              \
  X(FragmentInvalid, "defrag.invalid")                   \
  X(AtomicFragments, "defrag.ipv6_atomic")               \
  X(FlowsCreated, "flow.created")                        \
  X(FlowsEvictedIdle, "flow.evicted_idle")               \
  X(FlowsEvictedClosed, "flow.evicted_closed")           \
  X(FlowsEvictedCap, "flow.evicted_cap")                 \
  X(FlowByteCapReached, "flow.inspect_cap_reached")      \
  X(TcpOutOfWindow, "tcp.out_of_window")                 \
  X(TcpGap, "tcp.gap")                                   \
  X(TcpRetransmission, "tcp.retransmission")             \
  X(TcpOutOfOrder, "tcp.out_of_order")                   \
  X(TcpHeldBudgetExceeded, "tcp.held_budget_exceeded")   \
  X(DnsMessages, "dns.messages")                         \
  X(DnsMalformed, "dns.malformed")                       \
  X(TlsClientHellos, "tls.client_hellos")                \
  X(TlsMalformed, "tls.malformed")                       \
  X(QuicClientHellos, "quic.client_hellos")              \
  X(QuicDecryptFailed, "quic.decrypt_failed")            \
  X(QuicUnknownVersion, "quic.unknown_version")          \
  X(QuicMalformed, "quic.malformed")                     \
  X(GquicChlos, "quic.gquic_chlos")                      \
  X(HttpRequests, "http.requests")                       \
  X(HttpMalformed, "http.malformed")                     \
  X(HttpResponses, "http.responses")                     \
  X(HttpResponsesMalformed, "http.responses_malformed")  \
  X(HttpTextBodies, "http.text_bodies")                  \
  X(HttpBodiesSkipped, "http.bodies_skipped")            \
  X(HttpFormPosts, "http.form_posts")                    \
  X(HttpTextBytes, "http.text_bytes")                    \
  X(HttpTextCapped, "http.text_capped")                  \
  X(HttpTextCut, "http.text_cut")                        \
  X(HttpTextMemoryFlushes, "http.text_memory_flushes")   \
  X(HttpCodingUnsupported, "http.unsupported_encoding")  \
  X(HttpDecodeErrors, "http.decode_errors")              \
  X(HttpDecodeCapped, "http.decode_capped")              \
  X(HttpDecodeBombs, "http.decode_bombs")                \
  X(HttpDecodeNoMemory, "http.decode_no_memory")         \
  X(NdpiFlowsClassified, "ndpi.classified")              \
  X(NdpiFlowsGaveUp, "ndpi.gave_up")                     \
  X(Observations, "extract.observations")

enum class Counter : std::uint16_t {
#define VIGIL_COUNTER_ENUM(id, name) id,
  VIGIL_INSPECT_COUNTERS(VIGIL_COUNTER_ENUM)
#undef VIGIL_COUNTER_ENUM
      kCount
};

std::string_view counter_name(Counter c) noexcept;

class Counters {
 public:
  void bump(Counter c, std::uint64_t n = 1) noexcept { values_[static_cast<std::size_t>(c)] += n; }
  [[nodiscard]] std::uint64_t get(Counter c) const noexcept {
    return values_[static_cast<std::size_t>(c)];
  }
  void add(const Counters& other) noexcept {
    for (std::size_t i = 0; i < values_.size(); ++i) values_[i] += other.values_[i];
  }

 private:
  std::array<std::uint64_t, static_cast<std::size_t>(Counter::kCount)> values_{};
};

}  // namespace vigil::inspect
