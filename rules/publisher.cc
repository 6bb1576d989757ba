#include "rules/publisher.h"

#include <utility>

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
    std::shared_ptr<const RuleSnapshot> old;
    {
      std::lock_guard lock(mutex_);
      old = std::exchange(current_, std::move(snap));
      generation_.fetch_add(1, std::memory_order_acq_rel);
    }
    r.ok = true;
    // `old` is released here, outside the lock (a big snapshot takes a
    // moment to free), unless a worker still holds it.
  }
  r.generation = generation();
  return r;
}

}  // namespace vigil::rules
