#pragma once
// Observations and flow summaries as JSON lines in the shape of Suricata's
// EVE log (event_type dns, tls, quic, http, flow), for SIEM tooling. Every
// attacker-chosen string is escaped; invalid UTF-8 bytes become \u00XX.

#include <string>
#include <string_view>

#include "inspect/observation.h"

namespace vigil::inspect {

// Appends `s` as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view s);

// ISO 8601 UTC with microseconds, as EVE writes it: 2024-05-01T10:00:00.000000+0000
std::string eve_timestamp(std::uint64_t ts_us);

// One EVE line (no trailing newline). dns_answer observations return "" (the
// dns event of the same response carries its addresses).
std::string to_eve_json(const Observation& obs);
std::string to_eve_json(const FlowSummary& flow);

}  // namespace vigil::inspect
