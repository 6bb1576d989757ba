#include "inspect/quic/quic_initial.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace vigil::inspect {
namespace {

using Buf = std::vector<std::uint8_t>;

Buf hex(const std::string& s) {
  Buf out;
  int hi = -1;
  for (char c : s) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

Bytes view(const Buf& b) { return Bytes(b.data(), b.size()); }
void append(Buf& b, const Buf& more) { b.insert(b.end(), more.begin(), more.end()); }
void append(Buf& b, const std::string& s) { b.insert(b.end(), s.begin(), s.end()); }

// RFC 9001 Appendix A.2: the client's CRYPTO frame, a ClientHello for
// "example.com" with ALPN "alpn".
const Buf kRfcCryptoFrame =
    hex("060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
        "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
        "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
        "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
        "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
        "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
        "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
        "75300901100f088394c8f03e51570806048000ffff");
const Buf kRfcDcid = hex("8394c8f03e515708");

struct Keys {
  std::uint8_t key[16];
  std::uint8_t iv[12];
  std::uint8_t hp[16];
};

// The test's own HKDF (EVP_PKEY interface, unlike the code under test).
Buf hkdf(bool extract, const Buf& key, const Buf& salt_or_info, std::size_t len) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr);
  Buf out(len);
  std::size_t out_len = len;
  bool ok = ctx != nullptr && EVP_PKEY_derive_init(ctx) == 1 &&
            EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) == 1 &&
            EVP_PKEY_CTX_set_hkdf_mode(ctx, extract ? EVP_PKEY_HKDEF_MODE_EXTRACT_ONLY
                                                    : EVP_PKEY_HKDEF_MODE_EXPAND_ONLY) == 1 &&
            EVP_PKEY_CTX_set1_hkdf_key(ctx, key.data(), static_cast<int>(key.size())) == 1;
  if (ok && extract) {
    ok = EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt_or_info.data(),
                                     static_cast<int>(salt_or_info.size())) == 1;
  } else if (ok) {
    ok = EVP_PKEY_CTX_add1_hkdf_info(ctx, salt_or_info.data(),
                                     static_cast<int>(salt_or_info.size())) == 1;
  }
  ok = ok && EVP_PKEY_derive(ctx, out.data(), &out_len) == 1;
  EVP_PKEY_CTX_free(ctx);
  EXPECT_TRUE(ok);
  return out;
}

Buf expand_label(const Buf& secret, const std::string& label, std::size_t len) {
  Buf info{static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)};
  const std::string full = "tls13 " + label;
  info.push_back(static_cast<std::uint8_t>(full.size()));
  append(info, full);
  info.push_back(0);
  return hkdf(false, secret, info, len);
}

Keys derive(const Buf& salt, const Buf& dcid, bool v2, const char* side = "client in") {
  Buf initial = hkdf(true, dcid, salt, 32);
  Buf secret = expand_label(initial, side, 32);
  Keys k{};
  Buf key = expand_label(secret, v2 ? "quicv2 key" : "quic key", 16);
  Buf iv = expand_label(secret, v2 ? "quicv2 iv" : "quic iv", 12);
  Buf hp = expand_label(secret, v2 ? "quicv2 hp" : "quic hp", 16);
  std::memcpy(k.key, key.data(), 16);
  std::memcpy(k.iv, iv.data(), 12);
  std::memcpy(k.hp, hp.data(), 16);
  return k;
}

const Buf kSaltV1 = hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
const Buf kSaltV2 = hex("0dede3def700a6db819381be6e269dcbf9bd2ed9");
const Buf kSaltDraft29 = hex("afbfec289993d24c9e9786f19c6111e04390a899");
const Buf kSaltT051 = hex("7a4edef4e7ccee5fa4506c19124fc8ccda6e033d");

constexpr std::uint32_t kV1 = 0x00000001;
constexpr std::uint32_t kV2 = 0x6b3343cf;

