#pragma once
// What the rules engine hands on: one Hit per rule that matched an
// Observation, with everything needed to explain the decision later
// (which list, which entry on which line, and why an allow or statutory
// rule won).

#include <cstdint>
#include <string>
#include <vector>

#include "inspect/observation.h"
#include "rules/taxonomy.h"

namespace vigil::rules {

enum class HitKind : std::uint8_t { Domain, Url, Keyword, Phrase, Regex, SearchTerm };

std::string_view hit_kind_name(HitKind k) noexcept;

struct Hit {
  HitKind kind = HitKind::Domain;
  inspect::ObservationKind observation = inspect::ObservationKind::Dns;
  std::string value;        // the observed value the rule matched (name, URL, text)
  std::string search_term;  // for SearchTerm hits: the decoded terms
  std::string client;       // client address, as text
  std::uint64_t ts_us = 0;
  std::uint64_t flow_id = 0;

  Category category = Category::Extremism;
  Severity severity = Severity::Advisory;
  Action action = Action::Log;  // after group policy
  bool statutory = false;       // from an IWF/CTIRU slot: cannot be overridden
  bool allow_entry = false;     // this hit is itself an allow entry
  bool allowed = false;         // an allow entry overrode this hit (action not taken)
  int weight = 0;               // weighted phrases
  // Weighted phrases: the action they take once the score reaches the
  // group's naughtiness limit (below it, `action` is Log).
  Action limit_action = Action::Log;

  std::string list;        // list name
  std::string list_path;   // file
  std::string entry;       // the entry as written in the list
  std::uint32_t line = 0;  // its line
  std::string reason;      // one sentence: why this verdict
};

// The outcome for one observation: the strongest action over all hits
// that were not allowed.
enum class Verdict : std::uint8_t { None, Allow, Log, Alert, Block };

std::string_view verdict_name(Verdict v) noexcept;

struct Decision {
  Verdict verdict = Verdict::None;
  std::vector<Hit> hits;
  std::string reason;         // why the verdict, in words an IT specialist can act on
  int phrase_score = 0;       // weighted phrases: the score the limit was compared with
  int naughtiness_limit = 0;  // the group's limit this decision was made with
  // What this decision added to the score: with a FlowScore, only phrases
  // new to the flow; without one, the same as phrase_score.
  int phrase_added = 0;
};

// Weighted-phrase scoring across one flow, in e2guardian's singular mode:
// each distinct phrase counts once per flow however often it appears, and
// the phrases act once the flow's total reaches the group's naughtiness
// limit. The caller keeps one per flow (and drops it when the flow ends);
// phrases are keyed by list and line, so a reload in mid-flow keeps the
// count.
struct FlowScore {
  static constexpr std::size_t kMaxPhrases = 4096;  // distinct phrases remembered per flow
  int total = 0;
  std::vector<std::uint64_t> seen;  // sorted keys of the phrases counted
  std::uint64_t untracked = 0;      // phrases not counted because `seen` was full
};

}  // namespace vigil::rules
