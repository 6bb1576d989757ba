#pragma once
// Sign-in records of console users: the password hash, the TOTP secret and
// the last TOTP step used, and when the password last changed. Only the
// console's server (admin/console/server) and `vigilctl users` use this;
// pages see store::User from the Reader, never a hash or a secret.
//
// Its own read-write connection, used by one thread at a time (one per
// console worker). Every change that matters to an auditor (a new password,
// TOTP enrolled or disabled) appends its audit row in the same transaction
// as the change. Hashing and TOTP arithmetic happen in the console; the
// store only keeps the values and makes their updates atomic.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/result.h"
#include "store/types.h"

namespace vigil::store {

struct Credential {
  std::int64_t user_id = 0;
  std::string name{};
  Role role = Role::Reporter;
  bool disabled = false;
  std::string password_hash{};  // "$argon2id$..."; "" = cannot sign in
  std::string totp_secret{};    // base32; set while enrolling and once enrolled, "" otherwise
  bool totp_enabled = false;
  std::int64_t totp_last_step = 0;  // the newest 30 s step whose code was accepted
  TimeUs password_changed_us = 0;   // 0 = never changed since the user was added
};

struct CredentialStoreOptions {
  std::string path;
  std::chrono::milliseconds busy_timeout{5'000};
  std::function<TimeUs()> clock{};  // system clock when empty
};

class CredentialStore {
 public:
  // Opens an existing store at the newest schema (SchemaTooOld names
  // `vigilctl store migrate`; a missing file is NotFound).
  static Result<std::unique_ptr<CredentialStore>> open(const CredentialStoreOptions& options);
  ~CredentialStore();
  CredentialStore(const CredentialStore&) = delete;
  CredentialStore& operator=(const CredentialStore&) = delete;

  Result<std::optional<Credential>> by_name(std::string_view name);
  Result<std::optional<Credential>> by_id(std::int64_t user_id);

  // A new password chosen by `actor`: stores the hash, sets
  // password_changed_us to now (sessions from before end) and audits
  // password.changed. NotFound for no such user.
  Status change_password(std::string_view actor, std::int64_t user_id,
                         std::string_view password_hash);
  // The same password hashed at a new cost (on sign-in): replaces the hash
  // only while it is still `old_hash`; no audit row, sessions are kept.
  // Returns whether it replaced it.
  Result<bool> rehash_password(std::int64_t user_id, std::string_view old_hash,
                               std::string_view new_hash);

  // Enrolment, step 1: keeps `secret` (base32) for the user to confirm.
  // Invalid when TOTP is already enabled. No audit row: nothing changed yet.
  Status begin_totp(std::int64_t user_id, std::string_view secret);
  // Step 2: the user proved they hold `secret` with a code of `step`.
  // Enables TOTP and audits totp.enrolled, only while the pending secret is
  // still `secret` (Invalid otherwise: enrolment restarted elsewhere).
  Status enable_totp(std::string_view actor, std::int64_t user_id, std::string_view secret,
                     std::int64_t step);
  // Clears the secret and audits totp.disabled. NotFound for no such user.
  Status disable_totp(std::string_view actor, std::int64_t user_id);
  // Uses a code of `step` once: true when `step` is newer than the last
  // step used (and records it), false when it was already used or TOTP is
  // not enabled. One UPDATE, so two workers or programs cannot both accept
  // the same code.
  Result<bool> use_totp_step(std::int64_t user_id, std::int64_t step);

  struct Impl;

 private:
  explicit CredentialStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::store
