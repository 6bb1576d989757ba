#pragma once
// Publishes rule snapshots to the workers. A reload builds the new snapshot
// on the caller's thread (never a worker's), and only a snapshot that
// loaded and compiled completely replaces the running one; otherwise the
// old one stays and the error says file:line. Workers read the current
// generation with one atomic load per batch of packets, take the snapshot
// only when it moved, and keep it alive by holding the shared_ptr.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "rules/snapshot.h"

namespace vigil::rules {

struct ReloadResult {
  bool ok = false;
  std::string error;  // "file:line: message" when !ok
  std::chrono::milliseconds took{0};
  std::uint64_t generation = 0;  // of the snapshot running afterwards
};

class SnapshotPublisher {
 public:
  SnapshotPublisher() = default;
  SnapshotPublisher(const SnapshotPublisher&) = delete;
  SnapshotPublisher& operator=(const SnapshotPublisher&) = delete;

  // Loads `dir` and, if it compiles within `limits`, publishes it.
  ReloadResult reload(const std::string& dir, const SnapshotLimits& limits = {});

  // The running snapshot (nullptr before the first successful reload).
  // Takes a mutex: workers call it only when generation() has moved.
  [[nodiscard]] std::shared_ptr<const RuleSnapshot> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  [[nodiscard]] std::uint64_t generation() const noexcept {
    return generation_.load(std::memory_order_acquire);
  }

 private:
  // A mutex rather than std::atomic<std::shared_ptr>: GCC 12's libstdc++
  // releases that one's internal lock with a relaxed store on load(), which
  // ThreadSanitizer reports and weakly ordered CPUs (the Raspberry Pi's)
  // may not forgive. Publishing is rare; reading is once per reload.
  mutable std::mutex mutex_;
  std::shared_ptr<const RuleSnapshot> current_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace vigil::rules
