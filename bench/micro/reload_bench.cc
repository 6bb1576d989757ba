// Reload under load: one thread decides observations as fast as it can (a
// worker) while the main thread reloads the rules tree through the
// SnapshotPublisher, as SIGHUP will. Reports reload time, and the worker's
// decisions per second with no reload running and while reloads run.
//
// usage: reload_bench [DOMAINS=1000000] [RELOADS=3]
// Builds its rules tree in a temporary folder: DOMAINS synthetic domains,
// ../shared/bench/gambling.list's shape, plus ../shared/bench/keywords1k.txt
// when found (VIGIL_BENCH_DIR overrides where).

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "rules/publisher.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string random_label(std::mt19937_64& rng, std::size_t len) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (std::size_t i = 0; i < len; ++i) s.push_back(kChars[rng() % 36]);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t domains = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  int reloads = argc > 2 ? std::atoi(argv[2]) : 3;
  const char* bench_env = std::getenv("VIGIL_BENCH_DIR");
  fs::path bench_dir =
      bench_env ? bench_env : fs::path(VIGIL_SOURCE_DIR) / ".." / "shared" / "bench";

  fs::path dir = fs::temp_directory_path() / ("vigil-reload-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::mt19937_64 rng(42);
  std::vector<std::string> names;
  {
    std::ofstream out(dir / "big.domains");
    static const char* kTlds[] = {"com", "net", "org", "co.uk", "bet", "io"};
    for (std::size_t i = 0; i < domains; ++i) {
      std::string d = random_label(rng, 6 + rng() % 10) + "." + kTlds[rng() % 6];
      out << d << '\n';
      if (i % 1000 == 0) names.push_back(d);
    }
  }
  bool have_keywords = fs::exists(bench_dir / "keywords1k.txt");
  {
    std::ofstream p(dir / "policy.toml");
    p << "[[list]]\nname = \"big\"\npath = \"big.domains\"\nformat = \"domains\"\n"
         "category = \"gambling\"\n";
    if (have_keywords) {
      p << "\n[[list]]\nname = \"keywords\"\npath = \"" << (bench_dir / "keywords1k.txt").string()
        << "\"\nformat = \"keywords\"\ncategory = \"gambling\"\n";
    }
  }

  vigil::rules::SnapshotPublisher pub;
  auto first = pub.reload(dir.string());
  if (!first.ok) {
    std::fprintf(stderr, "reload_bench: %s\n", first.error.c_str());
    return 1;
  }
  std::printf("rules: %zu domains%s; first load %lld ms\n", domains,
              have_keywords ? " + keywords1k" : "", static_cast<long long>(first.took.count()));

  // Hosts to decide: every 1000th rule domain with a subdomain (hits) and random misses.
  std::vector<vigil::inspect::Observation> obs;
  for (std::size_t i = 0; i < 4096; ++i) {
    vigil::inspect::Observation o;
    o.kind = vigil::inspect::ObservationKind::Sni;
    o.value = i % 2 == 0 ? "www." + names[i % names.size()] : random_label(rng, 12) + ".example";
    obs.push_back(std::move(o));
  }

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> decided{0};
  std::atomic<std::uint64_t> blocks{0};
  std::thread worker([&] {
    vigil::rules::RuleSnapshot::Scratch scratch;
    std::uint64_t generation = 0;
    std::shared_ptr<const vigil::rules::RuleSnapshot> snap;
    std::size_t i = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      if (pub.generation() != generation) {  // a new snapshot: pick it up
        snap = pub.current();
        generation = pub.generation();
        snap->prepare(scratch);
      }
      std::uint64_t blocked = 0;  // used below, so the decisions are not optimised away
      for (int k = 0; k < 256; ++k) {
        blocked += snap->decide(obs[i++ % obs.size()], "", scratch).verdict ==
                   vigil::rules::Verdict::Block;
      }
      decided.fetch_add(256, std::memory_order_relaxed);
      blocks.fetch_add(blocked, std::memory_order_relaxed);
    }
  });

  auto rate_over = [&](std::chrono::milliseconds span) {
    std::uint64_t before = decided.load();
    auto t0 = Clock::now();
    std::this_thread::sleep_for(span);
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    return static_cast<double>(decided.load() - before) / secs;
  };
  double idle_rate = rate_over(std::chrono::milliseconds(2000));
  std::printf("worker decisions/s, no reload running: %.0f\n", idle_rate);
  for (int r = 0; r < reloads; ++r) {
    std::uint64_t before = decided.load();
    auto t0 = Clock::now();
    auto res = pub.reload(dir.string());
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    double rate = static_cast<double>(decided.load() - before) / secs;
    std::printf("reload %d: %s in %lld ms (generation %llu); worker decisions/s meanwhile: %.0f\n",
                r + 1, res.ok ? "ok" : res.error.c_str(), static_cast<long long>(res.took.count()),
                static_cast<unsigned long long>(res.generation), rate);
  }
  stop = true;
  worker.join();
  std::printf("decisions %llu, of them blocks %llu\n",
              static_cast<unsigned long long>(decided.load()),
              static_cast<unsigned long long>(blocks.load()));
  fs::remove_all(dir);
  return 0;
}
