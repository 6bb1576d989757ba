#include "inspect/quic/quic_initial.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "inspect/quic/gquic.h"

namespace vigil::inspect {
namespace {

constexpr std::size_t kMaxCidBytes = 20;
constexpr std::size_t kAeadKeyBytes = 16;
constexpr std::size_t kAeadIvBytes = 12;
constexpr std::size_t kAeadTagBytes = 16;
constexpr std::size_t kHpSampleBytes = 16;
constexpr std::size_t kSecretBytes = 32;  // SHA-256
// CRYPTO stream bytes kept per connection; a ClientHello is a few KB.
constexpr std::size_t kMaxCryptoBytes = 64 * 1024;
constexpr std::size_t kMaxCryptoRanges = 64;
// Key derivations (HKDF + key schedules) one extractor may spend on
// Initials that do not authenticate, so a flow of junk costs little.
constexpr unsigned kMaxFailedDerivations = 8;

// Initial salts (RFC 9001 5.2, RFC 9369 3.3.1, the drafts and Google's
// versions), as Wireshark 4.0 uses them.
constexpr std::array<std::uint8_t, 20> kSaltDraft22 = {0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb,
                                                       0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51,
                                                       0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a};
constexpr std::array<std::uint8_t, 20> kSaltDraft23 = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb,
                                                       0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4,
                                                       0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};
constexpr std::array<std::uint8_t, 20> kSaltDraft29 = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2,
                                                       0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61,
                                                       0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
constexpr std::array<std::uint8_t, 20> kSaltV1 = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
                                                  0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                                                  0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
constexpr std::array<std::uint8_t, 20> kSaltV2 = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6,
                                                  0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
                                                  0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
constexpr std::array<std::uint8_t, 20> kSaltQ050 = {0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe,
                                                    0x2f, 0x9d, 0x94, 0x5c, 0xfc, 0xdb, 0xd3,
                                                    0xa7, 0xf0, 0xd3, 0xb5, 0x6b, 0x45};
constexpr std::array<std::uint8_t, 20> kSaltT050 = {0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72,
                                                    0x91, 0x55, 0x80, 0x30, 0x4c, 0x43, 0xa2,
                                                    0x36, 0x7c, 0x60, 0x48, 0x83, 0x10};
constexpr std::array<std::uint8_t, 20> kSaltT051 = {0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee,
                                                    0x5f, 0xa4, 0x50, 0x6c, 0x19, 0x12, 0x4f,
                                                    0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d};

constexpr std::uint32_t kVersion1 = 0x00000001;
constexpr std::uint32_t kVersion2 = 0x6b3343cf;
constexpr std::uint32_t kVersionQ050 = 0x51303530;
constexpr std::uint32_t kVersionT050 = 0x54303530;
constexpr std::uint32_t kVersionT051 = 0x54303531;
constexpr std::uint32_t kMvfstDraft22 = 0xfaceb001;
constexpr std::uint32_t kMvfstDraft27 = 0xfaceb002;
constexpr std::uint32_t kMvfstExperimental = 0xfaceb00e;

// What follows the long header once the Initial is decrypted.
enum class Frames : std::uint8_t {
  Ietf,        // RFC 9000 frames, TLS in CRYPTO
  GquicTls,    // T050/T051: Google QUIC frames, TLS in CRYPTO (type 0x08)
  GquicCrypto  // Q050: Google QUIC frames, a CHLO message in CRYPTO (type 0x08)
};

struct VersionInfo {
  const std::array<std::uint8_t, 20>* salt = nullptr;
  bool v2 = false;  // RFC 9369 labels and packet type bits
  Frames frames = Frames::Ietf;
};

// The versions whose Initials Wireshark 4.0 removes protection from (plus
// the final QUIC v2), and how.
bool lookup_version(std::uint32_t version, VersionInfo& info) noexcept {
  info = VersionInfo{};
  if (version == kVersion1) {
    info.salt = &kSaltV1;
  } else if (version == kVersion2) {
    info.salt = &kSaltV2;
    info.v2 = true;
  } else if ((version >> 8) == 0xff0000) {
    const std::uint32_t draft = version & 0xff;
    if (draft == 22) {
      info.salt = &kSaltDraft22;
    } else if (draft >= 23 && draft <= 28) {
      info.salt = &kSaltDraft23;
    } else if (draft >= 29 && draft <= 32) {
      info.salt = &kSaltDraft29;
    } else if (draft == 33 || draft == 34) {
      info.salt = &kSaltV1;
    } else {
      return false;  // drafts before 22 have another header layout
    }
  } else if (version == kMvfstDraft22) {
    info.salt = &kSaltDraft22;
  } else if (version == kMvfstDraft27 || version == kMvfstExperimental) {
    info.salt = &kSaltDraft23;
  } else if (version == kVersionQ050) {
    info.salt = &kSaltQ050;
    info.frames = Frames::GquicCrypto;
  } else if (version == kVersionT050) {
    info.salt = &kSaltT050;
    info.frames = Frames::GquicTls;
  } else if (version == kVersionT051) {
    info.salt = &kSaltT051;
    info.frames = Frames::GquicTls;
  } else {
    return false;
  }
  return true;
}

enum class PacketType : std::uint8_t { Initial, ZeroRtt, Handshake, Retry };

PacketType long_packet_type(std::uint8_t first, bool v2) noexcept {
  const unsigned bits = (first >> 4) & 0x03;
  if (!v2) return static_cast<PacketType>(bits);
  // RFC 9369 3.2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00.
  constexpr PacketType kV2[4] = {PacketType::Retry, PacketType::Initial, PacketType::ZeroRtt,
                                 PacketType::Handshake};
  return kV2[bits];
}

// RFC 9000 A.3, with Wireshark's handling of "no packet yet".
std::uint64_t decode_packet_number(bool have_largest, std::uint64_t largest,
                                   std::uint64_t truncated, unsigned bits) noexcept {
  const std::uint64_t expected = have_largest ? largest + 1 : 0;
  const std::uint64_t win = std::uint64_t{1} << bits;
  const std::uint64_t hwin = win / 2;
  const std::uint64_t mask = win - 1;
  const std::uint64_t candidate = (expected & ~mask) | truncated;
  if (expected >= hwin && candidate + hwin <= expected && candidate < (~std::uint64_t{0}) - win) {
    return candidate + win;
  }
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

struct ConnectionId {
  std::array<std::uint8_t, kMaxCidBytes> bytes{};
  std::uint8_t len = 0;
  bool valid = false;

  void assign(Bytes b) noexcept {
    len = static_cast<std::uint8_t>(std::min(b.size(), kMaxCidBytes));
    std::copy_n(b.begin(), len, bytes.begin());
    valid = true;
  }
  [[nodiscard]] bool equals(Bytes b) const noexcept {
    return valid && b.size() == len && std::equal(b.begin(), b.end(), bytes.begin());
  }
};

// OpenSSL algorithm objects, fetched once and then shared read-only by
// every thread (they are immutable and reference counted), so that keying a
// context does not look the algorithm up again.
struct Algorithms {
  EVP_KDF* hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_CIPHER* aes_gcm = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  EVP_CIPHER* aes_ecb = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
};

const Algorithms& algorithms() noexcept {
  static const Algorithms kAlgorithms;
  return kAlgorithms;
}

bool hkdf(int mode, Bytes key, Bytes salt_or_info, std::uint8_t* out,
          std::size_t out_len) noexcept {
  EVP_KDF* kdf = algorithms().hkdf;
  if (kdf == nullptr) return false;
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  if (ctx == nullptr) return false;
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[n++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(key.data()), key.size());
  params[n++] = OSSL_PARAM_construct_octet_string(
      mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY ? OSSL_KDF_PARAM_SALT : OSSL_KDF_PARAM_INFO,
      const_cast<std::uint8_t*>(salt_or_info.data()), salt_or_info.size());
  params[n] = OSSL_PARAM_construct_end();
  const bool ok = EVP_KDF_derive(ctx, out, out_len, params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok;
}

// HKDF-Expand-Label (RFC 8446 7.1) with an empty context.
bool expand_label(const std::uint8_t (&secret)[kSecretBytes], const char* label, std::uint8_t* out,
                  std::size_t out_len) noexcept {
  std::array<std::uint8_t, 64> info{};
  const std::size_t label_len = std::strlen(label);
  constexpr char kPrefix[] = "tls13 ";
  constexpr std::size_t kPrefixLen = sizeof(kPrefix) - 1;
  if (kPrefixLen + label_len > 255 || 4 + kPrefixLen + label_len > info.size()) return false;
  std::size_t n = 0;
  info[n++] = static_cast<std::uint8_t>(out_len >> 8);
  info[n++] = static_cast<std::uint8_t>(out_len);
  info[n++] = static_cast<std::uint8_t>(kPrefixLen + label_len);
  std::memcpy(info.data() + n, kPrefix, kPrefixLen);
  n += kPrefixLen;
  std::memcpy(info.data() + n, label, label_len);
  n += label_len;
  info[n++] = 0;  // context length
  return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, Bytes(secret, kSecretBytes), Bytes(info.data(), n),
              out, out_len);
}

struct KeyMaterial {
  std::uint8_t key[kAeadKeyBytes];
  std::uint8_t iv[kAeadIvBytes];
  std::uint8_t hp[kAeadKeyBytes];
};

// Client Initial keys for `dcid` (RFC 9001 5.2).
bool derive_client_keys(const VersionInfo& vi, Bytes dcid, KeyMaterial& km) noexcept {
  std::uint8_t initial[kSecretBytes];
  std::uint8_t client[kSecretBytes];
  if (!hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid, Bytes(vi.salt->data(), vi.salt->size()), initial,
            sizeof(initial)) ||
      !expand_label(initial, "client in", client, sizeof(client))) {
    return false;
  }
  return expand_label(client, vi.v2 ? "quicv2 key" : "quic key", km.key, sizeof(km.key)) &&
         expand_label(client, vi.v2 ? "quicv2 iv" : "quic iv", km.iv, sizeof(km.iv)) &&
         expand_label(client, vi.v2 ? "quicv2 hp" : "quic hp", km.hp, sizeof(km.hp));
}

// Where a long-header packet's fields are.
struct LongHeader {
  std::uint32_t version = 0;
  PacketType type = PacketType::Initial;
  Bytes dcid;
  Bytes scid;
  std::size_t pn_offset = 0;  // start of the protected packet number
  std::size_t size = 0;       // whole packet, header included
};

enum class HeaderStatus : std::uint8_t { Ok, Malformed, Unsupported, Stop };

// Parses one long-header packet at the start of `data` (RFC 9000 17.2).
HeaderStatus parse_long_header(Bytes data, LongHeader& h, VersionInfo& vi) noexcept {
  ByteReader r(data);
  std::uint8_t first = 0;
  std::uint8_t dcil = 0;
  std::uint8_t scil = 0;
  if (!r.read_u8(first) || !r.read_u32(h.version)) return HeaderStatus::Malformed;
  if (h.version == 0) return HeaderStatus::Stop;  // Version Negotiation
  if (!lookup_version(h.version, vi)) return HeaderStatus::Unsupported;
  if (!r.read_u8(dcil) || dcil > kMaxCidBytes || !r.read_bytes(dcil, h.dcid) || !r.read_u8(scil) ||
      scil > kMaxCidBytes || !r.read_bytes(scil, h.scid)) {
    return HeaderStatus::Malformed;
  }
  h.type = long_packet_type(first, vi.v2);
  if (h.type == PacketType::Retry) return HeaderStatus::Stop;  // never coalesced
  if (h.type == PacketType::Initial) {
    std::uint64_t token_len = 0;
    if (!read_quic_varint(r, token_len) || token_len > r.remaining() ||
        !r.skip(static_cast<std::size_t>(token_len))) {
      return HeaderStatus::Malformed;
    }
  }
  std::uint64_t length = 0;
  if (!read_quic_varint(r, length) || length > r.remaining()) return HeaderStatus::Malformed;
  h.pn_offset = r.offset();
  h.size = h.pn_offset + static_cast<std::size_t>(length);
  return HeaderStatus::Ok;
}

}  // namespace

