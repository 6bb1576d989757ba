#pragma once
// TLS ClientHello parsing (RFC 8446 / 5246): server_name, ALPN, ECH/ESNI.
// Used on reassembled TCP streams and on QUIC CRYPTO data. noexcept, no logging.

#include <cstdint>
#include <string>
#include <vector>

#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

struct ClientHello {
  std::uint16_t legacy_version = 0;
  // First host_name entry of server_name, written the way Wireshark prints
  // it and the corpus truth normalises it: cut at a NUL, bytes >= 0x80 as
  // U+FFFD, \b \t \n \f \r as backslash escapes, ASCII lowercased, trailing
  // dots removed. May be empty even when has_server_name is set.
  std::string server_name;
  bool has_server_name = false;
  std::vector<std::string> alpn;
  bool has_ech = false;   // encrypted_client_hello (0xfe0d) or draft code points
  bool has_esni = false;  // encrypted_server_name (0xffce)
  std::vector<std::uint16_t> supported_versions;
  // An extension overran the extension list; the walk stopped there (as
  // Wireshark's does) and the fields above hold what came before it.
  bool extensions_truncated = false;
};

enum class TlsParseStatus : std::uint8_t {
  Ok,         // a complete ClientHello was read
  NeedMore,   // looks like a ClientHello but the bytes stop before its end
  NotTls,     // does not start with a TLS handshake record / ClientHello
  Malformed,  // a ClientHello whose inner lengths do not add up
};

// `stream` is a byte stream that starts at a TLS record boundary (the start of
// a TCP direction, or the point after STARTTLS / CONNECT). Handshake data is
// gathered across records until the whole ClientHello is present.
TlsParseStatus parse_client_hello_records(Bytes stream, ClientHello& out) noexcept;

// `handshake` starts at a handshake message header (type 1, 24-bit length), as
// carried in QUIC CRYPTO frames.
TlsParseStatus parse_client_hello_handshake(Bytes handshake, ClientHello& out) noexcept;

// Cheap check: do these bytes begin a TLS handshake record holding a
// ClientHello (content type 22, version 3.x, handshake type 1)? Also accepts
// SSLv2-compatible ClientHello headers.
bool looks_like_client_hello_record(Bytes stream) noexcept;

// A raw server name written the way ClientHello::server_name holds it; also
// used for the SNI tag of Google QUIC CHLOs.
std::string normalise_server_name(Bytes raw) noexcept;

}  // namespace vigil::inspect
