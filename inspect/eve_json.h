#pragma once
// Observations and flow summaries as JSON lines in the shape of Suricata's
// EVE log (event_type dns, tls, quic, http, flow), for SIEM tooling. Every
// attacker-chosen string is escaped; invalid UTF-8 bytes become \u00XX.
// Other event types (the rules engine's "alert") are composed from the same
// pieces: JsonObject and append_eve_observation().

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/observation.h"

namespace vigil::inspect {

// Appends `s` as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view s);

// A JSON object written one member at a time. Keys are Vigil's own (plain
// ASCII, not escaped); every string value is escaped.
class JsonObject {
 public:
  JsonObject& str(std::string_view key, std::string_view value);
  JsonObject& num(std::string_view key, std::uint64_t value);
  JsonObject& num(std::string_view key, std::int64_t value);
  JsonObject& boolean(std::string_view key, bool value);
  JsonObject& strings(std::string_view key, const std::vector<std::string>& values);
  JsonObject& object(std::string_view key, const JsonObject& inner);
  JsonObject& array(std::string_view key, const std::vector<JsonObject>& items);
  [[nodiscard]] bool empty() const noexcept { return body_.empty(); }
  // The object's text: "{...}".
  [[nodiscard]] std::string text() const;

 private:
  void key(std::string_view k);
  std::string body_;
};

// ISO 8601 UTC with microseconds, as EVE writes it: 2024-05-01T10:00:00.000000+0000
std::string eve_timestamp(std::uint64_t ts_us);

// The EVE event_type of an observation ("dns", "tls", "quic", "http"), or ""
// for the kinds that have no event of their own (dns_answer and http_host are
// carried by the dns and http events; search terms and page text appear only
// inside the alert that matched them).
std::string_view eve_event_type(const Observation& obs) noexcept;

// Adds an observation's members to an event: timestamp, flow_id,
// event_type, addresses in the packet's direction, proto, and the
// kind's own object ("dns", "tls", "quic", "http").
void append_eve_observation(JsonObject& event, const Observation& obs, std::string_view event_type);

// One EVE line (no trailing newline), or "" when eve_event_type() is "".
std::string to_eve_json(const Observation& obs);
std::string to_eve_json(const FlowSummary& flow);

}  // namespace vigil::inspect
