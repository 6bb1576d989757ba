#pragma once
// Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30 s steps, 6
// digits), the second factor of console sign-in, over liboath (OATH
// Toolkit). Secrets travel and are stored as unpadded base32, the form
// authenticator apps take.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::console::totp {

inline constexpr std::int64_t kStepSeconds = 30;
inline constexpr unsigned kDigits = 6;
inline constexpr std::size_t kSecretBytes = 20;  // RFC 4226's recommended 160 bits

// 20 random bytes (OpenSSL's RAND_bytes), base32 without padding (32 characters).
std::string new_secret();

// The raw secret of a base32 one (case and spaces ignored); nullopt when
// it is not base32.
std::optional<std::string> decode_secret(std::string_view base32);

// The code of the step holding `unix_seconds`, `digits` long (6..8), for a
// raw secret. Used by the tests; sign-in uses match().
std::string code_at(std::string_view raw_secret, std::int64_t unix_seconds,
                    unsigned digits = kDigits);

// The step (unix_seconds / 30) whose code `code` is, looking at the current
// step and one either side (a phone's clock may be off by a little); spaces
// in `code` are ignored. nullopt when it matches none, when `code` is not
// six digits or the secret is not base32. Codes are compared in constant
// time. Whether the step was used before is the caller's to check (each
// code is usable once: store::CredentialStore::use_totp_step).
std::optional<std::int64_t> match(std::string_view base32_secret, std::string_view code,
                                  std::int64_t unix_seconds);

// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        std::string_view base32_secret);

}  // namespace vigil::console::totp
