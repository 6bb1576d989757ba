#pragma once
// When what Vigil saw becomes a concern for the Designated Safeguarding
// Lead, decided as each hit is handed to the store (worker threads):
//
//  - a danger-severity hit that was not allowed (statutory lists included)
//    raises a concern at once;
//  - weighted phrases add up per person (or device) over the incident
//    window; reaching the person's group naughtiness limit raises one;
//  - circumvention (VPN, Tor, proxy, encrypted DNS, ECH seen by nDPI, and
//    hits in the circumvention category) by one person, `threshold` times
//    within the window, raises one: a safeguarding signal, not only a
//    technical one.
//
// After a concern for a person and category, further triggers for the same
// pair are held back for the rest of the window: they come back marked
// link_only, and their incidents are linked to the open concern instead of
// opening another. Memory is bounded: at
// most `max_subjects` people/devices are tracked, the stalest dropped.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace vigil::daemon {

struct ConcernRulesOptions {
  std::chrono::microseconds window = std::chrono::hours(1);
  int circumvention_threshold = 3;
  std::size_t max_subjects = 100'000;
};

// A hit as the rules see it, already mapped for the store.
struct HitFacts {
  std::string subject;   // person reference, or "device:" + client address
  std::string category;  // taxonomy name
  std::string severity;  // advisory | caution | danger
  bool allowed = false;
  int phrase_weight = 0;  // weighted phrases: this hit's weight (0 for others)
  int phrase_limit = 0;   // the person's group naughtiness limit
  bool circumvention = false;
  std::uint64_t ts_us = 0;
};

struct ConcernTrigger {
  std::string subject;
  std::string category;
  std::string severity;
  // Why, in words for the chronology: what kind of signal, never the
  // learner's name.
  std::string why;
  // Held back: a concern for this subject and category was raised within
  // the window; this hit's incident is to be linked to it, not a new one.
  bool link_only = false;
};

class ConcernRules {
 public:
  explicit ConcernRules(ConcernRulesOptions options) : options_(options) {}

  // Thread-safe. A trigger when this hit raises a concern now (or, with
  // link_only, joins the one raised earlier in the window).
  std::optional<ConcernTrigger> on_hit(const HitFacts& hit);

  // The concern for `trigger` could not be stored (the hit was refused, or
  // opening the concern failed): forget that it was raised, so the next
  // signal for the same subject and category raises it again.
  void release(const ConcernTrigger& trigger);

  [[nodiscard]] std::size_t subjects() const;
  [[nodiscard]] std::uint64_t triggers() const;
  [[nodiscard]] std::uint64_t held_back() const;

 private:
  struct PerCategory {
    std::uint64_t window_start_us = 0;
    int phrase_sum = 0;
    int circumvention = 0;
    std::uint64_t last_trigger_us = 0;
    bool triggered = false;
  };
  struct Subject {
    std::uint64_t last_seen_us = 0;
    std::unordered_map<std::string, PerCategory> categories;
  };
  void evict_stalest();

  ConcernRulesOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Subject> subjects_;
  std::uint64_t triggers_ = 0;
  std::uint64_t held_back_ = 0;
};

}  // namespace vigil::daemon
