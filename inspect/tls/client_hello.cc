#include "inspect/tls/client_hello.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vigil::inspect {
namespace {

constexpr std::uint8_t kContentHandshake = 22;
constexpr std::uint8_t kHandshakeClientHello = 1;
constexpr std::size_t kRecordHeaderBytes = 5;
constexpr std::size_t kHandshakeHeaderBytes = 4;
constexpr std::size_t kMaxSessionIdBytes = 32;
// Larger handshake lengths are treated as malformed rather than waited for.
constexpr std::size_t kMaxHandshakeBytes = 64 * 1024;

constexpr std::uint16_t kExtServerName = 0x0000;
constexpr std::uint16_t kExtAlpn = 0x0010;
constexpr std::uint16_t kExtSupportedVersions = 0x002b;
constexpr std::uint16_t kExtEsni = 0xffce;
constexpr std::uint16_t kExtEchDraft07 = 0xff02;
constexpr std::uint16_t kExtEchFirstDraft = 0xfe08;  // draft-08 .. draft-12: 0xfe08 .. 0xfe0c
constexpr std::uint16_t kExtEch = 0xfe0d;            // draft-13 and the RFC

constexpr std::uint8_t kServerNameHostName = 0;
// Enough for any real client; bounds the work a hostile hello can cause.
constexpr std::size_t kMaxAlpnEntries = 32;
constexpr std::size_t kMaxSupportedVersions = 64;

// Record versions a ClientHello record may carry: SSL 3.0 .. TLS 1.3 (the
// record layer of TLS 1.3 still says 3.1 or 3.3).
bool plausible_record_version(std::uint8_t major, std::uint8_t minor) noexcept {
  return major == 3 && minor <= 4;
}

bool is_ech_code_point(std::uint16_t type) noexcept {
  return type == kExtEch || type == kExtEchDraft07 || (type >= kExtEchFirstDraft && type < kExtEch);
}

// server_name as Wireshark 4.0 prints it with `tshark -T fields` and as the
// truth's awk step normalises it: the string stops at a NUL, bytes >= 0x80
// become U+FFFD, \b \t \n \f \r are written as two-character escapes, other
// bytes stay as they are; ASCII letters are lowercased and trailing dots
// removed.
std::string normalise_host_name(Bytes name) noexcept {
  std::string out;
  out.reserve(name.size());
  for (std::uint8_t c : name) {
    if (c == 0) break;
    if (c >= 0x80) {
      out += "\xef\xbf\xbd";
      continue;
    }
    switch (c) {
      case '\b':
        out += "\\b";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\r':
        out += "\\r";
        continue;
      default:
        break;
    }
    if (c >= 'A' && c <= 'Z') c = static_cast<std::uint8_t>(c - 'A' + 'a');
    out.push_back(static_cast<char>(c));
  }
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

// server_name: ServerNameList<1..2^16-1> of {NameType, HostName<1..2^16-1>}.
// Like Wireshark, an entry that overruns the list ends the walk.
void parse_server_name(Bytes ext, ClientHello& out) {
  ByteReader r(ext);
  std::uint16_t list_len = 0;
  Bytes list;
  if (!r.read_u16(list_len) || list_len == 0 || !r.read_bytes(list_len, list)) return;
  ByteReader lr(list);
  while (!lr.empty()) {
    std::uint8_t type = 0;
    std::uint16_t len = 0;
    Bytes name;
    if (!lr.read_u8(type) || !lr.read_u16(len) || len == 0 || !lr.read_bytes(len, name)) return;
    if (type == kServerNameHostName && !out.has_server_name) {
      out.has_server_name = true;
      out.server_name = normalise_host_name(name);
    }
  }
}

// application_layer_protocol_negotiation: ProtocolNameList<2..2^16-1> of
// ProtocolName<1..2^8-1>.
void parse_alpn(Bytes ext, ClientHello& out) {
  ByteReader r(ext);
  std::uint16_t list_len = 0;
  Bytes list;
  if (!r.read_u16(list_len) || !r.read_bytes(list_len, list)) return;
  ByteReader lr(list);
  while (!lr.empty() && out.alpn.size() < kMaxAlpnEntries) {
    std::uint8_t len = 0;
    Bytes name;
    if (!lr.read_u8(len) || !lr.read_bytes(len, name)) return;
    out.alpn.emplace_back(name.begin(), name.end());
  }
}

// supported_versions in a ClientHello: ProtocolVersion versions<2..254>.
void parse_supported_versions(Bytes ext, ClientHello& out) {
  ByteReader r(ext);
  std::uint8_t list_len = 0;
  Bytes list;
  if (!r.read_u8(list_len) || !r.read_bytes(list_len, list)) return;
  ByteReader lr(list);
  std::uint16_t v = 0;
  while (out.supported_versions.size() < kMaxSupportedVersions && lr.read_u16(v)) {
    out.supported_versions.push_back(v);
  }
}

// `body` is the ClientHello message body (after the 4-byte handshake header).
// Mirrors Wireshark's leniency: a broken fixed part yields nothing, while an
// extension that overruns the list ends the walk but keeps what came before.
TlsParseStatus parse_body(Bytes body, ClientHello& out) {
  ByteReader r(body);
  std::uint8_t sid_len = 0;
  std::uint16_t suites_len = 0;
  std::uint8_t comp_len = 0;
  if (!r.read_u16(out.legacy_version) || !r.skip(32) || !r.read_u8(sid_len) ||
      sid_len > kMaxSessionIdBytes || !r.skip(sid_len) || !r.read_u16(suites_len) ||
      suites_len < 2 || !r.skip(suites_len) || !r.read_u8(comp_len) || comp_len < 1 ||
      !r.skip(comp_len)) {
    return TlsParseStatus::Malformed;
  }
  if (r.empty()) return TlsParseStatus::Ok;  // no extensions at all (SSL 3.0 style)

  std::uint16_t exts_len = 0;
  Bytes exts;
  if (!r.read_u16(exts_len) || !r.read_bytes(exts_len, exts)) return TlsParseStatus::Malformed;
  ByteReader er(exts);
  while (er.remaining() >= 4) {
    std::uint16_t type = 0;
    std::uint16_t len = 0;
    Bytes data;
    er.read_u16(type);
    er.read_u16(len);
    if (!er.read_bytes(len, data)) {
      out.extensions_truncated = true;
      break;
    }
    if (type == kExtServerName) {
      parse_server_name(data, out);
    } else if (type == kExtAlpn) {
      parse_alpn(data, out);
    } else if (type == kExtSupportedVersions) {
      parse_supported_versions(data, out);
    } else if (type == kExtEsni) {
      out.has_esni = true;
    } else if (is_ech_code_point(type)) {
      out.has_ech = true;
    }
  }
  if (!er.empty()) out.extensions_truncated = true;
  return TlsParseStatus::Ok;
}

// SSL 2.0-compatible CLIENT-HELLO (RFC 6101 appendix E.2): a two-byte
// header with the high bit set, then msg_type 1, version, three lengths and
// the cipher specs, session id and challenge. It has no extensions, so no
// server_name.
TlsParseStatus parse_sslv2(Bytes stream, ClientHello& out) {
  if (stream.size() < 2) return TlsParseStatus::NeedMore;
  std::size_t len = (static_cast<std::size_t>(stream[0] & 0x7f) << 8) | stream[1];
  if (stream.size() >= 3 && stream[2] != kHandshakeClientHello) return TlsParseStatus::NotTls;
  if (len < 9) return TlsParseStatus::NotTls;
  if (stream.size() < 2 + len) return TlsParseStatus::NeedMore;
  ByteReader r(stream.subspan(3, len - 1));
  std::uint16_t version = 0;
  std::uint16_t specs_len = 0;
  std::uint16_t sid_len = 0;
  std::uint16_t challenge_len = 0;
  if (!r.read_u16(version) || !r.read_u16(specs_len) || !r.read_u16(sid_len) ||
      !r.read_u16(challenge_len)) {
    return TlsParseStatus::Malformed;
  }
  if (std::size_t{specs_len} + sid_len + challenge_len > r.remaining()) {
    return TlsParseStatus::Malformed;
  }
  out.legacy_version = version;
  return TlsParseStatus::Ok;
}

}  // namespace

TlsParseStatus parse_client_hello_handshake(Bytes handshake, ClientHello& out) noexcept {
  out = ClientHello{};
  if (handshake.empty()) return TlsParseStatus::NeedMore;
  if (handshake[0] != kHandshakeClientHello) return TlsParseStatus::NotTls;
  if (handshake.size() < kHandshakeHeaderBytes) return TlsParseStatus::NeedMore;
  std::size_t len =
      (std::size_t{handshake[1]} << 16) | (std::size_t{handshake[2]} << 8) | handshake[3];
  if (len > kMaxHandshakeBytes) return TlsParseStatus::Malformed;
  if (handshake.size() - kHandshakeHeaderBytes < len) return TlsParseStatus::NeedMore;
  return parse_body(handshake.subspan(kHandshakeHeaderBytes, len), out);
}

TlsParseStatus parse_client_hello_records(Bytes stream, ClientHello& out) noexcept {
  out = ClientHello{};
  if (stream.empty()) return TlsParseStatus::NeedMore;
  if ((stream[0] & 0x80) != 0) return parse_sslv2(stream, out);

  // Handshake bytes are used in place while one record holds the whole
  // ClientHello (the common case) and copied only when it spans records.
  std::vector<std::uint8_t> gathered;
  std::size_t pos = 0;
  while (true) {
    if (stream.size() - pos < kRecordHeaderBytes) {
      // Reject early what cannot become a ClientHello record.
      if (pos == 0) {
        if (stream[0] != kContentHandshake) return TlsParseStatus::NotTls;
        if (stream.size() >= 3 && !plausible_record_version(stream[1], stream[2])) {
          return TlsParseStatus::NotTls;
        }
      }
      return TlsParseStatus::NeedMore;
    }
    const std::uint8_t type = stream[pos];
    const bool version_ok = plausible_record_version(stream[pos + 1], stream[pos + 2]);
    const std::size_t len = load_be16(stream.data() + pos + 3);
    if (type != kContentHandshake || !version_ok) {
      return pos == 0 ? TlsParseStatus::NotTls : TlsParseStatus::Malformed;
    }
    const std::size_t avail = stream.size() - pos - kRecordHeaderBytes;
    Bytes fragment = stream.subspan(pos + kRecordHeaderBytes, len < avail ? len : avail);
    if (gathered.empty() && !fragment.empty()) {
      if (fragment[0] != kHandshakeClientHello) return TlsParseStatus::NotTls;
      if (fragment.size() >= kHandshakeHeaderBytes) {
        // The whole ClientHello may be in this one record: parse in place.
        TlsParseStatus s = parse_client_hello_handshake(fragment, out);
        if (s != TlsParseStatus::NeedMore) return s;
      }
    }
    gathered.insert(gathered.end(), fragment.begin(), fragment.end());
    if (gathered.size() >= kHandshakeHeaderBytes) {
      std::size_t hs_len =
          (std::size_t{gathered[1]} << 16) | (std::size_t{gathered[2]} << 8) | gathered[3];
      if (hs_len > kMaxHandshakeBytes) return TlsParseStatus::Malformed;
      if (gathered.size() >= kHandshakeHeaderBytes + hs_len) {
        return parse_client_hello_handshake(gathered, out);
      }
    }
    if (len > avail) return TlsParseStatus::NeedMore;
    pos += kRecordHeaderBytes + len;
    if (pos >= stream.size()) return TlsParseStatus::NeedMore;
  }
}

std::string normalise_server_name(Bytes raw) noexcept { return normalise_host_name(raw); }

bool looks_like_client_hello_record(Bytes stream) noexcept {
  if (stream.size() < 3) return false;
  if ((stream[0] & 0x80) != 0) {
    // SSL 2.0 header: length, msg_type 1, version 0.2 or 3.x.
    if (stream.size() < 5) return false;
    std::size_t len = (static_cast<std::size_t>(stream[0] & 0x7f) << 8) | stream[1];
    return len >= 9 && stream[2] == kHandshakeClientHello &&
           ((stream[3] == 0 && stream[4] == 2) || (stream[3] == 3 && stream[4] <= 4));
  }
  if (stream[0] != kContentHandshake || !plausible_record_version(stream[1], stream[2])) {
    return false;
  }
  if (stream.size() >= 5 && load_be16(stream.data() + 3) == 0) return false;
  if (stream.size() >= 6 && stream[5] != kHandshakeClientHello) return false;
  return true;
}

}  // namespace vigil::inspect
