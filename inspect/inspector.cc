#include "inspect/inspector.h"

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "inspect/classify/ndpi_classifier.h"
#include "inspect/dns/dns_parser.h"
#include "inspect/flow/flow_table.h"
#include "inspect/flow/tcp_reassembler.h"
#include "inspect/http/http_request.h"
#include "inspect/http/http_text.h"
#include "inspect/quic/quic_initial.h"
#include "inspect/tls/client_hello.h"

namespace vigil::inspect {
namespace {

constexpr std::uint16_t kDnsPort = 53;
constexpr std::uint16_t kMdnsPort = 5353;
constexpr std::uint16_t kRdpPort = 3389;  // DNS over TCP uses it too

// Protocols that share DNS's message format but are not Internet name
// lookups: mDNS, LLMNR, NetBIOS name service.
bool is_dns_lookalike_port(std::uint16_t port) noexcept {
  return port == kMdnsPort || port == 5355 || port == 137;
}
// Largest ClientHello we wait for (the corpus has post-quantum ones near 2 KB
// and padded ones near 16 KB; a record is at most 16 KB + header).
constexpr std::size_t kMaxClientHelloBytes = 64 * 1024;
// Bytes gathered before deciding what an unfamiliar stream carries.
constexpr std::size_t kDecideBytes = 16;
// A request line longer than this is not waited for.
constexpr std::size_t kMaxRequestLineWait = 8192;

// The bytes so far start like an HTTP request whose first line has not
// ended yet: a method token, a space, and no line end.
bool may_become_http_request(Bytes head) noexcept {
  std::string_view v(reinterpret_cast<const char*>(head.data()), head.size());
  if (v.size() >= kMaxRequestLineWait || v.find('\n') != std::string_view::npos) return false;
  std::size_t space = v.find(' ');
  if (space == std::string_view::npos) return false;
  return is_http_request_method(v.substr(0, space));
}

// The bytes start with an HTTP/1.x request line of a known method.
bool starts_http_request(Bytes head) noexcept {
  if (!looks_like_http_request(head)) return false;
  std::string_view v(reinterpret_cast<const char*>(head.data()), head.size());
  std::size_t space = v.find(' ');
  return space != std::string_view::npos && is_http_request_method(v.substr(0, space));
}

// Ports where HTTP is expected (tshark's defaults): there a request line
// without a version (HTTP/0.9 style, or malware that omits it) still counts.
bool is_http_port(std::uint16_t port) noexcept {
  switch (port) {
    case 80:
    case 3128:
    case 3132:
    case 5985:
    case 8080:
    case 8088:
    case 11371:
    case 1900:
    case 2869:
    case 2710:
    case 3689:
    case 631:
      return true;
    default:
      return false;
  }
}

// A known method, a space and a complete first line.
bool starts_versionless_request(Bytes head) noexcept {
  std::string_view v(reinterpret_cast<const char*>(head.data()), head.size());
  std::size_t space = v.find(' ');
  std::size_t eol = v.find('\n');
  return space != std::string_view::npos && eol != std::string_view::npos && space < eol &&
         is_http_request_method(v.substr(0, space));
}

// UDP datagrams examined for QUIC before a flow is taken as something else.
constexpr std::uint16_t kMaxQuicProbeDatagrams = 16;

// What one direction of a TCP stream is believed to carry.
enum class StreamMode : std::uint8_t {
  Undecided,     // gathering the first bytes
  Tls,           // gathering a ClientHello
  Http,          // client side of HTTP/1.x
  DnsTcp,        // length-prefixed DNS messages
  Opaque,        // unknown: each new segment is checked for a ClientHello or a request
  HttpResponse,  // server side of HTTP/1.x, read for page text
  TextOnly,      // client side of HTTP past max_inspect_bytes: read for form posts only
  Done,          // nothing more to learn from this direction
};

struct Direction {
  TcpReassembler reassembler;
  StreamMode mode = StreamMode::Undecided;
  std::vector<std::uint8_t> buffer;  // ClientHello, DNS framing or first bytes
  std::unique_ptr<HttpRequestScanner> http;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  bool fin = false;
};

struct FlowState {
  std::array<Direction, 2> dir;  // [0]: lo -> hi, [1]: hi -> lo
  NdpiFlow ndpi;
  std::unique_ptr<QuicSniExtractor> quic;
  std::uint16_t quic_probes = 0;
  bool quic_off = false;
  bool quic_seen = false;
  bool rdp_hello_seen = false;  // RDP over UDP: its ClientHello was read    // a QUIC flow: its
                                // later packets are not probed as DNS
  bool client_is_lo = true;     // SYN sender, else first sender
  bool cap_counted = false;
  bool rst = false;
  bool ech = false;              // a ClientHello offered ECH/ESNI: its visible name may be a cover
  std::int8_t http_client = -1;  // the direction that sent the first HTTP request
  std::unique_ptr<HttpTextCollector> http_text;  // page text, when that is on
};

using Table = FlowTable<FlowState>;
using Flow = Table::Entry;

}  // namespace

struct Inspector::Impl {
  Impl(const InspectorConfig& c, ObservationSink& s)
      : config(c),
        sink(s),
        decoder(counters),
        flows(Table::Limits{c.max_flows, c.tcp_idle_timeout_us, c.udp_idle_timeout_us, 5'000'000},
              counters) {
    if (config.classify) ndpi = std::make_unique<NdpiClassifier>();
    held_budget.limit = c.tcp_max_held_total_bytes;
    tcp_limits.max_held_bytes = c.tcp_max_held_bytes;
    tcp_limits.max_held_segments = c.tcp_max_held_segments;
    tcp_limits.shared = &held_budget;
    http_budget.limit = c.http_text_max_memory;
    http_limits.max_text_bytes = c.http_text_max_bytes;
    http_limits.max_decoded_bytes = c.http_text_max_decoded_bytes;
    http_limits.max_ratio = c.http_text_max_ratio;
  }

