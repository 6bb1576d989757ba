#pragma once
// inspect/'s public face: packets in, Observations and FlowSummaries out.
//
// One Inspector per worker thread; it owns that worker's decoder (with its
// fragment tables), flow table, TCP reassembly, extractors and nDPI module,
// and shares nothing. on_packet() is noexcept: malformed traffic is counted
// in counters(), never logged and never thrown.

#include <cstdint>
#include <memory>

#include "inspect/counters.h"
#include "inspect/decode/decoder.h"
#include "inspect/observation.h"
#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

class ObservationSink {
 public:
  virtual ~ObservationSink() = default;
  virtual void on_observation(const Observation& obs) = 0;
  virtual void on_flow_end(const FlowSummary& /*flow*/) {}
};

struct InspectorConfig {
  std::size_t max_flows = 262'144;
  std::uint64_t tcp_idle_timeout_us = 300'000'000;
  std::uint64_t udp_idle_timeout_us = 60'000'000;
  // Bytes of each direction's stream examined for names; later bytes are
  // skipped (counted once per flow in flow.inspect_cap_reached).
  std::uint64_t max_inspect_bytes = 1u << 20;
  // Out-of-order data held per direction while waiting for a hole to fill.
  std::size_t tcp_max_held_bytes = 256 * 1024;
  std::size_t tcp_max_held_segments = 64;
  // All out-of-order data held by one Inspector, across its flows.
  std::size_t tcp_max_held_total_bytes = 64u << 20;
  bool classify = true;     // run nDPI
  bool dns_answers = true;  // emit dns_answer observations
  // Readable text of plain-HTTP bodies (http_text observations): at most
  // this many bytes per response or posted form. 0 turns it off, and the
  // server side of HTTP connections is then not read at all. When on, the
  // server side of an HTTP connection is read past max_inspect_bytes (bodies
  // that are not text are skipped by length, not copied), and so is the
  // client side, for form posts and for pairing responses with requests.
  std::size_t http_text_max_bytes = 64 * 1024;
  // Decoded (decompressed) bytes of one body examined for text.
  std::size_t http_text_max_decoded_bytes = 1u << 20;
  // Decompressed bytes allowed per compressed byte over one connection,
  // beyond its first MiB (decompression bombs: counted in http.decode_bombs).
  std::uint32_t http_text_max_ratio = 50;
  // Decoder state and text held for bodies not yet finished, across all of
  // this Inspector's connections (a brotli window alone may be 16 MiB).
  std::size_t http_text_max_memory = 32u << 20;
};

class Inspector {
 public:
  Inspector(const InspectorConfig& config, ObservationSink& sink);
  ~Inspector();
  Inspector(const Inspector&) = delete;
  Inspector& operator=(const Inspector&) = delete;

  // One captured frame of the given link type (a DLT_ value).
  void on_packet(LinkType link, Bytes frame, std::uint64_t ts_us) noexcept;

  // End of input: flush every flow (held TCP data, nDPI verdicts, summaries).
  void finish() noexcept;

  [[nodiscard]] const Counters& counters() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::inspect
