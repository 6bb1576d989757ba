// Micro-benchmarks of rules/match/: domain lookups per second for the hashed
// suffix index against the structures it was chosen over, build time and
// memory, and Hyperscan keyword scan throughput. Inputs are the shared bench
// files (VIGIL_BENCH_DIR: gambling.list, benign.txt, keywords1k.txt) plus
// seeded synthetic rule sets, so every run sees the same data. Results are in
// rules/match/README.md.

#include <benchmark/benchmark.h>
#include <hs.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "rules/match/domain_index.h"
#include "rules/match/keyword_matcher.h"

namespace {

using vigil::rules::DomainIndex;
using vigil::rules::KeywordMatcher;
using vigil::rules::KeywordPattern;

std::vector<std::string> read_lines(const std::string& name) {
  std::vector<std::string> out;
  std::ifstream in(std::string(VIGIL_BENCH_DIR) + "/" + name);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  if (out.empty())
    std::fprintf(stderr, "rules_bench: %s/%s is missing\n", VIGIL_BENCH_DIR, name.c_str());
  return out;
}

std::string random_label(std::mt19937_64& rng, int lo, int hi) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<int> len(lo, hi);
  std::string s(static_cast<std::size_t>(len(rng)), 'a');
  for (char& c : s) c = kChars[rng() % (sizeof(kChars) - 1)];
  return s;
}

// Rule sets by size: 10k and 47k are gambling.list (its first 10k and all of
// it); 1M and 5M are gambling.list plus seeded synthetic names.
const std::vector<std::string>& rule_domains(std::int64_t n) {
  static std::map<std::int64_t, std::vector<std::string>> cache;
  auto& v = cache[n];
  if (!v.empty()) return v;
  static const std::vector<std::string> gambling = read_lines("gambling.list");
  static const std::vector<std::string> tlds{"com", "net", "org", "co.uk", "bet", "io", "ru", "de"};
  std::mt19937_64 rng(static_cast<std::uint64_t>(n));
  for (const auto& d : gambling) {
    if (static_cast<std::int64_t>(v.size()) == n) break;
    v.push_back(d);
  }
  while (static_cast<std::int64_t>(v.size()) < n) {
    std::string d = random_label(rng, 4, 14);
    if (rng() % 4 == 0) d = random_label(rng, 2, 6) + "." + d;
    v.push_back(d + "." + tlds[rng() % tlds.size()]);
  }
  return v;
}

// Hosts: half hits (a rule domain, or a subdomain of one), half misses
// (benign.txt names, their www., and look-alikes such as "xcasino.com").
// Stored back to back, as names sit in packet buffers, so that reading the
// host is not itself a cache miss.
struct HostSet {
  std::string arena;
  std::vector<std::string_view> names;
};
const std::vector<std::string_view>& hosts(std::int64_t rules, std::int64_t count) {
  static std::map<std::pair<std::int64_t, std::int64_t>, HostSet> cache;
  auto& set = cache[{rules, count}];
  if (!set.names.empty()) return set.names;
  static const std::vector<std::string> benign = read_lines("benign.txt");
  const auto& r = rule_domains(rules);
  std::mt19937_64 rng(42);
  std::vector<std::string> v;
  v.reserve(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    const std::string& d = r[rng() % r.size()];
    const std::string& b = benign[rng() % benign.size()];
    switch (i % 8) {
      case 0:
      case 1:
        v.push_back(d);
        break;
      case 2:
        v.push_back("www." + d);
        break;
      case 3:
        v.push_back(random_label(rng, 3, 8) + ".cdn." + d);
        break;
      case 4:
      case 5:
        v.push_back(b);
        break;
      case 6:
        v.push_back("www." + b);
        break;
      default:
        v.push_back(random_label(rng, 1, 3) + d);
        break;
    }
  }
  std::shuffle(v.begin(), v.end(), rng);
  std::vector<std::size_t> offsets;
  for (const auto& h : v) {
    offsets.push_back(set.arena.size());
    set.arena += h;
  }
  for (std::size_t i = 0; i < v.size(); ++i)
    set.names.emplace_back(set.arena.data() + offsets[i], v[i].size());
  return set.names;
}

long rss_kb() {
  std::ifstream in("/proc/self/statm");
  long size = 0, resident = 0;
  in >> size >> resident;
  return resident * 4;
}

// Transparent huge pages in use by this process (the index asks for them).
double anon_huge_mb() {
  std::ifstream in("/proc/self/smaps_rollup");
  for (std::string key; in >> key;) {
    if (key == "AnonHugePages:") {
      double kb = 0;
      in >> kb;
      return kb / 1e3;
    }
  }
  return 0;
}

const DomainIndex& hashed_index(std::int64_t n) {
  static std::map<std::int64_t, std::unique_ptr<DomainIndex>> cache;
  auto& p = cache[n];
  if (!p) {
    p = std::make_unique<DomainIndex>();
    std::uint32_t id = 0;
    for (const auto& d : rule_domains(n)) p->add(d, id++);
    p->build();
  }
  return *p;
}

