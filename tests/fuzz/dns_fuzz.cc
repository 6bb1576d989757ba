// Fuzz target for the DNS message parser: the input is one DNS message (a
// UDP payload), also tried as TCP-framed messages back to back, as the
// pipeline hands them over.

#include <cstddef>
#include <cstdint>

#include "inspect/dns/dns_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using vigil::inspect::Bytes;
  const Bytes in(data, size);
  vigil::inspect::looks_like_dns(in);
  const auto r = vigil::inspect::parse_dns_message(in);
  for (const auto& q : r.message.questions) vigil::inspect::is_reportable_dns_name(q);
  vigil::inspect::dns_error_name(r.error);
  vigil::inspect::format_dns_label(in.first(size < 300 ? size : 300));
  std::size_t off = 0;
  while (off + 2 <= size) {
    const std::size_t len = (std::size_t{data[off]} << 8) | data[off + 1];
    if (len > size - off - 2) break;
    vigil::inspect::parse_dns_message(in.subspan(off + 2, len));
    off += 2 + len;
  }
  return 0;
}
