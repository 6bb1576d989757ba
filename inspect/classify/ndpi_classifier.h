#pragma once
// Flow classification by nDPI 4.2: application protocol, category and risk
// flags. One NdpiClassifier per worker thread (nDPI's module is not shared
// across threads); one NdpiFlow per flow, freed as soon as nDPI has decided,
// so a long flow costs nothing after its first packets. nDPI's output is
// treated as untrusted: names are copied and bounded.
//
// The nDPI headers are confined to ndpi_classifier.cc.

#include <cstdint>
#include <memory>

#include "inspect/observation.h"
#include "inspect/util/byte_reader.h"

struct ndpi_proto;

namespace vigil::inspect {

class NdpiClassifier;

// Per-flow nDPI state. Empty (no allocation) once finished.
class NdpiFlow {
 public:
  NdpiFlow() = default;
  ~NdpiFlow();
  NdpiFlow(NdpiFlow&&) noexcept;
  NdpiFlow& operator=(NdpiFlow&&) noexcept;
  NdpiFlow(const NdpiFlow&) = delete;
  NdpiFlow& operator=(const NdpiFlow&) = delete;

  [[nodiscard]] bool finished() const noexcept { return finished_; }
  [[nodiscard]] const FlowClassification& result() const noexcept { return result_; }

 private:
  friend class NdpiClassifier;
  void release() noexcept;

  void* state_ = nullptr;  // struct ndpi_flow_struct*
  std::uint16_t packets_ = 0;
  bool finished_ = false;
  FlowClassification result_;
};

class NdpiClassifier {
 public:
  // After this many packets without a verdict, nDPI is asked to give up.
  static constexpr std::uint16_t kMaxPacketsPerFlow = 32;

  NdpiClassifier();
  ~NdpiClassifier();
  NdpiClassifier(const NdpiClassifier&) = delete;
  NdpiClassifier& operator=(const NdpiClassifier&) = delete;

  // Hands one packet (starting at its innermost IP header) to nDPI unless the
  // flow is already finished. Returns true when this call finished it.
  bool process(NdpiFlow& flow, Bytes l3, std::uint64_t ts_us) noexcept;

  // The flow ends before nDPI decided: take its best guess.
  void finish(NdpiFlow& flow) noexcept;

  [[nodiscard]] bool ok() const noexcept { return module_ != nullptr; }

 private:
  void conclude(NdpiFlow& flow, bool gave_up) noexcept;

  void conclude(NdpiFlow& flow, const struct ndpi_proto& detected, bool gave_up) noexcept;

  void* module_ = nullptr;  // struct ndpi_detection_module_struct*
};

}  // namespace vigil::inspect