// A long-header Initial: header with a 4-byte packet number, `payload`
// padded to `padded_to` bytes, then packet and header protection.
Buf initial_packet(std::uint32_t version, std::uint8_t first, const Buf& dcid, const Buf& scid,
                   std::uint64_t pn, Buf payload, const Keys& k, std::size_t padded_to = 0) {
  if (payload.size() < padded_to) payload.resize(padded_to, 0);
  Buf h{first};
  for (int i = 3; i >= 0; --i) h.push_back(static_cast<std::uint8_t>(version >> (8 * i)));
  h.push_back(static_cast<std::uint8_t>(dcid.size()));
  append(h, dcid);
  h.push_back(static_cast<std::uint8_t>(scid.size()));
  append(h, scid);
  h.push_back(0);  // token length
  const std::size_t length = 4 + payload.size() + 16;
  h.push_back(static_cast<std::uint8_t>(0x40 | (length >> 8)));
  h.push_back(static_cast<std::uint8_t>(length));
  const std::size_t pn_offset = h.size();
  for (int i = 3; i >= 0; --i) h.push_back(static_cast<std::uint8_t>(pn >> (8 * i)));

  std::uint8_t nonce[12];
  std::memcpy(nonce, k.iv, 12);
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(pn >> (8 * i));
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  Buf ct(payload.size());
  std::uint8_t tag[16];
  int len = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), nullptr, k.key, nonce), 1);
  EXPECT_EQ(EVP_EncryptUpdate(c, nullptr, &len, h.data(), static_cast<int>(h.size())), 1);
  EXPECT_EQ(EVP_EncryptUpdate(c, ct.data(), &len, payload.data(), static_cast<int>(payload.size())),
            1);
  EXPECT_EQ(EVP_EncryptFinal_ex(c, ct.data() + len, &len), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
  EVP_CIPHER_CTX_free(c);

  Buf packet = h;
  append(packet, ct);
  packet.insert(packet.end(), tag, tag + 16);

  std::uint8_t mask[16];
  c = EVP_CIPHER_CTX_new();
  EXPECT_EQ(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), nullptr, k.hp, nullptr), 1);
  EVP_CIPHER_CTX_set_padding(c, 0);
  EXPECT_EQ(EVP_EncryptUpdate(c, mask, &len, packet.data() + pn_offset + 4, 16), 1);
  EVP_CIPHER_CTX_free(c);
  packet[0] ^= mask[0] & 0x0f;
  for (int i = 0; i < 4; ++i) packet[pn_offset + static_cast<std::size_t>(i)] ^= mask[1 + i];
  return packet;
}

// A CRYPTO frame (IETF type 0x06, or Google QUIC's 0x08).
Buf crypto_frame(std::uint64_t offset, const Buf& data, std::uint8_t type = 0x06) {
  Buf f{type};
  f.push_back(0x80 | static_cast<std::uint8_t>(offset >> 24));
  f.push_back(static_cast<std::uint8_t>(offset >> 16));
  f.push_back(static_cast<std::uint8_t>(offset >> 8));
  f.push_back(static_cast<std::uint8_t>(offset));
  f.push_back(static_cast<std::uint8_t>(0x40 | (data.size() >> 8)));
  f.push_back(static_cast<std::uint8_t>(data.size()));
  append(f, data);
  return f;
}

// The ClientHello message inside the RFC's CRYPTO frame.
Buf rfc_client_hello() { return Buf(kRfcCryptoFrame.begin() + 4, kRfcCryptoFrame.end()); }

TEST(QuicInitialTest, Rfc9001KeysMatchTheTestsHkdf) {
  Keys k = derive(kSaltV1, kRfcDcid, false);
  EXPECT_EQ(Buf(k.key, k.key + 16), hex("1f369613dd76d5467730efcbe3b1a22d"));
  EXPECT_EQ(Buf(k.iv, k.iv + 12), hex("fa044b2f42a3fd3b46fb255c"));
  EXPECT_EQ(Buf(k.hp, k.hp + 16), hex("9f50449e04a0e810283a1e9933adedd2"));
}

