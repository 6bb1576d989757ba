#include "inspect/tls/client_hello.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::inspect {
namespace {

using Buf = std::vector<std::uint8_t>;

void put16(Buf& b, std::size_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put24(Buf& b, std::size_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 16));
  put16(b, v);
}
void append(Buf& b, const Buf& more) { b.insert(b.end(), more.begin(), more.end()); }
void append(Buf& b, const std::string& s) { b.insert(b.end(), s.begin(), s.end()); }

Buf extension(std::uint16_t type, const Buf& data) {
  Buf e;
  put16(e, type);
  put16(e, data.size());
  append(e, data);
  return e;
}

Buf sni_ext(const std::string& name) {
  Buf list;
  list.push_back(0);  // host_name
  put16(list, name.size());
  append(list, name);
  Buf data;
  put16(data, list.size());
  append(data, list);
  return extension(0x0000, data);
}

Buf alpn_ext(const std::vector<std::string>& protocols) {
  Buf list;
  for (const auto& p : protocols) {
    list.push_back(static_cast<std::uint8_t>(p.size()));
    append(list, p);
  }
  Buf data;
  put16(data, list.size());
  append(data, list);
  return extension(0x0010, data);
}

// ClientHello handshake message (type, length, body) with `exts` as the
// extension block.
Buf hello_message(const Buf& exts, bool with_extensions = true) {
  Buf body;
  put16(body, 0x0303);
  body.insert(body.end(), 32, 0xab);  // random
  body.push_back(0);                  // session id
  put16(body, 4);
  put16(body, 0x1301);
  put16(body, 0x1302);
  body.push_back(1);  // compression methods
  body.push_back(0);
  if (with_extensions) {
    put16(body, exts.size());
    append(body, exts);
  }
  Buf msg{1};
  put24(msg, body.size());
  append(msg, body);
  return msg;
}

Buf record(const Buf& fragment, std::uint8_t type = 22) {
  Buf r{type, 3, 1};
  put16(r, fragment.size());
  append(r, fragment);
  return r;
}

Bytes view(const Buf& b) { return Bytes(b.data(), b.size()); }