struct QuicSniExtractor::Impl {
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    EVP_CIPHER_CTX_free(aead_);
    EVP_CIPHER_CTX_free(hp_);
  }

  QuicResult on_long_header_datagram(Bytes payload) noexcept;
  QuicResult on_initial(Bytes packet, const LongHeader& h, const VersionInfo& vi) noexcept;
  bool install_keys(const KeyMaterial& km) noexcept;
  bool remove_protection(Bytes packet, std::size_t pn_offset, const KeyMaterial& km) noexcept;
  QuicResult on_plaintext(const VersionInfo& vi, std::uint32_t version) noexcept;
  void add_crypto(std::uint64_t offset, Bytes data) noexcept;
  [[nodiscard]] std::size_t crypto_contiguous() const noexcept {
    return !ranges_.empty() && ranges_.front().first == 0 ? ranges_.front().second : 0;
  }
  void reset_connection() noexcept {
    crypto_.clear();
    ranges_.clear();
    have_largest_pn_ = false;
    largest_pn_ = 0;
    client_scid_ = ConnectionId{};
  }

  // Keys of the connection being followed, derived from the DCID of the
  // client's first Initial (or of the Initial after a Retry).
  bool have_keys_ = false;
  KeyMaterial keys_{};
  std::uint32_t key_version_ = 0;
  ConnectionId key_dcid_;
  ConnectionId failed_dcid_;  // last DCID whose keys did not authenticate
  unsigned failed_derivations_ = 0;
  EVP_CIPHER_CTX* aead_ = nullptr;  // AES-128-GCM keyed with keys_.key
  EVP_CIPHER_CTX* hp_ = nullptr;    // AES-128-ECB keyed with keys_.hp

  ConnectionId client_scid_;  // server packets carry it as their DCID
  bool have_largest_pn_ = false;
  std::uint64_t largest_pn_ = 0;

  // CRYPTO stream of the client's Initials: bytes by offset and the ranges
  // received, sorted and merged.
  std::vector<std::uint8_t> crypto_;
  std::vector<std::pair<std::size_t, std::size_t>> ranges_;

  std::vector<std::uint8_t> aad_;    // scratch: unprotected header
  std::vector<std::uint8_t> plain_;  // scratch: decrypted payload

  GquicState gquic_;
  bool ietf_seen_ = false;  // an IETF long header of a known version went by
};