TEST(QuicInitialTest, Rfc9001ClientInitialVector) {
  // RFC 9001 A.2: packet number 2, 1162 bytes of payload, 1200 in all.
  Keys k{};
  std::memcpy(k.key, hex("1f369613dd76d5467730efcbe3b1a22d").data(), 16);
  std::memcpy(k.iv, hex("fa044b2f42a3fd3b46fb255c").data(), 12);
  std::memcpy(k.hp, hex("9f50449e04a0e810283a1e9933adedd2").data(), 16);
  Buf packet = initial_packet(kV1, 0xc3, kRfcDcid, {}, 2, kRfcCryptoFrame, k, 1162);
  ASSERT_EQ(packet.size(), 1200u);
  // The protected header and the first payload bytes as printed in the RFC.
  EXPECT_EQ(Buf(packet.begin(), packet.begin() + 22),
            hex("c000000001088394c8f03e5157080000449e7b9aec34"));
  EXPECT_EQ(Buf(packet.begin() + 22, packet.begin() + 38), hex("d1b1c98dd7689fb8ec11d242b123dc9b"));

  EXPECT_TRUE(looks_like_quic(view(packet)));
  QuicSniExtractor ex;
  QuicResult r = ex.on_datagram(view(packet));
  ASSERT_EQ(r.event, QuicEvent::ClientHello);
  EXPECT_EQ(r.version, kV1);
  EXPECT_TRUE(r.hello.has_server_name);
  EXPECT_EQ(r.hello.server_name, "example.com");
  EXPECT_EQ(r.hello.alpn, std::vector<std::string>{"alpn"});
  EXPECT_EQ(r.hello.supported_versions, std::vector<std::uint16_t>{0x0304});
  EXPECT_TRUE(ex.done());
  // Reported once per connection.
  EXPECT_EQ(ex.on_datagram(view(packet)).event, QuicEvent::None);
}

TEST(QuicInitialTest, QuicV2ClientInitial) {
  // RFC 9369: the v2 salt and "quicv2" labels; Initial is type 0b01.
  Keys k = derive(kSaltV2, kRfcDcid, true);
  Buf packet = initial_packet(kV2, 0xd3, kRfcDcid, {}, 2, kRfcCryptoFrame, k, 1162);
  QuicSniExtractor ex;
  QuicResult r = ex.on_datagram(view(packet));
  ASSERT_EQ(r.event, QuicEvent::ClientHello);
  EXPECT_EQ(r.version, kV2);
  EXPECT_EQ(r.hello.server_name, "example.com");

  // The same packet with v1 type bits is a v2 0-RTT packet: not decrypted.
  Buf zero_rtt = initial_packet(kV2, 0xe3, kRfcDcid, {}, 2, kRfcCryptoFrame, k, 1162);
  QuicSniExtractor ex2;
  EXPECT_EQ(ex2.on_datagram(view(zero_rtt)).event, QuicEvent::None);
}

TEST(QuicInitialTest, Draft29AndT051) {
  const Buf dcid = hex("0011223344556677");
  Keys k29 = derive(kSaltDraft29, dcid, false);
  QuicSniExtractor ex;
  QuicResult r = ex.on_datagram(
      view(initial_packet(0xff00001d, 0xc3, dcid, {}, 0, kRfcCryptoFrame, k29, 1162)));
  ASSERT_EQ(r.event, QuicEvent::ClientHello);
  EXPECT_EQ(r.hello.server_name, "example.com");

  // Google's T051 keeps gQUIC framing: CRYPTO is frame type 0x08.
  Keys kt = derive(kSaltT051, dcid, false);
  Buf frames = crypto_frame(0, rfc_client_hello(), 0x08);
  QuicSniExtractor ex2;
  r = ex2.on_datagram(view(initial_packet(0x54303531, 0xc3, dcid, {}, 1, frames, kt, 1162)));
  ASSERT_EQ(r.event, QuicEvent::ClientHello);
  EXPECT_EQ(r.version, 0x54303531u);
  EXPECT_EQ(r.hello.server_name, "example.com");
}

