// People and devices: the CSV import (daemon/identity's parser, valid rows
// kept, refused rows reported by line), the people and devices the store
// knows with who each device is attributed to and how, and mapping a device
// to a person by hand. The IT specialist sees names here because mapping
// devices to people is their job; every view and change is audited.

#include <algorithm>
#include <cctype>
#include <map>
#include <string>

#include "admin/console/html.h"
#include "admin/console/pages/admin_common.h"
#include "daemon/identity/people_csv.h"
#include "store/casework.h"

namespace vigil::console::pages::admin {
namespace {

using html::escape;

constexpr std::size_t kPageSize = 100;
constexpr std::size_t kMaxCsvBytes = 16u << 20;
constexpr double kCsvConfidence = 0.9;  // identity's "high": the provider's own records
constexpr double kManualConfidence = 1.0;

std::size_t page_number(const Request& req, std::string_view name) {
  auto n = parse_id(field(req, name));
  return n && *n < 100'000 ? static_cast<std::size_t>(*n) : 1;
}

std::string percent(double confidence) {
  return std::to_string(static_cast<int>(confidence * 100 + 0.5)) + "%";
}

std::string pager(std::string_view name, std::size_t page, std::int64_t total,
                  std::size_t other_page, std::string_view other_name) {
  std::string out;
  const auto pages = static_cast<std::size_t>((total + kPageSize - 1) / kPageSize);
  if (pages <= 1) return out;
  auto link = [&](std::size_t p, std::string_view label) {
    return "<a href=\"/people?" + std::string(name) + "=" + std::to_string(p) + "&amp;" +
           std::string(other_name) + "=" + std::to_string(other_page) + "\">" + std::string(label) +
           "</a>";
  };
  out += "<nav class=\"pager\">";
  if (page > 1) out += link(page - 1, "Previous") + " ";
  out += "page " + std::to_string(page) + " of " + std::to_string(pages);
  if (page < pages) out += " " + link(page + 1, "Next");
  out += "</nav>";
  return out;
}

Response people_page(Shared& shared, const Request& req, PageContext& ctx,
                     std::string_view flash = {}, int status = 200) {
  (void)shared;
  store::Reader& reader = ctx.casework.reader();
  const std::size_t ppage = page_number(req, "people_page");
  const std::size_t dpage = page_number(req, "devices_page");
  // Names are identifying: the view is audited before anything is read.
  auto a = ctx.casework.audit(
      ctx.user.name, "people.view", "person", 0,
      "people page " + std::to_string(ppage) + ", devices page " + std::to_string(dpage));
  if (!a) return store_failure(req, a.error());
  auto people = reader.people(kPageSize, (ppage - 1) * kPageSize);
  auto people_total = reader.count_people();
  auto devices = reader.devices(kPageSize, (dpage - 1) * kPageSize);
  auto devices_total = reader.count_devices();
  if (!people) return store_failure(req, people.error());
  if (!people_total) return store_failure(req, people_total.error());
  if (!devices) return store_failure(req, devices.error());
  if (!devices_total) return store_failure(req, devices_total.error());

  std::map<std::int64_t, store::Person> known;  // people named by attributions
  for (const store::Person& p : *people) known.emplace(p.id, p);
  std::vector<std::vector<store::Attribution>> attributions;
  for (const store::Device& d : *devices) {
    auto at = reader.attributions_of_device(d.id);
    if (!at) return store_failure(req, at.error());
    for (const store::Attribution& x : *at) {
      if (known.count(x.person_id) != 0) continue;
      auto p = reader.person(x.person_id);
      if (!p) return store_failure(req, p.error());
      if (*p) known.emplace(x.person_id, **p);
    }
    attributions.push_back(std::move(*at));
  }
  auto person_ref = [&](std::int64_t id) -> const store::Person* {
    auto it = known.find(id);
    return it == known.end() ? nullptr : &it->second;
  };

  if (req.api) {
    std::vector<inspect::JsonObject> pj;
    for (const store::Person& p : *people) {
      inspect::JsonObject o;
      o.num("id", p.id)
          .str("reference", p.reference)
          .str("name", p.display_name)
          .str("kind", p.kind)
          .str("cohort", p.cohort)
          .str("group", p.group)
          .boolean("under_18", p.under_18);
      pj.push_back(std::move(o));
    }
    std::vector<inspect::JsonObject> dj;
    for (std::size_t i = 0; i < devices->size(); ++i) {
      const store::Device& d = (*devices)[i];
      std::vector<inspect::JsonObject> aj;
      for (const store::Attribution& x : attributions[i]) {
        const store::Person* p = person_ref(x.person_id);
        inspect::JsonObject o;
        o.num("person_id", x.person_id)
            .str("reference", p ? p->reference : "")
            .str("name", p ? p->display_name : "")
            .str("source", x.source)
            .num("confidence_percent", std::int64_t{static_cast<int>(x.confidence * 100 + 0.5)})
            .str("last_seen", iso_time(x.last_seen_us));
        aj.push_back(std::move(o));
      }
      inspect::JsonObject o;
      o.num("id", d.id)
          .str("mac", d.mac)
          .str("ip", d.ip)
          .str("hostname", d.hostname)
          .str("first_seen", iso_time(d.first_seen_us))
          .str("last_seen", iso_time(d.last_seen_us))
          .array("attributions", aj);
      dj.push_back(std::move(o));
    }
    inspect::JsonObject o;
    o.num("people_total", *people_total)
        .num("people_page", std::uint64_t{ppage})
        .array("people", pj)
        .num("devices_total", *devices_total)
        .num("devices_page", std::uint64_t{dpage})
        .array("devices", dj);
    Response r = json_response(o.text());
    r.status = status;
    return r;
  }

  std::string body;
  body += "<section><h2>Import people from a CSV file</h2>";
  body +=
      "<p>Paste the file exported from your MIS or spreadsheet (saved as CSV UTF-8). The first "
      "row names the columns: <code>reference</code> (required), <code>name</code>, "
      "<code>cohort</code>, <code>group</code>, <code>under_18</code> (yes/no), "
      "<code>devices</code> (MAC addresses separated by <code>;</code>). Good rows are "
      "imported; rows with a problem are listed by line and left out.</p>";
  body += form_open(ctx, "/people/import", "stack");
  body +=
      "<label>CSV <textarea name=\"csv\" rows=\"8\" required spellcheck=\"false\"></textarea>"
      "</label><button type=\"submit\">Import</button></form></section>";

  body += "<section><h2>Devices</h2><p>" + std::to_string(*devices_total) +
          " devices seen on the network. Who each belongs to, where that came from, and how "
          "sure it is.</p>";
  if (devices->empty()) {
    body += "<p>No devices seen yet.</p>";
  } else {
    body +=
        "<div class=\"table-wrap\"><table><thead><tr><th>Device</th><th>Last seen</th>"
        "<th>Belongs to</th><th>Map to a person</th></tr></thead><tbody>";
    for (std::size_t i = 0; i < devices->size(); ++i) {
      const store::Device& d = (*devices)[i];
      body += "<tr><td>" + escape(d.mac.empty() ? "(no MAC)" : d.mac) + "<br>" + escape(d.ip);
      if (!d.hostname.empty()) body += "<br>" + escape(d.hostname);
      body += "</td><td>" + escape(format_time(d.last_seen_us)) + "</td><td>";
      if (attributions[i].empty()) body += "nobody yet";
      for (const store::Attribution& x : attributions[i]) {
        const store::Person* p = person_ref(x.person_id);
        body += "<div>" +
                (p ? escape(p->reference) + " " + escape(p->display_name)
                   : "person " + std::to_string(x.person_id)) +
                " <small>(" + escape(x.source) + ", " + percent(x.confidence) +
                " sure)</small></div>";
      }
      body += "</td><td>" + form_open(ctx, "/people/map", "inline");
      body += "<input type=\"hidden\" name=\"device_id\" value=\"" + std::to_string(d.id) + "\">";
      body +=
          "<label>Reference <input name=\"reference\" required maxlength=\"255\" "
          "autocomplete=\"off\"></label><button type=\"submit\">Map</button></form></td></tr>";
    }
    body += "</tbody></table></div>";
    body += pager("devices_page", dpage, *devices_total, ppage, "people_page");
  }
  body += "</section>";

  body += "<section><h2>People</h2><p>" + std::to_string(*people_total) + " people.</p>";
  if (people->empty()) {
    body += "<p>No people imported yet.</p>";
  } else {
    body +=
        "<div class=\"table-wrap\"><table><thead><tr><th>Reference</th><th>Name</th>"
        "<th>Kind</th><th>Cohort</th><th>Group</th><th>Under 18</th></tr></thead><tbody>";
    for (const store::Person& p : *people) {
      body += "<tr><td>" + escape(p.reference) + "</td><td>" + escape(p.display_name) +
              "</td><td>" + escape(p.kind) + "</td><td>" + escape(p.cohort) + "</td><td>" +
              escape(p.group) + "</td><td>" + (p.under_18 ? "yes" : "no") + "</td></tr>";
    }
    body += "</tbody></table></div>";
    body += pager("people_page", ppage, *people_total, dpage, "devices_page");
  }
  body += "</section>";
  return page(ctx, "People and devices", std::move(body), "people", flash, status);
}

std::string kind_of(std::string_view group) {
  std::string g(group);
  std::transform(g.begin(), g.end(), g.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return g == "staff" ? "staff" : "learner";  // as vigild files people from the same CSV
}

Response import_csv(Shared& shared, const Request& req, PageContext& ctx) {
  const std::string text = req.content_type == "text/csv" ? req.body : field(req, "csv");
  if (trim(text).empty()) return error_response(req, 400, "Paste the CSV file to import.");
  if (text.size() > kMaxCsvBytes) {
    return error_response(req, 413, "The CSV file is larger than 16 MiB; split it.");
  }
  identity::PeopleImport parsed = identity::parse_people_csv_keep_valid(text, "people.csv");
  if (!parsed.diag.error.empty()) {
    return error_response(req, 400, "Nothing was imported: " + parsed.diag.error);
  }
  const std::string& actor = ctx.user.name;
  store::Reader& reader = ctx.casework.reader();
  std::map<std::string, std::int64_t> ids;
  std::size_t imported = 0;
  std::size_t attributed = 0;
  std::size_t not_seen = 0;
  std::string stopped;  // the store failed part way
  for (const identity::Person& p : parsed.people) {
    store::PersonRecord r;
    r.reference = p.reference;
    r.display_name = p.name;
    r.kind = kind_of(p.group);
    r.cohort = p.cohort;
    r.group = p.group;
    r.under_18 = p.under_18.value_or(false);
    auto id = ctx.casework.upsert_person(actor, r);
    if (!id) {
      stopped = id.error().message;
      break;
    }
    ids[p.reference] = *id;
    ++imported;
  }
  for (const identity::DeviceOwner& d : parsed.devices) {
    if (!stopped.empty()) break;
    auto person = ids.find(d.reference);
    if (person == ids.end()) continue;
    auto device = reader.device_by_mac(d.mac.to_string());
    if (!device) {
      stopped = device.error().message;
      break;
    }
    if (!*device) {
      ++not_seen;
      continue;
    }
    auto s =
        ctx.casework.attribute_device(actor, (*device)->id, person->second, "csv", kCsvConfidence);
    if (!s) {
      stopped = s.error().message;
      break;
    }
    ++attributed;
  }
  const std::string summary = std::to_string(imported) + " people imported, " +
                              std::to_string(attributed) + " devices attributed, " +
                              std::to_string(not_seen) + " devices not seen yet, " +
                              std::to_string(parsed.diag.invalid) + " rows refused";
  auto a = ctx.casework.audit(actor, "people.import", "person", 0,
                              stopped.empty() ? summary : summary + "; stopped: " + stopped);
  if (!a && stopped.empty()) stopped = a.error().message;
  const int status = stopped.empty() ? 200 : 503;
  const std::uint64_t more = parsed.diag.invalid > parsed.diag.first_invalid.size()
                                 ? parsed.diag.invalid - parsed.diag.first_invalid.size()
                                 : 0;
  if (req.api) {
    inspect::JsonObject o;
    o.boolean("ok", stopped.empty())
        .num("imported", std::uint64_t{imported})
        .num("devices_attributed", std::uint64_t{attributed})
        .num("devices_not_seen", std::uint64_t{not_seen})
        .num("refused", parsed.diag.invalid)
        .strings("errors", parsed.diag.first_invalid)
        .num("errors_not_listed", more)
        .str("stopped", stopped);
    return json_response(o.text(), status);
  }
  std::string body = "<section class=\"import-report\"><h2>Import report</h2><ul>";
  body += "<li>" + std::to_string(imported) + " people imported or updated.</li>";
  body += "<li>" + std::to_string(attributed) + " of their devices attributed to them.</li>";
  if (not_seen > 0) {
    body += "<li>" + std::to_string(not_seen) +
            " devices in the file have not been seen on the network yet. vigild attributes "
            "them when it sees them, if the same file is its people file "
            "(<code>identity.people_csv</code>).</li>";
  }
  body += "</ul>";
  if (!stopped.empty()) {
    body += "<p class=\"error\">The import stopped part way: " + escape(stopped) +
            ". Import the file again once the store is available.</p>";
  }
  if (parsed.diag.invalid > 0) {
    body += "<h3>" + std::to_string(parsed.diag.invalid) +
            " rows were left out</h3><p>Correct them in the file and import it again (rows "
            "already imported are updated, not repeated).</p><ul class=\"errors\">";
    for (const std::string& e : parsed.diag.first_invalid) body += "<li>" + escape(e) + "</li>";
    if (more > 0) body += "<li>and " + std::to_string(more) + " more</li>";
    body += "</ul>";
  }
  body += "<p><a href=\"/people\">Back to people and devices</a></p></section>";
  (void)shared;
  return page(ctx, "People import", std::move(body), "people", {}, status);
}

Response map_device(Shared& shared, const Request& req, PageContext& ctx) {
  auto device_id = parse_id(field(req, "device_id"));
  const std::string reference(trim(field(req, "reference")));
  if (!device_id) return error_response(req, 400, "Choose the device to map.");
  if (auto p =
          text_problem(reference, "The person's reference", store::kMaxNameBytes, true, false)) {
    return error_response(req, 400, *p);
  }
  store::Reader& reader = ctx.casework.reader();
  auto device = reader.device(*device_id);
  if (!device) return store_failure(req, device.error());
  if (!*device) return error_response(req, 404, "There is no such device.");
  auto person = reader.person_by_reference(reference);
  if (!person) return store_failure(req, person.error());
  if (!*person) {
    return error_response(
        req, 404, "No one has the reference '" + reference + "'. Import them first (CSV above).");
  }
  auto s = ctx.casework.attribute_device(ctx.user.name, *device_id, (*person)->id, "manual",
                                         kManualConfidence);
  if (!s) return store_failure(req, s.error());
  const std::string done = "Device " + ((*device)->mac.empty() ? (*device)->ip : (*device)->mac) +
                           " now belongs to " + (*person)->reference + " (mapped by hand).";
  if (req.api) {
    inspect::JsonObject o;
    o.boolean("ok", true)
        .num("device_id", *device_id)
        .num("person_id", (*person)->id)
        .str("source", "manual")
        .str("message", done);
    return json_response(o.text());
  }
  return people_page(shared, req, ctx, done);
}

}  // namespace

std::vector<Route> people_routes(const std::shared_ptr<Shared>& shared) {
  auto s = shared;
  auto view = [s](const Request& r, PageContext& c) { return people_page(*s, r, c); };
  auto import = [s](const Request& r, PageContext& c) { return import_csv(*s, r, c); };
  auto map = [s](const Request& r, PageContext& c) { return map_device(*s, r, c); };
  using C = Capability;
  return {
      {Method::Get, "/people", C::ManagePeople, view},
      {Method::Get, "/api/people", C::ManagePeople, view},
      {Method::Post, "/people/import", C::ManagePeople, import},
      {Method::Post, "/api/people/import", C::ManagePeople, import},
      {Method::Post, "/people/map", C::ManagePeople, map},
      {Method::Post, "/api/people/map", C::ManagePeople, map},
  };
}

}  // namespace vigil::console::pages::admin
