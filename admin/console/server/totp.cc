#include "admin/console/server/totp.h"

#include <liboath/oath.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "admin/console/html.h"

namespace vigil::console::totp {
namespace {

bool oath_ready() noexcept {
  static const bool ready = oath_init() == OATH_OK;
  return ready;
}

// liboath's strcmp-like callback: 0 when `candidate` is the code the user
// typed (in `handle`), compared without a data-dependent early exit.
int compare_code(void* handle, const char* candidate) {
  const auto* typed = static_cast<const std::string*>(handle);
  if (std::char_traits<char>::length(candidate) != typed->size()) return 1;
  return CRYPTO_memcmp(candidate, typed->data(), typed->size()) == 0 ? 0 : 1;
}

}  // namespace

std::string new_secret() {
  unsigned char raw[kSecretBytes];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
  if (!oath_ready()) throw std::runtime_error("liboath failed to initialise");
  char* out = nullptr;
  std::size_t len = 0;
  if (oath_base32_encode(reinterpret_cast<const char*>(raw), sizeof raw, &out, &len) != OATH_OK) {
    throw std::runtime_error("base32 encoding failed");
  }
  std::string s(out, len);
  std::free(out);
  OPENSSL_cleanse(raw, sizeof raw);
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

std::optional<std::string> decode_secret(std::string_view base32) {
  if (!oath_ready()) return std::nullopt;
  std::string clean;
  for (char ch : base32) {
    if (ch == ' ') continue;
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    clean += ch;
  }
  while (!clean.empty() && clean.back() == '=') clean.pop_back();
  if (clean.empty() || clean.size() > 256) return std::nullopt;
  // liboath wants whole 8-character groups.
  while (clean.size() % 8 != 0) clean += '=';
  char* out = nullptr;
  std::size_t len = 0;
  if (oath_base32_decode(clean.data(), clean.size(), &out, &len) != OATH_OK) return std::nullopt;
  std::string raw(out, len);
  std::free(out);
  if (raw.empty()) return std::nullopt;
  return raw;
}

std::string code_at(std::string_view raw_secret, std::int64_t unix_seconds, unsigned digits) {
  if (!oath_ready()) throw std::runtime_error("liboath failed to initialise");
  char out[16] = {};
  if (oath_totp_generate(raw_secret.data(), raw_secret.size(), static_cast<time_t>(unix_seconds),
                         kStepSeconds, OATH_TOTP_DEFAULT_START_TIME, digits, out) != OATH_OK) {
    throw std::runtime_error("TOTP generation failed");
  }
  return out;
}

std::optional<std::int64_t> match(std::string_view base32_secret, std::string_view code,
                                  std::int64_t unix_seconds) {
  std::string typed;
  for (char ch : code) {
    if (ch == ' ') continue;
    if (ch < '0' || ch > '9') return std::nullopt;
    typed += ch;
  }
  if (typed.size() != kDigits || unix_seconds < 0) return std::nullopt;
  auto raw = decode_secret(base32_secret);
  if (!raw) return std::nullopt;
  int position = 0;
  std::uint64_t counter = 0;
  const int rc =
      oath_totp_validate3_callback(raw->data(), raw->size(), static_cast<time_t>(unix_seconds),
                                   kStepSeconds, OATH_TOTP_DEFAULT_START_TIME, kDigits,
                                   /*window=*/1, &position, &counter, compare_code, &typed);
  OPENSSL_cleanse(raw->data(), raw->size());
  if (rc < 0) return std::nullopt;
  return static_cast<std::int64_t>(counter);
}

std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        std::string_view base32_secret) {
  const std::string i = html::url_component(issuer);
  return "otpauth://totp/" + i + ":" + html::url_component(account) +
         "?secret=" + std::string(base32_secret) + "&issuer=" + i +
         "&algorithm=SHA1&digits=" + std::to_string(kDigits) +
         "&period=" + std::to_string(kStepSeconds);
}

}  // namespace vigil::console::totp
