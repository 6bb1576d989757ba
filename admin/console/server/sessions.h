#pragma once
// Signed-in sessions, kept in memory on the server (a restart signs
// everyone out). A session id is 256 random bits, sent only in the
// __Host-vigil_session cookie; the table is keyed by the id's SHA-256, so
// a lookup's timing says nothing about the ids it holds. Thread-safe: the
// table is reachable only under its lock.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/types.h"

namespace vigil::console {

// `bytes` random bytes (OpenSSL RAND_bytes) as lower-case hex.
std::string random_token(std::size_t bytes = 32);

// Equal in time independent of where the two differ (lengths may leak).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

struct SessionLimits {
  std::chrono::microseconds idle{std::chrono::minutes(30)};
  std::chrono::microseconds lifetime{std::chrono::hours(12)};
  std::size_t max_sessions = 10'000;
};

struct Session {
  std::int64_t user_id = 0;
  std::string csrf_token;          // 256 bits, hex
  store::TimeUs created_us = 0;    // the sign-in
  store::TimeUs last_seen_us = 0;  // the last request
  // The user's password_changed_us at sign-in: a later password change
  // (here or in another process) ends the session.
  store::TimeUs password_epoch_us = 0;
};

class Sessions {
 public:
  explicit Sessions(SessionLimits limits) : limits_(limits) {}

  // A new session and its id; nullopt when the table is full of live sessions.
  std::optional<std::string> create(std::int64_t user_id, store::TimeUs password_epoch_us,
                                    store::TimeUs now);
  // The session of `id` when it has been used within the idle time and is
  // younger than its lifetime (its last use becomes `now`); an expired
  // session is removed.
  std::optional<Session> find(std::string_view id, store::TimeUs now);
  void erase(std::string_view id);
  // Every session of `user_id` except `keep` (an id, may be empty).
  void erase_user(std::int64_t user_id, std::string_view keep);
  void set_password_epoch(std::string_view id, store::TimeUs epoch_us);
  std::size_t size();

 private:
  bool expired(const Session& s, store::TimeUs now) const noexcept;
  void purge_expired(store::TimeUs now);  // with mutex_ held

  const SessionLimits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, Session> by_digest_;  // SHA-256(id) -> session
};

}  // namespace vigil::console