TEST(QuicInitialTest, CryptoFramesOutOfOrderAcrossPackets) {
  const Buf dcid = hex("a1a2a3a4a5a6a7a8");
  const Buf scid = hex("c1c2c3c4");
  Keys k = derive(kSaltV1, dcid, false);
  Buf ch = rfc_client_hello();
  const std::size_t cut = 100;
  Buf head(ch.begin(), ch.begin() + cut);
  Buf tail(ch.begin() + cut, ch.end());
  // Packet 0 carries the tail (and a PING), packet 1 the head.
  Buf p0_frames{0x01};
  append(p0_frames, crypto_frame(cut, tail));
  Buf p0 = initial_packet(kV1, 0xc3, dcid, scid, 0, p0_frames, k, 1162);
  Buf p1 = initial_packet(kV1, 0xc3, dcid, scid, 1, crypto_frame(0, head), k, 1162);

  QuicSniExtractor ex;
  EXPECT_EQ(ex.on_datagram(view(p0)).event, QuicEvent::None);
  EXPECT_FALSE(ex.done());
  // A server Initial (addressed to the client's SCID, under server keys) in
  // between is skipped without a decryption attempt.
  Keys ks = derive(kSaltV1, dcid, false, "server in");
  Buf server = initial_packet(kV1, 0xc3, scid, hex("5e5e5e5e"), 0, Buf{0x02, 0, 0, 0, 0}, ks, 100);
  EXPECT_EQ(ex.on_datagram(view(server)).event, QuicEvent::None);
  QuicResult r = ex.on_datagram(view(p1));
  ASSERT_EQ(r.event, QuicEvent::ClientHello);
  EXPECT_EQ(r.hello.server_name, "example.com");
}

TEST(QuicInitialTest, SplitWithinOnePacketAndCoalescedZeroRtt) {
  const Buf dcid = hex("0102030405060708090a");
  Keys k = derive(kSaltV1, dcid, false);
  Buf ch = rfc_client_hello();
  Buf frames = crypto_frame(150, Buf(ch.begin() + 150, ch.end()));
  frames.push_back(0x00);  // PADDING
  frames.push_back(0x01);  // PING
  append(frames, crypto_frame(0, Buf(ch.begin(), ch.begin() + 150)));
  Buf datagram = initial_packet(kV1, 0xc3, dcid, {}, 0, frames, k, 400);
  // A 0-RTT packet (type 1) with the same DCID follows in the datagram.
  Buf zero_rtt{0xd0, 0, 0, 0, 1, static_cast<std::uint8_t>(dcid.size())};
  append(zero_rtt, dcid);
  zero_rtt.push_back(0);
  zero_rtt.push_back(40);
  zero_rtt.insert(zero_rtt.end(), 40, 0x77);
  append(datagram, zero_rtt);

  QuicSniExtractor ex;
  QuicResult r = ex.on_datagram(view(datagram));
  ASSERT_EQ(r.event, QuicEvent::ClientHello);
  EXPECT_EQ(r.hello.server_name, "example.com");
}

TEST(QuicInitialTest, NewDcidAfterRetry) {
  const Buf first_dcid = hex("1111111111111111");
  const Buf retry_dcid = hex("2222222222222222");
  Buf ch = rfc_client_hello();
  Keys k1 = derive(kSaltV1, first_dcid, false);
  Keys k2 = derive(kSaltV1, retry_dcid, false);
  QuicSniExtractor ex;
  // The first Initial carries only part of the hello; after the Retry the
  // client starts over with keys from the new DCID.
  Buf p1 = initial_packet(kV1, 0xc3, first_dcid, {}, 0,
                          crypto_frame(0, Buf(ch.begin(), ch.begin() + 50)), k1, 1162);
  EXPECT_EQ(ex.on_datagram(view(p1)).event, QuicEvent::None);
  Buf p2 = initial_packet(kV1, 0xc3, retry_dcid, {}, 1, kRfcCryptoFrame, k2, 1162);
  QuicResult r = ex.on_datagram(view(p2));
  ASSERT_EQ(r.event, QuicEvent::ClientHello);
  EXPECT_EQ(r.hello.server_name, "example.com");
}

