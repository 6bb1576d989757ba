#include "admin/console/server/sessions.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace vigil::console {
namespace {

std::string digest(std::string_view id) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(id.data()), id.size(), md);
  return std::string(reinterpret_cast<const char*>(md), sizeof md);
}

}  // namespace

std::string random_token(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  std::string out;
  out.reserve(bytes * 2);
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    out += kHex[c >> 4];
    out += kHex[c & 0x0F];
  }
  OPENSSL_cleanse(raw.data(), raw.size());
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool Sessions::expired(const Session& s, store::TimeUs now) const noexcept {
  return now - s.last_seen_us >= limits_.idle.count() ||
         now - s.created_us >= limits_.lifetime.count();
}

void Sessions::purge_expired(store::TimeUs now) {
  std::erase_if(by_digest_, [&](const auto& entry) { return expired(entry.second, now); });
}

std::optional<std::string> Sessions::create(std::int64_t user_id, store::TimeUs password_epoch_us,
                                            store::TimeUs now) {
  std::string id = random_token();
  Session s;
  s.user_id = user_id;
  s.csrf_token = random_token();
  s.created_us = now;
  s.last_seen_us = now;
  s.password_epoch_us = password_epoch_us;
  std::lock_guard lock(mutex_);
  if (by_digest_.size() >= limits_.max_sessions) purge_expired(now);
  if (by_digest_.size() >= limits_.max_sessions) return std::nullopt;
  by_digest_.emplace(digest(id), std::move(s));
  return id;
}

std::optional<Session> Sessions::find(std::string_view id, store::TimeUs now) {
  if (id.empty()) return std::nullopt;
  const std::string key = digest(id);
  std::lock_guard lock(mutex_);
  auto it = by_digest_.find(key);
  if (it == by_digest_.end()) return std::nullopt;
  if (expired(it->second, now)) {
    by_digest_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen_us = now;
  return it->second;
}

void Sessions::erase(std::string_view id) {
  const std::string key = digest(id);
  std::lock_guard lock(mutex_);
  by_digest_.erase(key);
}

void Sessions::erase_user(std::int64_t user_id, std::string_view keep) {
  const std::string kept = keep.empty() ? std::string() : digest(keep);
  std::lock_guard lock(mutex_);
  std::erase_if(by_digest_, [&](const auto& entry) {
    return entry.second.user_id == user_id && entry.first != kept;
  });
}

void Sessions::set_password_epoch(std::string_view id, store::TimeUs epoch_us) {
  const std::string key = digest(id);
  std::lock_guard lock(mutex_);
  if (auto it = by_digest_.find(key); it != by_digest_.end())
    it->second.password_epoch_us = epoch_us;
}

std::size_t Sessions::size() {
  std::lock_guard lock(mutex_);
  return by_digest_.size();
}

}  // namespace vigil::console
