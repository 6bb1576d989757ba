#pragma once
// Sign-in back-off, per account name (as typed, known or not) and per
// remote address (an IPv6 client by its /64, which one machine can fill).
// The first kFreeFailures failures cost nothing; from then on each failure
// closes the door for a delay that doubles from 1 s to at most 15 min, and
// an attempt while it is closed is refused unseen (429 with Retry-After),
// whatever the password. A success clears the account's count, never the
// address's (a guesser with one real account must not reset its own).
// Counts are forgotten a day after the last failure. Thread-safe: the
// tables are reachable only under their lock, and bounded in size.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/types.h"

namespace vigil::console {

struct BackoffPolicy {
  int free_failures = 5;
  std::chrono::microseconds first_delay{std::chrono::seconds(1)};
  std::chrono::microseconds max_delay{std::chrono::minutes(15)};
  std::chrono::microseconds forget_after{std::chrono::hours(24)};
  std::size_t max_entries = 10'000;  // per table; the stalest entries go first
};

// The key a remote address is counted under: IPv4 (or IPv4-mapped IPv6)
// as is, other IPv6 addresses by their /64 prefix.
std::string backoff_address_key(std::string_view address);

class LoginBackoff {
 public:
  explicit LoginBackoff(BackoffPolicy policy = {}) : policy_(policy) {}

  // Whole seconds before the account or the address may try again; 0 when
  // an attempt may be made now.
  std::int64_t retry_after_s(std::string_view account, std::string_view address, store::TimeUs now);
  void record_failure(std::string_view account, std::string_view address, store::TimeUs now);
  void record_success(std::string_view account);

 private:
  struct Entry {
    int failures = 0;
    store::TimeUs last_failure_us = 0;
    store::TimeUs closed_until_us = 0;
  };
  using Table = std::unordered_map<std::string, Entry>;

  store::TimeUs wait_us(Table& table, const std::string& key, store::TimeUs now);
  void fail(Table& table, const std::string& key, store::TimeUs now);

  const BackoffPolicy policy_;
  std::mutex mutex_;
  Table accounts_;
  Table addresses_;
};

}  // namespace vigil::console
