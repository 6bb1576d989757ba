// Micro-benchmarks of the inspection path on the project's own sample
// capture (tests/data/sample.pcap), loaded into memory first so that only
// decode, flow handling and extraction are timed.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "inspect/capture/pcap_source.h"
#include "inspect/dns/dns_parser.h"
#include "inspect/inspector.h"
#include "inspect/tls/client_hello.h"

namespace {

using namespace vigil::inspect;

struct Frames {
  int dlt = 1;
  std::vector<std::vector<std::uint8_t>> data;
  std::vector<std::uint64_t> ts;
};

const Frames& sample() {
  static Frames f = [] {
    Frames out;
    std::string err;
    auto src = PcapSource::open_file(VIGIL_SAMPLE_PCAP, err);
    if (!src) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return out;
    }
    out.dlt = src->datalink();
    CapturedPacket p;
    while (src->next(p) == PcapSource::Next::Packet) {
      out.data.emplace_back(p.frame.begin(), p.frame.end());
      out.ts.push_back(p.ts_us);
    }
    return out;
  }();
  return f;
}

struct NullSink final : ObservationSink {
  void on_observation(const Observation&) override { ++n; }
  std::size_t n = 0;
};

void BM_InspectSample(benchmark::State& state) {
  const Frames& f = sample();
  InspectorConfig cfg;
  cfg.classify = state.range(0) != 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    NullSink sink;
    Inspector insp(cfg, sink);
    for (std::size_t i = 0; i < f.data.size(); ++i) {
      insp.on_packet(static_cast<LinkType>(f.dlt), f.data[i], f.ts[i]);
      bytes += f.data[i].size();
    }
    insp.finish();
    benchmark::DoNotOptimize(sink.n);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.data.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_InspectSample)->Arg(0)->Arg(1)->ArgNames({"ndpi"});

void BM_DnsParse(benchmark::State& state) {
  // A response with two compressed A answers.
  const std::uint8_t msg[] = {
      0x12, 0x34, 0x81, 0x80, 0,   1,   0,   2,   0,   0,  0,   0,   5,   'l', 'e', 'a', 'r',
      'n',  7,    'e',  'x',  'a', 'm', 'p', 'l', 'e', 3,  'o', 'r', 'g', 0,   0,   1,   0,
      1,    0xc0, 0x0c, 0,    1,   0,   1,   0,   0,   0,  60,  0,   4,   93,  184, 216, 34,
      0xc0, 0x0c, 0,    1,    0,   1,   0,   0,   0,   60, 0,   4,   93,  184, 216, 35};
  for (auto _ : state) {
    auto r = parse_dns_message(Bytes(msg, sizeof msg));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DnsParse);

}  // namespace

BENCHMARK_MAIN();
