// Fuzz target for QUIC Initial / Google QUIC SNI extraction. The first byte
// picks a mode; the rest is a sequence of [2-byte length][bytes] chunks.
//   even: each chunk is a UDP datagram, all fed to one extractor (both
//         directions of a flow look like this);
//   odd:  each chunk is the plaintext of a client Initial, protected here
//         with the RFC 9001 Appendix A keys (DCID 8394c8f03e515708), so
//         that frame parsing and CRYPTO reassembly are reached too.

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "inspect/quic/quic_initial.h"

namespace {

using Buf = std::vector<std::uint8_t>;

constexpr std::uint8_t kKey[16] = {0x1f, 0x36, 0x96, 0x13, 0xdd, 0x76, 0xd5, 0x46,
                                   0x77, 0x30, 0xef, 0xcb, 0xe3, 0xb1, 0xa2, 0x2d};
constexpr std::uint8_t kIv[12] = {0xfa, 0x04, 0x4b, 0x2f, 0x42, 0xa3,
                                  0xfd, 0x3b, 0x46, 0xfb, 0x25, 0x5c};
constexpr std::uint8_t kHp[16] = {0x9f, 0x50, 0x44, 0x9e, 0x04, 0xa0, 0xe8, 0x10,
                                  0x28, 0x3a, 0x1e, 0x99, 0x33, 0xad, 0xed, 0xd2};
constexpr std::uint8_t kHeader[] = {0xc3, 0x00, 0x00, 0x00, 0x01, 0x08, 0x83, 0x94, 0xc8, 0xf0,
                                    0x3e, 0x51, 0x57, 0x08, 0x04, 0xc1, 0xc2, 0xc3, 0xc4, 0x00};

Buf protect(const std::uint8_t* plain, std::size_t len, std::uint32_t pn) {
  Buf payload(plain, plain + len);
  if (payload.empty()) payload.push_back(0);
  Buf packet(kHeader, kHeader + sizeof(kHeader));
  const std::size_t length = 4 + payload.size() + 16;
  packet.push_back(static_cast<std::uint8_t>(0x80));
  packet.push_back(0);
  packet.push_back(static_cast<std::uint8_t>(length >> 8));
  packet.push_back(static_cast<std::uint8_t>(length));
  const std::size_t pn_offset = packet.size();
  for (int i = 3; i >= 0; --i) packet.push_back(static_cast<std::uint8_t>(pn >> (8 * i)));
  std::uint8_t nonce[12];
  std::memcpy(nonce, kIv, sizeof(nonce));
  for (int i = 0; i < 4; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(pn >> (8 * i));
  const std::size_t header_len = packet.size();
  packet.resize(header_len + payload.size() + 16);
  int out = 0;
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), nullptr, kKey, nonce);
  EVP_EncryptUpdate(c, nullptr, &out, packet.data(), static_cast<int>(header_len));
  EVP_EncryptUpdate(c, packet.data() + header_len, &out, payload.data(),
                    static_cast<int>(payload.size()));
  EVP_EncryptFinal_ex(c, packet.data() + header_len + payload.size(), &out);
  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, packet.data() + header_len + payload.size());
  EVP_CIPHER_CTX_free(c);
  std::uint8_t mask[16];
  c = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), nullptr, kHp, nullptr);
  EVP_CIPHER_CTX_set_padding(c, 0);
  EVP_EncryptUpdate(c, mask, &out, packet.data() + pn_offset + 4, 16);
  EVP_CIPHER_CTX_free(c);
  packet[0] ^= mask[0] & 0x0f;
  for (std::size_t i = 0; i < 4; ++i) packet[pn_offset + i] ^= mask[1 + i];
  return packet;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using vigil::inspect::Bytes;
  if (size == 0) return 0;
  const bool encrypt = (data[0] & 1) != 0;
  vigil::inspect::QuicSniExtractor extractor;
  std::size_t pos = 1;
  std::uint32_t pn = 0;
  while (pos < size) {
    std::size_t len = size - pos;
    if (len >= 2) {
      len = (std::size_t{data[pos]} << 8) | data[pos + 1];
      pos += 2;
      if (len > size - pos) len = size - pos;
    }
    if (encrypt) {
      Buf packet = protect(data + pos, len, pn++);
      extractor.on_datagram(Bytes(packet.data(), packet.size()));
    } else {
      const Bytes datagram(data + pos, len);
      vigil::inspect::looks_like_quic(datagram);
      extractor.on_datagram(datagram);
    }
    pos += len;
  }
  return 0;
}
