#pragma once
// Google QUIC (gQUIC) pieces of the QUIC stage: the cleartext CHLO of
// Q024..Q046 and the frame layout that Q050/T050/T051 keep inside their
// encrypted Initials. Internal to inspect/quic; the public interface is
// quic_initial.h. Layouts follow Wireshark 4.0's packet-gquic.c, which
// produced the corpus truth.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "inspect/quic/quic_initial.h"
#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

// Per-flow Google QUIC state: the version, learned from the first packet
// that carries it and used for later packets that do not.
struct GquicState {
  unsigned version = 0;  // 46 for "Q046"; 0 until seen
  std::vector<std::pair<std::uint64_t, Bytes>> crypto_scratch;
};

struct GquicFrameContext {
  unsigned version = 0;     // numeric gQUIC version (Q050/T05x: 50)
  std::size_t pkn_len = 1;  // packet number length (STOP_WAITING uses it)
  bool cleartext = false;   // 12-byte message hash (and private flags < Q034) first
};

struct GquicFrames {
  // CRYPTO frames (Q050, T050, T051): stream offset and data, pointing into
  // the walked buffer.
  std::vector<std::pair<std::uint64_t, Bytes>>* crypto = nullptr;
  bool chlo = false;     // a CHLO message started a stream-1 STREAM frame
  bool has_sni = false;  // ... and carried an SNI tag
  std::string sni;       // normalised like ClientHello::server_name
};

// Walks gQUIC frames. Returns false where a frame does not parse (what was
// found before stays in `out`).
bool walk_gquic_frames(Bytes frames, const GquicFrameContext& ctx, GquicFrames& out) noexcept;

enum class ChloStatus : std::uint8_t { Found, NoSni, NeedMore, NotChlo };

// `message` starts at a QUIC crypto handshake message (tag, entry count,
// padding, entries, values). Found: the SNI tag's value, normalised.
ChloStatus find_chlo_sni(Bytes message, std::string& sni) noexcept;

// "Q044" .. "Q049": IETF-style long header, cleartext gQUIC payload.
bool is_gquic_long_header_version(std::uint32_t version) noexcept;
bool looks_like_gquic_public_header(Bytes payload) noexcept;

QuicResult on_gquic_public_header(GquicState& state, Bytes payload) noexcept;
QuicResult on_gquic_long_header(GquicState& state, Bytes payload) noexcept;

}  // namespace vigil::inspect
