#pragma once
// vigild's wiring: configuration -> rule snapshot publisher -> pipeline
// (capture or replay, workers) -> this sink -> store writer; committed hits
// that raise a concern -> the concern thread -> store casework (and the
// DSL's notification). Also answers the control socket and /metrics.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "daemon/app/concern_rules.h"
#include "daemon/config/config.h"
#include "daemon/control/handler.h"
#include "daemon/pipeline/capture.h"
#include "daemon/pipeline/pipeline.h"
#include "rules/publisher.h"
#include "store/result.h"

namespace vigil::store {
class Writer;
class Casework;
struct Ack;
}  // namespace vigil::store

namespace vigil::daemon {

// Optional outputs the daemon hands events to; each is thread-safe.
class DaemonOutputs {
 public:
  virtual ~DaemonOutputs() = default;
  // Whether eve() writes anywhere (the daemon then skips building lines).
  [[nodiscard]] virtual bool eve_enabled() const = 0;
  // One EVE JSON line (observation or flow event).
  virtual void eve(std::string line) = 0;
  // One rule hit of a decision (EVE alert event, syslog).
  virtual void alert(const inspect::Observation& obs, const rules::Decision& decision,
                     const rules::Hit& hit) = 0;
  // A concern was opened (id in the store) for a trigger; `under_18` for
  // enhanced handling. Must not carry personal detail onward.
  virtual void concern_opened(std::int64_t concern_id, const ConcernTrigger& trigger,
                              bool under_18) = 0;
  // A system alarm (store spool, capture stopped, stale statutory list).
  virtual void alarm(const std::string& kind, const std::string& text) = 0;
};

struct DaemonStats {
  std::uint64_t hits_appended = 0;
  std::uint64_t hits_refused = 0;  // store spool full or invalid (counted by the store too)
  std::uint64_t circumvention_flows = 0;
  std::uint64_t concerns_opened = 0;
  std::uint64_t concerns_linked = 0;
  std::uint64_t concern_errors = 0;
};

class Daemon final : public PipelineSink, public ControlHandler {
 public:
  // Opens the store and loads the rules. nullptr with `error` (one line)
  // when either fails: vigild exits non-zero rather than run blind.
  static std::unique_ptr<Daemon> create(const config::Config& config,
                                        const AttributionSource& identity, DaemonOutputs* outputs,
                                        std::size_t producers, std::string& error);
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  Pipeline& pipeline() { return *pipeline_; }
  store::Writer* writer() { return writer_.get(); }

  // Starts the workers and the concern thread.
  void start();
  // Drains everything: the pipeline, the store's queue (every hit
  // committed), pending concerns; then stops the writer. Idempotent.
  void stop();

  // Once a second from the main thread: raises an alarm (outputs) when the
  // store starts spooling or failing, an interface stops, or the share of
  // dropped frames passes capture.drop_alarm_percent, or a worker keeps
  // matching with older rules than the published ones for kRulesLagChecks
  // checks. Edge-triggered: one alarm per episode, not one per second.
  void health_check();
  static constexpr int kRulesLagChecks = 10;

  // Housekeeping on the store's writer thread, off the packet path: the
  // hourly statistics rollup (reports) and retention (retention.*; concerns
  // and the audit log are never purged). The main thread calls it each
  // tick; it starts a job when one is due and never waits for it.
  void housekeeping(std::chrono::steady_clock::time_point now);

  [[nodiscard]] DaemonStats stats() const;
  [[nodiscard]] std::uint64_t store_committed() const;

  // PipelineSink (worker threads).
  void on_observation(const inspect::Observation& obs, const Attribution& who) override;
  void on_decision(const inspect::Observation& obs, const rules::Decision& decision,
                   const Attribution& who) override;
  void on_flow_end(const inspect::FlowSummary& flow, const Attribution& who) override;

  // ControlHandler (control thread).
  std::string status_json() override;
  std::string stats_json() override;
  ReloadOutcome reload() override;
  std::string test_json(const std::string& input, const std::string& group) override;
  std::vector<MetricSample> metrics() override;

