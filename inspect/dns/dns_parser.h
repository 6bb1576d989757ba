#pragma once
// DNS message parsing (RFC 1035) for names and addresses. Runs on the packet
// path of a worker thread: noexcept, no logging, bounded work per message.

#include <cstdint>
#include <string>
#include <string_view>
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
  PointerLoop,        // the per-message work bound ran out (a pointer loop as such
                      // is reported the way tshark does, as a placeholder name)
  PointerOutOfRange,  // compression pointer beyond the message
  NameTooLong,        // not produced: tshark reports such names as "<name too long>"
  TooManyRecords,     // more questions or records than any real message has (work bound)
};

enum class DnsSection : std::uint8_t { Answer, Authority, Additional };

struct DnsAnswer {
  std::string name;  // owner name, formatted like the question names
  IpAddress address;
  // tshark's dns.a / dns.aaaa (and so the corpus dns_answer kind) take A and
  // AAAA records from every section; filter on this to keep answers only.
  DnsSection section = DnsSection::Answer;
};

struct DnsMessage {
  std::uint16_t id = 0;
  bool is_response = false;
  std::uint8_t opcode = 0;
  std::uint8_t rcode = 0;
  // Question names in wire order, lowercased, no trailing dot, odd bytes
  // escaped as tshark prints them (see format_dns_label). Names tshark cannot
  // spell keep its placeholders, lowercased: "<root>", "<name too long>",
  // "<name contains a pointer that loops>", "<unknown extended label>".
  // Report only those for which is_reportable_dns_name() holds.
  std::vector<std::string> questions;
  // A and AAAA records of all sections (see DnsAnswer::section), up to the
  // first record tshark could not dissect.
  std::vector<DnsAnswer> answers;
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
// deciding to treat a flow on an unusual port as DNS. Same answers as
// tshark 4.0's UDP heuristic: more than 12 bytes, opcode QUERY, a query has
// 1 question and no answer or authority records, a response at most 1
// question, 100 answers and 10 authority records; at most 10 additional.
bool looks_like_dns(Bytes payload) noexcept;

const char* dns_error_name(DnsError e) noexcept;

// Formats raw name bytes as tshark 4.0 prints them (format_text): printable
// ASCII as is, other ASCII as C escapes or \ooo octal, valid UTF-8 (even
// overlong) as the character when GLib calls it printable, else \uXXXX or
// \UXXXXXXXX, and invalid sequences as U+FFFD. Case is kept.
std::string format_dns_label(Bytes raw);

// False for names the corpus truth leaves out: empty (a name of dots only)
// and the root ("<root>").
bool is_reportable_dns_name(std::string_view name) noexcept;

}  // namespace vigil::inspect
