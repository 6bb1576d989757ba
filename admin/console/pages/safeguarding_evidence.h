#pragma once
// Internal to the safeguarding pages: incidents and their hits as the
// incident page, the concern page and the referral's evidence annex show
// them (HTML) and as the API returns them (JSON). Every value a packet,
// list or person chose is escaped here.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/types.h"

namespace vigil::inspect {
class JsonObject;
}

namespace vigil::console::pages::safeguarding {

// Dismissed incidents per rule (list, entry), from Reader::false_positive_counts().
using FalsePositiveIndex = std::map<std::pair<std::string, std::string>, std::int64_t>;
FalsePositiveIndex index_false_positives(const std::vector<store::FalsePositiveCount>& counts);
std::int64_t dismissed_before(const FalsePositiveIndex& index, const store::StoredHit& hit);

inspect::JsonObject incident_json(const store::Incident& incident);
inspect::JsonObject hit_json(const store::StoredHit& hit, const FalsePositiveIndex* index);

// "DHCP lease, 75% sure", or "Not linked to a person".
std::string attribution_text(const store::StoredHit& hit);
// "the rule's list, line N" and the entry as written.
std::string rule_text(const store::StoredHit& hit);

// A table of hits: time, device, what matched, rule (with "dismissed N
// times before" when `index` is given), who it is attributed to and how
// sure, the action taken.
std::string hits_table_html(const std::vector<store::StoredHit>& hits,
                            const FalsePositiveIndex* index, std::string_view caption);

// One incident as a short definition list (who, device, category,
// severity, status, when, hits, score).
std::string incident_summary_html(const store::Incident& incident, bool link_filters);

// Rows of the incident list: time, who, category, severity, hits, score, status.
std::string incidents_table_html(const std::vector<store::Incident>& incidents,
                                 std::string_view caption);

}  // namespace vigil::console::pages::safeguarding
