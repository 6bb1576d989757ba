#include "daemon/pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "daemon/pipeline/frame_hash.h"
#include "daemon/pipeline/packet_ring.h"

namespace vigil::daemon {

namespace {

constexpr std::size_t kBatch = 256;           // frames per ring per turn
constexpr std::uint64_t kReportEvery = 4096;  // frames between counter reports
constexpr auto kIdleWait = std::chrono::milliseconds(50);
constexpr auto kPrepareRetry = std::chrono::seconds(1);
constexpr std::size_t kQueriesPerFlow = 64;  // remembered per DNS flow (a resolver's flow has many)

// Counters one producer writes and anyone reads.
struct alignas(64) RingCounters {
  std::atomic<std::uint64_t> queued{0};
  std::atomic<std::uint64_t> dropped{0};
};

}  // namespace

class Pipeline::Worker final : public inspect::ObservationSink {
 public:
  Worker(const PipelineOptions& options, const rules::SnapshotPublisher& rules,
         const AttributionSource& identity, PipelineSink& sink)
      : rules_(rules), identity_(identity), sink_(sink), counters_(options.producers) {
    rings_.reserve(options.producers);
    for (std::size_t i = 0; i < options.producers; ++i) {
      rings_.push_back(std::make_unique<PacketRing>(options.ring_bytes));
    }
    inspector_ = std::make_unique<inspect::Inspector>(options.inspector, *this);
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  void finish() {
    for (auto& r : rings_) r->close();
    if (thread_.joinable()) thread_.join();
  }

  bool offer(std::size_t producer, std::uint32_t link, std::uint64_t ts_us, inspect::Bytes frame,
             bool wait) noexcept {
    PacketRing& ring = *rings_[producer];
    RingCounters& c = counters_[producer];
    const bool ok = wait ? ring.push_wait(link, ts_us, frame) : ring.try_push(link, ts_us, frame);
    // Only this producer writes these: a plain load and store is enough.
    auto& n = ok ? c.queued : c.dropped;
    n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return ok;
  }

  void add_stats(PipelineStats& s) const {
    std::uint64_t drops = 0;
    std::uint64_t queued = 0;
    // Read before the queued counts (which only grow) so that pending is
    // rarely understated; the clamp below keeps it from going negative.
    const std::uint64_t processed = processed_.load(std::memory_order_acquire);
    for (const RingCounters& c : counters_) {
      queued += c.queued.load(std::memory_order_relaxed);
      drops += c.dropped.load(std::memory_order_relaxed);
    }
    s.frames_queued += queued;
    s.queue_drops += drops;
    s.worker_queue_drops.push_back(drops);
    s.worker_processed.push_back(processed);
    s.worker_pending.push_back(queued > processed ? queued - processed : 0);
    std::lock_guard lock(report_mutex_);
    s.inspect.add(report_.inspect);
    s.observations += report_.observations;
    s.decisions += report_.decisions;
    s.hits += report_.hits;
    s.flows_ended += report_.flows_ended;
    s.unattributed += report_.unattributed;
    s.rules_generation = s.worker_rules_generation.empty()
                             ? report_.rules_generation
                             : std::min(s.rules_generation, report_.rules_generation);
    s.worker_rules_generation.push_back(report_.rules_generation);
    s.rules_prepare_failures += report_.rules_prepare_failures;
  }

  // inspect::ObservationSink, on this worker's thread.
  void on_observation(const inspect::Observation& obs) override {
    const Attribution who = identity_.attribute(obs.client, obs.ts_us);
    if (who.person_ref.empty()) ++local_.unattributed;
    decide(obs, who);
    if (snapshot_) {
      if (auto term = snapshot_->search_term(obs)) decide(*term, who);
    }
  }

  void on_flow_end(const inspect::FlowSummary& flow) override {
    flow_scores_.erase(flow.flow_id);
    dns_queries_.erase(flow.flow_id);
    ++local_.flows_ended;
    sink_.on_flow_end(flow, identity_.attribute(flow.client, flow.last_ts_us));
  }

 private:
  struct Report {
    inspect::Counters inspect;
    std::uint64_t observations = 0;
    std::uint64_t decisions = 0;
    std::uint64_t hits = 0;
    std::uint64_t flows_ended = 0;
    std::uint64_t unattributed = 0;
    std::uint64_t rules_generation = 0;
    std::uint64_t rules_prepare_failures = 0;
  };

  void decide(const inspect::Observation& obs, const Attribution& who) {
    ++local_.observations;
    sink_.on_observation(obs, who);
    if (!snapshot_ || answers_decided_query(obs)) return;
    rules::Decision d = snapshot_->decide(obs, who.group, scratch_, &flow_scores_[obs.flow_id]);
    if (d.hits.empty()) return;
    ++local_.decisions;
    local_.hits += d.hits.size();
    sink_.on_decision(obs, d, who);
  }

  // A DNS response repeats the name its query asked. It is decided only
  // when the query was not seen (the capture started between the two, or
  // routing is one-way), so one lookup is one hit, not two.
  bool answers_decided_query(const inspect::Observation& obs) {
    if (obs.kind != inspect::ObservationKind::Dns) return false;
    const std::uint64_t key =
        std::hash<std::string>{}(obs.value) ^ (std::uint64_t{obs.dns_id} * 0x9E3779B97F4A7C15ULL);
    std::vector<std::uint64_t>& queries = dns_queries_[obs.flow_id];
    if (!obs.dns_response) {
      if (queries.size() < kQueriesPerFlow) queries.push_back(key);
      return false;
    }
    return std::find(queries.begin(), queries.end(), key) != queries.end();
  }

  // Picks up a newly published snapshot between batches. When its scratch
  // space cannot be allocated the old snapshot stays (counted, retried
  // after kPrepareRetry; the daemon alarms while this worker lags).
  void refresh_rules() {
    const std::uint64_t gen = rules_.generation();
    if (gen == generation_ && snapshot_) return;
    const auto now = std::chrono::steady_clock::now();
    if (gen == failed_generation_ && now < retry_at_) return;
    auto snap = rules_.current();
    if (!snap) return;
    if (!snap->prepare(scratch_)) {
      ++local_.rules_prepare_failures;
      failed_generation_ = gen;
      retry_at_ = now + kPrepareRetry;
      return;
    }
    failed_generation_ = 0;
    snapshot_ = std::move(snap);
    generation_ = gen;
    local_.rules_generation = gen;
  }

  void report() {
    std::lock_guard lock(report_mutex_);
    report_ = local_;
    report_.inspect = inspector_->counters();
  }

  void run() {
    std::uint64_t since_report = 0;
    for (;;) {
      refresh_rules();
      std::size_t n = 0;
      for (auto& ring : rings_) {
        n += ring->pop(
            [this](std::uint32_t link, std::uint64_t ts_us, inspect::Bytes frame) {
              inspector_->on_packet(static_cast<inspect::LinkType>(link), frame, ts_us);
            },
            kBatch);
      }
      since_report += n;
      processed_.fetch_add(n, std::memory_order_release);
      if (since_report >= kReportEvery) {
        report();
        since_report = 0;
      }
      if (n > 0) continue;
      bool all_closed = true;
      for (auto& ring : rings_) all_closed = all_closed && ring->closed_and_empty();
      if (all_closed) break;
      report();
      since_report = 0;
      rings_.front()->wait(kIdleWait);  // other rings are looked at every kIdleWait
    }
    inspector_->finish();
    report();
  }

  const rules::SnapshotPublisher& rules_;
  const AttributionSource& identity_;
  PipelineSink& sink_;
  std::vector<std::unique_ptr<PacketRing>> rings_;  // one per producer
  std::vector<RingCounters> counters_;              // one per producer
  std::unique_ptr<inspect::Inspector> inspector_;
  std::shared_ptr<const rules::RuleSnapshot> snapshot_;
  std::uint64_t generation_ = 0;
  std::uint64_t failed_generation_ = 0;  // prepare() failed for it; retry at retry_at_
  std::chrono::steady_clock::time_point retry_at_{};
  rules::RuleSnapshot::Scratch scratch_;
  std::unordered_map<std::uint64_t, rules::FlowScore> flow_scores_;
  // Per DNS flow, the (name, id) of queries seen, for answers_decided_query().
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> dns_queries_;
  Report local_;
  std::atomic<std::uint64_t> processed_{0};  // frames taken off the rings
  mutable std::mutex report_mutex_;
  Report report_;
  std::thread thread_;
};

Pipeline::Pipeline(const PipelineOptions& options, const rules::SnapshotPublisher& rules,
                   const AttributionSource& identity, PipelineSink& sink)
    : options_(options) {
  if (options_.workers == 0) options_.workers = 1;
  if (options_.producers == 0) options_.producers = 1;
  for (std::size_t i = 0; i < options_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(options_, rules, identity, sink));
  }
}

Pipeline::~Pipeline() { finish(); }

void Pipeline::start() {
  if (started_) return;
  started_ = true;
  for (auto& w : workers_) w->start();
}

std::size_t Pipeline::pick(std::uint32_t link, inspect::Bytes frame) const noexcept {
  const std::uint64_t h = frame_flow_hash(link, frame);
  return static_cast<std::size_t>(h % workers_.size());
}

bool Pipeline::offer(std::size_t producer, std::uint32_t link, std::uint64_t ts_us,
                     inspect::Bytes frame) noexcept {
  if (producer >= options_.producers) return false;
  return workers_[pick(link, frame)]->offer(producer, link, ts_us, frame, false);
}

bool Pipeline::offer_wait(std::size_t producer, std::uint32_t link, std::uint64_t ts_us,
                          inspect::Bytes frame) noexcept {
  if (producer >= options_.producers) return false;
  return workers_[pick(link, frame)]->offer(producer, link, ts_us, frame, true);
}

void Pipeline::finish() {
  if (finished_) return;
  finished_ = true;
  for (auto& w : workers_) w->finish();
}

PipelineStats Pipeline::stats() const {
  PipelineStats s;
  for (const auto& w : workers_) w->add_stats(s);
  return s;
}

std::size_t Pipeline::workers() const noexcept { return workers_.size(); }

}  // namespace vigil::daemon