bool QuicSniExtractor::Impl::install_keys(const KeyMaterial& km) noexcept {
  if (aead_ == nullptr) aead_ = EVP_CIPHER_CTX_new();
  if (hp_ == nullptr) hp_ = EVP_CIPHER_CTX_new();
  const Algorithms& alg = algorithms();
  if (aead_ == nullptr || hp_ == nullptr || alg.aes_gcm == nullptr || alg.aes_ecb == nullptr) {
    return false;
  }
  if (EVP_DecryptInit_ex2(aead_, alg.aes_gcm, km.key, nullptr, nullptr) != 1 ||
      EVP_EncryptInit_ex2(hp_, alg.aes_ecb, km.hp, nullptr, nullptr) != 1) {
    return false;
  }
  EVP_CIPHER_CTX_set_padding(hp_, 0);
  return true;
}

// Removes header and packet protection with the installed contexts (keyed
// from `km`); on success plain_ holds the frames and largest_pn_ is updated.
bool QuicSniExtractor::Impl::remove_protection(Bytes packet, std::size_t pn_offset,
                                               const KeyMaterial& km) noexcept {
  if (packet.size() < pn_offset + 4 + kHpSampleBytes) return false;
  std::uint8_t mask[kHpSampleBytes];
  int out_len = 0;
  if (EVP_EncryptUpdate(hp_, mask, &out_len, packet.data() + pn_offset + 4,
                        static_cast<int>(kHpSampleBytes)) != 1 ||
      out_len != static_cast<int>(kHpSampleBytes)) {
    return false;
  }
  const std::uint8_t first = packet[0] ^ (mask[0] & 0x0f);
  const std::size_t pn_len = (first & 0x03) + 1;
  std::uint64_t truncated = 0;
  for (std::size_t i = 0; i < pn_len; ++i) {
    truncated = (truncated << 8) | (packet[pn_offset + i] ^ mask[1 + i]);
  }
  const std::uint64_t pn = decode_packet_number(have_largest_pn_, largest_pn_, truncated,
                                                static_cast<unsigned>(8 * pn_len));
  const std::size_t header_len = pn_offset + pn_len;
  if (packet.size() <= header_len + kAeadTagBytes) return false;  // empty payload

  aad_.assign(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(header_len));
  aad_[0] = first;
  for (std::size_t i = 0; i < pn_len; ++i) {
    aad_[pn_offset + i] = static_cast<std::uint8_t>(truncated >> (8 * (pn_len - 1 - i)));
  }
  std::uint8_t nonce[kAeadIvBytes];
  std::memcpy(nonce, km.iv, sizeof(nonce));
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[kAeadIvBytes - 1 - i] ^= static_cast<std::uint8_t>(pn >> (8 * i));
  }
  const std::size_t ct_len = packet.size() - header_len - kAeadTagBytes;
  std::uint8_t tag[kAeadTagBytes];
  std::memcpy(tag, packet.data() + header_len + ct_len, sizeof(tag));
  plain_.resize(ct_len);
  int len = 0;
  if (EVP_DecryptInit_ex2(aead_, nullptr, nullptr, nonce, nullptr) != 1 ||
      EVP_DecryptUpdate(aead_, nullptr, &len, aad_.data(), static_cast<int>(aad_.size())) != 1 ||
      EVP_DecryptUpdate(aead_, plain_.data(), &len, packet.data() + header_len,
                        static_cast<int>(ct_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(aead_, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagBytes), tag) != 1) {
    return false;
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(aead_, plain_.data() + len, &final_len) != 1) return false;
  if (!have_largest_pn_ || pn > largest_pn_) largest_pn_ = pn;
  have_largest_pn_ = true;
  return true;
}

