// Fuzz target for the domain list parser (plain, hosts, AdBlock): the input
// is a whole list. Accepted names must be valid, normalised and stable under
// normalise_domain. The regex and keyword line parsers share the line
// handling and run on the same input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rules/lists/list_formats.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::rules;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const DomainList l = parse_domain_list(text, "fuzz");
  check(l.diag.first_invalid.size() <= ListDiagnostics::kMaxReportedInvalid);
  check(l.entries.size() == l.diag.accepted);
  for (const auto& e : l.entries) {
    check(!e.domain.empty() && e.domain.size() <= 253);
    for (const char c : e.domain)
      check(!(c >= 'A' && c <= 'Z') && static_cast<unsigned char>(c) < 0x80);
    std::string reason;
    const auto again = normalise_domain(e.domain, reason);
    check(again.has_value() && *again == e.domain);
  }
  for (const auto& r : l.diag.first_invalid) check(r.text.size() <= 200 && !r.reason.empty());

  std::string reason;
  normalise_domain(text.substr(0, 400), reason);
  parse_regex_list(text, "fuzz");
  parse_keyword_list(text, "fuzz");
  return 0;
}
