#pragma once
// QUIC Initial packet protection removal and ClientHello recovery
// (RFC 9000/9001, RFC 9369 for v2, drafts 27..34) and Google QUIC CHLO SNI.
// One QuicSniExtractor per UDP flow, owned by the worker that owns the flow.
//
// Versions decrypted are those Wireshark 4.0 (the corpus truth) decrypts, plus
// the final QUIC v2: v1, v2 (0x6b3343cf), drafts 22..34 (0xff000016..22),
// mvfst 0xfaceb001/0xfaceb002/0xfaceb00e, Google Q050/T050/T051 (own salts,
// Google framing inside). Google QUIC Q024..Q049 CHLOs are read in clear.
// Client keys come from the DCID of the client's first Initial (and again
// after a Retry or for a new connection on the 5-tuple); they are derived
// once and the AES contexts reused for every later packet. Server Initials
// (DCID = client SCID) are skipped without a decryption attempt; at most a
// few key derivations are spent on Initials that never authenticate.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "inspect/tls/client_hello.h"
#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

enum class QuicEvent : std::uint8_t {
  None,            // nothing new (not QUIC, server packet, already done, ...)
  ClientHello,     // a complete ClientHello was recovered (IETF QUIC or gQUIC+TLS)
  GquicChlo,       // a Google QUIC CHLO was read (SNI tag in hello.server_name,
                   // empty for a complete Q050 CHLO without one)
  DecryptFailed,   // an Initial packet did not authenticate under client keys
  UnknownVersion,  // long header with a version we cannot decrypt
  Malformed,       // header or frame that does not parse
};

struct QuicResult {
  QuicEvent event = QuicEvent::None;
  std::uint32_t version = 0;
  ClientHello hello;  // valid for ClientHello; server_name only for GquicChlo
};

class QuicSniExtractor {
 public:
  QuicSniExtractor();
  ~QuicSniExtractor();
  QuicSniExtractor(const QuicSniExtractor&) = delete;
  QuicSniExtractor& operator=(const QuicSniExtractor&) = delete;

  // Feed one UDP payload (any direction). Reassembles CRYPTO frames across
  // packets and out of order (up to 64 KiB of stream); reports ClientHello
  // once per connection. Coalesced packets are walked; the result is the
  // most significant event of the datagram.
  QuicResult on_datagram(Bytes payload) noexcept;

  // A ClientHello or CHLO was reported; later datagrams return None.
  [[nodiscard]] bool done() const noexcept { return done_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool done_ = false;
};

// Quick check used to pick the QUIC path for a UDP flow on any port.
bool looks_like_quic(Bytes payload) noexcept;

}  // namespace vigil::inspect