TEST(ClientHelloTest, SingleRecordWithSniAlpnAndVersions) {
  Buf exts = sni_ext("WWW.Example.COM");
  append(exts, alpn_ext({"h2", "http/1.1"}));
  append(exts, extension(0x002b, Buf{4, 0x03, 0x04, 0x03, 0x03}));
  Buf stream = record(hello_message(exts));

  ClientHello ch;
  ASSERT_EQ(parse_client_hello_records(view(stream), ch), TlsParseStatus::Ok);
  EXPECT_EQ(ch.legacy_version, 0x0303);
  EXPECT_TRUE(ch.has_server_name);
  EXPECT_EQ(ch.server_name, "www.example.com");
  EXPECT_EQ(ch.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(ch.supported_versions, (std::vector<std::uint16_t>{0x0304, 0x0303}));
  EXPECT_FALSE(ch.has_ech);
  EXPECT_FALSE(ch.has_esni);
  EXPECT_FALSE(ch.extensions_truncated);
  EXPECT_TRUE(looks_like_client_hello_record(view(stream)));
}

TEST(ClientHelloTest, SplitAcrossRecordsAndFedInPieces) {
  Buf msg = hello_message(sni_ext("split.example"));
  const std::size_t cut = msg.size() / 2;
  Buf stream = record(Buf(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(cut)));
  append(stream, record(Buf(msg.begin() + static_cast<std::ptrdiff_t>(cut), msg.end())));

  // Every proper prefix, as TCP segments would deliver it, needs more.
  for (std::size_t n = 1; n < stream.size(); ++n) {
    ClientHello ch;
    ASSERT_EQ(parse_client_hello_records(Bytes(stream.data(), n), ch), TlsParseStatus::NeedMore)
        << "prefix " << n;
  }
  ClientHello ch;
  ASSERT_EQ(parse_client_hello_records(view(stream), ch), TlsParseStatus::Ok);
  EXPECT_EQ(ch.server_name, "split.example");
}

TEST(ClientHelloTest, HandshakeHeaderItselfSplitAcrossRecords) {
  Buf msg = hello_message(sni_ext("tiny.records"));
  Buf stream;
  for (std::size_t i = 0; i < msg.size(); i += 3) {
    std::size_t n = std::min<std::size_t>(3, msg.size() - i);
    append(stream, record(Buf(msg.begin() + static_cast<std::ptrdiff_t>(i),
                              msg.begin() + static_cast<std::ptrdiff_t>(i + n))));
  }
  ClientHello ch;
  ASSERT_EQ(parse_client_hello_records(view(stream), ch), TlsParseStatus::Ok);
  EXPECT_EQ(ch.server_name, "tiny.records");
}

TEST(ClientHelloTest, EchAndEsniCodePoints) {
  for (std::uint16_t type : {0xfe0d, 0xfe0a, 0xfe08, 0xff02}) {
    Buf exts = extension(type, Buf{0, 1, 2, 3});
    append(exts, sni_ext("public.example"));
    ClientHello ch;
    ASSERT_EQ(parse_client_hello_handshake(view(hello_message(exts)), ch), TlsParseStatus::Ok);
    EXPECT_TRUE(ch.has_ech) << std::hex << type;
    EXPECT_FALSE(ch.has_esni);
    EXPECT_EQ(ch.server_name, "public.example");
  }
  ClientHello ch;
  ASSERT_EQ(parse_client_hello_handshake(view(hello_message(extension(0xffce, Buf{1, 2}))), ch),
            TlsParseStatus::Ok);
  EXPECT_TRUE(ch.has_esni);
  EXPECT_FALSE(ch.has_ech);
  EXPECT_FALSE(ch.has_server_name);
}

TEST(ClientHelloTest, TruncatedExtensionKeepsWhatCameBefore) {
  Buf exts = sni_ext("before.example");
  // An extension that claims more bytes than the list holds, then an ALPN
  // that must not be read.
  put16(exts, 0x0015);
  put16(exts, 500);
  exts.insert(exts.end(), 10, 0);
  append(exts, alpn_ext({"h2"}));
  ClientHello ch;
  ASSERT_EQ(parse_client_hello_handshake(view(hello_message(exts)), ch), TlsParseStatus::Ok);
  EXPECT_EQ(ch.server_name, "before.example");
  EXPECT_TRUE(ch.alpn.empty());
  EXPECT_TRUE(ch.extensions_truncated);
}

TEST(ClientHelloTest, ExtensionBlockLongerThanMessageIsMalformed) {
  Buf msg = hello_message(sni_ext("x.example"));
  // Grow the extensions length past the end of the message.
  const std::size_t ext_len_pos = 4 + 2 + 32 + 1 + 2 + 4 + 1 + 1;
  msg[ext_len_pos] = 0x7f;
  ClientHello ch;
  EXPECT_EQ(parse_client_hello_handshake(view(msg), ch), TlsParseStatus::Malformed);
  EXPECT_FALSE(ch.has_server_name);
}

TEST(ClientHelloTest, NoExtensionsIsOk) {
  ClientHello ch;
  ASSERT_EQ(parse_client_hello_handshake(view(hello_message({}, false)), ch), TlsParseStatus::Ok);
  EXPECT_FALSE(ch.has_server_name);
}

TEST(ClientHelloTest, MalformedFixedPart) {
  Buf msg = hello_message(sni_ext("x.example"));
  msg[4 + 2 + 32] = 33;  // session id longer than 32
  ClientHello ch;
  EXPECT_EQ(parse_client_hello_handshake(view(msg), ch), TlsParseStatus::Malformed);

  Buf huge{1, 0x7f, 0xff, 0xff};  // 8 MB handshake: not waited for
  EXPECT_EQ(parse_client_hello_handshake(view(huge), ch), TlsParseStatus::Malformed);
  EXPECT_EQ(parse_client_hello_records(view(record(huge)), ch), TlsParseStatus::Malformed);
}

TEST(ClientHelloTest, Sslv2CompatibleHello) {
  // 2-byte header (length 0x2e), CLIENT-HELLO, version 3.1, 3 cipher specs,
  // no session id, 16-byte challenge.
  Buf v2{0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10};
  v2.insert(v2.end(), 0x15, 0x00);
  v2.insert(v2.end(), 0x10, 0x5a);
  ASSERT_EQ(v2.size(), 2u + 0x2e);
  EXPECT_TRUE(looks_like_client_hello_record(view(v2)));
  ClientHello ch;
  ASSERT_EQ(parse_client_hello_records(view(v2), ch), TlsParseStatus::Ok);
  EXPECT_EQ(ch.legacy_version, 0x0301);
  EXPECT_FALSE(ch.has_server_name);
  EXPECT_EQ(parse_client_hello_records(Bytes(v2.data(), 20), ch), TlsParseStatus::NeedMore);
}

TEST(ClientHelloTest, NotTls) {
  const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  Buf b(http.begin(), http.end());
  ClientHello ch;
  EXPECT_EQ(parse_client_hello_records(view(b), ch), TlsParseStatus::NotTls);
  EXPECT_FALSE(looks_like_client_hello_record(view(b)));

  // A ServerHello record.
  Buf server_hello = record(Buf{2, 0, 0, 2, 3, 3});
  EXPECT_EQ(parse_client_hello_records(view(server_hello), ch), TlsParseStatus::NotTls);
  EXPECT_FALSE(looks_like_client_hello_record(view(server_hello)));

  // Application data after a partial hello is not a continuation.
  Buf msg = hello_message(sni_ext("x.example"));
  Buf stream = record(Buf(msg.begin(), msg.begin() + 20));
  append(stream, record(Buf(msg.begin() + 20, msg.end()), 23));
  EXPECT_EQ(parse_client_hello_records(view(stream), ch), TlsParseStatus::Malformed);
}

TEST(ClientHelloTest, ServerNameAsWiresharkPrintsIt) {
  struct Case {
    std::string raw;
    std::string want;
  };
  const Case cases[] = {
      {"Example.COM.", "example.com"},
      {"a..", "a"},
      {std::string("ab\0cd", 5), "ab"},
      {"x\x80y", "x\xef\xbf\xbdy"},
      {"a\tb\nc\rd", "a\\tb\\nc\\rd"},
      {"a\x01"
       "b",
       "a\x01"
       "b"},
      {"...", ""},
  };
  for (const Case& c : cases) {
    ClientHello ch;
    ASSERT_EQ(parse_client_hello_handshake(view(hello_message(sni_ext(c.raw))), ch),
              TlsParseStatus::Ok);
    EXPECT_TRUE(ch.has_server_name);
    EXPECT_EQ(ch.server_name, c.want);
  }
}

TEST(ClientHelloTest, FirstHostNameWins) {
  Buf list;
  for (const std::string name : {"first.example", "second.example"}) {
    list.push_back(0);
    put16(list, name.size());
    append(list, name);
  }
  Buf data;
  put16(data, list.size());
  append(data, list);
  ClientHello ch;
  ASSERT_EQ(parse_client_hello_handshake(view(hello_message(extension(0, data))), ch),
            TlsParseStatus::Ok);
  EXPECT_EQ(ch.server_name, "first.example");
}

TEST(ClientHelloTest, HandshakeNeedsMore) {
  Buf msg = hello_message(sni_ext("q.example"));
  ClientHello ch;
  EXPECT_EQ(parse_client_hello_handshake(Bytes(msg.data(), 3), ch), TlsParseStatus::NeedMore);
  EXPECT_EQ(parse_client_hello_handshake(Bytes(msg.data(), msg.size() - 1), ch),
            TlsParseStatus::NeedMore);
  EXPECT_EQ(parse_client_hello_handshake(view(msg), ch), TlsParseStatus::Ok);
  Buf not_hello = msg;
  not_hello[0] = 2;
  EXPECT_EQ(parse_client_hello_handshake(view(not_hello), ch), TlsParseStatus::NotTls);
}

TEST(ClientHelloTest, LooksLikeAcceptsARecordHeaderAlone) {
  Buf header{22, 3, 1, 0x02, 0x00};
  EXPECT_TRUE(looks_like_client_hello_record(view(header)));
  Buf zero_len{22, 3, 1, 0, 0};
  EXPECT_FALSE(looks_like_client_hello_record(view(zero_len)));
  Buf bad_version{22, 2, 0, 0, 10, 1};
  EXPECT_FALSE(looks_like_client_hello_record(view(bad_version)));
}

}  // namespace
}  // namespace vigil::inspect
