#include "inspect/quic/gquic.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "inspect/tls/client_hello.h"

namespace vigil::inspect {
namespace {

constexpr std::uint32_t kTagSni = 0x534e4900;  // "SNI\0"

constexpr std::uint8_t kFlagVersion = 0x01;
constexpr std::uint8_t kFlagReset = 0x02;
constexpr std::uint8_t kFlagCid = 0x08;

constexpr std::size_t kMessageHashBytes = 12;
constexpr std::size_t kCidBytes = 8;

// Lengths coded in two bits: packet number, ACK largest/missing fields.
constexpr std::size_t kLen1246[4] = {1, 2, 4, 6};
// STREAM frame offset length, coded in three bits.
constexpr std::size_t kStreamOffsetLen[8] = {0, 2, 3, 4, 5, 6, 7, 8};

bool read_uint(ByteReader& r, std::size_t len, bool big_endian, std::uint64_t& v) noexcept {
  Bytes b;
  if (!r.read_bytes(len, b)) return false;
  v = 0;
  for (std::size_t i = 0; i < len; ++i) {
    const std::uint64_t byte = big_endian ? b[i] : b[len - 1 - i];
    v = (v << 8) | byte;
  }
  return true;
}

std::uint32_t load_le32(const std::uint8_t* p) noexcept {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

bool is_digit(std::uint8_t c) noexcept { return c >= '0' && c <= '9'; }

// "Qnnn" -> nnn, as Wireshark reads the three characters after the Q.
bool parse_version_tag(const std::uint8_t* p, unsigned& version) noexcept {
  if (p[0] != 'Q' || !is_digit(p[1]) || !is_digit(p[2]) || !is_digit(p[3])) return false;
  const unsigned v = (p[1] - '0') * 100u + (p[2] - '0') * 10u + (p[3] - '0');
  if (v == 0 || v > 255) return false;
  version = v;
  return true;
}

QuicResult chlo_result(const GquicFrames& frames, unsigned version) {
  QuicResult result;
  result.version = (std::uint32_t{'Q'} << 24) | ((0x30 + version / 100 % 10) << 16) |
                   ((0x30 + version / 10 % 10) << 8) | (0x30 + version % 10);
  if (frames.chlo && frames.has_sni) {
    result.event = QuicEvent::GquicChlo;
    result.hello.has_server_name = true;
    result.hello.server_name = frames.sni;
  }
  return result;
}

}  // namespace

ChloStatus find_chlo_sni(Bytes message, std::string& sni) noexcept {
  static constexpr std::uint8_t kChlo[4] = {'C', 'H', 'L', 'O'};
  for (std::size_t i = 0; i < 4; ++i) {
    if (i >= message.size()) return ChloStatus::NeedMore;
    if (message[i] != kChlo[i]) return ChloStatus::NotChlo;
  }
  if (message.size() < 8) return ChloStatus::NeedMore;
  const std::size_t entries = message[4] | (static_cast<std::size_t>(message[5]) << 8);
  const std::size_t values_start = 8 + 8 * entries;
  if (message.size() < values_start) return ChloStatus::NeedMore;
  std::uint32_t prev_end = 0;
  for (std::size_t i = 0; i < entries; ++i) {
    const std::uint8_t* entry = message.data() + 8 + 8 * i;
    const std::uint32_t tag = load_be32(entry);
    const std::uint32_t end = load_le32(entry + 4);
    if (end < prev_end) return ChloStatus::NotChlo;
    if (tag == kTagSni) {
      const std::size_t start = values_start + prev_end;
      const std::size_t len = end - prev_end;
      if (start > message.size() || message.size() - start < len) return ChloStatus::NeedMore;
      sni = normalise_server_name(message.subspan(start, len));
      return ChloStatus::Found;
    }
    prev_end = end;
  }
  return ChloStatus::NoSni;
}

bool walk_gquic_frames(Bytes frames, const GquicFrameContext& ctx, GquicFrames& out) noexcept {
  ByteReader r(frames);
  const bool be = ctx.version >= 39;  // integers turned big-endian in Q039
  const bool old = ctx.version < 34;  // entropy and private flags until Q034
  if (ctx.cleartext) {
    // Wireshark takes a packet as cleartext only with room for the hash
    // and at least one frame byte.
    if (frames.size() <= kMessageHashBytes + 1) return false;
    r.skip(kMessageHashBytes);
    if (old && !r.skip(1)) return false;
  }
  while (!r.empty()) {
    std::uint8_t type = 0;
    r.read_u8(type);
    std::uint64_t v = 0;
    if ((type & 0xe0) == 0) {
      switch (type) {
        case 0x00:  // PADDING: the rest of the packet
          return true;
        case 0x01:  // RST_STREAM
          if (!r.skip(16)) return false;
          break;
        case 0x02:  // CONNECTION_CLOSE
          if (!r.skip(4) || !read_uint(r, 2, be, v) || !r.skip(static_cast<std::size_t>(v))) {
            return false;
          }
          break;
        case 0x03:  // GOAWAY
          if (!r.skip(8) || !read_uint(r, 2, be, v) || !r.skip(static_cast<std::size_t>(v))) {
            return false;
          }
          break;
        case 0x04:  // WINDOW_UPDATE
          if (!r.skip(12)) return false;
          break;
        case 0x05:  // BLOCKED
          if (!r.skip(4)) return false;
          break;
        case 0x06:  // STOP_WAITING
          if (!r.skip((old ? 1 : 0) + ctx.pkn_len)) return false;
          break;
        case 0x08:  // CRYPTO (Q050 and later)
          if (ctx.version >= 50) {
            std::uint64_t offset = 0;
            std::uint64_t len = 0;
            Bytes data;
            if (!read_quic_varint(r, offset) || !read_quic_varint(r, len) || len > r.remaining() ||
                !r.read_bytes(static_cast<std::size_t>(len), data)) {
              return false;
            }
            if (out.crypto != nullptr) out.crypto->emplace_back(offset, data);
          }
          break;
        default:  // PING and unknown types carry nothing
          break;
      }
    } else if ((type & 0x80) != 0) {  // STREAM
      std::uint64_t stream_id = 0;
      if (!read_uint(r, (type & 0x03) + 1u, be, stream_id) ||
          !r.skip(kStreamOffsetLen[(type >> 2) & 0x07]) || !r.skip((type & 0x20) ? 2 : 0)) {
        return false;
      }
      if (stream_id != 1) return true;  // data runs to the end of the packet
      // Stream 1 carries the crypto handshake; Wireshark reads a message
      // from the start of every such frame.
      Bytes message = r.rest();
      std::string sni;
      switch (find_chlo_sni(message, sni)) {
        case ChloStatus::Found:
          out.chlo = true;
          out.has_sni = true;
          out.sni = std::move(sni);
          return true;
        case ChloStatus::NoSni:
          out.chlo = true;
          return true;
        case ChloStatus::NeedMore:
        case ChloStatus::NotChlo:
          return true;
      }
      return true;
    } else if ((type & 0x40) != 0) {  // ACK
      const std::size_t largest_len = kLen1246[(type >> 2) & 0x03];
      const std::size_t missing_len = kLen1246[type & 0x03];
      std::uint8_t count = 0;
      if (old) {
        if (!r.skip(1 + largest_len + 2) || !r.read_u8(count)) return false;
        if (count > 0 && !r.skip(1 + 4 + (count - 1u) * 3u)) return false;
        if ((type & 0x20) != 0) {
          if (!r.read_u8(count) || !r.skip(count * (missing_len + 1)) || !r.read_u8(count) ||
              !r.skip(count * largest_len)) {
            return false;
          }
        }
      } else {
        std::uint8_t blocks = 0;
        if (!r.skip(largest_len + 2)) return false;
        if ((type & 0x20) != 0 && !r.read_u8(blocks)) return false;
        if (!r.skip(missing_len + blocks * (1 + missing_len)) || !r.read_u8(count)) return false;
        if (count > 0 && !r.skip(1 + 4 + (count - 1u) * 3u)) return false;
      }
    }
    // 0x20..0x3f (CONGESTION_FEEDBACK): the type byte only.
  }
  return true;
}

bool is_gquic_long_header_version(std::uint32_t version) noexcept {
  const std::uint8_t last = version & 0xff;
  return (version >> 8) == 0x513034 && last >= '4' && last <= '9';
}

bool looks_like_gquic_public_header(Bytes payload) noexcept {
  // Wireshark's heuristic: version and 8-byte connection ID present, and a
  // version "Q02x", "Q03x" or "Q04x".
  if (payload.size() < 13) return false;
  const std::uint8_t flags = payload[0];
  if ((flags & 0x80) != 0 || (flags & kFlagVersion) == 0 || (flags & kFlagCid) == 0) {
    return false;
  }
  return payload[9] == 'Q' && payload[10] == '0' && payload[11] >= '2' && payload[11] <= '4';
}

QuicResult on_gquic_public_header(GquicState& state, Bytes payload) noexcept {
  QuicResult none;
  if (payload.empty()) return none;
  const std::uint8_t flags = payload[0];
  // From Q044 on, a header without the top bit is an encrypted short header.
  if (state.version >= 44 || (flags & 0x80) != 0 || (flags & kFlagReset) != 0) return none;
  std::size_t pos = 1 + ((flags & kFlagCid) != 0 ? kCidBytes : 0);
  unsigned version = state.version;
  if ((flags & kFlagVersion) != 0) {
    if (payload.size() < pos + 4 || !parse_version_tag(payload.data() + pos, version)) {
      return none;
    }
    state.version = version;
    pos += 4;
  }
  if (version == 0) return none;  // version never seen on this flow
  // A diversification nonce only travels from server to client, whose
  // packets carry no CHLO; clients of Q033+ still set that bit (the old
  // 8-byte CID code 0x0c), so it is not skipped here.
  const std::size_t pkn_len = kLen1246[(flags >> 4) & 0x03];
  if (payload.size() < pos + pkn_len) return none;
  GquicFrames frames;
  walk_gquic_frames(payload.subspan(pos + pkn_len), GquicFrameContext{version, pkn_len, true},
                    frames);
  return chlo_result(frames, version);
}

QuicResult on_gquic_long_header(GquicState& state, Bytes payload) noexcept {
  QuicResult none;
  // Q044..Q049 long header: flags, version, DCIL|SCIL nibbles (length - 3,
  // or 0), the connection IDs, a packet number of (flags & 3) + 1 bytes.
  if (payload.size() < 6) return none;
  unsigned version = 0;
  if (!parse_version_tag(payload.data() + 1, version)) return none;
  state.version = version;
  const std::uint8_t cil = payload[5];
  const std::size_t dcil = (cil >> 4) != 0 ? (cil >> 4) + 3u : 0;
  const std::size_t scil = (cil & 0x0f) != 0 ? (cil & 0x0f) + 3u : 0;
  const std::size_t pkn_len = (payload[0] & 0x03) + 1u;
  const std::size_t pos = 6 + dcil + scil + pkn_len;
  if (payload.size() < pos) return none;
  GquicFrames frames;
  walk_gquic_frames(payload.subspan(pos), GquicFrameContext{version, pkn_len, true}, frames);
  return chlo_result(frames, version);
}

}  // namespace vigil::inspect
