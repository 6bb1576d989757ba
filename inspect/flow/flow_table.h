#pragma once
// A bounded table of flows keyed by the symmetric 5-tuple. Owned by one
// worker thread. Flows leave it when idle (per-transport timeout on packet
// time), shortly after TCP close (FIN both ways or RST), when the table is
// full (least recently seen first), or at shutdown; every eviction is counted
// and handed to the caller's callback before the state is destroyed.

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>

#include "inspect/counters.h"
#include "inspect/flow/flow_key.h"

namespace vigil::inspect {

enum class EvictReason : std::uint8_t { Idle, Closed, Cap, Shutdown };

const char* evict_reason_name(EvictReason r) noexcept;

template <class State>
class FlowTable {
 public:
  struct Limits {
    std::size_t max_flows = 262'144;
    std::uint64_t tcp_idle_us = 300'000'000;
    std::uint64_t udp_idle_us = 60'000'000;
    std::uint64_t close_linger_us = 5'000'000;
  };

  struct Entry {
    FlowKey key;
    std::uint64_t id = 0;
    std::uint64_t first_ts_us = 0;
    std::uint64_t last_ts_us = 0;
    bool closed = false;
    State state;
    Entry* prev = nullptr;  // LRU list of its transport class, most recent first
    Entry* next = nullptr;
  };

  FlowTable(Limits limits, Counters& counters) : limits_(limits), counters_(counters) {
    map_.reserve(limits.max_flows < 65536 ? limits.max_flows : 65536);
  }
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;
  ~FlowTable() = default;

  // Finds the flow for `key` or creates it (evicting the least recently seen
  // flow when full). `created` tells which. The entry stays valid until the
  // next call that can evict (find_or_create, expire, evict, clear).
  template <class OnEvict>
  Entry& find_or_create(const FlowKey& key, std::uint64_t ts_us, bool& created,
                        OnEvict&& on_evict) {
    if (ts_us >= next_expiry_check_us_) {
      expire(ts_us, on_evict);
      next_expiry_check_us_ = ts_us + 1'000'000;
    }
    auto it = map_.find(key);
    if (it != map_.end()) {
      created = false;
      Entry& e = *it->second;
      if (ts_us > e.last_ts_us) e.last_ts_us = ts_us;
      unlink(e);
      push_front(e);
      return e;
    }
    if (map_.size() >= limits_.max_flows) {
      Entry* victim = oldest();
      if (victim != nullptr) {
        counters_.bump(Counter::FlowsEvictedCap);
        remove(*victim, EvictReason::Cap, on_evict);
      }
    }
    auto entry = std::make_unique<Entry>();
    entry->key = key;
    entry->id = ++last_id_;
    entry->first_ts_us = entry->last_ts_us = ts_us;
    Entry& e = *entry;
    map_.emplace(key, std::move(entry));
    push_front(e);
    counters_.bump(Counter::FlowsCreated);
    created = true;
    return e;
  }

  // The flow closed (TCP FIN both ways, RST): evict it after a short linger
  // so that trailing retransmissions still find it.
  void mark_closed(Entry& e) {
    if (e.closed) return;
    e.closed = true;
    closing_.push_back({e.id, e.key});
  }

  // Evicts one flow now (e.g. a new SYN reusing a closed flow's 5-tuple).
  template <class OnEvict>
  void evict(Entry& e, EvictReason reason, OnEvict&& on_evict) {
    if (reason == EvictReason::Closed) counters_.bump(Counter::FlowsEvictedClosed);
    remove(e, reason, on_evict);
  }

  template <class OnEvict>
  void expire(std::uint64_t now_us, OnEvict&& on_evict) {
    while (!closing_.empty()) {
      auto [id, key] = closing_.front();
      auto it = map_.find(key);
      if (it == map_.end() || it->second->id != id) {
        closing_.pop_front();
        continue;
      }
      if (now_us < it->second->last_ts_us + limits_.close_linger_us) break;
      closing_.pop_front();
      counters_.bump(Counter::FlowsEvictedClosed);
      remove(*it->second, EvictReason::Closed, on_evict);
    }
    for (int cls = 0; cls < 2; ++cls) {
      std::uint64_t idle = cls == 0 ? limits_.tcp_idle_us : limits_.udp_idle_us;
      while (tail_[cls] != nullptr && now_us > tail_[cls]->last_ts_us + idle) {
        counters_.bump(Counter::FlowsEvictedIdle);
        remove(*tail_[cls], EvictReason::Idle, on_evict);
      }
    }
  }

  template <class OnEvict>
  void clear(OnEvict&& on_evict) {
    for (int cls = 0; cls < 2; ++cls) {
      while (tail_[cls] != nullptr) remove(*tail_[cls], EvictReason::Shutdown, on_evict);
    }
    closing_.clear();
  }

  [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }

 private:
  static int klass(const Entry& e) noexcept { return e.key.proto == 6 ? 0 : 1; }

  Entry* oldest() noexcept {
    Entry* a = tail_[0];
    Entry* b = tail_[1];
    if (a == nullptr) return b;
    if (b == nullptr) return a;
    return a->last_ts_us <= b->last_ts_us ? a : b;
  }

  void push_front(Entry& e) noexcept {
    int c = klass(e);
    e.prev = nullptr;
    e.next = head_[c];
    if (head_[c] != nullptr) head_[c]->prev = &e;
    head_[c] = &e;
    if (tail_[c] == nullptr) tail_[c] = &e;
  }

  void unlink(Entry& e) noexcept {
    int c = klass(e);
    if (e.prev != nullptr)
      e.prev->next = e.next;
    else
      head_[c] = e.next;
    if (e.next != nullptr)
      e.next->prev = e.prev;
    else
      tail_[c] = e.prev;
    e.prev = e.next = nullptr;
  }

  template <class OnEvict>
  void remove(Entry& e, EvictReason reason, OnEvict&& on_evict) {
    unlink(e);
    on_evict(e, reason);
    FlowKey key = e.key;  // erase must not read the key it is destroying
    map_.erase(key);
  }

  Limits limits_;
  Counters& counters_;
  std::unordered_map<FlowKey, std::unique_ptr<Entry>, FlowKeyHash> map_;
  Entry* head_[2] = {nullptr, nullptr};
  Entry* tail_[2] = {nullptr, nullptr};
  struct Closing {
    std::uint64_t id;
    FlowKey key;
  };
  std::deque<Closing> closing_;
  std::uint64_t last_id_ = 0;
  std::uint64_t next_expiry_check_us_ = 0;
};

}  // namespace vigil::inspect