void QuicSniExtractor::Impl::add_crypto(std::uint64_t offset, Bytes data) noexcept {
  if (data.empty() || offset >= kMaxCryptoBytes) return;
  const std::size_t start = static_cast<std::size_t>(offset);
  const std::size_t end = std::min(start + data.size(), kMaxCryptoBytes);
  if (crypto_.size() < end) crypto_.resize(end);
  std::copy_n(data.begin(), end - start, crypto_.begin() + static_cast<std::ptrdiff_t>(start));
  // Insert [start, end) and merge overlapping or touching ranges in place.
  if (ranges_.size() >= kMaxCryptoRanges) return;
  ranges_.insert(std::lower_bound(ranges_.begin(), ranges_.end(), std::make_pair(start, end)),
                 {start, end});
  std::size_t w = 0;
  for (std::size_t i = 1; i < ranges_.size(); ++i) {
    if (ranges_[i].first <= ranges_[w].second) {
      ranges_[w].second = std::max(ranges_[w].second, ranges_[i].second);
    } else {
      ranges_[++w] = ranges_[i];
    }
  }
  ranges_.resize(w + 1);
}

// Walks the frames of a decrypted client Initial, feeding CRYPTO data to
// the reassembly, then looks for a complete ClientHello (or CHLO).
QuicResult QuicSniExtractor::Impl::on_plaintext(const VersionInfo& vi,
                                                std::uint32_t version) noexcept {
  QuicResult result;
  result.version = version;
  bool frames_ok = true;
  if (vi.frames == Frames::Ietf) {
    ByteReader r{Bytes(plain_)};
    while (!r.empty() && frames_ok) {
      std::uint64_t type = 0;
      if (!read_quic_varint(r, type)) {
        frames_ok = false;
        break;
      }
      std::uint64_t a = 0;
      std::uint64_t b = 0;
      switch (type) {
        case 0x00: {  // PADDING, usually a long run of them
          const Bytes rest = r.rest();
          const auto end = std::find_if(rest.begin(), rest.end(), [](std::uint8_t x) { return x; });
          r.skip(static_cast<std::size_t>(end - rest.begin()));
          break;
        }
        case 0x01:  // PING
        case 0x1e:  // HANDSHAKE_DONE
          break;
        case 0x02:    // ACK
        case 0x03: {  // ACK with ECN counts
          std::uint64_t ranges = 0;
          frames_ok = read_quic_varint(r, a) && read_quic_varint(r, a) &&
                      read_quic_varint(r, ranges) && read_quic_varint(r, a);
          for (std::uint64_t i = 0; frames_ok && i < ranges; ++i) {
            frames_ok = read_quic_varint(r, a) && read_quic_varint(r, b);
          }
          if (frames_ok && type == 0x03) {
            frames_ok = read_quic_varint(r, a) && read_quic_varint(r, a) && read_quic_varint(r, a);
          }
          break;
        }
        case 0x06: {  // CRYPTO
          Bytes data;
          frames_ok = read_quic_varint(r, a) && read_quic_varint(r, b) && b <= r.remaining() &&
                      r.read_bytes(static_cast<std::size_t>(b), data);
          if (frames_ok) add_crypto(a, data);
          break;
        }
        case 0x1c:    // CONNECTION_CLOSE (transport)
        case 0x1d: {  // CONNECTION_CLOSE (application)
          frames_ok = read_quic_varint(r, a) && (type == 0x1d || read_quic_varint(r, a)) &&
                      read_quic_varint(r, b) && b <= r.remaining() &&
                      r.skip(static_cast<std::size_t>(b));
          break;
        }
        default:
          // Not allowed in an Initial; stop rather than guess its layout.
          frames_ok = false;
          break;
      }
    }
  } else {
    gquic_.crypto_scratch.clear();
    GquicFrames frames;
    frames.crypto = &gquic_.crypto_scratch;
    frames_ok = walk_gquic_frames(Bytes(plain_), GquicFrameContext{50, 4, false}, frames);
    for (const auto& [offset, data] : gquic_.crypto_scratch) add_crypto(offset, data);
    gquic_.crypto_scratch.clear();
  }

  const std::size_t contiguous = crypto_contiguous();
  if (contiguous == 0) {
    result.event = frames_ok ? QuicEvent::None : QuicEvent::Malformed;
    return result;
  }
  Bytes stream(crypto_.data(), contiguous);
  if (vi.frames == Frames::GquicCrypto) {
    std::string sni;
    switch (find_chlo_sni(stream, sni)) {
      case ChloStatus::Found:
        result.event = QuicEvent::GquicChlo;
        result.hello.has_server_name = true;
        result.hello.server_name = std::move(sni);
        return result;
      case ChloStatus::NeedMore:
        return result;
      case ChloStatus::NoSni:
        result.event = QuicEvent::GquicChlo;  // a complete CHLO without SNI
        return result;
      case ChloStatus::NotChlo:
        result.event = QuicEvent::Malformed;
        return result;
    }
    return result;
  }
  switch (parse_client_hello_handshake(stream, result.hello)) {
    case TlsParseStatus::Ok:
      result.event = QuicEvent::ClientHello;
      break;
    case TlsParseStatus::NeedMore:
      result.hello = ClientHello{};
      break;
    case TlsParseStatus::NotTls:
    case TlsParseStatus::Malformed:
      result.hello = ClientHello{};
      result.event = QuicEvent::Malformed;
      break;
  }
  return result;
}

