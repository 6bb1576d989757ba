#include "admin/vigilctl/extract_command.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "admin/vigilctl/text_escape.h"
#include "daemon/events/eve_alert.h"
#include "inspect/capture/pcap_source.h"
#include "inspect/eve_json.h"
#include "inspect/inspector.h"
#include "rules/policy/policy.h"
#include "rules/snapshot.h"

namespace vigil::admin {
namespace {

using inspect::Observation;
using inspect::ObservationKind;

// Counts distinct flows per (kind, value, client), the corpus TSV's rows.
// Hashed on the raw key while reading; formatted and sorted once at the end.
class TsvCollector final : public inspect::ObservationSink {
 public:
  void on_observation(const Observation& o) override {
    // The corpus format has the wire names only; page text is not a row.
    if (o.kind == ObservationKind::HttpText || o.kind == ObservationKind::SearchTerm) return;
    key_.clear();
    key_.push_back(static_cast<char>(o.kind));
    key_.append(reinterpret_cast<const char*>(o.client.bytes.data()), o.client.bytes.size());
    key_.push_back(o.client.v6 ? '6' : '4');
    key_.append(o.value);
    auto [it, inserted] = rows_.try_emplace(key_);
    Row& row = it->second;
    if (inserted) {
      row.kind = o.kind;
      row.client = o.client;
    }
    // A flow's observations arrive together, so the last id is the usual repeat.
    if (row.flows.empty() || row.flows.back() != o.flow_id) {
      if (std::find(row.flows.begin(), row.flows.end(), o.flow_id) == row.flows.end()) {
        row.flows.push_back(o.flow_id);
      }
    }
  }

  void write(std::FILE* out) const {
    std::vector<std::string> lines;
    lines.reserve(rows_.size());
    constexpr std::size_t kPrefix = 1 + 16 + 1;
    for (const auto& [key, row] : rows_) {
      std::string line(inspect::kind_name(row.kind));
      line += '\t';
      line += escape_control_bytes(std::string_view(key).substr(kPrefix));
      line += '\t';
      line += row.client.to_string();
      line += '\t';
      line += std::to_string(row.flows.size());
      line += '\n';
      lines.push_back(std::move(line));
    }
    std::sort(lines.begin(), lines.end());
    std::string text = "kind\tvalue\tclient_ip\tcount\n";
    for (const std::string& l : lines) text += l;
    std::fwrite(text.data(), 1, text.size(), out);
  }

 private:
  struct Row {
    ObservationKind kind = ObservationKind::Dns;
    inspect::IpAddress client;
    std::vector<std::uint64_t> flows;
  };
  std::string key_;
  std::unordered_map<std::string, Row> rows_;
};

class EveWriter final : public inspect::ObservationSink {
 public:
  explicit EveWriter(std::FILE* out) : out_(out) {}
  void use_rules(std::shared_ptr<const rules::RuleSnapshot> snap, std::string group) {
    rules_ = std::move(snap);
    group_ = std::move(group);
    rules_->prepare(scratch_);
  }
  void on_observation(const Observation& o) override {
    put(inspect::to_eve_json(o));
    if (!rules_) return;
    // Weighted phrases add up per flow, as in the daemon.
    rules::FlowScore& score = flow_scores_[o.flow_id];
    alerts(o, score);
    if (auto term = rules_->search_term(o)) alerts(*term, score);
  }
  void on_flow_end(const inspect::FlowSummary& f) override {
    flow_scores_.erase(f.flow_id);
    put(inspect::to_eve_json(f));
  }

