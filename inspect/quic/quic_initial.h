#pragma once
// QUIC Initial packet protection removal and ClientHello recovery
// (RFC 9000/9001, RFC 9369 for v2, drafts 27..34) and Google QUIC CHLO SNI.
// One QuicSniExtractor per UDP flow, owned by the worker that owns the flow.

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
  GquicChlo,       // a Google QUIC CHLO with an SNI tag was read
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
  // packets and out of order; reports ClientHello once per connection.
  QuicResult on_datagram(Bytes payload) noexcept;

  [[nodiscard]] bool done() const noexcept { return done_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool done_ = false;
};

// Quick check used to pick the QUIC path for a UDP flow on any port.
bool looks_like_quic(Bytes payload) noexcept;

}  // namespace vigil::inspect