// --- Candidate 1 (kept): the hashed suffix index in rules/match/.
void BM_DomainLookup_Hashed(benchmark::State& state) {
  const auto& idx = hashed_index(state.range(0));
  const auto& hs = hosts(state.range(0), state.range(1));
  std::vector<std::uint32_t> out;
  out.reserve(64);
  std::size_t i = 0, matched = 0;
  for (auto _ : state) {
    out.clear();
    idx.match(hs[i], out);
    matched += out.size();
    if (++i == hs.size()) i = 0;
  }
  benchmark::DoNotOptimize(matched);
  state.counters["lookups/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// --- Baseline: the naive walk of label-boundary suffixes through a hash set.
struct SvHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
void BM_DomainLookup_NaiveSet(benchmark::State& state) {
  using Set = std::unordered_set<std::string, SvHash, std::equal_to<>>;
  static std::map<std::int64_t, std::unique_ptr<Set>> cache;
  auto& slot = cache[state.range(0)];
  if (!slot)
    slot = std::make_unique<Set>(rule_domains(state.range(0)).begin(),
                                 rule_domains(state.range(0)).end());
  const Set& set = *slot;
  const auto& hs = hosts(state.range(0), state.range(1));
  std::size_t i = 0, matched = 0;
  for (auto _ : state) {
    std::string_view h = hs[i];
    for (std::size_t p = 0; p < h.size(); ++p) {
      if ((p == 0 || h[p - 1] == '.') && set.find(h.substr(p)) != set.end()) ++matched;
    }
    if (++i == hs.size()) i = 0;
  }
  benchmark::DoNotOptimize(matched);
  state.counters["lookups/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// --- Candidate 2: Hyperscan literals with a label-boundary check on the
// match (it must end at the host's end and start at a label).
struct HsLiterals {
  hs_database_t* db = nullptr;
  hs_scratch_t* scratch = nullptr;
  std::vector<std::uint32_t> lens;
  double compile_s = 0;
  std::size_t bytes = 0;
  explicit HsLiterals(const std::vector<std::string>& domains) {
    std::vector<const char*> exprs;
    std::vector<std::size_t> sizes;
    std::vector<unsigned> flags(domains.size(), 0), ids(domains.size());
    for (std::size_t i = 0; i < domains.size(); ++i) {
      exprs.push_back(domains[i].c_str());
      sizes.push_back(domains[i].size());
      ids[i] = static_cast<unsigned>(i);
      lens.push_back(static_cast<std::uint32_t>(domains[i].size()));
    }
    hs_compile_error_t* err = nullptr;
    const auto t0 = std::chrono::steady_clock::now();
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), sizes.data(),
                             static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                             &err) != HS_SUCCESS) {
      std::fprintf(stderr, "hs_compile_lit_multi: %s\n", err->message);
      hs_free_compile_error(err);
      return;
    }
    compile_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    hs_database_size(db, &bytes);
    hs_alloc_scratch(db, &scratch);
  }
  ~HsLiterals() {
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
};
struct HsCtx {
  const HsLiterals* lit;
  std::string_view host;
  std::size_t matched;
};
int on_literal(unsigned id, unsigned long long, unsigned long long to, unsigned, void* p) {
  auto* c = static_cast<HsCtx*>(p);
  if (to != c->host.size()) return 0;
  const std::size_t start = to - c->lit->lens[id];
  if (start == 0 || c->host[start - 1] == '.') ++c->matched;
  return 0;
}
void BM_DomainLookup_HyperscanLiterals(benchmark::State& state) {
  static std::map<std::int64_t, std::unique_ptr<HsLiterals>> cache;
  auto& lit = cache[state.range(0)];
  if (!lit) lit = std::make_unique<HsLiterals>(rule_domains(state.range(0)));
  if (lit->db == nullptr) {
    state.SkipWithError("compile failed");
    return;
  }
  const auto& hs = hosts(state.range(0), state.range(1));
  HsCtx ctx{lit.get(), {}, 0};
  std::size_t i = 0;
  for (auto _ : state) {
    ctx.host = hs[i];
    hs_scan(lit->db, hs[i].data(), static_cast<unsigned>(hs[i].size()), 0, lit->scratch, on_literal,
            &ctx);
    if (++i == hs.size()) i = 0;
  }
  benchmark::DoNotOptimize(ctx.matched);
  state.counters["lookups/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["compile_s"] = lit->compile_s;
  state.counters["db_MB"] = static_cast<double>(lit->bytes) / 1e6;
}

void BM_DomainBuild(benchmark::State& state) {
  const auto& domains = rule_domains(state.range(0));
  std::size_t bytes = 0;
  long rss = 0;
  double thp = 0;
  for (auto _ : state) {
    const long before = rss_kb();
    DomainIndex idx;
    std::uint32_t id = 0;
    for (const auto& d : domains) idx.add(d, id++);
    idx.build();
    bytes = idx.memory_bytes();
    thp = std::max(thp, anon_huge_mb());
    rss = std::max(rss, rss_kb() - before);
    benchmark::DoNotOptimize(idx);
  }
  state.counters["memory_MB"] = static_cast<double>(bytes) / 1e6;
  state.counters["rss_delta_MB"] = static_cast<double>(rss) / 1e3;
  state.counters["thp_MB"] = thp;
  state.counters["domains"] = static_cast<double>(domains.size());
}

// --- Keywords: keywords1k.txt over ~100 MB of HTML-like text made from
// benign.txt's labels, with a keyword about every 4 KB.
const std::string& page_text() {
  static const std::string text = [] {
    std::vector<std::string> words;
    for (const auto& h : read_lines("benign.txt")) {
      std::size_t p = 0;
      for (std::size_t i = 0; i <= h.size(); ++i) {
        if (i == h.size() || h[i] == '.' || h[i] == '-') {
          if (i - p >= 2) words.push_back(h.substr(p, i - p));
          p = i + 1;
        }
      }
    }
    const auto keywords = read_lines("keywords1k.txt");
    std::mt19937_64 rng(7);
    std::string t;
    t.reserve(100 << 20);
    while (t.size() < (100U << 20)) {
      t += "<div class=\"item\"><p>";
      for (int w = 0; w < 40; ++w) {
        t += words[rng() % words.size()];
        t += (w % 9 == 8) ? ". " : " ";
      }
      t += "</p><a href=\"https://" + words[rng() % words.size()] + ".example/" +
           words[rng() % words.size()] + "\">" + words[rng() % words.size()] + "</a></div>\n";
      if (rng() % 12 == 0) t += "<p>" + keywords[rng() % keywords.size()] + " offer</p>\n";
    }
    return t;
  }();
  return text;
}

// Mode 0: exact; 1: edit distance 1 on words of 6+ letters, whole word;
// 2: the same without the word check; 3: exact, whole word.
std::vector<KeywordPattern> keyword_patterns(std::int64_t mode) {
  std::vector<KeywordPattern> out;
  std::uint32_t id = 0;
  for (const auto& k : read_lines("keywords1k.txt")) {
    KeywordPattern p;
    p.expression = k;
    p.id = id++;
    if ((mode == 1 || mode == 2) && k.size() >= 6) p.edit_distance = 1;
    p.whole_word = mode == 1 || mode == 3;
    out.push_back(p);
  }
  return out;
}

void BM_KeywordCompile(benchmark::State& state) {
  const auto patterns = keyword_patterns(state.range(0));
  std::size_t bytes = 0;
  for (auto _ : state) {
    KeywordMatcher::CompileError err;
    auto m = KeywordMatcher::compile(patterns, err);
    if (!m) {
      state.SkipWithError(err.message.c_str());
      return;
    }
    bytes = m->database_bytes();
  }
  state.counters["db_MB"] = static_cast<double>(bytes) / 1e6;
}

void BM_KeywordScan(benchmark::State& state) {
  KeywordMatcher::CompileError err;
  const auto t0 = std::chrono::steady_clock::now();
  auto m = KeywordMatcher::compile(keyword_patterns(state.range(0)), err);
  const double compile_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!m) {
    state.SkipWithError(err.message.c_str());
    return;
  }
  KeywordMatcher::Scratch scratch;
  m->prepare(scratch);
  const std::string& text = page_text();
  const std::size_t chunk = static_cast<std::size_t>(state.range(1));
  std::size_t matches = 0, bytes = 0;
  const KeywordMatcher::OnMatch count = [&](std::uint32_t, std::size_t) { ++matches; };
  for (auto _ : state) {
    for (std::size_t off = 0; off < text.size(); off += chunk) {
      m->scan(std::string_view(text).substr(off, chunk), scratch, count);
    }
    bytes += text.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["matches"] =
      static_cast<double>(matches) / static_cast<double>(state.iterations());
  state.counters["compile_s"] = compile_s;
}

constexpr std::int64_t kHotHosts = 1 << 12;   // names seen in the last second or so
constexpr std::int64_t kWarmHosts = 1 << 16;  // a busy site's distinct names
constexpr std::int64_t kColdHosts = 1 << 20;  // mostly cache-cold table probes

}  // namespace

BENCHMARK(BM_DomainLookup_Hashed)
    ->ArgsProduct({{10'000, 46'674, 1'000'000, 5'000'000}, {1, kHotHosts, kWarmHosts, kColdHosts}});
BENCHMARK(BM_DomainLookup_NaiveSet)
    ->ArgsProduct({{10'000, 46'674, 1'000'000, 5'000'000}, {1, kHotHosts, kWarmHosts, kColdHosts}});
BENCHMARK(BM_DomainLookup_HyperscanLiterals)->ArgsProduct({{10'000, 46'674}, {kWarmHosts}});
BENCHMARK(BM_DomainLookup_HyperscanLiterals)->Args({1'000'000, kWarmHosts})->Iterations(2'000'000);
BENCHMARK(BM_DomainBuild)
    ->Arg(46'674)
    ->Arg(1'000'000)
    ->Arg(5'000'000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KeywordCompile)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
// Text in 16 KB blocks (an HTTP body buffer) and in 1 MB blocks.
BENCHMARK(BM_KeywordScan)
    ->ArgsProduct({{0, 1, 2, 3}, {16 << 10, 1 << 20}})
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
