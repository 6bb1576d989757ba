#pragma once
// Publishes rule snapshots to the workers. A reload builds the new snapshot
// on the caller's thread (never a worker's), and only a snapshot that
// loaded and compiled completely replaces the running one; otherwise the
// old one stays and the error says file:line. Workers read the current
// snapshot with one atomic load per batch of packets and keep it alive by
// holding the shared_ptr.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
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
  [[nodiscard]] std::shared_ptr<const RuleSnapshot> current() const noexcept {
    return current_.load(std::memory_order_acquire);
  }
  [[nodiscard]] std::uint64_t generation() const noexcept {
    return generation_.load(std::memory_order_acquire);
  }

 private:
  std::atomic<std::shared_ptr<const RuleSnapshot>> current_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace vigil::rules