QuicResult QuicSniExtractor::Impl::on_initial(Bytes packet, const LongHeader& h,
                                              const VersionInfo& vi) noexcept {
  QuicResult result;
  result.version = h.version;
  // A server Initial is addressed to the client's SCID; it does not
  // authenticate under client keys, so do not try.
  if (client_scid_.equals(h.dcid)) return result;

  const bool keys_match = have_keys_ && key_version_ == h.version;
  if (keys_match && remove_protection(packet, h.pn_offset, keys_))
    return on_plaintext(vi, h.version);
  // Either no keys yet, another version, or a new DCID (a Retry, or a new
  // connection on the same 5-tuple): derive keys from this packet's DCID.
  if (keys_match && key_dcid_.equals(h.dcid)) {
    result.event = QuicEvent::DecryptFailed;
    return result;
  }
  if (failed_dcid_.equals(h.dcid) || failed_derivations_ >= kMaxFailedDerivations) {
    result.event = QuicEvent::DecryptFailed;
    return result;
  }
  KeyMaterial km{};
  if (!derive_client_keys(vi, h.dcid, km) || !install_keys(km)) {
    result.event = QuicEvent::DecryptFailed;
    return result;
  }
  const bool saved_have_pn = have_largest_pn_;
  const std::uint64_t saved_pn = largest_pn_;
  have_largest_pn_ = false;
  if (remove_protection(packet, h.pn_offset, km)) {
    const std::uint64_t pn = largest_pn_;
    reset_connection();
    have_largest_pn_ = true;
    largest_pn_ = pn;
    have_keys_ = true;
    keys_ = km;
    key_version_ = h.version;
    key_dcid_.assign(h.dcid);
    client_scid_.assign(h.scid);
    return on_plaintext(vi, h.version);
  }
  // Not a client Initial of a new connection: keep following the old one.
  have_largest_pn_ = saved_have_pn;
  largest_pn_ = saved_pn;
  ++failed_derivations_;
  failed_dcid_.assign(h.dcid);
  if (have_keys_) install_keys(keys_);
  result.event = QuicEvent::DecryptFailed;
  return result;
}

