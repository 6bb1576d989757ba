// Fuzz target for the people CSV import: the input is a whole CSV file.
// An import either fails whole (nothing imported, an error with file:line)
// or every device belongs to exactly one imported person.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "daemon/identity/people_csv.h"
#include "identity_fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::identity;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_people = 100;
  const PeopleImport p = parse_people_csv(text, "fuzz", limits);
  fuzz::check_diag(p.diag);
  if (!p.diag.ok()) {
    fuzz::check(p.people.empty() && p.devices.empty());
    fuzz::check(p.diag.error.starts_with("fuzz:"));
    return 0;
  }
  fuzz::check(p.diag.invalid == 0);
  fuzz::check(p.people.size() <= limits.max_people);
  std::set<std::string> refs;
  for (const auto& person : p.people) {
    fuzz::check(!person.reference.empty() && person.reference.size() <= 64);
    fuzz::check(refs.insert(person.reference).second);
    for (const auto* s : {&person.reference, &person.name, &person.cohort, &person.group}) {
      fuzz::check(detail::is_valid_utf8(*s) && !detail::has_control(*s));
    }
  }
  std::set<std::uint64_t> macs;
  for (const auto& d : p.devices) {
    fuzz::check(refs.count(d.reference) == 1);
    fuzz::check(d.mac.is_device_address());
    fuzz::check(macs.insert(d.mac.key()).second);
  }
  return 0;
}
