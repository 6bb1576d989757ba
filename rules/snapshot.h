#pragma once
// The compiled, immutable rule snapshot: every list of a Policy loaded,
// normalised and compiled (domain index, Hyperscan databases), ready to
// turn Observations into a Decision with its Hits. Built off the packet
// path; once built it is read-only and shared by all workers (publish it
// through std::atomic<std::shared_ptr<const RuleSnapshot>>). Each worker
// keeps its own Scratch.
//
// Precedence, in order:
//   1. statutory lists (IWF, CTIRU) block; nothing overrides them;
//   2. allow entries (allow lists, hand-made allows) beat every other deny;
//   3. otherwise the strongest action of the remaining hits, where a
//      group's per-category action replaces the list's.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/observation.h"
#include "rules/hit.h"
#include "rules/lists/list_formats.h"
#include "rules/policy/policy.h"

namespace vigil::rules {

struct LoadedList {
  ListSpec spec;
  ListDiagnostics diag;
  std::string sha256;  // of the file's bytes, for reports and the rule-set log
  std::uint64_t entries = 0;
  // When the file was last changed: a statutory list older than its
  // distributor's update interval is stale (the daemon raises the alarm).
  std::chrono::system_clock::time_point modified{};
};

struct SnapshotStats {
  std::uint64_t domains = 0;
  std::uint64_t urls = 0;
  std::uint64_t keywords = 0;
  std::uint64_t phrases = 0;
  std::uint64_t regexes = 0;
  std::uint64_t manual = 0;
  std::chrono::milliseconds compile_time{0};
  std::size_t memory_bytes = 0;  // domain indexes and Hyperscan databases
};

// Bounds on building one snapshot. Each Hyperscan database is compiled in
// a child process held to these (see KeywordCompileLimits); the domain
// index and lists are bounded by the list limits and the 253-byte name
// rule. Zero means unbounded (and compiles in process).
struct SnapshotLimits {
  std::chrono::milliseconds compile_time{std::chrono::seconds(120)};
  std::size_t compile_memory_bytes = std::size_t{1024} << 20;
};

class RuleSnapshot {
 public:
  class Scratch {
   public:
    Scratch();
    ~Scratch();
    Scratch(Scratch&&) noexcept;
    Scratch& operator=(Scratch&&) noexcept;

   private:
    friend class RuleSnapshot;
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  // Loads and compiles every list. On failure returns nullptr and sets
  // `error` to "file:line: message"; the caller keeps its previous snapshot.
  static std::shared_ptr<const RuleSnapshot> build(const Policy& policy, std::string& error,
                                                   const SnapshotLimits& limits = {});
  ~RuleSnapshot();

  // Prepares a worker's scratch for this snapshot (call after each publish).
  bool prepare(Scratch& scratch) const;

  // Decision for one observation, for a person in `group` ("" = the default
  // group). Host kinds: domain rules and keywords; HttpUrl: URL rules and
  // keywords in the decoded URL; SearchTerm and HttpText: keywords, phrases
  // and regexes. With `flow`, weighted phrases add up across that flow
  // (singular mode) instead of within this one observation.
  Decision decide(const inspect::Observation& obs, std::string_view group, Scratch& scratch,
                  FlowScore* flow = nullptr) const;

  // The search term of an HttpUrl observation to a search engine (the
  // policy's [[search_engine]] table, then the built-in one), as its own
  // SearchTerm observation: value = the decoded terms, the rest copied from
  // `url`. nullopt for any other observation.
  std::optional<inspect::Observation> search_term(const inspect::Observation& url) const;

  // Free text (`vigilctl rules test` input): keywords, phrases, regexes.
  Decision decide_text(std::string_view text, std::string_view group, Scratch& scratch) const;

  [[nodiscard]] const std::vector<LoadedList>& lists() const noexcept;
  [[nodiscard]] const SnapshotStats& stats() const noexcept;
  [[nodiscard]] const Policy& policy() const noexcept;

 private:
  RuleSnapshot();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::rules
