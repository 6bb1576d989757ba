#include "daemon/pipeline/pipeline.h"

#include <gtest/gtest.h>
#include <hs.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/pipeline/capture.h"
#include "inspect/capture/pcap_source.h"

namespace vigil::daemon {
namespace {

const char* kCases[] = {"dns", "tls", "quic", "http", "encapsulation", "malformed"};

std::string capture(const std::string& name) {
  return std::string(VIGIL_TEST_REPLAY_DIR) + "/" + name + "/capture.pcap";
}

class NoIdentity final : public AttributionSource {
 public:
  Attribution attribute(const inspect::IpAddress& client, std::uint64_t) const override {
    Attribution a;
    // One known person, to see attribution and groups travel with decisions.
    if (client.to_string() == "10.10.0.21") {
      a.person_ref = "L0021";
      a.group = "learners";
    }
    return a;
  }
};

class Recorder final : public PipelineSink {
 public:
  void on_observation(const inspect::Observation& o, const Attribution&) override {
    std::lock_guard lock(mutex_);
    observations.push_back(std::string(inspect::kind_name(o.kind)) + " " + o.value + " " +
                           o.client.to_string());
  }
  void on_decision(const inspect::Observation& o, const rules::Decision& d,
                   const Attribution& who) override {
    std::lock_guard lock(mutex_);
    for (const rules::Hit& h : d.hits) {
      decisions.push_back(o.value + " " + h.list + " " + std::string(rules::action_name(h.action)) +
                          " " + who.person_ref);
    }
  }
  void on_flow_end(const inspect::FlowSummary&, const Attribution&) override {
    std::lock_guard lock(mutex_);
    ++flows;
  }
  std::vector<std::string> observations;
  std::vector<std::string> decisions;
  std::size_t flows = 0;

 private:
  std::mutex mutex_;
};

// The observations a single Inspector finds in the file, in the same words.
std::vector<std::string> direct(const std::string& path) {
  struct Sink final : inspect::ObservationSink {
    std::vector<std::string> out;
    void on_observation(const inspect::Observation& o) override {
      out.push_back(std::string(inspect::kind_name(o.kind)) + " " + o.value + " " +
                    o.client.to_string());
    }
  } sink;
  inspect::Inspector inspector(inspect::InspectorConfig{}, sink);
  std::string error;
  auto src = inspect::PcapSource::open_file(path, error);
  EXPECT_TRUE(src) << error;
  if (!src) return {};
  inspect::CapturedPacket pkt;
  while (src->next(pkt) == inspect::PcapSource::Next::Packet) {
    inspector.on_packet(static_cast<inspect::LinkType>(src->datalink()), pkt.frame, pkt.ts_us);
  }
  inspector.finish();
  return sink.out;
}

struct Outcome {
  Recorder rec;
  PipelineStats stats;
};

void replay(const std::string& path, std::size_t workers, const rules::SnapshotPublisher& rules,
            Outcome& run) {
  NoIdentity identity;
  PipelineOptions opt;
  opt.workers = workers;
  opt.ring_bytes = 64 * 1024;  // small: exercises waiting for room
  Pipeline p(opt, rules, identity, run.rec);
  p.start();
  ReplayResult r = replay_file(path, p);
  EXPECT_TRUE(r.ok || path.find("malformed") != std::string::npos) << r.error;
  p.finish();
  run.stats = p.stats();
}

TEST(Pipeline, AnyNumberOfWorkersSeesWhatOneInspectorSees) {
  rules::SnapshotPublisher no_rules;
  for (const char* name : kCases) {
    SCOPED_TRACE(name);
    std::vector<std::string> want = direct(capture(name));
    std::sort(want.begin(), want.end());
    for (std::size_t workers : {1U, 3U}) {
      Outcome run;
      replay(capture(name), workers, no_rules, run);
      std::sort(run.rec.observations.begin(), run.rec.observations.end());
      EXPECT_EQ(run.rec.observations, want) << workers << " workers";
      EXPECT_EQ(run.stats.queue_drops, 0U);
      EXPECT_EQ(run.stats.observations, want.size());
      EXPECT_EQ(run.stats.decisions, 0U);
      EXPECT_GT(run.rec.flows, 0U);
    }
  }
}

TEST(Pipeline, DecisionsCarryTheRulesAndThePerson) {
  rules::SnapshotPublisher rules;
  ASSERT_TRUE(rules.reload(VIGIL_TEST_RULES_DIR).ok);
  Outcome one, three;
  replay(capture("http"), 1, rules, one);
  replay(capture("http"), 3, rules, three);
  std::sort(one.rec.decisions.begin(), one.rec.decisions.end());
  std::sort(three.rec.decisions.begin(), three.rec.decisions.end());
  EXPECT_EQ(one.rec.decisions, three.rec.decisions);
  // The url list blocks /form; the keyword list alerts on the search term
  // (its own observation) and on the URL; all from the attributed learner.
  EXPECT_NE(std::find(one.rec.decisions.begin(), one.rec.decisions.end(),
                      "/form test url list block L0021"),
            one.rec.decisions.end());
  EXPECT_NE(std::find(one.rec.decisions.begin(), one.rec.decisions.end(),
                      "first words test keywords alert L0021"),
            one.rec.decisions.end());
  EXPECT_EQ(one.stats.rules_generation, 1U);
  EXPECT_EQ(one.stats.hits, one.rec.decisions.size());
}

// Hyperscan scratch allocations fail while this is installed (process-wide).
void* refuse_scratch(std::size_t) { return nullptr; }

bool wait_for(const Pipeline& p, const std::function<bool(const PipelineStats&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done(p.stats())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(Pipeline, AWorkerThatCannotPrepareNewRulesShowsItAndCatchesUpLater) {
  rules::SnapshotPublisher rules;
  NoIdentity identity;
  Recorder rec;
  PipelineOptions opt;
  opt.workers = 2;
  Pipeline p(opt, rules, identity, rec);
  p.start();
  ASSERT_EQ(hs_set_scratch_allocator(refuse_scratch, std::free), HS_SUCCESS);
  const bool published = rules.reload(VIGIL_TEST_RULES_DIR).ok;
  // Both workers try, fail, and say so; neither claims the new rules.
  const bool failed = wait_for(p, [](const PipelineStats& s) {
    return s.rules_prepare_failures >= 2 && s.worker_rules_generation.size() == 2;
  });
  const PipelineStats lagging = p.stats();
  ASSERT_EQ(hs_set_scratch_allocator(nullptr, nullptr), HS_SUCCESS);
  ASSERT_TRUE(published);
  ASSERT_TRUE(failed);
  EXPECT_EQ(lagging.rules_generation, 0U);
  EXPECT_EQ(lagging.worker_rules_generation, (std::vector<std::uint64_t>{0, 0}));
  // Once memory is there again they pick the rules up on their next retry.
  EXPECT_TRUE(wait_for(p, [](const PipelineStats& s) {
    return s.worker_rules_generation == std::vector<std::uint64_t>{1, 1};
  }));
  EXPECT_EQ(p.stats().rules_generation, 1U);
  p.finish();
}

TEST(Pipeline, AnUnreadableCaptureIsAnErrorNotACrash) {
  rules::SnapshotPublisher no_rules;
  NoIdentity identity;
  Recorder rec;
  Pipeline p(PipelineOptions{}, no_rules, identity, rec);
  p.start();
  ReplayResult r = replay_file("/nonexistent/capture.pcap", p);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("/nonexistent/capture.pcap"), std::string::npos);
  p.finish();
}

}  // namespace
}  // namespace vigil::daemon
