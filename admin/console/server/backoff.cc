#include "admin/console/server/backoff.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace vigil::console {
namespace {

constexpr std::size_t kMaxAccountKeyBytes = 64;  // user names are at most 64 bytes

std::string account_key(std::string_view account) {
  return std::string(account.substr(0, kMaxAccountKeyBytes));
}

}  // namespace

std::string backoff_address_key(std::string_view address) {
  std::string text(address.substr(0, INET6_ADDRSTRLEN));
  unsigned char v6[16];
  if (inet_pton(AF_INET6, text.c_str(), v6) != 1) return text;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char buf[INET6_ADDRSTRLEN] = {};
  if (std::memcmp(v6, kMapped, sizeof kMapped) == 0) {
    inet_ntop(AF_INET, v6 + 12, buf, sizeof buf);
    return buf;
  }
  std::memset(v6 + 8, 0, 8);
  inet_ntop(AF_INET6, v6, buf, sizeof buf);
  return std::string(buf) + "/64";
}

store::TimeUs LoginBackoff::wait_us(Table& table, const std::string& key, store::TimeUs now) {
  auto it = table.find(key);
  if (it == table.end()) return 0;
  if (now - it->second.last_failure_us >= policy_.forget_after.count()) {
    table.erase(it);
    return 0;
  }
  return std::max<store::TimeUs>(0, it->second.closed_until_us - now);
}

void LoginBackoff::fail(Table& table, const std::string& key, store::TimeUs now) {
  auto it = table.find(key);
  if (it != table.end() && now - it->second.last_failure_us >= policy_.forget_after.count()) {
    it->second = Entry{};
  }
  if (it == table.end()) {
    if (table.size() >= policy_.max_entries) {
      std::erase_if(table, [&](const auto& e) {
        return now - e.second.last_failure_us >= policy_.forget_after.count();
      });
    }
    if (table.size() >= policy_.max_entries) {
      auto stalest = std::min_element(table.begin(), table.end(), [](const auto& a, const auto& b) {
        return a.second.last_failure_us < b.second.last_failure_us;
      });
      table.erase(stalest);
    }
    it = table.emplace(key, Entry{}).first;
  }
  Entry& e = it->second;
  ++e.failures;
  e.last_failure_us = now;
  if (e.failures >= policy_.free_failures) {
    const int doublings = std::min(e.failures - policy_.free_failures, 30);
    const auto delay =
        std::min<std::int64_t>(policy_.first_delay.count() << doublings, policy_.max_delay.count());
    e.closed_until_us = now + delay;
  }
}

std::int64_t LoginBackoff::retry_after_s(std::string_view account, std::string_view address,
                                         store::TimeUs now) {
  std::lock_guard lock(mutex_);
  const store::TimeUs wait = std::max(wait_us(accounts_, account_key(account), now),
                                      wait_us(addresses_, backoff_address_key(address), now));
  return (wait + 999'999) / 1'000'000;
}

void LoginBackoff::record_failure(std::string_view account, std::string_view address,
                                  store::TimeUs now) {
  std::lock_guard lock(mutex_);
  fail(accounts_, account_key(account), now);
  fail(addresses_, backoff_address_key(address), now);
}

void LoginBackoff::record_success(std::string_view account) {
  std::lock_guard lock(mutex_);
  accounts_.erase(account_key(account));
}

}  // namespace vigil::console
