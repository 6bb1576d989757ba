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
