// The dashboard (/ and /api/dashboard): new incidents by severity, open
// concerns, reviews due today and overdue, and system health. Counts name
// no one, so every role with ViewDashboard sees them; only the roles that
// may open incidents and concerns get links and the overdue list (an
// audited read), and only those with ViewHealth the health block.

#include <array>
#include <string>
#include <vector>

#include "admin/console/html.h"
#include "admin/console/pages/safeguarding_health.h"
#include "admin/console/pages/safeguarding_util.h"
#include "admin/console/roles.h"
#include "inspect/eve_json.h"
#include "store/casework.h"

namespace vigil::console::pages::safeguarding {
namespace {

constexpr std::array<std::string_view, 3> kSeverities{"danger", "caution", "advisory"};
constexpr std::size_t kOverdueShown = 50;

struct Counts {
  std::array<std::int64_t, 3> new_incidents{};  // kSeverities order
  std::int64_t concerns_open = 0;
  std::int64_t reviews_due_today = 0;
  std::int64_t reviews_overdue = 0;
};

struct OverdueItem {
  store::Concern concern;
  std::optional<store::Person> person;
};

struct Dashboard {
  Counts counts;
  bool show_overdue = false;
  std::vector<OverdueItem> overdue;
  std::optional<Health> health;
};

store::Result<Counts> read_counts(store::Reader& reader, store::TimeUs now) {
  Counts c;
  for (std::size_t i = 0; i < kSeverities.size(); ++i) {
    store::IncidentFilter f;
    f.statuses = {store::IncidentStatus::New};
    f.severities = {std::string(kSeverities[i])};
    auto n = reader.count_incidents(f);
    if (!n) return n.error();
    c.new_incidents[i] = *n;
  }
  auto open = reader.count_concerns({});
  if (!open) return open.error();
  c.concerns_open = *open;
  store::ConcernFilter overdue;
  overdue.review_due_before = now - 1;
  auto late = reader.count_concerns(overdue);
  if (!late) return late.error();
  c.reviews_overdue = *late;
  store::ConcernFilter today;
  today.review_due_before = end_of_local_day(now) - 1;
  auto by_tonight = reader.count_concerns(today);
  if (!by_tonight) return by_tonight.error();
  c.reviews_due_today = *by_tonight - *late;
  return c;
}

// Reads everything the user's role may see; the overdue list is audited.
store::Result<Dashboard> read_dashboard(PageContext& ctx, const PagesOptions& options,
                                        store::TimeUs now) {
  Dashboard d;
  store::Reader& reader = ctx.casework.reader();
  auto counts = read_counts(reader, now);
  if (!counts) return counts.error();
  d.counts = *counts;
  d.show_overdue = allowed(ctx.user.role, Capability::ViewConcerns);
  if (d.show_overdue && d.counts.reviews_overdue > 0) {
    store::ConcernFilter f;
    f.review_due_before = now - 1;
    f.limit = kOverdueShown;
    auto list = reader.concerns(f);
    if (!list) return list.error();
    for (store::Concern& c : *list) {
      OverdueItem item{std::move(c), std::nullopt};
      if (item.concern.person_id != 0) {
        auto p = reader.person(item.concern.person_id);
        if (!p) return p.error();
        item.person = *p;
      }
      d.overdue.push_back(std::move(item));
    }
    auto a =
        ctx.casework.audit(ctx.user.name, "concern.list", "concern", 0,
                           "dashboard: overdue reviews -> " + std::to_string(d.overdue.size()));
    if (!a) return a.error();
  }
  if (allowed(ctx.user.role, Capability::ViewHealth)) {
    d.health = gather_health(reader, options, now);
  }
  return d;
}

std::string count_card(std::string_view label, std::int64_t n, const std::string& href,
                       std::string_view extra_class) {
  std::string out = "<li class=\"card";
  if (!extra_class.empty() && n > 0) out += " " + std::string(extra_class);
  out += "\">";
  const std::string body = "<span class=\"count\">" + std::to_string(n) +
                           "</span> <span class=\"label\">" + html::escape(label) + "</span>";
  if (href.empty()) {
    out += body;
  } else {
    out += "<a href=\"" + html::attr(href) + "\">" + body + "</a>";
  }
  return out + "</li>";
}

std::string overdue_html(const Dashboard& d, const Principal& user, store::TimeUs now) {
  if (!d.show_overdue || d.overdue.empty()) return {};
  std::string out =
      "<section class=\"alert-box overdue-list\" aria-labelledby=\"overdue-h\">"
      "<h2 id=\"overdue-h\">Reviews overdue</h2><p>";
  out += user.role == store::Role::DeputyDsl
             ? "These reviews are past their date and have been passed to you as deputy DSL. "
               "Please review them now."
             : "These reviews are past their date. The deputy DSL has been told.";
  out += "</p><ul>";
  for (const OverdueItem& item : d.overdue) {
    const store::Concern& c = item.concern;
    out += "<li><a href=\"/concerns/" + std::to_string(c.id) + "\">Concern " +
           std::to_string(c.id) + "</a>";
    if (item.person) {
      std::string who = item.person->display_name.empty()
                            ? item.person->reference
                            : item.person->display_name + " (" + item.person->reference + ")";
      out += ", " + html::escape(who);
      if (item.person->under_18) out += " " + under_18_badge();
    }
    out += ": review was due " + html::escape(format_time(*c.review_due_us)) + " (" +
           html::escape(relative_time(*c.review_due_us, now)) + ")";
    if (!c.assigned_to.empty()) out += ", assigned to " + html::escape(c.assigned_to);
    out += "</li>";
  }
  out += "</ul></section>";
  return out;
}

std::string dashboard_html(const Dashboard& d, const Principal& user, store::TimeUs now) {
  const bool links =
      allowed(user.role, Capability::ViewIncidents) && allowed(user.role, Capability::ViewConcerns);
  std::string out = overdue_html(d, user, now);
  out += "<section aria-labelledby=\"incidents-h\"><h2 id=\"incidents-h\">New incidents</h2>";
  out += "<p class=\"hint\">Incidents nobody has looked at yet, by how serious the worst hit was.";
  if (links) out += " Open one to see what was seen and decide what to do.";
  out += "</p><ul class=\"cards\">";
  for (std::size_t i = 0; i < kSeverities.size(); ++i) {
    const std::string href =
        links ? with_query("/incidents",
                           {{"status", "new"}, {"severity", std::string(kSeverities[i])}})
              : std::string();
    out += count_card(severity_label(kSeverities[i]), d.counts.new_incidents[i], href,
                      "sev-" + std::string(kSeverities[i]));
  }
  out += "</ul></section>";
  out += "<section aria-labelledby=\"concerns-h\"><h2 id=\"concerns-h\">Concerns</h2>";
  out += "<ul class=\"cards\">";
  out += count_card("open concerns", d.counts.concerns_open, links ? "/concerns" : "", "");
  out += count_card("reviews due today", d.counts.reviews_due_today,
                    links ? "/concerns?review=today" : "", "due-today");
  out += count_card("reviews overdue", d.counts.reviews_overdue,
                    links ? "/concerns?review=overdue" : "", "overdue");
  out += "</ul>";
  if (!links)
    out +=
        "<p class=\"hint\">These are counts only. Who is involved is seen only by the "
        "safeguarding leads.</p>";
  out += "</section>";
  if (d.health) out += health_html(*d.health, now);
  return out;
}

inspect::JsonObject dashboard_json(const Dashboard& d) {
  inspect::JsonObject o;
  inspect::JsonObject sev;
  for (std::size_t i = 0; i < kSeverities.size(); ++i)
    sev.num(kSeverities[i], d.counts.new_incidents[i]);
  o.object("incidents_new", sev)
      .num("concerns_open", d.counts.concerns_open)
      .num("reviews_due_today", d.counts.reviews_due_today)
      .num("reviews_overdue", d.counts.reviews_overdue);
  if (d.show_overdue) {
    std::vector<inspect::JsonObject> items;
    for (const OverdueItem& item : d.overdue) {
      inspect::JsonObject& j = items.emplace_back();
      j.num("id", item.concern.id)
          .num("review_due_us", *item.concern.review_due_us)
          .str("review_due", iso_time(*item.concern.review_due_us))
          .str("state", store::concern_state_name(item.concern.state))
          .str("assigned_to", item.concern.assigned_to);
      if (item.person) {
        j.str("person_ref", item.person->reference)
            .str("person_name", item.person->display_name)
            .boolean("under_18", item.person->under_18);
      }
    }
    o.array("overdue", items);
  }
  if (d.health) o.object("health", health_json(*d.health));
  return o;
}

}  // namespace

std::vector<Route> dashboard_routes(const PagesOptions& options) {
  std::vector<Route> routes;
  routes.push_back(guarded(Method::Get, "/", Capability::ViewDashboard,
                           [options](const Request& request, PageContext& ctx) {
                             const store::TimeUs now = now_us(options);
                             auto d = read_dashboard(ctx, options, now);
                             if (!d) return store_error(request, d.error());
                             return page_response("Dashboard", dashboard_html(*d, ctx.user, now),
                                                  ctx.user, "dashboard");
                           }));
  routes.push_back(guarded(Method::Get, "/api/dashboard", Capability::ViewDashboard,
                           [options](const Request& request, PageContext& ctx) {
                             auto d = read_dashboard(ctx, options, now_us(options));
                             if (!d) return store_error(request, d.error());
                             return json_reply(dashboard_json(*d));
                           }));
  return routes;
}

}  // namespace vigil::console::pages::safeguarding