QuicResult QuicSniExtractor::Impl::on_long_header_datagram(Bytes payload) noexcept {
  QuicResult best;
  Bytes rest = payload;
  Bytes first_dcid;
  bool first = true;
  auto rank = [](QuicEvent e) {
    switch (e) {
      case QuicEvent::ClientHello:
      case QuicEvent::GquicChlo:
        return 5;
      case QuicEvent::DecryptFailed:
        return 3;
      case QuicEvent::Malformed:
        return 2;
      case QuicEvent::UnknownVersion:
        return 1;
      case QuicEvent::None:
        break;
    }
    return 0;
  };
  while (!rest.empty() && (rest[0] & 0x80) != 0) {
    LongHeader h;
    VersionInfo vi;
    QuicResult r;
    const HeaderStatus hs = parse_long_header(rest, h, vi);
    if (hs == HeaderStatus::Ok) ietf_seen_ = true;
    if (hs == HeaderStatus::Stop) break;
    if (hs == HeaderStatus::Unsupported) {
      r.event = QuicEvent::UnknownVersion;
      r.version = h.version;
      if (rank(r.event) > rank(best.event)) best = std::move(r);
      break;
    }
    if (hs == HeaderStatus::Malformed) {
      r.event = QuicEvent::Malformed;
      if (rank(r.event) > rank(best.event)) best = std::move(r);
      break;
    }
    // Coalesced packets share a DCID; anything else is trailing junk.
    if (first) {
      first_dcid = h.dcid;
      first = false;
    } else if (!std::equal(h.dcid.begin(), h.dcid.end(), first_dcid.begin(), first_dcid.end())) {
      break;
    }
    if (h.type == PacketType::Initial) {
      r = on_initial(rest.first(h.size), h, vi);
      if (rank(r.event) > rank(best.event)) best = std::move(r);
      if (rank(best.event) == 5) break;
    }
    rest = rest.subspan(h.size);
  }
  return best;
}

