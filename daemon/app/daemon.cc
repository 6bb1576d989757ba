#include "daemon/app/daemon.h"

#include <chrono>
#include <limits>
#include <span>
#include <thread>

#include "inspect/eve_json.h"
#include "rules/explain.h"
#include "rules/taxonomy.h"
#include "store/casework.h"
#include "store/reader.h"
#include "store/writer.h"

namespace vigil::daemon {

namespace {

constexpr std::string_view kActor = "vigild";

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The circumvention signals of a flow nDPI classified (not remote desktop,
// which is a tool, not a way round the filter), as list entry text.
std::string circumvention_flags(std::uint32_t flags) {
  constexpr std::uint32_t kCircumvention = inspect::kFlowVpn | inspect::kFlowTor |
                                           inspect::kFlowProxy | inspect::kFlowEncryptedDns |
                                           inspect::kFlowEch;
  std::string out;
  for (std::string_view name : inspect::flow_flag_names(flags & kCircumvention)) {
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

std::string subject_of(const Attribution& who, const std::string& client_ip) {
  return who.person_ref.empty() ? "device:" + client_ip : who.person_ref;
}

}  // namespace

// A hit on its way to the store, with what the concern rules decided.
struct HitDraft {
  store::HitRecord record;
  std::optional<ConcernTrigger> trigger;
  bool under_18 = false;
};

Daemon::Daemon(const config::Config& config, const AttributionSource& identity,
               DaemonOutputs* outputs)
    : config_(config),
      identity_(identity),
      outputs_(outputs),
      concern_rules_(ConcernRulesOptions{
          std::chrono::duration_cast<std::chrono::microseconds>(
              config.get_duration("incidents.window")),
          static_cast<int>(config.get_int("incidents.circumvention_threshold")), 100'000}),
      started_(std::chrono::steady_clock::now()) {
  limits_.compile_time = config.get_duration("rules.compile_time_limit");
  limits_.compile_memory_bytes = static_cast<std::size_t>(config.get_int("rules.compile_memory_mb"))
                                 << 20;
}

Daemon::~Daemon() { stop(); }

std::unique_ptr<Daemon> Daemon::create(const config::Config& config,
                                       const AttributionSource& identity, DaemonOutputs* outputs,
                                       std::size_t producers, std::string& error) {
  std::unique_ptr<Daemon> d(new Daemon(config, identity, outputs));
  const std::string& dir = config.get_string("rules.dir");
  rules::ReloadResult r = d->rules_.reload(dir, d->limits_);
  if (!r.ok) {
    error = "rules: " + r.error;
    return nullptr;
  }
  d->rules_loaded_us_.store(now_us());

  store::WriterOptions w;
  w.path = config.get_string("store.path");
  w.spool_capacity = static_cast<std::size_t>(config.get_int("store.spool_max_hits"));
  w.batch_max = static_cast<std::size_t>(config.get_int("store.batch_max_hits"));
  w.batch_delay = config.get_duration("store.batch_max_delay");
  w.busy_timeout = config.get_duration("store.busy_timeout");
  w.incident_window = std::chrono::duration_cast<std::chrono::microseconds>(
      config.get_duration("incidents.window"));
  if (auto p = store::parse_activity_privacy(config.get_string("store.activity_privacy"))) {
    w.activity_privacy = *p;
  }
  Daemon* self = d.get();
  auto writer = store::Writer::open(std::move(w), [self](std::span<const store::Ack> acks) {
    self->on_commit(acks.data(), acks.size());
  });
  if (!writer) {
    error = "store: " + writer.error().message;
    return nullptr;
  }
  d->writer_ = std::move(writer).value();
  store::CaseworkOptions c;
  c.path = config.get_string("store.path");
  auto casework = store::Casework::open(c);
  if (!casework) {
    error = "store: " + casework.error().message;
    return nullptr;
  }
  d->casework_ = std::move(casework).value();
  d->record_rule_set(dir, "vigild (start)");

  PipelineOptions p;
  const auto workers = config.get_int("capture.workers");
  p.workers = workers > 0 ? static_cast<std::size_t>(workers)
                          : std::max(1U, std::thread::hardware_concurrency());
  p.producers = producers;
  p.inspector.max_flows = static_cast<std::size_t>(config.get_int("inspect.max_flows"));
  p.inspector.tcp_idle_timeout_us =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     config.get_duration("inspect.tcp_idle_timeout"))
                                     .count());
  p.inspector.udp_idle_timeout_us =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     config.get_duration("inspect.udp_idle_timeout"))
                                     .count());
  p.inspector.max_inspect_bytes =
      static_cast<std::uint64_t>(config.get_int("inspect.max_flow_bytes"));
  p.inspector.tcp_max_held_bytes =
      static_cast<std::size_t>(config.get_int("inspect.tcp_max_held_bytes"));
  p.inspector.tcp_max_held_total_bytes =
      static_cast<std::size_t>(config.get_int("inspect.tcp_max_held_total_bytes"));
  p.inspector.http_text_max_bytes =
      static_cast<std::size_t>(config.get_int("inspect.http_text_max_bytes"));
  p.inspector.classify = config.get_bool("inspect.classify");
  d->pipeline_ = std::make_unique<Pipeline>(p, d->rules_, identity, *d);
  return d;
}

void Daemon::start() {
  if (started_flag_) return;
  started_flag_ = true;
  concern_thread_ = std::thread([this] { concern_loop(); });
  pipeline_->start();
}

void Daemon::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (pipeline_) pipeline_->finish();
  // Every hit the workers handed over is committed (or counted as lost by
  // the store when the database stays unavailable), so its concern can open.
  if (writer_ && !writer_->wait_acked(last_ticket_.load(), std::chrono::seconds(60)) &&
      outputs_ != nullptr) {
    outputs_->alarm("store", "stopping with hits not yet committed");
  }
  {
    std::unique_lock lock(concern_mutex_);
    concern_stop_ = true;
  }
  concern_cv_.notify_all();
  if (concern_thread_.joinable()) concern_thread_.join();
  if (writer_) writer_->stop();
  // Signals whose hit was never committed, or committed too late for the
  // concern thread: counted, and said, not silently dropped.
  std::lock_guard lock(concern_mutex_);
  const std::size_t lost = awaiting_commit_.size() + ready_.size();
  if (lost > 0) {
    concern_errors_.fetch_add(lost, std::memory_order_relaxed);
    if (outputs_ != nullptr) {
      outputs_->alarm("concern", std::to_string(lost) + " concern signal(s) not stored at stop");
    }
  }
}

void Daemon::on_observation(const inspect::Observation& obs, const Attribution& who) {
  if (outputs_ != nullptr && outputs_->eve_enabled()) {
    if (std::string line = inspect::to_eve_json(obs); !line.empty()) outputs_->eve(std::move(line));
  }
  if (obs.kind == inspect::ObservationKind::DnsAnswer) return;  // the query is the visit
  store::ActivityRecord a;
  a.ts_us = static_cast<store::TimeUs>(obs.ts_us);
  a.client_ip = obs.client.to_string();
  a.device_mac = who.mac;
  a.kind = std::string(inspect::kind_name(obs.kind));
  // Page text never goes to the activity log: the page's address does.
  a.name =
      obs.kind == inspect::ObservationKind::HttpText ? obs.http_host + obs.http_url : obs.value;
  writer_->record_activity(a);
}

void Daemon::on_decision(const inspect::Observation& obs, const rules::Decision& decision,
                         const Attribution& who) {
  const std::string client = obs.client.to_string();
  const int limit = decision.naughtiness_limit;
  bool phrase_counted = false;
  for (const rules::Hit& h : decision.hits) {
    HitDraft draft;
    store::HitRecord& r = draft.record;
    r.ts_us = static_cast<store::TimeUs>(h.ts_us != 0 ? h.ts_us : obs.ts_us);
    r.client_ip = client;
    r.device_mac = who.mac;
    r.hostname = who.hostname;
    r.kind = std::string(rules::hit_kind_name(h.kind));
    r.observation = std::string(inspect::kind_name(h.observation));
    r.value = h.value;
    r.search_term = h.search_term;
    r.list = h.list;
    r.entry = h.entry;
    r.list_line = h.line;
    r.category = std::string(rules::category_name(h.category));
    r.severity = std::string(rules::severity_name(h.severity));
    r.action = h.allowed ? "allow" : std::string(rules::action_name(h.action));
    r.reason = h.reason;
    r.statutory = h.statutory;
    r.allowed = h.allowed || h.allow_entry;
    r.weight = h.weight;
    r.flow_id = h.flow_id;
    r.person_ref = who.person_ref;
    r.attribution_source = who.source;
    r.attribution_confidence = who.confidence;
    HitFacts facts;
    facts.subject = subject_of(who, client);
    facts.category = r.category;
    facts.severity = r.severity;
    facts.allowed = r.allowed;
    // What the decision added to the flow's score (each phrase once per
    // flow), carried by its first weighted hit only.
    if (h.weight != 0 && !phrase_counted) {
      facts.phrase_weight = decision.phrase_added;
      phrase_counted = true;
    }
    facts.phrase_limit = limit;
    facts.circumvention = h.category == rules::Category::Circumvention;
    facts.ts_us = static_cast<std::uint64_t>(r.ts_us);
    draft.trigger = concern_rules_.on_hit(facts);
    draft.under_18 = who.under_18;
    append(std::move(draft));
    if (outputs_ != nullptr) outputs_->alert(obs, decision, h);
  }
}

void Daemon::on_flow_end(const inspect::FlowSummary& flow, const Attribution& who) {
  if (outputs_ != nullptr && outputs_->eve_enabled()) outputs_->eve(inspect::to_eve_json(flow));
  const std::string flags = circumvention_flags(flow.classification.flags);
  if (flags.empty()) return;
  circumvention_flows_.fetch_add(1, std::memory_order_relaxed);
  HitDraft draft;
  store::HitRecord& r = draft.record;
  const std::string client = flow.client.to_string();
  r.ts_us = static_cast<store::TimeUs>(flow.first_ts_us);
  r.client_ip = client;
  r.device_mac = who.mac;
  r.hostname = who.hostname;
  r.kind = "circumvention";
  r.observation = "flow";
  r.value = flow.classification.app_protocol.empty()
                ? flow.server.to_string() + ":" + std::to_string(flow.server_port)
                : flow.classification.app_protocol;
  r.list = "nDPI classification";
  r.entry = flags;
  r.category = "circumvention";
  r.severity = "caution";
  r.action = "log";
  r.reason = "nDPI classified this flow as " + flags + " (" + r.value + ")";
  r.flow_id = flow.flow_id;
  r.person_ref = who.person_ref;
  r.attribution_source = who.source;
  r.attribution_confidence = who.confidence;
  HitFacts facts;
  facts.subject = subject_of(who, client);
  facts.category = "circumvention";
  facts.severity = "caution";
  facts.circumvention = true;
  facts.ts_us = flow.first_ts_us;
  draft.trigger = concern_rules_.on_hit(facts);
  draft.under_18 = who.under_18;
  append(std::move(draft));
}

void Daemon::note_ticket(std::uint64_t ticket) {
  // The highest ticket handed to the store, for stop() to wait on.
  std::uint64_t prev = last_ticket_.load(std::memory_order_relaxed);
  while (prev < ticket && !last_ticket_.compare_exchange_weak(prev, ticket)) {
  }
}

void Daemon::append(HitDraft&& draft) {
  if (!draft.trigger) {
    const store::AppendResult a = writer_->append(std::move(draft.record));
    if (a.status == store::AppendStatus::Accepted) {
      hits_appended_.fetch_add(1, std::memory_order_relaxed);
      note_ticket(a.ticket);
    } else {
      hits_refused_.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  // Held across append(): the commit callback looks the ticket up under the
  // same lock, so it cannot miss a ticket registered a moment late.
  PendingConcern pending{*draft.trigger, draft.record.person_ref, draft.under_18, 0};
  std::lock_guard lock(concern_mutex_);
  const store::AppendResult a = writer_->append(std::move(draft.record));
  if (a.status != store::AppendStatus::Accepted) {
    hits_refused_.fetch_add(1, std::memory_order_relaxed);
    if (!pending.trigger.link_only) {
      concern_rules_.release(pending.trigger);  // the next signal raises it again
      concern_errors_.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  hits_appended_.fetch_add(1, std::memory_order_relaxed);
  note_ticket(a.ticket);
  awaiting_commit_.emplace(a.ticket, std::move(pending));
}

void Daemon::on_commit(const store::Ack* acks, std::size_t n) {
  std::lock_guard lock(concern_mutex_);
  if (awaiting_commit_.empty()) return;
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    auto it = awaiting_commit_.find(acks[i].ticket);
    if (it == awaiting_commit_.end()) continue;
    it->second.incident_id = acks[i].incident_id;
    ready_.push_back(std::move(it->second));
    awaiting_commit_.erase(it);
    any = true;
  }
  if (any) concern_cv_.notify_one();
}

bool Daemon::link_to(std::int64_t concern_id, std::int64_t incident_id) {
  if (casework_->link_incident(kActor, concern_id, incident_id)) {
    concerns_linked_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  // Already linked to this concern (several hits of one incident) is fine.
  auto inc = casework_->reader().incident(incident_id);
  return inc && inc->has_value() && (**inc).concern_id == concern_id;
}

bool Daemon::concern_closed(std::int64_t concern_id) {
  auto c = casework_->reader().concern(concern_id);
  return c && c->has_value() && (**c).state == store::ConcernState::Closed;
}

void Daemon::concern_loop() {
  std::unique_lock lock(concern_mutex_);
  for (;;) {
    concern_cv_.wait(lock, [this] { return concern_stop_ || !ready_.empty(); });
    if (ready_.empty()) {
      if (concern_stop_) return;
      continue;
    }
    PendingConcern p = std::move(ready_.front());
    ready_.pop_front();
    lock.unlock();

    const std::string key = p.trigger.subject + '\n' + p.trigger.category;
    auto open = open_concerns_.find(key);
    bool done = false;
    if (open != open_concerns_.end() && p.incident_id != 0) {
      done = link_to(open->second, p.incident_id);
      if (!done && concern_closed(open->second)) open_concerns_.erase(open);
    } else if (open != open_concerns_.end()) {
      done = true;  // nothing to link (an allowed or refused hit)
    }
    // A held-back signal whose concern is not known here (it failed to
    // open, or vigild restarted) opens one like a first signal.
    if (!done && (open_concerns_.find(key) == open_concerns_.end())) {
      store::NewConcern nc;
      nc.summary = "Raised by Vigil: " + p.trigger.why + " (" + p.trigger.category + ", " +
                   p.trigger.severity + ").";
      if (p.incident_id != 0) {
        nc.incident_ids.push_back(p.incident_id);
        if (auto inc = casework_->reader().incident(p.incident_id); inc && inc->has_value()) {
          const store::Incident& i = **inc;
          if (i.person_id != 0) nc.person_id = i.person_id;
          if (i.device_id != 0) nc.device_id = i.device_id;
        }
      }
      auto id = casework_->open_concern(kActor, nc);
      if (id) {
        open_concerns_[key] = *id;
        concerns_opened_.fetch_add(1, std::memory_order_relaxed);
        if (outputs_ != nullptr) outputs_->concern_opened(*id, p.trigger, p.under_18);
      } else {
        concern_rules_.release(p.trigger);
        concern_errors_.fetch_add(1, std::memory_order_relaxed);
        if (outputs_ != nullptr) {
          outputs_->alarm("concern", "a concern could not be opened: " + id.error().message);
        }
      }
    } else if (!done) {
      concern_errors_.fetch_add(1, std::memory_order_relaxed);
      if (outputs_ != nullptr) {
        outputs_->alarm("concern", "incident " + std::to_string(p.incident_id) +
                                       " could not be linked to its open concern");
      }
    }
    lock.lock();
  }
}

void Daemon::housekeeping(std::chrono::steady_clock::time_point now) {
  if (!writer_) return;
  if (now >= next_rollup_) {
    (void)writer_->rollup_statistics();  // the future's result is in the store's stats
    next_rollup_ = now + std::chrono::hours(1);
  }
  if (now >= next_retention_) {
    store::RetentionPolicy p;
    const config::Config c = config();
    p.activity_days = static_cast<int>(c.get_int("retention.activity_days"));
    p.hits_months = static_cast<int>(c.get_int("retention.hits_months"));
    p.statistics_months = static_cast<int>(c.get_int("retention.statistics_months"));
    (void)writer_->run_retention(p);
    next_retention_ = now + std::chrono::hours(24);
  }
}

void Daemon::health_check() {
  if (outputs_ == nullptr || !writer_) return;
  check_rules_lag();
  const store::WriterStats w = writer_->stats();
  const bool store_bad = w.alarm != store::Alarm::None;
  if (store_bad && !store_alarmed_) {
    outputs_->alarm("store", std::string("the store is ") +
                                 std::string(store::alarm_name(w.alarm)) +
                                 "; hits wait in memory (" + std::to_string(w.spool_depth) +
                                 " now): " + w.last_error);
  }
  store_alarmed_ = store_bad;
  if (capture_ == nullptr) return;
  const std::vector<InterfaceStats> ifs = capture_->stats();
  interface_alarmed_.resize(ifs.size(), false);
  record_capture_health(ifs);
  std::uint64_t frames = 0;
  std::uint64_t drops = 0;
  for (std::size_t i = 0; i < ifs.size(); ++i) {
    const InterfaceStats& s = ifs[i];
    if (!s.running && !interface_alarmed_[i]) {
      outputs_->alarm("capture", "capture on " + s.name + " stopped: " + s.error);
    }
    interface_alarmed_[i] = !s.running;
    frames += s.kernel_received;
    drops += s.kernel_dropped + s.queue_drops;
  }
  // The drop share over the last 5 minutes (one sample per call, once a second).
  drop_samples_.emplace_back(frames, drops);
  while (drop_samples_.size() > 301) drop_samples_.pop_front();
  const auto [f0, d0] = drop_samples_.front();
  const std::uint64_t df = frames - std::min(frames, f0);
  const std::uint64_t dd = drops - std::min(drops, d0);
  const double limit = config().get_double("capture.drop_alarm_percent");
  const bool dropping = df > 0 && 100.0 * static_cast<double>(dd) / static_cast<double>(df) > limit;
  if (dropping && !drops_alarmed_) {
    outputs_->alarm("capture_drops", std::to_string(dd) + " of " + std::to_string(df) +
                                         " frames dropped in the last 5 minutes");
  }
  drops_alarmed_ = dropping;
}

// Once a minute, each interface's counters into the store (capture_health),
// for the monthly report's drop rate and uptime and for vigilctl check. Live
// capture only: replay has no capture_. The writer thread writes the rows
// between batches; the result is looked at a minute later, without waiting,
// and a failure raises one alarm until a write succeeds again.
void Daemon::record_capture_health(const std::vector<InterfaceStats>& ifs) {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_health_sample_) return;
  next_health_sample_ = now + std::chrono::minutes(1);
  if (health_write_.valid() &&
      health_write_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    const store::Result<std::int64_t> r = health_write_.get();
    if (!r && !health_write_alarmed_ && outputs_ != nullptr) {
      outputs_->alarm("store", "capture health not recorded: " + r.error().message);
    }
    health_write_alarmed_ = !r;
  }
  const std::int64_t ts = now_us();
  const auto generation = static_cast<std::int64_t>(rules_.generation());
  std::vector<store::CaptureHealthSample> samples;
  samples.reserve(ifs.size());
  const auto count = [](std::uint64_t v) {
    return static_cast<std::int64_t>(
        std::min<std::uint64_t>(v, std::numeric_limits<std::int64_t>::max()));
  };
  for (const InterfaceStats& s : ifs) {
    samples.push_back({ts, s.name, s.running, count(s.frames), count(s.kernel_dropped),
                       count(s.queue_drops), generation});
  }
  // A write still pending (the store busy) goes on; only the newest result is looked at.
  if (!samples.empty()) health_write_ = writer_->record_capture_health(std::move(samples));
}

// A worker that cannot make room for new rules keeps matching with the old
// ones. Ten checks in a row (about 10 s: longer than any worker takes to
// notice a reload) with a worker behind raise one alarm, cleared on catch-up.
void Daemon::check_rules_lag() {
  const std::uint64_t published = rules_.generation();
  const PipelineStats p = pipeline_->stats();
  std::string behind;
  for (std::size_t i = 0; i < p.worker_rules_generation.size(); ++i) {
    if (p.worker_rules_generation[i] >= published) continue;
    if (!behind.empty()) behind += ", ";
    behind += "worker " + std::to_string(i) + " on generation " +
              std::to_string(p.worker_rules_generation[i]);
  }
  rules_lag_checks_ = behind.empty() ? 0 : rules_lag_checks_ + 1;
  if (rules_lag_checks_ >= kRulesLagChecks && !rules_lag_alarmed_) {
    outputs_->alarm("rules", "rules generation " + std::to_string(published) +
                                 " is not in use everywhere (" + behind + "; " +
                                 std::to_string(p.rules_prepare_failures) +
                                 " failed attempts to prepare it): hits there follow older rules");
  }
  rules_lag_alarmed_ = rules_lag_checks_ >= kRulesLagChecks;
}

config::Config Daemon::config() const {
  std::lock_guard lock(config_mutex_);
  return config_;
}

void Daemon::apply_config(const config::Config& loaded) {
  // Startup-only keys stay as they run: only the reloadable ones change.
  const config::ConfigDiff d = config::diff(config(), loaded, config::kVigild);
  if (d.reload.empty()) return;
  std::lock_guard lock(config_mutex_);
  config_ = loaded;
  limits_.compile_time = loaded.get_duration("rules.compile_time_limit");
  limits_.compile_memory_bytes = static_cast<std::size_t>(loaded.get_int("rules.compile_memory_mb"))
                                 << 20;
}

DaemonStats Daemon::stats() const {
  DaemonStats s;
  s.hits_appended = hits_appended_.load();
  s.hits_refused = hits_refused_.load();
  s.circumvention_flows = circumvention_flows_.load();
  s.concerns_opened = concerns_opened_.load();
  s.concerns_linked = concerns_linked_.load();
  s.concern_errors = concern_errors_.load();
  return s;
}

std::uint64_t Daemon::store_committed() const { return writer_ ? writer_->stats().committed : 0; }

ReloadOutcome Daemon::reload() {
  std::lock_guard serial(reload_mutex_);
  if (reload_hook_) reload_hook_();
  const config::Config c = config();
  rules::SnapshotLimits limits;
  {
    std::lock_guard lock(config_mutex_);
    limits = limits_;
  }
  const rules::ReloadResult r = rules_.reload(c.get_string("rules.dir"), limits);
  ReloadOutcome out;
  out.ok = r.ok;
  if (!r.ok) {
    out.message = r.error;
    if (outputs_ != nullptr)
      outputs_->alarm("rules", "reload failed, previous rules kept: " + r.error);
    return out;
  }
  rules_loaded_us_.store(now_us());
  out.message = "rules reloaded in " + std::to_string(r.took.count()) + " ms (generation " +
                std::to_string(r.generation) + ")";
  record_rule_set(c.get_string("rules.dir"), "vigild (reload)");
  return out;
}

void Daemon::record_rule_set(const std::string& source, const std::string& by) {
  // A rule-set row per load, for the reports' list versions and ages.
  const auto snap = rules_.current();
  store::RuleSetRecord rs;
  rs.loaded_us = now_us();
  rs.source = source;
  rs.lists = static_cast<std::int64_t>(snap->lists().size());
  for (const rules::LoadedList& l : snap->lists()) {
    rs.entries += static_cast<std::int64_t>(l.entries);
    rs.version += l.sha256.substr(0, 8);
  }
  rs.loaded_by = by;
  (void)writer_->record_rule_set(rs);
}

std::string Daemon::test_json(const std::string& input, const std::string& group) {
  const auto snap = rules_.current();
  if (!snap) return R"({"error":"no rules loaded"})";
  rules::RuleSnapshot::Scratch scratch;  // the control thread's own
  if (!snap->prepare(scratch)) return R"({"error":"out of memory"})";
  return rules::decision_json(input, rules::explain(*snap, scratch, input, group));
}

std::string Daemon::status_json() {
  inspect::JsonObject o;
  const auto up =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count();
  o.num("uptime_s", static_cast<std::uint64_t>(up));
  const PipelineStats p = pipeline_->stats();
  o.num("workers", static_cast<std::uint64_t>(pipeline_->workers()));
  o.num("rules_generation", rules_.generation());
  {
    std::vector<inspect::JsonObject> per_worker;
    for (std::size_t i = 0; i < p.worker_rules_generation.size(); ++i) {
      per_worker.push_back(inspect::JsonObject{}
                               .num("worker", static_cast<std::uint64_t>(i))
                               .num("rules_generation", p.worker_rules_generation[i]));
    }
    o.array("worker_rules", per_worker);
  }
  o.num("rules_prepare_failures", p.rules_prepare_failures);
  o.num("rules_loaded_us", static_cast<std::int64_t>(rules_loaded_us_.load()));
  o.num("frames_queued", p.frames_queued);
  o.num("queue_drops", p.queue_drops);
  const store::WriterStats w = writer_->stats();
  inspect::JsonObject st;
  st.str("alarm", store::alarm_name(w.alarm))
      .num("spool_depth", static_cast<std::uint64_t>(w.spool_depth))
      .num("committed", w.committed)
      .num("dropped_over_bound", w.dropped_over_bound);
  if (!w.last_error.empty()) st.str("last_error", w.last_error);
  o.object("store", st);
  if (capture_ != nullptr) {
    std::vector<inspect::JsonObject> ifs;
    for (const InterfaceStats& i : capture_->stats()) {
      inspect::JsonObject& io = ifs.emplace_back();
      io.str("name", i.name)
          .boolean("running", i.running)
          .num("frames", i.frames)
          .num("queue_drops", i.queue_drops)
          .num("kernel_dropped", i.kernel_dropped)
          .num("interface_dropped", i.interface_dropped);
      if (!i.error.empty()) io.str("error", i.error);
    }
    o.array("interfaces", ifs);
  }
  return o.text();
}

std::string Daemon::stats_json() {
  inspect::JsonObject o;
  const PipelineStats p = pipeline_->stats();
  for (std::size_t i = 0; i < static_cast<std::size_t>(inspect::Counter::kCount); ++i) {
    const auto c = static_cast<inspect::Counter>(i);
    o.num(inspect::counter_name(c), p.inspect.get(c));
  }
  o.num("pipeline.frames_queued", p.frames_queued)
      .num("pipeline.queue_drops", p.queue_drops)
      .num("pipeline.observations", p.observations)
      .num("pipeline.decisions", p.decisions)
      .num("pipeline.hits", p.hits)
      .num("pipeline.flows_ended", p.flows_ended)
      .num("pipeline.unattributed", p.unattributed);
  const store::WriterStats w = writer_->stats();
  o.num("store.accepted", w.accepted)
      .num("store.committed", w.committed)
      .num("store.batches", w.batches)
      .num("store.invalid", w.invalid)
      .num("store.dropped_over_bound", w.dropped_over_bound)
      .num("store.spooled_total", w.spooled_total)
      .num("store.retries", w.retries)
      .num("store.activity_rows", w.activity_rows)
      .num("store.activity_dropped", w.activity_dropped);
  const DaemonStats d = stats();
  o.num("daemon.hits_appended", d.hits_appended)
      .num("daemon.hits_refused", d.hits_refused)
      .num("daemon.circumvention_flows", d.circumvention_flows)
      .num("daemon.concerns_opened", d.concerns_opened)
      .num("daemon.concerns_linked", d.concerns_linked)
      .num("daemon.concern_errors", d.concern_errors)
      .num("daemon.concern_triggers_held_back", concern_rules_.held_back());
  return o.text();
}

std::vector<MetricSample> Daemon::metrics() {
  std::vector<MetricSample> m;
  auto add = [&](std::string name, std::string help, std::string type, double v,
                 std::vector<std::pair<std::string, std::string>> labels = {}) {
    m.push_back(
        MetricSample{std::move(name), std::move(help), std::move(type), std::move(labels), v});
  };
  const PipelineStats p = pipeline_->stats();
  add("vigil_frames_queued_total", "Frames handed to the workers", "counter",
      static_cast<double>(p.frames_queued));
  add("vigil_queue_drops_total", "Frames dropped because a worker queue was full", "counter",
      static_cast<double>(p.queue_drops));
  add("vigil_observations_total", "Names, URLs, search terms and page texts seen", "counter",
      static_cast<double>(p.observations));
  add("vigil_hits_total", "Rule hits", "counter", static_cast<double>(p.hits));
  add("vigil_unattributed_observations_total", "Observations from clients with no known person",
      "counter", static_cast<double>(p.unattributed));
  add("vigil_rules_generation", "Rule snapshot generation published", "gauge",
      static_cast<double>(rules_.generation()));
  for (std::size_t i = 0; i < p.worker_rules_generation.size(); ++i) {
    add("vigil_worker_rules_generation", "Rule snapshot generation each worker matches with",
        "gauge", static_cast<double>(p.worker_rules_generation[i]),
        {{"worker", std::to_string(i)}});
  }
  add("vigil_rules_prepare_failures_total",
      "Times a worker could not allocate scratch space for new rules and kept the old ones",
      "counter", static_cast<double>(p.rules_prepare_failures));
  const store::WriterStats w = writer_->stats();
  add("vigil_store_spool_depth", "Hits accepted and not yet committed", "gauge",
      static_cast<double>(w.spool_depth));
  add("vigil_store_committed_total", "Hits committed to the store", "counter",
      static_cast<double>(w.committed));
  add("vigil_store_dropped_total", "Hits lost because the spool was full", "counter",
      static_cast<double>(w.dropped_over_bound));
  add("vigil_store_alarm", "1 while the store is busy, full or failing", "gauge",
      w.alarm == store::Alarm::None ? 0 : 1, {{"alarm", std::string(store::alarm_name(w.alarm))}});
  const DaemonStats d = stats();
  add("vigil_concerns_opened_total", "Concerns Vigil raised for the DSL", "counter",
      static_cast<double>(d.concerns_opened));
  add("vigil_circumvention_flows_total", "Flows nDPI classified as VPN, Tor, proxy, DoH or ECH",
      "counter", static_cast<double>(d.circumvention_flows));
  if (capture_ != nullptr) {
    for (const InterfaceStats& i : capture_->stats()) {
      add("vigil_capture_frames_total", "Frames read from the interface", "counter",
          static_cast<double>(i.frames), {{"interface", i.name}});
      add("vigil_capture_kernel_drops_total", "Frames the kernel dropped (pcap_stats)", "counter",
          static_cast<double>(i.kernel_dropped), {{"interface", i.name}});
    }
  }
  return m;
}

}  // namespace vigil::daemon
