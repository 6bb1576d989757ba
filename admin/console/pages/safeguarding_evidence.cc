#include "admin/console/pages/safeguarding_evidence.h"

#include <cmath>

#include "admin/console/html.h"
#include "admin/console/pages/safeguarding_util.h"
#include "inspect/eve_json.h"

namespace vigil::console::pages::safeguarding {
namespace {

std::string_view source_label(std::string_view source) {
  if (source == "dhcp_lease") return "DHCP lease";
  if (source == "dnsmasq_lease") return "dnsmasq lease";
  if (source == "neighbour") return "network neighbour table";
  if (source == "csv") return "imported device list";
  if (source == "manual") return "set by hand";
  return source;
}

std::string_view action_label(std::string_view action) {
  // This version of Vigil watches and records; it does not stop a visit
  // (no DNS answer, firewall rule or reset). Saying "Blocked" would tell the
  // DSL a learner was protected when the page may well have loaded.
  if (action == "block") return "Block rule matched (not stopped: Vigil only watches)";
  if (action == "alert") return "Allowed, alert raised";
  if (action == "log") return "Allowed, logged";
  return action;
}

int confidence_pct(double confidence) {
  if (!(confidence > 0)) return 0;
  if (confidence >= 1) return 100;
  return static_cast<int>(std::lround(confidence * 100));
}

}  // namespace

FalsePositiveIndex index_false_positives(const std::vector<store::FalsePositiveCount>& counts) {
  FalsePositiveIndex index;
  for (const store::FalsePositiveCount& c : counts) index[{c.list, c.entry}] = c.incidents;
  return index;
}

std::int64_t dismissed_before(const FalsePositiveIndex& index, const store::StoredHit& hit) {
  auto it = index.find({hit.list, hit.entry});
  return it == index.end() ? 0 : it->second;
}

inspect::JsonObject incident_json(const store::Incident& i) {
  inspect::JsonObject o;
  o.num("id", i.id)
      .num("person_id", i.person_id)
      .str("person_ref", i.person_ref)
      .str("person_name", i.person_name)
      .boolean("under_18", i.under_18)
      .num("device_id", i.device_id)
      .str("device_ip", i.device_ip)
      .str("device_mac", i.device_mac)
      .str("device_hostname", i.device_hostname)
      .str("category", i.category)
      .num("first_us", i.first_us)
      .str("first", iso_time(i.first_us))
      .num("last_us", i.last_us)
      .str("last", iso_time(i.last_us))
      .num("hit_count", i.hit_count)
      .num("score", i.score)
      .str("severity", i.highest_severity)
      .str("status", store::incident_status_name(i.status));
  if (i.status == store::IncidentStatus::Dismissed) o.str("dismiss_reason", i.dismiss_reason);
  if (i.concern_id != 0) o.num("concern_id", i.concern_id);
  return o;
}

inspect::JsonObject hit_json(const store::StoredHit& h, const FalsePositiveIndex* index) {
  inspect::JsonObject o;
  o.num("id", h.id)
      .num("ts_us", h.ts_us)
      .str("time", iso_time(h.ts_us))
      .num("device_id", h.device_id)
      .str("client_ip", h.client_ip)
      .str("kind", h.kind)
      .str("observation", h.observation)
      .str("value", h.value)
      .str("search_term", h.search_term)
      .str("list", h.list)
      .str("entry", h.entry)
      .num("list_line", static_cast<std::uint64_t>(h.list_line))
      .str("category", h.category)
      .str("severity", h.severity)
      .str("action", h.action)
      .str("reason", h.reason)
      .boolean("statutory", h.statutory)
      .boolean("allowed", h.allowed)
      .num("person_id", h.person_id)
      .str("attribution_source", h.attribution_source)
      .num("attribution_confidence_pct",
           static_cast<std::int64_t>(confidence_pct(h.attribution_confidence)));
  if (index != nullptr) o.num("dismissed_before", dismissed_before(*index, h));
  return o;
}

std::string attribution_text(const store::StoredHit& h) {
  if (h.person_id == 0 && h.attribution_source.empty()) return "Not linked to a person";
  std::string out = h.attribution_source.empty() ? std::string("source not recorded")
                                                 : std::string(source_label(h.attribution_source));
  out += ", " + std::to_string(confidence_pct(h.attribution_confidence)) + "% sure";
  return out;
}

std::string rule_text(const store::StoredHit& h) {
  std::string out = "list " + h.list;
  if (h.list_line != 0) out += ", line " + std::to_string(h.list_line);
  return out;
}

std::string hits_table_html(const std::vector<store::StoredHit>& hits,
                            const FalsePositiveIndex* index, std::string_view caption) {
  std::string out = "<div class=\"table-wrap\"><table class=\"hits responsive\"><caption>";
  out += html::escape(caption);
  out +=
      "</caption><thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Device</th>"
      "<th scope=\"col\">What matched</th><th scope=\"col\">Rule</th>"
      "<th scope=\"col\">Linked to the person by</th><th scope=\"col\">What happened</th>"
      "</tr></thead><tbody>";
  for (const store::StoredHit& h : hits) {
    out += "<tr><td data-label=\"Time\">" + html::escape(format_time(h.ts_us)) + "</td>";
    out += "<td data-label=\"Device\">" + html::escape(h.client_ip) + "</td>";
    out += "<td data-label=\"What matched\"><span class=\"muted\">" +
           html::escape(observation_label(h.observation)) + ":</span> <code class=\"value\">" +
           html::escape(h.value) + "</code>";
    if (!h.search_term.empty())
      out += "<br><span class=\"muted\">Search words:</span> <code class=\"value\">" +
             html::escape(h.search_term) + "</code>";
    out += "</td><td data-label=\"Rule\"><code class=\"value\">" + html::escape(h.entry) +
           "</code><br><span class=\"muted\">" + html::escape(rule_text(h)) + ", " +
           html::escape(category_label(h.category)) + "</span> " + severity_badge(h.severity);
    if (h.statutory) out += " <span class=\"badge statutory\">Statutory list</span>";
    if (index != nullptr) {
      if (std::int64_t n = dismissed_before(*index, h); n > 0) {
        out += "<br><span class=\"fp\">This rule was dismissed " + std::to_string(n) +
               (n == 1 ? " time" : " times") + " as a false positive</span>";
      }
    }
    out += "</td><td data-label=\"Linked to the person by\">" + html::escape(attribution_text(h)) +
           "</td>";
    out += "<td data-label=\"What happened\">" + html::escape(action_label(h.action));
    if (h.allowed) out += " (an allow entry let it through)";
    out += "</td></tr>";
  }
  if (hits.empty()) out += "<tr><td colspan=\"6\">No hits are kept for this incident.</td></tr>";
  out += "</tbody></table></div>";
  return out;
}

std::string incident_summary_html(const store::Incident& i, bool link_filters) {
  std::string out = "<dl class=\"facts\">";
  out += "<dt>Who</dt><dd>";
  if (i.person_id != 0) {
    std::string who = html::escape(incident_subject(i));
    if (link_filters)
      who = "<a href=\"/incidents?person_id=" + std::to_string(i.person_id) + "\">" + who + "</a>";
    out += who;
    if (i.under_18) out += " " + under_18_badge();
  } else {
    out += "Not known: the device is not linked to a person";
  }
  out += "</dd><dt>Device</dt><dd>";
  std::string device = html::escape(i.device_ip.empty() ? i.device_mac : i.device_ip);
  if (!i.device_hostname.empty()) device = html::escape(i.device_hostname) + " (" + device + ")";
  if (!i.device_mac.empty() && !i.device_ip.empty())
    device += ", hardware address " + html::escape(i.device_mac);
  if (link_filters)
    device = "<a href=\"/incidents?device=" + std::to_string(i.device_id) + "\">" + device + "</a>";
  out += device;
  out += "</dd><dt>Category</dt><dd>" + html::escape(category_label(i.category)) + "</dd>";
  out += "<dt>Most serious hit</dt><dd>" + severity_badge(i.highest_severity) + "</dd>";
  out += "<dt>Status</dt><dd>" + html::escape(incident_status_label(i.status));
  if (i.status == store::IncidentStatus::Dismissed) out += ": " + multiline(i.dismiss_reason);
  if (i.concern_id != 0)
    out += " (<a href=\"/concerns/" + std::to_string(i.concern_id) + "\">concern " +
           std::to_string(i.concern_id) + "</a>)";
  out += "</dd><dt>When</dt><dd>" + html::escape(format_time(i.first_us));
  if (i.last_us != i.first_us) out += " to " + html::escape(format_time(i.last_us));
  out += "</dd><dt>Hits</dt><dd>" + std::to_string(i.hit_count) + "</dd>";
  out += "<dt>Score</dt><dd>" + std::to_string(i.score) + "</dd></dl>";
  return out;
}

std::string incidents_table_html(const std::vector<store::Incident>& incidents,
                                 std::string_view caption) {
  std::string out = "<div class=\"table-wrap\"><table class=\"incidents responsive\"><caption>";
  out += html::escape(caption);
  out +=
      "</caption><thead><tr><th scope=\"col\">Last seen</th><th scope=\"col\">Who</th>"
      "<th scope=\"col\">Category</th><th scope=\"col\">Severity</th><th scope=\"col\">Hits</th>"
      "<th scope=\"col\">Score</th><th scope=\"col\">Status</th></tr></thead><tbody>";
  for (const store::Incident& i : incidents) {
    const std::string href = "/incidents/" + std::to_string(i.id);
    out += "<tr><td data-label=\"Last seen\"><a href=\"" + href + "\">" +
           html::escape(format_time(i.last_us)) + "</a></td>";
    out += "<td data-label=\"Who\"><a href=\"" + href + "\">" + html::escape(incident_subject(i)) +
           "</a>";
    if (i.under_18) out += " " + under_18_badge();
    out += "</td><td data-label=\"Category\">" + html::escape(category_label(i.category)) +
           "</td><td data-label=\"Severity\">" + severity_badge(i.highest_severity) +
           "</td><td data-label=\"Hits\">" + std::to_string(i.hit_count) +
           "</td><td data-label=\"Score\">" + std::to_string(i.score) +
           "</td><td data-label=\"Status\">" + html::escape(incident_status_label(i.status)) +
           "</td></tr>";
  }
  if (incidents.empty()) out += "<tr><td colspan=\"7\">No incidents match.</td></tr>";
  out += "</tbody></table></div>";
  return out;
}

}  // namespace vigil::console::pages::safeguarding