QuicSniExtractor::QuicSniExtractor() : impl_(std::make_unique<Impl>()) {}
QuicSniExtractor::~QuicSniExtractor() = default;

QuicResult QuicSniExtractor::on_datagram(Bytes payload) noexcept {
  QuicResult result;
  if (done_ || payload.empty()) return result;
  const std::uint8_t first = payload[0];
  if ((first & 0x80) != 0 && payload.size() >= 5) {
    const std::uint32_t version = load_be32(payload.data() + 1);
    if (is_gquic_long_header_version(version)) {
      result = on_gquic_long_header(impl_->gquic_, payload);
    } else {
      result = impl_->on_long_header_datagram(payload);
    }
  } else if ((first & 0x80) == 0) {
    // Short header: 1-RTT data (not for us), unless the flow speaks Google
    // QUIC with a public header.
    if (!impl_->ietf_seen_) result = on_gquic_public_header(impl_->gquic_, payload);
  } else {
    result.event = QuicEvent::Malformed;
  }
  if (result.event == QuicEvent::ClientHello || result.event == QuicEvent::GquicChlo) {
    done_ = true;
  }
  return result;
}

bool looks_like_quic(Bytes payload) noexcept {
  if (payload.size() < 7) return false;
  if ((payload[0] & 0x80) != 0) {
    const std::uint32_t version = load_be32(payload.data() + 1);
    if (is_gquic_long_header_version(version)) return true;
    VersionInfo vi;
    return lookup_version(version, vi) && payload[5] <= kMaxCidBytes;
  }
  return looks_like_gquic_public_header(payload);
}

}  // namespace vigil::inspect
