#include "daemon/app/identity_source.h"

#include <algorithm>
#include <cctype>

#include "store/writer.h"

namespace vigil::daemon {

IdentitySource::IdentitySource(const config::Config& config)
    : attributor_(identity::sources_from_config(config)) {}

Attribution IdentitySource::attribute(const inspect::IpAddress& client, std::uint64_t ts_us) const {
  const identity::Attribution a =
      attributor_.lookup(client, static_cast<std::int64_t>(ts_us / 1'000'000));
  Attribution out;
  if (a.mac) out.mac = a.mac->to_string();
  out.hostname = a.hostname;
  out.person_ref = a.person_reference;
  out.group = a.group;
  out.source = std::string(a.source);
  out.confidence = identity::confidence_score(a.confidence);
  out.under_18 = a.under_18.value_or(false);
  out.mac_randomised = a.mac_randomised;
  return out;
}

std::vector<std::string> IdentitySource::refresh(store::Writer* writer) {
  const identity::RefreshReport report = attributor_.refresh();
  bool people_changed = false;
  for (const identity::SourceStatus& s : report.sources) {
    if (s.name == "people" && s.reread && s.ok) people_changed = true;
  }
  if (people_changed && writer != nullptr) {
    const auto snap = attributor_.current();
    for (const identity::Person& p : snap->people_list()) {
      store::PersonRecord r;
      r.reference = p.reference;
      r.display_name = p.name;
      std::string group = p.group;
      std::transform(group.begin(), group.end(), group.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      r.kind = group == "staff" ? "staff" : "learner";
      r.cohort = p.cohort;
      r.group = p.group;
      r.under_18 = p.under_18.value_or(false);
      (void)writer->upsert_person(std::move(r));  // on the writer thread, in its own transaction
    }
  }
  return report.errors();
}

}  // namespace vigil::daemon
