// Incidents: the filtered list with keyset paging, one incident with its
// hits and the activity around it, and triage (dismiss as a false positive
// with a reason, open a concern from it, add it to an open concern of the
// same person). HTML under /incidents, JSON under /api/incidents.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "admin/console/html.h"
#include "admin/console/pages/safeguarding_evidence.h"
#include "admin/console/pages/safeguarding_json.h"
#include "admin/console/pages/safeguarding_noise.h"
#include "admin/console/pages/safeguarding_util.h"
#include "admin/console/roles.h"
#include "inspect/eve_json.h"
#include "rules/taxonomy.h"
#include "store/casework.h"

namespace vigil::console::pages::safeguarding {
namespace {

constexpr std::size_t kPageSize = 50;
constexpr std::size_t kMaxPageSize = 200;
constexpr std::size_t kHitsShown = 200;
constexpr std::size_t kActivityShown = 2000;
constexpr std::size_t kMaxFilterValues = 16;

// ---- The list's filters -------------------------------------------------

struct ListQuery {
  store::IncidentFilter filter;
  Fields echo;  // the filters as given (normalised), to rebuild links and the form
  std::optional<store::IncidentCursor> after;   // older than this
  std::optional<store::IncidentCursor> before;  // newer than this
  std::size_t limit = kPageSize;
  std::string notice;  // shown above the list ("No one has the reference ...")
};

std::optional<store::IncidentCursor> parse_cursor(std::string_view text) {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto last = parse_id(text.substr(0, dot));
  auto id = parse_id(text.substr(dot + 1));
  if (!last || !id) return std::nullopt;
  return store::IncidentCursor{*last, *id};
}

std::string cursor_text(const store::IncidentCursor& c) {
  return std::to_string(c.last_us) + "." + std::to_string(c.id);
}

bool is_date_only(std::string_view text) { return trim(text).size() == 10; }

std::optional<ListQuery> parse_list_query(const Request& r, store::Reader& reader,
                                          std::string& error) {
  ListQuery q;
  auto values = [&](std::string_view name) {
    std::vector<std::string> out;
    for (std::string_view v : r.params(name)) {
      std::string t = trim(v);
      if (!t.empty()) out.push_back(std::move(t));
    }
    return out;
  };
  for (const std::string& v : values("severity")) {
    if (store::severity_rank(v) < 0) {
      error = "Unknown severity \"" + v + "\": use danger, caution or advisory.";
      return std::nullopt;
    }
    q.filter.severities.push_back(v);
    q.echo.emplace_back("severity", v);
  }
  for (const std::string& v : values("category")) {
    auto c = rules::parse_category(v);
    if (!c) {
      error = "Unknown category \"" + v + "\".";
      return std::nullopt;
    }
    q.filter.categories.emplace_back(rules::category_name(*c));
    q.echo.emplace_back("category", std::string(rules::category_name(*c)));
  }
  for (const std::string& v : values("status")) {
    auto s = store::parse_incident_status(v);
    if (!s) {
      error = "Unknown status \"" + v + "\": use new, dismissed or linked.";
      return std::nullopt;
    }
    q.filter.statuses.push_back(*s);
    q.echo.emplace_back("status", v);
  }
  if (q.filter.severities.size() > kMaxFilterValues ||
      q.filter.categories.size() > kMaxFilterValues ||
      q.filter.statuses.size() > kMaxFilterValues) {
    error = "Too many filter values.";
    return std::nullopt;
  }
  if (auto v = r.param("person_id"); v && !trim(*v).empty()) {
    auto id = parse_id(trim(*v));
    if (!id) {
      error = "person_id must be a number.";
      return std::nullopt;
    }
    q.filter.person_id = *id;
    q.echo.emplace_back("person_id", std::to_string(*id));
  }
  if (auto v = r.param("person"); v && !trim(*v).empty()) {
    std::string ref = trim(*v);
    if (ref.size() > store::kMaxNameBytes) {
      error = "The person reference is too long.";
      return std::nullopt;
    }
    auto p = reader.person_by_reference(ref);
    if (!p) {
      error = p.error().message;
      return std::nullopt;
    }
    if (p->has_value()) {
      q.filter.person_id = (*p)->id;
    } else {
      q.filter.person_id = 0;  // matches no incident: nobody has this reference
      q.notice = "No one has the reference \"" + ref + "\".";
    }
    q.echo.emplace_back("person", ref);
  }
  if (auto v = r.param("device"); v && !trim(*v).empty()) {
    auto id = parse_id(trim(*v));
    if (!id) {
      error = "device must be a device number.";
      return std::nullopt;
    }
    q.filter.device_id = *id;
    q.echo.emplace_back("device", std::to_string(*id));
  }
  if (auto v = r.param("from"); v && !trim(*v).empty()) {
    auto t = parse_time(*v);
    if (!t) {
      error = "\"From\" is not a date and time (use YYYY-MM-DD or YYYY-MM-DDTHH:MM).";
      return std::nullopt;
    }
    q.filter.from_us = *t;
    q.echo.emplace_back("from", trim(*v));
  }
  if (auto v = r.param("to"); v && !trim(*v).empty()) {
    auto t = parse_time(*v);
    if (!t) {
      error = "\"To\" is not a date and time (use YYYY-MM-DD or YYYY-MM-DDTHH:MM).";
      return std::nullopt;
    }
    // A date alone means to the end of that day.
    q.filter.to_us = is_date_only(*v) ? end_of_local_day(*t) : *t;
    q.echo.emplace_back("to", trim(*v));
  }
  if (auto v = r.param("after"); v && !v->empty()) {
    q.after = parse_cursor(*v);
    if (!q.after) {
      error = "The page position (after) is not valid.";
      return std::nullopt;
    }
  }
  if (auto v = r.param("before"); v && !v->empty()) {
    q.before = parse_cursor(*v);
    if (!q.before || q.after) {
      error = "The page position (before) is not valid.";
      return std::nullopt;
    }
  }
  if (auto v = r.param("limit"); v && !v->empty()) {
    auto n = parse_id(*v);
    if (!n || *n > static_cast<std::int64_t>(kMaxPageSize)) {
      error = "limit must be 1 to 200.";
      return std::nullopt;
    }
    q.limit = static_cast<std::size_t>(*n);
  }
  return q;
}

struct ListPage {
  store::IncidentPage page;
  std::optional<store::IncidentCursor> older;  // the "older" link's cursor
  std::optional<store::IncidentCursor> newer;  // the "newer" link's cursor
  std::int64_t total = 0;
};

store::Result<ListPage> read_list(PageContext& ctx, const ListQuery& q) {
  ListPage out;
  store::Reader& reader = ctx.casework.reader();
  if (q.before) {
    auto page = reader.incidents_newer(q.filter, *q.before, q.limit);
    if (!page) return page.error();
    auto a = ctx.casework.audit(
        ctx.user.name, "incident.list", "incident", 0,
        "newer than " + cursor_text(*q.before) + " -> " + std::to_string(page->items.size()));
    if (!a) return a.error();
    out.page = std::move(*page);
    if (out.page.next) out.newer = out.page.next;
    if (!out.page.items.empty())
      out.older = store::IncidentCursor{out.page.items.back().last_us, out.page.items.back().id};
  } else {
    store::PageRequest req;
    req.limit = q.limit;
    req.after = q.after;
    auto page = ctx.casework.list_incidents(ctx.user.name, q.filter, req);
    if (!page) return page.error();
    out.page = std::move(*page);
    out.older = out.page.next;
    if (q.after && !out.page.items.empty())
      out.newer = store::IncidentCursor{out.page.items.front().last_us, out.page.items.front().id};
  }
  auto total = reader.count_incidents(q.filter);
  if (!total) return total.error();
  out.total = *total;
  return out;
}

bool echoed(const ListQuery& q, std::string_view name, std::string_view value) {
  for (const auto& [k, v] : q.echo)
    if (k == name && v == value) return true;
  return false;
}

std::string echoed_value(const ListQuery& q, std::string_view name) {
  for (const auto& [k, v] : q.echo)
    if (k == name) return v;
  return {};
}

std::string filter_form_html(const ListQuery& q) {
  std::string out =
      "<form class=\"filters\" method=\"get\" action=\"/incidents\" role=\"search\">"
      "<fieldset><legend>How serious</legend>";
  for (std::string_view s : {"danger", "caution", "advisory"}) {
    out += "<label><input type=\"checkbox\" name=\"severity\" value=\"" + std::string(s) + "\"";
    if (echoed(q, "severity", s)) out += " checked";
    out += "> " + std::string(severity_label(s)) + "</label>";
  }
  out += "</fieldset><fieldset><legend>Status</legend>";
  for (auto s : {store::IncidentStatus::New, store::IncidentStatus::Dismissed,
                 store::IncidentStatus::Linked}) {
    const std::string_view name = store::incident_status_name(s);
    out += "<label><input type=\"checkbox\" name=\"status\" value=\"" + std::string(name) + "\"";
    if (echoed(q, "status", name)) out += " checked";
    out += "> " + html::escape(incident_status_label(s)) + "</label>";
  }
  out += "</fieldset><div class=\"field\"><label for=\"f-category\">Category</label>";
  out += "<select id=\"f-category\" name=\"category\"><option value=\"\">Any</option>";
  const std::string category = echoed_value(q, "category");
  for (int c = 0; c < static_cast<int>(rules::Category::kCount); ++c) {
    const std::string_view name = rules::category_name(static_cast<rules::Category>(c));
    out += "<option value=\"" + std::string(name) + "\"";
    if (name == category) out += " selected";
    out += ">" + html::escape(category_label(name)) + "</option>";
  }
  out += "</select></div>";
  out +=
      "<div class=\"field\"><label for=\"f-person\">Person reference</label>"
      "<input id=\"f-person\" name=\"person\" autocomplete=\"off\" value=\"" +
      html::attr(echoed_value(q, "person")) + "\"></div>";
  out +=
      "<div class=\"field\"><label for=\"f-from\">From</label>"
      "<input id=\"f-from\" type=\"datetime-local\" name=\"from\" value=\"" +
      html::attr(echoed_value(q, "from")) + "\"></div>";
  out +=
      "<div class=\"field\"><label for=\"f-to\">To</label>"
      "<input id=\"f-to\" type=\"datetime-local\" name=\"to\" value=\"" +
      html::attr(echoed_value(q, "to")) + "\"></div>";
  for (std::string_view keep : {"person_id", "device"}) {
    const std::string v = echoed_value(q, keep);
    if (!v.empty())
      out += "<input type=\"hidden\" name=\"" + std::string(keep) + "\" value=\"" + html::attr(v) +
             "\">";
  }
  out +=
      "<div class=\"buttons\"><button type=\"submit\">Show incidents</button> "
      "<a href=\"/incidents\">Clear filters</a></div></form>";
  if (q.filter.device_id || (q.filter.person_id && echoed_value(q, "person").empty())) {
    out += "<p class=\"hint\">Showing one ";
    out += q.filter.device_id ? "device" : "person";
    out += "'s incidents only. <a href=\"/incidents\">Show everyone's</a>.</p>";
  }
  return out;
}

std::string list_html(const ListQuery& q, const ListPage& p) {
  std::string out = filter_form_html(q);
  if (!q.notice.empty()) out += "<p class=\"notice\">" + html::escape(q.notice) + "</p>";
  out +=
      "<p>" + std::to_string(p.total) + (p.total == 1 ? " incident matches." : " incidents match.");
  out += " Newest first.</p>";
  out += incidents_table_html(p.page.items, "Incidents");
  out += "<nav class=\"pager\" aria-label=\"Pages\">";
  auto link = [&](std::string_view key, const store::IncidentCursor& c, std::string_view text) {
    Fields f = q.echo;
    f.emplace_back(std::string(key), cursor_text(c));
    if (q.limit != kPageSize) f.emplace_back("limit", std::to_string(q.limit));
    return "<a href=\"" + html::attr(with_query("/incidents", f)) + "\">" + std::string(text) +
           "</a>";
  };
  if (p.newer) out += link("before", *p.newer, "&larr; Newer");
  if (p.older) out += link("after", *p.older, "Older &rarr;");
  out += "</nav>";
  return out;
}

inspect::JsonObject list_json(const ListPage& p) {
  inspect::JsonObject o;
  std::vector<inspect::JsonObject> items;
  for (const store::Incident& i : p.page.items) items.push_back(incident_json(i));
  o.array("items", items).num("total", p.total);
  if (p.older) o.str("next_cursor", cursor_text(*p.older));
  if (p.newer) o.str("newer_cursor", cursor_text(*p.newer));
  return o;
}

// ---- One incident ---------------------------------------------------------

struct ActivityLine {
  store::ActivityRow row;
  bool background = false;
  bool matched = false;  // the name is one a hit of this incident matched
};

struct Detail {
  store::Incident incident;
  std::vector<store::StoredHit> hits;
  bool more_hits = false;
  FalsePositiveIndex false_positives;
  store::TimeUs window_from = 0;
  store::TimeUs window_to = 0;
  std::vector<ActivityLine> activity;
  bool activity_cut = false;
  std::map<std::int64_t, store::Device> devices;
  bool can_triage = false;
  std::vector<store::Concern> open_concerns;  // to add this incident to
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

// Open concerns this incident may join: the same person's, or for an
// incident with no person, those about its device with no person named.
store::Result<std::vector<store::Concern>> open_concerns_for(store::Reader& reader,
                                                             const store::Incident& i) {
  store::ConcernFilter f;
  f.limit = 1000;
  if (i.person_id != 0) f.person_id = i.person_id;
  auto list = reader.concerns(f);
  if (!list) return list.error();
  if (i.person_id == 0) {
    std::erase_if(*list, [&](const store::Concern& c) {
      return c.person_id != 0 || c.device_id != i.device_id;
    });
  }
  return list;
}

store::Result<Detail> read_detail(PageContext& ctx, std::int64_t id, std::int64_t hits_after) {
  Detail d;
  store::Casework& cw = ctx.casework;
  store::Reader& reader = cw.reader();
  auto incident = cw.read_incident(ctx.user.name, id);
  if (!incident) return incident.error();
  d.incident = std::move(*incident);
  auto hits = cw.read_incident_hits(ctx.user.name, id, hits_after, kHitsShown + 1);
  if (!hits) return hits.error();
  d.hits = std::move(*hits);
  if (d.hits.size() > kHitsShown) {
    d.hits.resize(kHitsShown);
    d.more_hits = true;
  }
  auto fp = reader.false_positive_counts();
  if (!fp) return fp.error();
  d.false_positives = index_false_positives(*fp);

  // The person's devices (or the incident's one), an hour either side.
  std::vector<std::int64_t> devices{d.incident.device_id};
  if (d.incident.person_id != 0) {
    auto theirs = reader.devices_of_person(d.incident.person_id);
    if (!theirs) return theirs.error();
    for (std::int64_t dev : *theirs)
      if (std::find(devices.begin(), devices.end(), dev) == devices.end() && devices.size() < 64)
        devices.push_back(dev);
  }
  d.window_from = d.incident.first_us - kHourUs;
  d.window_to = d.incident.last_us + kHourUs;
  auto rows = reader.activity(devices, d.window_from, d.window_to, kActivityShown + 1);
  if (!rows) return rows.error();
  if (rows->size() > kActivityShown) {
    rows->resize(kActivityShown);
    d.activity_cut = true;
  }
  auto a = cw.audit(ctx.user.name, "activity.read", "incident", id,
                    std::to_string(rows->size()) + " activity rows of " +
                        std::to_string(devices.size()) + " devices, " + iso_time(d.window_from) +
                        " to " + iso_time(d.window_to));
  if (!a) return a.error();
  std::set<std::string> matched;
  for (const store::StoredHit& h : d.hits) matched.insert(lower(h.value));
  for (store::ActivityRow& row : *rows) {
    ActivityLine line;
    line.matched = !row.name.empty() && matched.count(lower(row.name)) > 0;
    line.background = !line.matched && is_background_noise(row.name);
    line.row = std::move(row);
    d.activity.push_back(std::move(line));
  }
  std::set<std::int64_t> device_ids(devices.begin(), devices.end());
  for (const store::StoredHit& h : d.hits) device_ids.insert(h.device_id);
  for (std::int64_t dev : device_ids) {
    auto device = reader.device(dev);
    if (!device) return device.error();
    if (device->has_value()) d.devices.emplace(dev, std::move(**device));
  }

  d.can_triage = allowed(ctx.user.role, Capability::TriageIncidents) &&
                 d.incident.status == store::IncidentStatus::New;
  if (d.can_triage) {
    auto open = open_concerns_for(reader, d.incident);
    if (!open) return open.error();
    d.open_concerns = std::move(*open);
    auto b = cw.audit(ctx.user.name, "concern.list", "concern", 0,
                      "open concerns for incident " + std::to_string(id) + " -> " +
                          std::to_string(d.open_concerns.size()));
    if (!b) return b.error();
  }
  return d;
}

std::string device_label(const Detail& d, std::int64_t id) {
  auto it = d.devices.find(id);
  if (it == d.devices.end()) return "device " + std::to_string(id);
  const store::Device& dev = it->second;
  std::string address = dev.ip.empty() ? dev.mac : dev.ip;
  if (!dev.hostname.empty()) return dev.hostname + " (" + address + ")";
  return address.empty() ? "device " + std::to_string(id) : address;
}

std::string activity_html(const Detail& d, std::int64_t id, bool show_noise) {
  std::string out =
      "<section aria-labelledby=\"activity-h\"><h2 id=\"activity-h\">Activity around this "
      "time</h2><p class=\"hint\">Names ";
  out += d.incident.person_id != 0 ? "this person's devices" : "this device";
  out += " looked up from " + html::escape(format_time(d.window_from)) + " to " +
         html::escape(format_time(d.window_to)) +
         " (an hour either side). This is what the network saw, not proof of what a person "
         "read.</p>";
  std::size_t hidden = 0;
  for (const ActivityLine& l : d.activity)
    if (l.background) ++hidden;
  if (hidden > 0 || show_noise) {
    out += "<p class=\"noise-toggle\">";
    if (show_noise) {
      out += "Showing everything, including background lookups. <a href=\"/incidents/" +
             std::to_string(id) + "\">Hide background lookups</a>";
    } else {
      out += std::to_string(hidden) + (hidden == 1 ? " background lookup" : " background lookups") +
             " (content networks, software updates, usage tracking and adverts) " +
             (hidden == 1 ? "is" : "are") + " hidden. <a href=\"/incidents/" + std::to_string(id) +
             "?noise=1\">Show everything</a>";
    }
    out += "</p>";
  }
  out +=
      "<div class=\"table-wrap\"><table class=\"activity responsive\"><caption>Activity</caption>"
      "<thead><tr><th scope=\"col\">Minute</th><th scope=\"col\">Device</th>"
      "<th scope=\"col\">How</th><th scope=\"col\">Name</th><th scope=\"col\">Times</th></tr>"
      "</thead><tbody>";
  std::size_t shown = 0;
  for (const ActivityLine& l : d.activity) {
    if (l.background && !show_noise) continue;
    ++shown;
    out += l.matched ? "<tr class=\"matched\">" : "<tr>";
    out += "<td data-label=\"Minute\">" + html::escape(format_time(l.row.minute_us)) + "</td>";
    out += "<td data-label=\"Device\">" + html::escape(device_label(d, l.row.device_id)) + "</td>";
    out += "<td data-label=\"How\">" + html::escape(observation_label(l.row.kind)) + "</td>";
    out += "<td data-label=\"Name\">";
    if (l.row.name.empty()) {
      out += "<span class=\"muted\">(names are not kept on this appliance)</span>";
    } else {
      out += "<code class=\"value\">" + html::escape(l.row.name) + "</code>";
    }
    if (l.matched) out += " <span class=\"badge sev-caution\">Matched a rule</span>";
    if (l.background) out += " <span class=\"muted\">(background)</span>";
    out += "</td><td data-label=\"Times\">" + std::to_string(l.row.count) + "</td></tr>";
  }
  if (shown == 0)
    out +=
        "<tr><td colspan=\"5\">No activity is kept for this time (it is kept for a short "
        "time only).</td></tr>";
  out += "</tbody></table></div>";
  if (d.activity_cut)
    out += "<p class=\"hint\">Only the first " + std::to_string(kActivityShown) +
           " rows are shown.</p>";
  out += "</section>";
  return out;
}

std::string triage_html(const Detail& d, const Principal& user) {
  const std::string id = std::to_string(d.incident.id);
  std::string out;
  if (!d.can_triage) {
    if (d.incident.status == store::IncidentStatus::Dismissed) {
      out += "<p class=\"notice\">This incident was dismissed as a false positive: " +
             multiline(d.incident.dismiss_reason) + "</p>";
    } else if (d.incident.status == store::IncidentStatus::Linked) {
      out += "<p class=\"notice\">This incident is part of <a href=\"/concerns/" +
             std::to_string(d.incident.concern_id) + "\">concern " +
             std::to_string(d.incident.concern_id) + "</a>.</p>";
    }
    return out;
  }
  out +=
      "<section class=\"no-print\" aria-labelledby=\"triage-h\"><h2 id=\"triage-h\">What do you "
      "want to do?</h2><div class=\"choices\">";
  // Open a concern.
  out += "<form class=\"choice\" method=\"post\" action=\"/incidents/" + id + "/concern\">";
  out += html::csrf_field(user);
  out +=
      "<h3>This is a worry: open a concern</h3>"
      "<label for=\"summary\">What are you worried about?</label>"
      "<textarea id=\"summary\" name=\"summary\" rows=\"4\" required></textarea>";
  if (user.role == store::Role::Dsl || user.role == store::Role::DeputyDsl)
    out +=
        "<label class=\"inline\"><input type=\"checkbox\" name=\"assign_to_me\" value=\"1\" "
        "checked> Assign it to me</label>";
  out += "<button type=\"submit\">Open a concern</button></form>";
  // Add to an open concern.
  out += "<form class=\"choice\" method=\"post\" action=\"/incidents/" + id + "/link\">";
  out += html::csrf_field(user);
  out += "<h3>Add it to a concern that is already open</h3>";
  if (d.open_concerns.empty()) {
    out += "<p class=\"muted\">There is no open concern about ";
    out += d.incident.person_id != 0 ? "this person." : "this device.";
    out += "</p>";
  } else {
    out +=
        "<label for=\"concern_id\">Concern</label><select id=\"concern_id\" name=\"concern_id\">";
    for (const store::Concern& c : d.open_concerns) {
      out += "<option value=\"" + std::to_string(c.id) + "\">Concern " + std::to_string(c.id) +
             " (" + html::escape(concern_state_label(c.state)) + ", raised " +
             html::escape(format_date(c.raised_us)) + "): " + one_line(c.summary.substr(0, 80)) +
             "</option>";
    }
    out += "</select><button type=\"submit\">Add to this concern</button>";
  }
  out += "</form>";
  // Dismiss.
  out += "<form class=\"choice\" method=\"post\" action=\"/incidents/" + id +
         "/dismiss\" data-confirm=\"Dismiss this incident as a false positive?\">";
  out += html::csrf_field(user);
  out +=
      "<h3>Not a worry: dismiss as a false positive</h3>"
      "<label for=\"reason\">Why is this not a concern? (required)</label>"
      "<textarea id=\"reason\" name=\"reason\" rows=\"3\" required></textarea>"
      "<p class=\"hint\">Your reason is kept, and counts against the rule so the lists can be "
      "improved.</p><button type=\"submit\" class=\"secondary\">Dismiss</button></form>";
  out += "</div></section>";
  return out;
}

std::string detail_html(const Detail& d, const Principal& user, bool show_noise) {
  // What was seen comes before the choices: read first, then decide.
  std::string out = incident_summary_html(d.incident, true);
  out += "<section aria-labelledby=\"hits-h\"><h2 id=\"hits-h\">What was seen</h2>";
  out += hits_table_html(d.hits, &d.false_positives, "Hits in this incident, oldest first");
  if (d.more_hits && !d.hits.empty()) {
    out += "<p><a href=\"/incidents/" + std::to_string(d.incident.id) +
           "?hits_after=" + std::to_string(d.hits.back().id) + "\">More hits &rarr;</a></p>";
  }
  out += "</section>";
  out += triage_html(d, user);
  out += activity_html(d, d.incident.id, show_noise);
  return out;
}

inspect::JsonObject detail_json(const Detail& d) {
  inspect::JsonObject o;
  o.object("incident", incident_json(d.incident));
  std::vector<inspect::JsonObject> hits;
  for (const store::StoredHit& h : d.hits) hits.push_back(hit_json(h, &d.false_positives));
  o.array("hits", hits).boolean("more_hits", d.more_hits);
  if (d.more_hits && !d.hits.empty()) o.num("hits_after", d.hits.back().id);
  inspect::JsonObject window;
  window.num("from_us", d.window_from).num("to_us", d.window_to);
  o.object("activity_window", window);
  std::vector<inspect::JsonObject> activity;
  for (const ActivityLine& l : d.activity) {
    activity.emplace_back()
        .num("minute_us", l.row.minute_us)
        .str("minute", iso_time(l.row.minute_us))
        .num("device_id", l.row.device_id)
        .str("kind", l.row.kind)
        .str("name", l.row.name)
        .num("count", l.row.count)
        .boolean("background", l.background)
        .boolean("matched", l.matched);
  }
  o.array("activity", activity).boolean("activity_cut", d.activity_cut);
  if (d.can_triage) {
    std::vector<inspect::JsonObject> open;
    for (const store::Concern& c : d.open_concerns) {
      open.emplace_back()
          .num("id", c.id)
          .str("state", store::concern_state_name(c.state))
          .num("raised_us", c.raised_us);
    }
    o.array("open_concerns", open);
  }
  return o;
}

// ---- Triage ---------------------------------------------------------------

std::optional<std::int64_t> path_id(const Request& r) {
  auto v = r.param("id");
  return v ? parse_id(*v) : std::nullopt;
}

std::string incident_href(std::int64_t id) { return "/incidents/" + std::to_string(id); }

Response dismiss(const Request& r, PageContext& ctx) {
  auto id = path_id(r);
  if (!id) return error_response(r, 404, "No such incident.");
  std::string error;
  auto fields = post_fields(r, error);
  if (!fields) return form_problem(r, ctx.user, 400, error, incident_href(*id));
  const std::string reason = trim(field(*fields, "reason").value_or(""));
  if (reason.empty()) {
    return form_problem(r, ctx.user, 400,
                        "Say why this is not a concern: a reason is needed to dismiss it.",
                        incident_href(*id));
  }
  if (auto s = ctx.casework.dismiss_incident(ctx.user.name, *id, reason); !s)
    return form_store_error(r, ctx.user, s.error(), incident_href(*id));
  if (r.api) {
    return json_reply(
        inspect::JsonObject{}.boolean("ok", true).num("id", *id).str("status", "dismissed"));
  }
  return redirect(incident_href(*id) + "?done=dismissed");
}

Response open_from_incident(const Request& r, PageContext& ctx) {
  auto id = path_id(r);
  if (!id) return error_response(r, 404, "No such incident.");
  std::string error;
  auto fields = post_fields(r, error);
  if (!fields) return form_problem(r, ctx.user, 400, error, incident_href(*id));
  store::NewConcern nc;
  nc.summary = trim(field(*fields, "summary").value_or(""));
  if (nc.summary.empty())
    return form_problem(r, ctx.user, 400, "Say what you are worried about.", incident_href(*id));
  nc.incident_ids = {*id};
  const bool lead = ctx.user.role == store::Role::Dsl || ctx.user.role == store::Role::DeputyDsl;
  if (lead && field(*fields, "assign_to_me").value_or("") == "1") nc.assign_to = ctx.user.name;
  auto cid = ctx.casework.open_concern(ctx.user.name, nc);
  if (!cid) return form_store_error(r, ctx.user, cid.error(), incident_href(*id));
  return redirect("/concerns/" + std::to_string(*cid) + "?done=opened");
}

Response link_to_concern(const Request& r, PageContext& ctx) {
  auto id = path_id(r);
  if (!id) return error_response(r, 404, "No such incident.");
  std::string error;
  auto fields = post_fields(r, error);
  if (!fields) return form_problem(r, ctx.user, 400, error, incident_href(*id));
  auto cid = parse_id(trim(field(*fields, "concern_id").value_or("")));
  if (!cid) return form_problem(r, ctx.user, 400, "Choose a concern.", incident_href(*id));
  store::Reader& reader = ctx.casework.reader();
  auto incident = reader.incident(*id);
  if (!incident) return form_store_error(r, ctx.user, incident.error(), incident_href(*id));
  if (!incident->has_value()) return error_response(r, 404, "No such incident.");
  auto concern = reader.concern(*cid);
  if (!concern) return form_store_error(r, ctx.user, concern.error(), incident_href(*id));
  if (!concern->has_value())
    return form_problem(r, ctx.user, 404, "No such concern.", incident_href(*id));
  const store::Incident& i = **incident;
  const store::Concern& c = **concern;
  if (i.person_id != 0 ? c.person_id != i.person_id
                       : (c.person_id != 0 || c.device_id != i.device_id)) {
    return form_problem(r, ctx.user, 400,
                        "That concern is about someone else: an incident can only join a concern "
                        "about the same person.",
                        incident_href(*id));
  }
  if (auto s = ctx.casework.link_incident(ctx.user.name, *cid, *id); !s)
    return form_store_error(r, ctx.user, s.error(), incident_href(*id));
  if (r.api) {
    return json_reply(
        inspect::JsonObject{}.boolean("ok", true).num("id", *id).num("concern_id", *cid));
  }
  return redirect("/concerns/" + std::to_string(*cid) + "?done=linked");
}

std::string_view done_message(const Request& r) {
  auto done = r.param("done");
  if (!done) return {};
  if (*done == "dismissed") return "Dismissed as a false positive. Your reason has been kept.";
  return {};
}

Response list_page(const Request& r, PageContext& ctx, bool api) {
  std::string error;
  auto q = parse_list_query(r, ctx.casework.reader(), error);
  if (!q) return bad_request(r, error);
  auto p = read_list(ctx, *q);
  if (!p) return store_error(r, p.error());
  if (api) return json_reply(list_json(*p));
  return page_response("Incidents", list_html(*q, *p), ctx.user, "incidents");
}

Response detail_page(const Request& r, PageContext& ctx, bool api) {
  auto id = path_id(r);
  if (!id) return error_response(r, 404, "No such incident.");
  std::int64_t hits_after = 0;
  if (auto v = r.param("hits_after"); v && !v->empty()) {
    auto n = parse_id(*v);
    if (!n) return bad_request(r, "hits_after must be a hit number.");
    hits_after = *n;
  }
  auto d = read_detail(ctx, *id, hits_after);
  if (!d) return store_error(r, d.error());
  if (api) return json_reply(detail_json(*d));
  const bool show_noise = r.param("noise").value_or("") == "1";
  return page_response(
      "Incident " + std::to_string(*id) + ": " + category_label(d->incident.category),
      detail_html(*d, ctx.user, show_noise), ctx.user, "incidents", std::string(done_message(r)));
}

}  // namespace

std::vector<Route> incident_routes(const PagesOptions&) {
  using C = Capability;
  std::vector<Route> routes;
  routes.push_back(
      guarded(Method::Get, "/incidents", C::ViewIncidents,
              [](const Request& r, PageContext& ctx) { return list_page(r, ctx, false); }));
  routes.push_back(
      guarded(Method::Get, "/incidents/{id}", C::ViewIncidents,
              [](const Request& r, PageContext& ctx) { return detail_page(r, ctx, false); }));
  routes.push_back(guarded(Method::Post, "/incidents/{id}/dismiss", C::TriageIncidents, dismiss));
  routes.push_back(
      guarded(Method::Post, "/incidents/{id}/concern", C::TriageIncidents, open_from_incident));
  routes.push_back(
      guarded(Method::Post, "/incidents/{id}/link", C::TriageIncidents, link_to_concern));
  routes.push_back(
      guarded(Method::Get, "/api/incidents", C::ViewIncidents,
              [](const Request& r, PageContext& ctx) { return list_page(r, ctx, true); }));
  routes.push_back(
      guarded(Method::Get, "/api/incidents/{id}", C::ViewIncidents,
              [](const Request& r, PageContext& ctx) { return detail_page(r, ctx, true); }));
  routes.push_back(
      guarded(Method::Post, "/api/incidents/{id}/dismiss", C::TriageIncidents, dismiss));
  routes.push_back(
      guarded(Method::Post, "/api/incidents/{id}/link", C::TriageIncidents, link_to_concern));
  return routes;
}

}  // namespace vigil::console::pages::safeguarding
