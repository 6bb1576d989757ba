#pragma once
// DNS message parsing (RFC 1035) for names and addresses. Runs on the packet
// path of a worker thread: noexcept, no logging, bounded work per message.

#include <cstdint>
#include <string>
#include <vector>

#include "inspect/ip_address.h"
#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

enum class DnsError : std::uint8_t {
  None,
  TruncatedHeader,    // fewer than 12 bytes
  TruncatedQuestion,  // a question ran past the end
  TruncatedRecord,    // a resource record ran past the end
  BadLabel,           // reserved label type (0x40/0x80) or label past the end
  PointerLoop,        // compression pointers revisit or exceed the jump bound
  PointerOutOfRange,  // compression pointer beyond the message
  NameTooLong,        // decoded name over 255 octets on the wire
};

struct DnsAnswer {
  std::string name;  // owner name, formatted like the question names
  IpAddress address;
};

struct DnsMessage {
  std::uint16_t id = 0;
  bool is_response = false;
  std::uint8_t opcode = 0;
  std::uint8_t rcode = 0;
  // Question names in wire order, lowercased, no trailing dot, odd bytes
  // escaped as tshark prints them (see format_dns_label).
  std::vector<std::string> questions;
  std::vector<DnsAnswer> answers;  // A and AAAA records from the answer section
};

struct DnsParseResult {
  DnsError error = DnsError::None;
  // What was read before any error: a malformed message still yields the
  // questions that came before the damage.
  DnsMessage message;
};

// Parses one DNS message (the UDP payload, or one TCP-framed message without
// its two-byte length prefix).
DnsParseResult parse_dns_message(Bytes message) noexcept;

// Whether a payload plausibly starts a DNS message (header sanity only), for
// deciding to treat a flow on an unusual port as DNS.
bool looks_like_dns(Bytes payload) noexcept;

const char* dns_error_name(DnsError e) noexcept;

}  // namespace vigil::inspect
