#include "daemon/app/concern_rules.h"

#include <algorithm>
#include <vector>

namespace vigil::daemon {

std::optional<ConcernTrigger> ConcernRules::on_hit(const HitFacts& hit) {
  if (hit.allowed || hit.subject.empty()) return std::nullopt;
  const bool danger = hit.severity == "danger";
  if (!danger && hit.phrase_weight == 0 && !hit.circumvention) return std::nullopt;

  const auto window = static_cast<std::uint64_t>(options_.window.count());
  std::lock_guard lock(mutex_);
  auto it = subjects_.find(hit.subject);
  if (it == subjects_.end()) {
    if (subjects_.size() >= options_.max_subjects) evict_stalest();
    it = subjects_.emplace(hit.subject, Subject{}).first;
  }
  Subject& s = it->second;
  s.last_seen_us = std::max(s.last_seen_us, hit.ts_us);
  // Circumvention signals count together whatever category carried them.
  const std::string key = hit.circumvention ? "circumvention" : hit.category;
  PerCategory& c = s.categories[key];
  if (hit.ts_us >= c.window_start_us + window || hit.ts_us + window < c.window_start_us) {
    c.window_start_us = hit.ts_us;
    c.phrase_sum = 0;
    c.circumvention = 0;
  }
  c.phrase_sum += hit.phrase_weight;
  if (hit.circumvention) ++c.circumvention;

  std::string why;
  if (danger) {
    why = "a danger-severity " + hit.category + " hit";
  } else if (hit.phrase_weight != 0 && hit.phrase_limit > 0 && c.phrase_sum >= hit.phrase_limit) {
    why = "weighted " + hit.category + " phrases reached " + std::to_string(c.phrase_sum) +
          " (limit " + std::to_string(hit.phrase_limit) + ") within the incident window";
  } else if (hit.circumvention && c.circumvention >= options_.circumvention_threshold) {
    why = std::to_string(c.circumvention) + " circumvention attempts within the incident window";
  } else {
    return std::nullopt;
  }
  if (c.triggered && hit.ts_us < c.last_trigger_us + window) {
    ++held_back_;  // the open concern already covers this person and category
    ConcernTrigger t{hit.subject, key, hit.severity, why};
    t.link_only = true;
    return t;
  }
  c.triggered = true;
  c.last_trigger_us = hit.ts_us;
  ++triggers_;
  return ConcernTrigger{hit.subject, key, hit.circumvention && !danger ? "caution" : hit.severity,
                        why};
}

void ConcernRules::release(const ConcernTrigger& trigger) {
  std::lock_guard lock(mutex_);
  auto it = subjects_.find(trigger.subject);
  if (it == subjects_.end()) return;
  auto c = it->second.categories.find(trigger.category);
  if (c != it->second.categories.end()) c->second.triggered = false;
}

void ConcernRules::evict_stalest() {
  // O(n), but only when the bound is reached; then a tenth goes at once.
  std::vector<std::pair<std::uint64_t, std::string>> ages;
  ages.reserve(subjects_.size());
  for (const auto& [k, v] : subjects_) ages.emplace_back(v.last_seen_us, k);
  const std::size_t drop = std::max<std::size_t>(1, ages.size() / 10);
  std::nth_element(ages.begin(), ages.begin() + static_cast<std::ptrdiff_t>(drop - 1), ages.end());
  for (std::size_t i = 0; i < drop; ++i) subjects_.erase(ages[i].second);
}

std::size_t ConcernRules::subjects() const {
  std::lock_guard lock(mutex_);
  return subjects_.size();
}

std::uint64_t ConcernRules::triggers() const {
  std::lock_guard lock(mutex_);
  return triggers_;
}

std::uint64_t ConcernRules::held_back() const {
  std::lock_guard lock(mutex_);
  return held_back_;
}

}  // namespace vigil::daemon