 private:
  void alerts(const Observation& o, rules::FlowScore& score) {
    rules::Decision d = rules_->decide(o, group_, scratch_, &score);
    for (const rules::Hit& h : d.hits) put(daemon::to_eve_alert(o, d, h));
  }
  void put(const std::string& line) {
    if (line.empty()) return;
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fputc('\n', out_);
  }
  std::FILE* out_;
  std::shared_ptr<const rules::RuleSnapshot> rules_;
  std::string group_;
  rules::RuleSnapshot::Scratch scratch_;
  std::unordered_map<std::uint64_t, rules::FlowScore> flow_scores_;
};

// Loads --rules once for the whole run; nullptr (after one error line) on failure.
std::shared_ptr<const rules::RuleSnapshot> load_rules(const std::string& dir) {
  std::string error;
  auto policy = rules::load_policy(dir, error);
  std::shared_ptr<const rules::RuleSnapshot> snap;
  if (policy) snap = rules::RuleSnapshot::build(*policy, error);
  if (!snap) std::fprintf(stderr, "vigilctl extract: %s\n", error.c_str());
  return snap;
}

inspect::InspectorConfig inspector_config(const ExtractOptions& opt) {
  inspect::InspectorConfig cfg;
  cfg.classify = opt.classify;
  cfg.max_flows = opt.max_flows;
  cfg.max_inspect_bytes = opt.max_flow_bytes;
  if (opt.http_text_bytes >= 0) {
    cfg.http_text_max_bytes = static_cast<std::size_t>(opt.http_text_bytes);
  } else if (opt.rules_dir.empty()) {
    cfg.http_text_max_bytes = 0;  // neither the TSV nor plain EVE shows page text
  }
  return cfg;
}

void print_stats(const std::string& pcap, const inspect::Counters& c) {
  std::fprintf(stderr, "# %s\n", pcap.c_str());
  for (std::size_t i = 0; i < static_cast<std::size_t>(inspect::Counter::kCount); ++i) {
    auto id = static_cast<inspect::Counter>(i);
    std::fprintf(stderr, "%-32s %llu\n", std::string(inspect::counter_name(id)).c_str(),
                 static_cast<unsigned long long>(c.get(id)));
  }
}

// Runs one capture through an Inspector. Returns 0, or 1 when unreadable.
int inspect_file(const std::string& path, const ExtractOptions& opt, inspect::ObservationSink& sink,
                 inspect::Counters& totals) {
  std::string error;
  auto source = inspect::PcapSource::open_file(path, error);
  if (!source) {
    std::fprintf(stderr, "vigilctl extract: %s: %s\n", path.c_str(), error.c_str());
    return 1;
  }
  int dlt = source->datalink();
  if (!inspect::Decoder::supports(static_cast<std::uint32_t>(dlt))) {
    std::fprintf(stderr,
                 "vigilctl extract: warning: %s: link type %d is not decoded; nothing inspected\n",
                 path.c_str(), dlt);
    return 0;
  }
  inspect::Inspector inspector(inspector_config(opt), sink);
  auto link = static_cast<inspect::LinkType>(dlt);
  inspect::CapturedPacket pkt;
  std::uint64_t packets = 0;
  for (;;) {
    auto r = source->next(pkt);
    if (r == inspect::PcapSource::Next::Packet) {
      ++packets;
      inspector.on_packet(link, pkt.frame, pkt.ts_us);
      continue;
    }
    if (r == inspect::PcapSource::Next::Error) {
      // A capture cut short: keep what was read, as tshark does.
      std::fprintf(stderr, "vigilctl extract: warning: %s: %s (after %llu packets)\n", path.c_str(),
                   source->last_error().c_str(), static_cast<unsigned long long>(packets));
    }
    break;
  }
  inspector.finish();
  if (opt.stats) print_stats(path, inspector.counters());
  totals.add(inspector.counters());
  return 0;
}

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int /*sig*/) { g_stop.store(true); }

// Live capture until --duration, --count or SIGINT/SIGTERM; then the
// observations are printed as for a file.
int inspect_live(const ExtractOptions& opt, inspect::ObservationSink& sink,
                 inspect::Counters& totals) {
  std::string error;
  inspect::PcapSource::LiveOptions live;
  auto source = inspect::PcapSource::open_live(opt.interface, live, error);
  if (!source) {
    std::fprintf(stderr, "vigilctl extract: %s\n", error.c_str());
    return 1;
  }
  int dlt = source->datalink();
  if (!inspect::Decoder::supports(static_cast<std::uint32_t>(dlt))) {
    std::fprintf(stderr, "vigilctl extract: %s: link type %d is not decoded\n",
                 opt.interface.c_str(), dlt);
    return 1;
  }
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  inspect::Inspector inspector(inspector_config(opt), sink);
  auto link = static_cast<inspect::LinkType>(dlt);
  auto start = std::chrono::steady_clock::now();
  std::uint64_t packets = 0;
  inspect::CapturedPacket pkt;
  while (!g_stop.load()) {
    if (opt.duration_s > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
            opt.duration_s) {
      break;
    }
    auto r = source->next(pkt);
    if (r == inspect::PcapSource::Next::Timeout) continue;
    if (r != inspect::PcapSource::Next::Packet) {
      if (r == inspect::PcapSource::Next::Error) {
        std::fprintf(stderr, "vigilctl extract: %s: %s\n", opt.interface.c_str(),
                     source->last_error().c_str());
      }
      break;
    }
    inspector.on_packet(link, pkt.frame, pkt.ts_us);
    if (opt.max_packets > 0 && ++packets >= opt.max_packets) break;
  }
  inspector.finish();
  if (opt.stats) {
    print_stats(opt.interface, inspector.counters());
    if (auto st = source->stats()) {
      std::fprintf(stderr, "%-32s %llu\n%-32s %llu\n%-32s %llu\n", "capture.received",
                   static_cast<unsigned long long>(st->received), "capture.dropped_kernel",
                   static_cast<unsigned long long>(st->dropped_kernel), "capture.dropped_interface",
                   static_cast<unsigned long long>(st->dropped_interface));
    }
  }
  totals.add(inspector.counters());
  return 0;
}

}  // namespace