  // For the live program: interfaces being captured (status and metrics).
  void set_capture(const LiveCapture* capture) { capture_ = capture; }
  // Also run on every reload (configuration, identity sources, the EVE
  // file), before the rules.
  void set_reload_hook(std::function<void()> hook) { reload_hook_ = std::move(hook); }

  // A re-read configuration: the keys a reload applies (rules.dir and the
  // compile limits, retention.*, capture.drop_alarm_percent, ...) take effect
  // from now; startup-only keys keep their running values until a restart.
  void apply_config(const config::Config& loaded);

 private:
  void check_rules_lag();
  void record_capture_health(const std::vector<InterfaceStats>& ifs);
  struct PendingConcern {
    ConcernTrigger trigger;
    std::string person_ref;
    bool under_18 = false;
    std::int64_t incident_id = 0;
  };

  Daemon(const config::Config& config, const AttributionSource& identity, DaemonOutputs* outputs);
  void append(struct HitDraft&& draft);
  void on_commit(const store::Ack* acks, std::size_t n);
  void concern_loop();
  void note_ticket(std::uint64_t ticket);
  void record_rule_set(const std::string& source, const std::string& by);
  bool link_to(std::int64_t concern_id, std::int64_t incident_id);
  bool concern_closed(std::int64_t concern_id);

  [[nodiscard]] config::Config config() const;

  mutable std::mutex config_mutex_;  // config_ and limits_: reloads replace them
  config::Config config_;
  const AttributionSource& identity_;
  DaemonOutputs* outputs_;
  rules::SnapshotPublisher rules_;
  rules::SnapshotLimits limits_;
  std::unique_ptr<store::Writer> writer_;
  std::unique_ptr<store::Casework> casework_;
  std::unique_ptr<Pipeline> pipeline_;
  ConcernRules concern_rules_;
  const LiveCapture* capture_ = nullptr;
  std::function<void()> reload_hook_;
  std::mutex reload_mutex_;  // SIGHUP and the control socket may ask at once
  std::chrono::steady_clock::time_point started_;
  std::atomic<std::int64_t> rules_loaded_us_{0};

  // Tickets whose commit should open a concern, and the queue of those
  // committed, for the concern thread.
  std::mutex concern_mutex_;
  std::condition_variable concern_cv_;
  std::unordered_map<std::uint64_t, PendingConcern> awaiting_commit_;
  std::deque<PendingConcern> ready_;
  bool concern_stop_ = false;
  std::thread concern_thread_;
  // Open concerns per (subject, category), to link later incidents.
  std::unordered_map<std::string, std::int64_t> open_concerns_;

  std::atomic<std::uint64_t> hits_appended_{0};
  std::atomic<std::uint64_t> hits_refused_{0};
  std::atomic<std::uint64_t> circumvention_flows_{0};
  std::atomic<std::uint64_t> concerns_opened_{0};
  std::atomic<std::uint64_t> concerns_linked_{0};
  std::atomic<std::uint64_t> concern_errors_{0};
  std::atomic<std::uint64_t> last_ticket_{0};
  // housekeeping() state (main thread only).
  std::chrono::steady_clock::time_point next_rollup_{};
  std::chrono::steady_clock::time_point next_retention_{};
  // health_check() state (main thread only).
  bool store_alarmed_ = false;
  std::vector<bool> interface_alarmed_;
  bool drops_alarmed_ = false;
  int rules_lag_checks_ = 0;  // consecutive checks with a worker behind the published rules
  bool rules_lag_alarmed_ = false;
  // (frames, drops) totals once a second over the last 5 minutes.
  std::deque<std::pair<std::uint64_t, std::uint64_t>> drop_samples_;
  // When the next capture_health sample set is due (once a minute, the first at once),
  // and the last set's write, looked at (never waited for) when the next is due.
  std::chrono::steady_clock::time_point next_health_sample_{};
  std::future<store::Result<std::int64_t>> health_write_;
  bool health_write_alarmed_ = false;
  bool started_flag_ = false;
  bool stopped_ = false;
};

}  // namespace vigil::daemon
