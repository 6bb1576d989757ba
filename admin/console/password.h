#pragma once
// Password hashing with Argon2id (libsodium crypto_pwhash_str). The encoded
// string carries its own salt and cost parameters, so stronger settings later
// still verify old hashes; needs_rehash() says when to re-hash on login.

#include <optional>
#include <string>
#include <string_view>

namespace vigil::console {

struct PasswordCost {
  unsigned long long ops;  // crypto_pwhash OPSLIMIT
  std::size_t mem_bytes;   // crypto_pwhash MEMLIMIT
};
// INTERACTIVE limits (2 passes, 64 MiB): about 0.1-0.3 s on a Raspberry Pi 4.
PasswordCost default_password_cost() noexcept;
// The cheapest libsodium allows: for tests only.
PasswordCost test_password_cost() noexcept;

inline constexpr std::size_t kMinPasswordBytes = 12;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// A one-line reason when `password` is unacceptable (too short, too long,
// contains a NUL or a line break, is the user name), nullopt when fine.
std::optional<std::string> password_problem(std::string_view password, std::string_view user_name);

// The "$argon2id$..." string, or nullopt when libsodium cannot allocate.
std::optional<std::string> hash_password(std::string_view password,
                                         PasswordCost cost = default_password_cost());
// Constant-time check of `password` against an encoded hash; false for an
// empty or malformed hash.
bool verify_password(std::string_view encoded, std::string_view password);
bool needs_rehash(std::string_view encoded, PasswordCost cost = default_password_cost());

}  // namespace vigil::console
