#pragma once
// The packet path of vigild: frames from one or more producers (capture
// threads, or a capture file being replayed) are spread over share-nothing
// workers by a symmetric hash of their IP pair (frame_hash.h). Each worker
// owns an Inspector (flow table, reassembly, nDPI), a rule-snapshot scratch
// and the per-flow phrase scores, and hands what it finds to a
// PipelineSink: every observation (for the activity log), every decision
// with hits, every flow that ends. A reload publishes a new rule snapshot;
// workers pick it up at their next batch, without stopping.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inspect/counters.h"
#include "inspect/inspector.h"
#include "inspect/observation.h"
#include "inspect/util/byte_reader.h"
#include "rules/hit.h"
#include "rules/publisher.h"

namespace vigil::daemon {

// Who a client address belongs to, as far as is known.
struct Attribution {
  std::string mac;         // "" when unknown
  std::string hostname;    // from a lease, "" when unknown
  std::string person_ref;  // the provider's reference, "" when not attributed
  std::string group;       // policy group, "" = the policy's default group
  std::string source;      // how it was worked out ("dnsmasq+csv", "neighbour", ...)
  double confidence = 0;   // 0..1
  bool under_18 = false;
  bool mac_randomised = false;
};

// Looks up a client address; called from every worker, so it must be
// thread-safe and quick (the identity snapshot is read-only).
class AttributionSource {
 public:
  virtual ~AttributionSource() = default;
  virtual Attribution attribute(const inspect::IpAddress& client, std::uint64_t ts_us) const = 0;
};

// Where the workers' results go. Called concurrently from all workers:
// implementations must be thread-safe and must not block for long.
class PipelineSink {
 public:
  virtual ~PipelineSink() = default;
  // Every observation (also derived search terms), for the activity log and events.
  virtual void on_observation(const inspect::Observation& obs, const Attribution& who) = 0;
  // A decision with at least one hit.
  virtual void on_decision(const inspect::Observation& obs, const rules::Decision& decision,
                           const Attribution& who) = 0;
  // A flow ended (carries nDPI's classification and circumvention flags).
  virtual void on_flow_end(const inspect::FlowSummary& flow, const Attribution& who) = 0;
};

struct PipelineOptions {
  std::size_t workers = 1;
  std::size_t producers = 1;          // capture threads (or 1 for a replay)
  std::size_t ring_bytes = 8u << 20;  // per (producer, worker) queue
  inspect::InspectorConfig inspector;
};

struct PipelineStats {
  inspect::Counters inspect;        // all workers, as of their last report (about 1/s)
  std::uint64_t frames_queued = 0;  // accepted by the workers' queues
  std::uint64_t queue_drops = 0;    // refused: a worker's queue was full
  std::uint64_t observations = 0;
  std::uint64_t decisions = 0;  // observations with at least one hit
  std::uint64_t hits = 0;
  std::uint64_t flows_ended = 0;
  std::uint64_t unattributed = 0;  // observations whose client had no person
  // The oldest rule snapshot a worker uses (0: some worker has none yet), and
  // each worker's own. A worker keeps its old snapshot when it cannot make
  // scratch space for a new one (out of memory); it retries every second and
  // counts each failure, and the daemon alarms while a worker lags.
  std::uint64_t rules_generation = 0;
  std::uint64_t rules_prepare_failures = 0;
  std::vector<std::uint64_t> worker_rules_generation;
  std::vector<std::uint64_t> worker_queue_drops;
  // Per worker, for the watchdog: frames finished (only grows) and frames
  // waiting in its queues now.
  std::vector<std::uint64_t> worker_processed;
  std::vector<std::uint64_t> worker_pending;
};

class Pipeline {
 public:
  Pipeline(const PipelineOptions& options, const rules::SnapshotPublisher& rules,
           const AttributionSource& identity, PipelineSink& sink);
  ~Pipeline();  // finish() if still running
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  void start();

  // From producer thread `producer` only (one thread per producer index).
  // offer() never blocks: false means the worker's queue was full (counted).
  bool offer(std::size_t producer, std::uint32_t link, std::uint64_t ts_us,
             inspect::Bytes frame) noexcept;
  // For a replay: waits for room instead of dropping.
  bool offer_wait(std::size_t producer, std::uint32_t link, std::uint64_t ts_us,
                  inspect::Bytes frame) noexcept;

  // No more frames: workers drain their queues, end every flow (flushing
  // held data and nDPI verdicts) and stop. Idempotent.
  void finish();

  [[nodiscard]] PipelineStats stats() const;
  [[nodiscard]] std::size_t workers() const noexcept;

 private:
  class Worker;
  std::size_t pick(std::uint32_t link, inspect::Bytes frame) const noexcept;

  PipelineOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace vigil::daemon