TEST(QuicInitialTest, InitialThatDoesNotAuthenticate) {
  const Buf dcid = hex("3333333333333333");
  Keys wrong = derive(kSaltV1, hex("4444444444444444"), false);
  Buf packet = initial_packet(kV1, 0xc3, dcid, {}, 0, kRfcCryptoFrame, wrong, 1162);
  QuicSniExtractor ex;
  EXPECT_EQ(ex.on_datagram(view(packet)).event, QuicEvent::DecryptFailed);
  // The same DCID again is refused without deriving keys a second time.
  EXPECT_EQ(ex.on_datagram(view(packet)).event, QuicEvent::DecryptFailed);
  EXPECT_FALSE(ex.done());
}

TEST(QuicInitialTest, UnknownVersionsAndVersionNegotiation) {
  Buf packet = hex("c3babababa08000102030405060700004500");
  packet.resize(1200, 0);
  EXPECT_FALSE(looks_like_quic(view(packet)));
  QuicSniExtractor ex;
  EXPECT_EQ(ex.on_datagram(view(packet)).event, QuicEvent::UnknownVersion);
  Buf vn = hex("8000000000080001020304050607040a0b0c0d00000001");
  EXPECT_EQ(ex.on_datagram(view(vn)).event, QuicEvent::None);
}

// A Google QUIC CHLO message with an SNI and a VER tag.
Buf chlo(const std::string& sni) {
  Buf m;
  append(m, std::string("CHLO"));
  m.insert(m.end(), {2, 0, 0, 0});
  auto entry = [&m](const char* tag, std::uint32_t end) {
    m.insert(m.end(), tag, tag + 4);
    for (int i = 0; i < 4; ++i) m.push_back(static_cast<std::uint8_t>(end >> (8 * i)));
  };
  entry("SNI\0", static_cast<std::uint32_t>(sni.size()));
  entry("VER\0", static_cast<std::uint32_t>(sni.size() + 4));
  append(m, sni);
  append(m, std::string("Q046"));
  return m;
}

TEST(QuicInitialTest, GoogleQuicQ046LongHeader) {
  Buf p = hex("c3 51303436 50 1122334455667788 00000001");
  p.insert(p.end(), 12, 0xaa);  // message authentication hash
  Buf m = chlo("Play.Google.COM");
  p.push_back(0xa0);  // STREAM, 2-byte data length, 1-byte stream id
  p.push_back(0x01);
  p.push_back(static_cast<std::uint8_t>(m.size() >> 8));
  p.push_back(static_cast<std::uint8_t>(m.size()));
  append(p, m);
  p.resize(1350, 0);  // PADDING frames
  ASSERT_TRUE(looks_like_quic(view(p)));
  QuicSniExtractor ex;
  QuicResult r = ex.on_datagram(view(p));
  ASSERT_EQ(r.event, QuicEvent::GquicChlo);
  EXPECT_EQ(r.version, 0x51303436u);
  EXPECT_EQ(r.hello.server_name, "play.google.com");
  EXPECT_TRUE(ex.done());
}

