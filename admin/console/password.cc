#include "admin/console/password.h"

#include <sodium.h>

#include <cstring>

namespace vigil::console {
namespace {

bool sodium_ready() noexcept {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

PasswordCost default_password_cost() noexcept {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordCost test_password_cost() noexcept {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

std::optional<std::string> password_problem(std::string_view password, std::string_view user_name) {
  if (password.size() < kMinPasswordBytes)
    return "the password must be at least " + std::to_string(kMinPasswordBytes) + " characters";
  if (password.size() > kMaxPasswordBytes)
    return "the password must be at most " + std::to_string(kMaxPasswordBytes) + " bytes";
  if (password.find_first_of(std::string_view{"\0\r\n", 3}) != std::string_view::npos)
    return "the password must not contain a line break or a NUL byte";
  if (password == user_name) return "the password must not be the user name";
  return std::nullopt;
}

std::optional<std::string> hash_password(std::string_view password, PasswordCost cost) {
  if (!sodium_ready()) return std::nullopt;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, cost.mem_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return std::nullopt;
  return std::string{out};
}

bool verify_password(std::string_view encoded, std::string_view password) {
  if (!sodium_ready() || encoded.empty() || encoded.size() >= crypto_pwhash_STRBYTES) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  std::memcpy(buf, encoded.data(), encoded.size());
  return crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
}

bool needs_rehash(std::string_view encoded, PasswordCost cost) {
  if (!sodium_ready() || encoded.empty() || encoded.size() >= crypto_pwhash_STRBYTES) return true;
  char buf[crypto_pwhash_STRBYTES] = {};
  std::memcpy(buf, encoded.data(), encoded.size());
  return crypto_pwhash_str_needs_rehash(buf, cost.ops, cost.mem_bytes) != 0;
}

}  // namespace vigil::console
