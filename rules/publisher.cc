#include "rules/publisher.h"

#include "rules/policy/policy.h"

namespace vigil::rules {

ReloadResult SnapshotPublisher::reload(const std::string& dir, const SnapshotLimits& limits) {
  auto start = std::chrono::steady_clock::now();
  ReloadResult r;
  std::shared_ptr<const RuleSnapshot> snap;
  if (auto policy = load_policy(dir, r.error)) snap = RuleSnapshot::build(*policy, r.error, limits);
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  if (snap) {
    current_.store(std::move(snap), std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    r.ok = true;
  }
  r.generation = generation();
  return r;
}

}  // namespace vigil::rules