  void on_packet(LinkType link, Bytes frame, std::uint64_t ts_us) noexcept;
  void on_udp(Flow& flow, int d, const DecodedPacket& pkt) noexcept;
  void on_quic(Flow& flow, int d, Bytes payload) noexcept;
  void on_rdp_udp(Flow& flow, int d, Bytes payload) noexcept;
  void on_tcp(Flow& flow, int d, const DecodedPacket& pkt) noexcept;
  void on_stream_data(Flow& flow, int d, Bytes data, bool gap) noexcept;
  void on_stream(Flow& flow, int d, Bytes data, bool gap) noexcept;
  void feed_text(Flow& flow, int d, Bytes data, bool gap) noexcept;
  bool start_text_at_response(Flow& flow, int d, Bytes data) noexcept;
  void emit_texts(const Flow& flow) noexcept;
  void decide(Flow& flow, int d, bool gap) noexcept;
  void feed_tls(Flow& flow, int d) noexcept;
  void feed_dns_tcp(Flow& flow, int d) noexcept;
  void feed_http(Flow& flow, int d, Bytes data, bool gap) noexcept;
  void emit_dns(const Flow& flow, int d, Bytes message) noexcept;
  void evict(Flow& flow, EvictReason reason) noexcept;

  Observation base(const Flow& flow, int sender_dir, ObservationKind kind) const {
    Observation o;
    o.kind = kind;
    o.ts_us = now_us;
    o.flow_id = flow.id;
    bool sender_lo = sender_dir == 0;
    o.client = sender_lo ? flow.key.lo : flow.key.hi;
    o.server = sender_lo ? flow.key.hi : flow.key.lo;
    o.client_port = sender_lo ? flow.key.lo_port : flow.key.hi_port;
    o.server_port = sender_lo ? flow.key.hi_port : flow.key.lo_port;
    o.transport = static_cast<Transport>(flow.key.proto);
    return o;
  }