int run_extract(const ExtractOptions& opt) {
  std::shared_ptr<const rules::RuleSnapshot> snap;
  if (!opt.rules_dir.empty()) {
    snap = load_rules(opt.rules_dir);
    if (!snap) return 1;
  }
  if (!opt.interface.empty()) {
    inspect::Counters totals;
    if (opt.eve) {
      EveWriter eve(stdout);
      if (snap) eve.use_rules(snap, opt.group);
      return inspect_live(opt, eve, totals);
    }
    TsvCollector tsv;
    int rc = inspect_live(opt, tsv, totals);
    if (rc == 0) tsv.write(stdout);
    return rc;
  }
  if (!opt.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opt.out_dir, ec);
    if (ec) {
      std::fprintf(stderr, "vigilctl extract: cannot create %s: %s\n", opt.out_dir.c_str(),
                   ec.message().c_str());
      return 2;
    }
  }
  int status = 0;
  inspect::Counters totals;
  for (const std::string& path : opt.pcaps) {
    std::FILE* out = stdout;
    std::string out_path;
    if (!opt.out_dir.empty()) {
      out_path = (std::filesystem::path(opt.out_dir) /
                  (std::filesystem::path(path).filename().string() + (opt.eve ? ".json" : ".tsv")))
                     .string();
    }
    if (opt.eve) {
      if (!out_path.empty()) out = std::fopen(out_path.c_str(), "w");
      if (out == nullptr) {
        std::fprintf(stderr, "vigilctl extract: cannot write %s\n", out_path.c_str());
        return 2;
      }
      EveWriter eve(out);
      if (snap) eve.use_rules(snap, opt.group);
      int rc = inspect_file(path, opt, eve, totals);
      if (out != stdout) std::fclose(out);
      status = std::max(status, rc);
      continue;
    }
    TsvCollector tsv;
    int rc = inspect_file(path, opt, tsv, totals);
    status = std::max(status, rc);
    if (rc != 0) continue;
    if (!out_path.empty()) out = std::fopen(out_path.c_str(), "w");
    if (out == nullptr) {
      std::fprintf(stderr, "vigilctl extract: cannot write %s\n", out_path.c_str());
      return 2;
    }
    tsv.write(out);
    if (out != stdout) std::fclose(out);
  }
  if (opt.stats && opt.pcaps.size() > 1) print_stats("total", totals);
  std::fflush(stdout);
  return status;
}

}  // namespace vigil::admin