TEST(QuicInitialTest, GoogleQuicPublicHeaderVersionRemembered) {
  // Q043: version flag + 8-byte CID, 1-byte packet number.
  Buf first = hex("09 1122334455667788 51303433 01");
  first.insert(first.end(), 12, 0xbb);
  first.insert(first.end(), {0x40, 0x01, 0x00, 0x00, 0x00, 0x00});  // ACK frame (Q034+ layout)
  first.push_back(0x00);                                            // PADDING
  first.resize(200, 0);
  ASSERT_TRUE(looks_like_quic(view(first)));
  QuicSniExtractor ex;
  EXPECT_EQ(ex.on_datagram(view(first)).event, QuicEvent::None);

  // The next client packet has no version; the CHLO is read as Q043
  // (big-endian), with the legacy 0x0c CID bits a Q035 client sets.
  Buf second = hex("0c 1122334455667788 02");
  second.insert(second.end(), 12, 0xbb);
  Buf m = chlo("mail.example.org");
  second.push_back(0xa0);
  second.push_back(0x01);
  second.push_back(static_cast<std::uint8_t>(m.size() >> 8));
  second.push_back(static_cast<std::uint8_t>(m.size()));
  append(second, m);
  QuicResult r = ex.on_datagram(view(second));
  ASSERT_EQ(r.event, QuicEvent::GquicChlo);
  EXPECT_EQ(r.hello.server_name, "mail.example.org");
}

TEST(QuicInitialTest, GoogleQuicOldVersionHasPrivateFlags) {
  // Q024: private flags byte after the hash; little-endian integers.
  Buf p = hex("0d 1122334455667788 51303234 01");
  p.insert(p.end(), 12, 0xcc);
  p.push_back(0x01);  // private flags
  Buf m = chlo("www.youtube.com");
  p.push_back(0xa0);
  p.push_back(0x01);
  p.push_back(static_cast<std::uint8_t>(m.size()));
  p.push_back(static_cast<std::uint8_t>(m.size() >> 8));
  append(p, m);
  QuicSniExtractor ex;
  QuicResult r = ex.on_datagram(view(p));
  ASSERT_EQ(r.event, QuicEvent::GquicChlo);
  EXPECT_EQ(r.hello.server_name, "www.youtube.com");
}

TEST(QuicInitialTest, GarbageNeverCrashesOrReportsAHello) {
  std::mt19937 rng(12345);
  const Buf dcid = hex("8394c8f03e515708");
  Keys k = derive(kSaltV1, dcid, false);
  Buf good = initial_packet(kV1, 0xc3, dcid, {}, 2, kRfcCryptoFrame, k, 1162);
  for (int i = 0; i < 2000; ++i) {
    QuicSniExtractor ex;
    Buf b;
    if (i % 2 == 0) {
      b.resize(rng() % 1300);
      for (auto& x : b) x = static_cast<std::uint8_t>(rng());
      if (!b.empty()) b[0] |= static_cast<std::uint8_t>(i % 4 == 0 ? 0xc0 : 0);
      if (b.size() > 5 && i % 8 == 0) std::memcpy(b.data() + 1, "\x00\x00\x00\x01", 4);
    } else {
      // Truncations and bit flips of a valid packet.
      b = good;
      b.resize(rng() % (good.size() + 1));
      if (!b.empty() && i % 3 == 0)
        b[rng() % b.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    }
    QuicResult r = ex.on_datagram(view(b));
    if (b.size() != good.size() || b != good) {
      EXPECT_NE(r.event, QuicEvent::ClientHello) << "case " << i;
    }
  }
}

TEST(QuicInitialTest, LooksLikeQuic) {
  EXPECT_FALSE(looks_like_quic(Bytes()));
  EXPECT_FALSE(looks_like_quic(view(hex("4500003c1c4640004006"))));  // short header / IPv4-ish
  EXPECT_TRUE(looks_like_quic(view(hex("c0ff00001d088394c8f03e515708"))));
  EXPECT_FALSE(looks_like_quic(view(hex("c0ff00001d158394c8f03e515708"))));  // DCID length 21
  EXPECT_TRUE(looks_like_quic(view(hex("c0faceb002088394c8f03e515708"))));
}

}  // namespace
}  // namespace vigil::inspect