  // The server name of a ClientHello (TLS over TCP, RDP over UDP, QUIC).
  void emit_hello(Flow& flow, int sender_dir, const ClientHello& hello, ObservationKind kind,
                  std::uint32_t quic_version) noexcept {
    bool ech = hello.has_ech || hello.has_esni;
    flow.state.ech = flow.state.ech || ech;
    if (hello.server_name.empty()) return;
    Observation o = base(flow, sender_dir, kind);
    o.value = hello.server_name;
    o.alpn = hello.alpn;
    o.ech = ech;
    o.quic_version = quic_version;
    emit(o);
  }

  void emit(const Observation& o) noexcept {
    counters.bump(Counter::Observations);
    try {
      sink.on_observation(o);
    } catch (...) {
      // A sink that throws must not take the packet path down with it.
    }
  }

  // Context for the reassembler's callback.
  struct StreamSink final : TcpStreamConsumer {
    StreamSink(Impl& i, Flow& f, int dir) : impl(i), flow(f), d(dir) {}
    void on_stream_data(Bytes data, bool gap_before) noexcept override {
      impl.on_stream_data(flow, d, data, gap_before);
    }
    Impl& impl;
    Flow& flow;
    int d;
  };

  InspectorConfig config;
  ObservationSink& sink;
  Counters counters;
  // Declared before `flows`: the flows' reassemblers hand their bytes back
  // to it when they are destroyed.
  TcpReassembler::SharedBudget held_budget;
  TcpReassembler::Limits tcp_limits;
  HttpMemoryBudget http_budget;  // also before `flows`, for the same reason
  HttpTextLimits http_limits;
  std::vector<HttpText> texts;  // scratch: text found by one call into a collector
  Decoder decoder;
  Table flows;
  std::unique_ptr<NdpiClassifier> ndpi;
  std::uint64_t now_us = 0;
};

void Inspector::Impl::on_packet(LinkType link, Bytes frame, std::uint64_t ts_us) noexcept {
  counters.bump(Counter::PacketsTotal);
  counters.bump(Counter::BytesTotal, frame.size());
  if (ts_us > now_us) now_us = ts_us;

  DecodedPacket pkt;
  if (decoder.decode(link, frame, ts_us, pkt) != DecodeStatus::Ok) return;
  if (pkt.l4 == L4Proto::Other) {
    counters.bump(Counter::OtherL4);
    return;
  }

  bool src_is_lo = true;
  FlowKey key =
      FlowKey::make(pkt.src, pkt.src_port, pkt.dst, pkt.dst_port, pkt.ip_proto, src_is_lo);
  auto on_evict = [this](Flow& f, EvictReason r) { evict(f, r); };
  bool created = false;
  Flow* flow = &flows.find_or_create(key, now_us, created, on_evict);
  bool syn_only = pkt.l4 == L4Proto::Tcp && (pkt.tcp_flags & 0x12) == 0x02;
  if (!created && syn_only && flow->state.dir[src_is_lo ? 0 : 1].reassembler.started() &&
      (flow->closed || flow->state.rst)) {
    // A new connection reusing the 5-tuple of one that closed.
    flows.evict(*flow, EvictReason::Closed, on_evict);
    flow = &flows.find_or_create(key, now_us, created, on_evict);
  }
  int d = src_is_lo ? 0 : 1;
  if (created) {
    if (pkt.l4 == L4Proto::Tcp) {
      for (Direction& dir : flow->state.dir) dir.reassembler.set_limits(tcp_limits);
    }
    flow->state.client_is_lo = src_is_lo;
    if (pkt.l4 == L4Proto::Tcp && (pkt.tcp_flags & 0x12) == 0x12) {
      flow->state.client_is_lo = !src_is_lo;  // first packet seen is a SYN-ACK
    }
  }
  Direction& dir = flow->state.dir[static_cast<std::size_t>(d)];
  ++dir.packets;
  dir.bytes += pkt.payload.size();

  if (ndpi && !flow->state.ndpi.finished()) {
    if (ndpi->process(flow->state.ndpi, pkt.l3, ts_us)) {
      counters.bump(flow->state.ndpi.result().decided ? Counter::NdpiFlowsClassified
                                                      : Counter::NdpiFlowsGaveUp);
    }
  }

  if (pkt.l4 == L4Proto::Udp) {
    on_udp(*flow, d, pkt);
  } else {
    on_tcp(*flow, d, pkt);
  }
}

void Inspector::Impl::on_udp(Flow& flow, int d, const DecodedPacket& pkt) noexcept {
  if (pkt.payload.empty()) return;
  if (pkt.src_port == kDnsPort || pkt.dst_port == kDnsPort) {
    emit_dns(flow, d, pkt.payload);
    return;
  }
  FlowState& st = flow.state;
  if (!st.quic_off) {
    if (st.quic || looks_like_quic(pkt.payload)) {
      st.quic_seen = true;
      on_quic(flow, d, pkt.payload);
      return;
    }
    if (++st.quic_probes >= kMaxQuicProbeDatagrams) st.quic_off = true;
  }
  if ((pkt.src_port == kRdpPort || pkt.dst_port == kRdpPort) && !st.rdp_hello_seen) {
    on_rdp_udp(flow, d, pkt.payload);
    return;
  }
  // DNS on an unusual port (resolvers on 443, 5333, 8053, DNSCrypt
  // certificate queries): a message that passes the header heuristic. mDNS,
  // LLMNR and NetBIOS name service look like DNS but are not lookups of
  // Internet names.
  if (st.quic_seen) return;
  if (!is_dns_lookalike_port(pkt.src_port) && !is_dns_lookalike_port(pkt.dst_port) &&
      looks_like_dns(pkt.payload)) {
    emit_dns(flow, d, pkt.payload);
  }
}

// Remote desktop over UDP (MS-RDPEUDP) carries its TLS handshake inside its
// own datagram header, a few bytes in: look for the ClientHello record there.
void Inspector::Impl::on_rdp_udp(Flow& flow, int d, Bytes payload) noexcept {
  constexpr std::size_t kMaxHeaderScan = 32;
  for (std::size_t off = 0; off < kMaxHeaderScan && off + 6 < payload.size(); ++off) {
    Bytes rest = payload.subspan(off);
    if (!looks_like_client_hello_record(rest)) continue;
    ClientHello hello;
    if (parse_client_hello_records(rest, hello) != TlsParseStatus::Ok) continue;
    flow.state.rdp_hello_seen = true;
    counters.bump(Counter::TlsClientHellos);
    emit_hello(flow, d, hello, ObservationKind::Sni, 0);
    return;
  }
}

void Inspector::Impl::on_quic(Flow& flow, int d, Bytes payload) noexcept {
  FlowState& st = flow.state;
  if (!st.quic) st.quic = std::make_unique<QuicSniExtractor>();
  QuicResult r = st.quic->on_datagram(payload);
  switch (r.event) {
    case QuicEvent::ClientHello:
    case QuicEvent::GquicChlo: {
      if (r.event == QuicEvent::ClientHello) {
        counters.bump(Counter::QuicClientHellos);
      } else {
        counters.bump(Counter::GquicChlos);
      }
      emit_hello(flow, d, r.hello, ObservationKind::QuicSni, r.version);
      break;
    }
    case QuicEvent::DecryptFailed:
      counters.bump(Counter::QuicDecryptFailed);
      break;
    case QuicEvent::UnknownVersion:
      counters.bump(Counter::QuicUnknownVersion);
      break;
    case QuicEvent::Malformed:
      counters.bump(Counter::QuicMalformed);
      break;
    case QuicEvent::None:
      break;
  }
  if (st.quic->done()) {
    st.quic.reset();
    st.quic_off = true;
  }
}

void Inspector::Impl::emit_dns(const Flow& flow, int d, Bytes message) noexcept {
  DnsParseResult r = parse_dns_message(message);
  if (r.error == DnsError::TruncatedHeader) {
    counters.bump(Counter::DnsMalformed);
    return;
  }
  counters.bump(Counter::DnsMessages);
  if (r.error != DnsError::None) counters.bump(Counter::DnsMalformed);
  const DnsMessage& m = r.message;
  // The querying host: the sender of a query, the receiver of a response.
  int client_dir = m.is_response ? 1 - d : d;
  for (const std::string& name : m.questions) {
    if (!is_reportable_dns_name(name)) continue;  // the root, or nothing but dots
    Observation o = base(flow, client_dir, ObservationKind::Dns);
    o.value = name;
    o.dns_response = m.is_response;
    o.dns_id = m.id;
    if (m.is_response) {
      for (const DnsAnswer& a : m.answers) o.dns_addresses.push_back(a.address.to_string());
    }
    emit(o);
  }
  if (config.dns_answers && m.is_response && !m.questions.empty()) {
    for (const DnsAnswer& a : m.answers) {
      Observation o = base(flow, client_dir, ObservationKind::DnsAnswer);
      o.value = m.questions.front() + "=" + a.address.to_string();
      o.dns_response = true;
      o.dns_id = m.id;
      emit(o);
    }
  }
}

void Inspector::Impl::on_tcp(Flow& flow, int d, const DecodedPacket& pkt) noexcept {
  FlowState& st = flow.state;
  Direction& dir = st.dir[static_cast<std::size_t>(d)];
  if (pkt.tcp_flags & TcpReassembler::kRst) st.rst = true;
  if (pkt.tcp_flags & TcpReassembler::kFin) dir.fin = true;

  bool active = dir.mode != StreamMode::Done;
  if (active && dir.mode != StreamMode::HttpResponse && dir.mode != StreamMode::TextOnly &&
      dir.reassembler.delivered_bytes() >= config.max_inspect_bytes) {
    // The client side of an HTTP connection read for text goes on, for that only.
    dir.mode = st.http_text && d == st.http_client ? StreamMode::TextOnly : StreamMode::Done;
    dir.buffer.clear();
    dir.buffer.shrink_to_fit();
    active = dir.mode != StreamMode::Done;
    if (!st.cap_counted) {
      st.cap_counted = true;
      counters.bump(Counter::FlowByteCapReached);
    }
  }
  if (active || !dir.reassembler.started()) {
    StreamSink stream(*this, flow, d);
    dir.reassembler.on_segment(pkt.tcp_seq, pkt.tcp_flags, pkt.payload, counters, stream);
  }

  if (st.rst || (st.dir[0].fin && st.dir[1].fin)) flows.mark_closed(flow);
}

// Every reassembled byte arrives here. The client side of an HTTP connection
// read for text goes to its collector whatever the name extractors make of it.
void Inspector::Impl::on_stream_data(Flow& flow, int d, Bytes data, bool gap) noexcept {
  if (flow.state.http_text && d == flow.state.http_client) feed_text(flow, d, data, gap);
  on_stream(flow, d, data, gap);
}

void Inspector::Impl::on_stream(Flow& flow, int d, Bytes data, bool gap) noexcept {
  Direction& dir = flow.state.dir[static_cast<std::size_t>(d)];
  switch (dir.mode) {
    case StreamMode::Done:
    case StreamMode::TextOnly:
      return;
    case StreamMode::HttpResponse:
      feed_text(flow, d, data, gap);
      return;
    case StreamMode::Undecided: {
      if (gap) dir.buffer.clear();
      bool preamble = !dir.buffer.empty();
      dir.buffer.insert(dir.buffer.end(), data.begin(), data.end());
      decide(flow, d, gap);
      if (preamble && dir.mode == StreamMode::Opaque) {
        // A short preamble (SOCKS greeting, STARTTLS line) came first: a
        // ClientHello or request may start at this segment.
        on_stream(flow, d, data, false);
      }
      return;
    }
    case StreamMode::Tls:
      if (gap) {
        dir.buffer.clear();
        dir.mode = StreamMode::Opaque;
        on_stream(flow, d, data, false);
        return;
      }
      dir.buffer.insert(dir.buffer.end(), data.begin(), data.end());
      feed_tls(flow, d);
      return;
    case StreamMode::DnsTcp:
      if (gap) dir.buffer.clear();
      dir.buffer.insert(dir.buffer.end(), data.begin(), data.end());
      feed_dns_tcp(flow, d);
      return;
    case StreamMode::Http:
      feed_http(flow, d, data, gap);
      return;
    case StreamMode::Opaque:
      // STARTTLS, CONNECT tunnels, SOCKS and streams picked up mid-way: a
      // ClientHello or a request starts at a segment boundary.
      if (looks_like_client_hello_record(data)) {
        dir.mode = StreamMode::Tls;
        dir.buffer.assign(data.begin(), data.end());
        feed_tls(flow, d);
      } else if (starts_http_request(data) || may_become_http_request(data)) {
        dir.mode = StreamMode::Http;
        feed_http(flow, d, data, false);
      } else if (start_text_at_response(flow, d, data)) {
        // A response seen before any request (a capture picked up mid-way,
        // or one side of asymmetric routing): its page text still counts.
      } else if (data.size() < kDecideBytes &&
                 std::all_of(data.begin(), data.end(),
                             [](std::uint8_t c) { return c >= 'A' && c <= 'Z'; })) {
        // Perhaps the first letters of a method ("GE" + "T / HTTP/1.1"):
        // gather them and decide with the next segment.
        dir.mode = StreamMode::Undecided;
        dir.buffer.assign(data.begin(), data.end());
      }
      return;
  }
}

void Inspector::Impl::decide(Flow& flow, int d, bool gap) noexcept {
  Direction& dir = flow.state.dir[static_cast<std::size_t>(d)];
  Bytes head(dir.buffer);
  if (flow.key.lo_port == kDnsPort || flow.key.hi_port == kDnsPort ||
      flow.key.lo_port == kMdnsPort || flow.key.hi_port == kMdnsPort) {
    dir.mode = StreamMode::DnsTcp;
    feed_dns_tcp(flow, d);
    return;
  }
  if (looks_like_client_hello_record(head)) {
    dir.mode = StreamMode::Tls;
    feed_tls(flow, d);
    return;
  }
  if (starts_http_request(head) ||
      ((is_http_port(flow.key.lo_port) || is_http_port(flow.key.hi_port)) &&
       starts_versionless_request(head))) {
    dir.mode = StreamMode::Http;
    std::vector<std::uint8_t> first;
    first.swap(dir.buffer);
    feed_http(flow, d, first, false);
    return;
  }
  if (start_text_at_response(flow, d, head)) return;
  if (!gap && (head.size() < kDecideBytes || may_become_http_request(head))) return;  // wait
  dir.mode = StreamMode::Opaque;
  dir.buffer.clear();
  dir.buffer.shrink_to_fit();
}

void Inspector::Impl::feed_tls(Flow& flow, int d) noexcept {
  Direction& dir = flow.state.dir[static_cast<std::size_t>(d)];
  ClientHello hello;
  TlsParseStatus s = parse_client_hello_records(dir.buffer, hello);
  if (s == TlsParseStatus::NeedMore) {
    if (dir.buffer.size() > kMaxClientHelloBytes) {
      counters.bump(Counter::TlsMalformed);
      dir.mode = StreamMode::Opaque;
      dir.buffer.clear();
    }
    return;
  }
  dir.buffer.clear();
  dir.buffer.shrink_to_fit();
  if (s != TlsParseStatus::Ok) {
    if (s == TlsParseStatus::Malformed) counters.bump(Counter::TlsMalformed);
    dir.mode = StreamMode::Opaque;
    return;
  }
  counters.bump(Counter::TlsClientHellos);
  emit_hello(flow, d, hello, ObservationKind::Sni, 0);
  // The rest of this direction is encrypted; the peer sends no ClientHello.
  dir.mode = StreamMode::Done;
  Direction& other = flow.state.dir[static_cast<std::size_t>(1 - d)];
  if (other.mode != StreamMode::Http && other.mode != StreamMode::Tls) {
    other.mode = StreamMode::Done;
    other.buffer.clear();
  }
}

void Inspector::Impl::feed_dns_tcp(Flow& flow, int d) noexcept {
  Direction& dir = flow.state.dir[static_cast<std::size_t>(d)];
  std::size_t pos = 0;
  while (dir.buffer.size() - pos >= 2) {
    std::size_t len = load_be16(dir.buffer.data() + pos);
    if (dir.buffer.size() - pos - 2 < len) break;
    emit_dns(flow, d, Bytes(dir.buffer).subspan(pos + 2, len));
    pos += 2 + len;
  }
  dir.buffer.erase(dir.buffer.begin(), dir.buffer.begin() + static_cast<std::ptrdiff_t>(pos));
}

void Inspector::Impl::feed_http(Flow& flow, int d, Bytes data, bool gap) noexcept {
  FlowState& st = flow.state;
  Direction& dir = st.dir[static_cast<std::size_t>(d)];
  if (st.http_client < 0) {
    st.http_client = static_cast<std::int8_t>(d);
    if (config.http_text_max_bytes > 0) {
      st.http_text = std::make_unique<HttpTextCollector>(http_limits, http_budget, counters);
      feed_text(flow, d, data, false);  // later bytes come through on_stream_data()
    }
  }
  if (!dir.http) dir.http = std::make_unique<HttpRequestScanner>();
  if (gap) dir.http->on_gap();
  std::vector<HttpRequest> requests;
  std::size_t bad = dir.http->feed(data, requests);
  if (bad > 0) counters.bump(Counter::HttpMalformed, bad);
  for (const HttpRequest& r : requests) {
    counters.bump(Counter::HttpRequests);
    // One observation for the host and one for the request-target, each
    // carrying the whole request line's context.
    auto request = [&](ObservationKind kind, const std::string& value) {
      Observation o = base(flow, d, kind);
      o.value = value;
      o.http_method = r.method;
      o.http_host = r.host;
      o.http_user_agent = r.user_agent;
      emit(o);
    };
    if (r.has_host && !r.host.empty()) request(ObservationKind::HttpHost, r.host);
    if (!r.target.empty()) request(ObservationKind::HttpUrl, r.target);
  }
  // The server's side of an HTTP conversation holds no requests; its
  // responses are read for text when that is on.
  Direction& other = st.dir[static_cast<std::size_t>(1 - d)];
  if (other.mode == StreamMode::Undecided || other.mode == StreamMode::Opaque) {
    if (st.http_text && d == st.http_client) {
      other.mode = StreamMode::HttpResponse;
      std::vector<std::uint8_t> early;
      early.swap(other.buffer);  // bytes the server sent before the request was read
      if (!early.empty()) feed_text(flow, 1 - d, early, false);
    } else {
      other.mode = StreamMode::Done;
      other.buffer.clear();
    }
  }
  if (dir.http->state() == HttpRequestScanner::State::Done) {
    // After CONNECT a tunnel follows (a ClientHello, or plain HTTP through
    // the proxy); after a refused CONNECT or a message running to the end of
    // the connection, requests may still start at a later segment. Either
    // way: look at each segment start again.
    std::size_t tunnel = dir.http->connect_seen() ? dir.http->tunnel_offset() : data.size();
    dir.http.reset();
    dir.mode = StreamMode::Opaque;
    if (tunnel < data.size()) on_stream(flow, d, data.subspan(tunnel), false);
  }
}

// A direction that starts with a status line while no request was seen is
// the server side of HTTP: read for text when that is on.
bool Inspector::Impl::start_text_at_response(Flow& flow, int d, Bytes data) noexcept {
  FlowState& st = flow.state;
  if (config.http_text_max_bytes == 0 || st.http_client >= 0 || !looks_like_http_response(data)) {
    return false;
  }
  st.http_client = static_cast<std::int8_t>(1 - d);
  st.http_text = std::make_unique<HttpTextCollector>(http_limits, http_budget, counters);
  Direction& dir = st.dir[static_cast<std::size_t>(d)];
  dir.mode = StreamMode::HttpResponse;
  std::vector<std::uint8_t> gathered;
  if (data.data() == dir.buffer.data()) gathered.swap(dir.buffer);  // `data` stays valid
  dir.buffer.clear();
  feed_text(flow, d, data, false);
  return true;
}

// Text from one side of an HTTP connection, turned into http_text observations.
void Inspector::Impl::feed_text(Flow& flow, int d, Bytes data, bool gap) noexcept {
  FlowState& st = flow.state;
  Direction& dir = st.dir[static_cast<std::size_t>(d)];
  const std::uint64_t missing = gap ? dir.reassembler.last_gap_bytes() : 0;
  texts.clear();
  if (d == st.http_client) {
    st.http_text->on_client_data(data, gap, missing, texts);
  } else {
    st.http_text->on_server_data(data, gap, missing, texts);
    if (st.http_text->server_done()) dir.mode = StreamMode::Done;
  }
  emit_texts(flow);
}

void Inspector::Impl::emit_texts(const Flow& flow) noexcept {
  for (HttpText& t : texts) {
    Observation o = base(flow, flow.state.http_client, ObservationKind::HttpText);
    o.value = std::move(t.text);
    o.http_method = std::move(t.method);
    o.http_host = std::move(t.host);
    o.http_url = std::move(t.target);
    o.http_status = t.status;
    emit(o);
  }
  texts.clear();
}

void Inspector::Impl::evict(Flow& flow, EvictReason reason) noexcept {
  FlowState& st = flow.state;
  for (int d = 0; d < 2; ++d) {
    StreamSink stream(*this, flow, d);
    st.dir[static_cast<std::size_t>(d)].reassembler.flush(stream);
  }
  if (st.http_text) {
    texts.clear();
    st.http_text->finish(texts);
    emit_texts(flow);
    st.http_text.reset();
  }
  if (ndpi && !st.ndpi.finished()) {
    ndpi->finish(st.ndpi);
    counters.bump(st.ndpi.result().decided ? Counter::NdpiFlowsClassified
                                           : Counter::NdpiFlowsGaveUp);
  }
  FlowSummary s;
  s.flow_id = flow.id;
  bool c = st.client_is_lo;
  s.client = c ? flow.key.lo : flow.key.hi;
  s.server = c ? flow.key.hi : flow.key.lo;
  s.client_port = c ? flow.key.lo_port : flow.key.hi_port;
  s.server_port = c ? flow.key.hi_port : flow.key.lo_port;
  s.ip_proto = flow.key.proto;
  s.transport = static_cast<Transport>(flow.key.proto);
  s.first_ts_us = flow.first_ts_us;
  s.last_ts_us = flow.last_ts_us;
  const Direction& to_server = st.dir[c ? 0 : 1];
  const Direction& to_client = st.dir[c ? 1 : 0];
  s.packets_to_server = to_server.packets;
  s.packets_to_client = to_client.packets;
  s.bytes_to_server = to_server.bytes;
  s.bytes_to_client = to_client.bytes;
  s.end_reason = evict_reason_name(reason);
  s.classification = st.ndpi.result();
  if (st.ech) s.classification.flags |= kFlowEch;
  try {
    sink.on_flow_end(s);
  } catch (...) {
    // See emit().
  }
}

Inspector::Inspector(const InspectorConfig& config, ObservationSink& sink)
    : impl_(std::make_unique<Impl>(config, sink)) {}

Inspector::~Inspector() = default;

void Inspector::on_packet(LinkType link, Bytes frame, std::uint64_t ts_us) noexcept {
  impl_->on_packet(link, frame, ts_us);
}

void Inspector::finish() noexcept {
  impl_->flows.clear([this](Flow& f, EvictReason r) { impl_->evict(f, r); });
}

const Counters& Inspector::counters() const noexcept { return impl_->counters; }

}  // namespace vigil::inspect
