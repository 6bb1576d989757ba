#include "admin/report/month_hits.h"

#include <algorithm>
#include <tuple>

#include "admin/report/domains.h"

namespace vigil::report {
namespace {

constexpr store::TimeUs kDayUs = 86'400'000'000;

bool is_host(std::string_view observation) {
  return observation == "dns" || observation == "sni" || observation == "quic_sni" ||
         observation == "http_host";
}

bool keyword_like(std::string_view kind) {
  return kind == "keyword" || kind == "phrase" || kind == "regex" || kind == "search_term";
}

bool blocked(const store::HitRow& h) { return !h.allowed && h.action == "block"; }

// Appends "<length>:<bytes>", so no two field lists share a key whatever
// bytes the fields hold.
void append_field(std::string& key, std::string_view field) {
  key += std::to_string(field.size());
  key += ':';
  key.append(field);
}

}  // namespace

void MonthHits::Split::add(const store::HitRow& h) {
  ++counts.hits;
  if (h.allowed) {
    ++counts.allowed;
  } else if (h.action == "block") {
    ++counts.blocked;
  } else if (h.action == "alert") {
    ++counts.flagged;
  } else {
    ++counts.logged;
  }
  if (h.severity == "danger") ++counts.danger;
  if (h.statutory) ++counts.statutory;
  if (h.person_id != 0) {
    ++counts.attributed;
    people.insert(h.person_id);
  }
  devices.insert(h.device_id);
}

store::HitSplit MonthHits::Split::split() const {
  store::HitSplit s = counts;
  s.devices = static_cast<std::int64_t>(devices.size());
  s.people = static_cast<std::int64_t>(people.size());
  return s;
}

void MonthHits::Triage::add(const store::HitRow& h) {
  ++hits;
  incidents.try_emplace(h.incident_id, h.incident_status.front());
}

TriageRow MonthHits::Triage::row() const {
  TriageRow r;
  r.hits = hits;
  r.incidents = static_cast<std::int64_t>(incidents.size());
  for (const auto& [id, status] : incidents) {
    if (status == 'd') {
      ++r.dismissed;
    } else if (status == 'l') {
      ++r.linked;
    } else if (status == 'n') {
      ++r.untriaged;
    }
  }
  return r;
}

MonthHits::MonthHits(store::ReportRange range, const std::vector<std::string>& prevent)
    : range_(range), prevent_(prevent) {
  const std::int64_t n = (range.to_us - range.from_us) / kDayUs;
  for (std::int64_t d = 0; d < n; ++d) days_.push_back({d, 0, 0, 0, 0});
}

void MonthHits::add(const store::HitRow& h) {
  const bool in_prevent = std::find(prevent_.begin(), prevent_.end(), h.category) != prevent_.end();
  const bool circumvention = h.category == "circumvention";
  all_.add(h);
  if (in_prevent) prevent_hits_.add(h);
  if (circumvention) circumvention_.add(h);
  auto c = categories_.find(h.category);
  if (c == categories_.end()) c = categories_.emplace(std::string(h.category), Split{}).first;
  c->second.add(h);

  const std::int64_t day = (h.ts_us - range_.from_us) / kDayUs;
  if (day >= 0 && day < static_cast<std::int64_t>(days_.size())) {
    DayRow& d = days_[static_cast<std::size_t>(day)];
    ++d.hits;
    if (blocked(h)) ++d.blocked;
    if (!h.allowed && h.action == "alert") ++d.flagged;
    if (in_prevent) ++d.prevent_hits;
  }

  if (!h.allowed && is_host(h.observation)) {
    key_.clear();
    append_field(key_, h.category);
    append_field(key_, h.value);
    auto it = hosts_.find(key_);
    if (it == hosts_.end()) {
      it = hosts_.emplace(key_, Host{std::string(h.category), std::string(h.value), 0}).first;
    }
    ++it->second.hits;
  }

  if (circumvention) {
    const bool flow = h.kind == "circumvention";
    Circumvention& m = methods_[{flow ? "nDPI" : "list", std::string(flow ? h.entry : h.list)}];
    ++m.attempts;
    if (blocked(h)) ++m.blocked;
    m.devices.insert(h.device_id);
    if (h.person_id != 0) m.people.insert(h.person_id);
  }

  // As the join in the definition: hits not allowed, with an incident row.
  if (!h.allowed && h.incident_id != 0 && !h.incident_status.empty()) {
    key_.assign(h.list);
    auto l = lists_.find(key_);
    if (l == lists_.end()) l = lists_.emplace(key_, Triage{}).first;
    l->second.add(h);
    if (keyword_like(h.kind)) {
      key_.clear();
      append_field(key_, h.list);
      append_field(key_, h.kind);
      append_field(key_, h.entry);
      auto e = entries_.find(key_);
      if (e == entries_.end()) {
        e = entries_
                .emplace(key_, Entry{std::string(h.list), std::string(h.kind), std::string(h.entry),
                                     Triage{}})
                .first;
      }
      e->second.triage.add(h);
    }
  }

  if (h.person_id != 0) {
    PersonCounts& p = people_[h.person_id];
    ++p.hits;
    if (in_prevent) ++p.prevent;
    if (h.severity == "danger") ++p.danger;
  }
}

std::vector<std::pair<std::string, store::HitSplit>> MonthHits::by_category() const {
  std::vector<std::pair<std::string, store::HitSplit>> out;
  for (const auto& [name, split] : categories_) out.emplace_back(name, split.split());
  return out;
}

std::vector<DayRow> MonthHits::days() const { return days_; }

std::vector<DomainRow> MonthHits::top_domains(std::size_t per_category,
                                              std::int64_t& host_hits) const {
  RegistrableDomains psl;
  struct Agg {
    std::int64_t hits = 0;
    std::int64_t names = 0;
  };
  std::map<std::string, std::map<std::string, Agg>> per;
  host_hits = 0;
  for (const auto& [key, host] : hosts_) {
    Agg& a = per[host.category][psl.of(host.name)];
    a.hits += host.hits;
    ++a.names;
    host_hits += host.hits;
  }
  std::vector<DomainRow> out;
  for (const auto& [category, domains] : per) {
    std::vector<std::pair<std::string, Agg>> v(domains.begin(), domains.end());
    // Most hits first; ties in byte order of the domain (the map's order).
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.second.hits > b.second.hits; });
    if (v.size() > per_category) v.resize(per_category);
    int rank = 0;
    for (const auto& [domain, agg] : v) {
      out.push_back({category, ++rank, domain, agg.hits, agg.names});
    }
  }
  return out;
}

std::vector<CircumventionRow> MonthHits::circumvention_methods() const {
  std::vector<CircumventionRow> out;
  for (const auto& [key, m] : methods_) {
    out.push_back({key.first, key.second, m.attempts, m.blocked,
                   static_cast<std::int64_t>(m.devices.size()),
                   static_cast<std::int64_t>(m.people.size())});
  }
  std::stable_sort(
      out.begin(), out.end(),
      [](const CircumventionRow& a, const CircumventionRow& b) { return a.attempts > b.attempts; });
  return out;
}

std::vector<TriageRow> MonthHits::triage_by_list() const {
  std::vector<TriageRow> out;
  for (const auto& [list, t] : lists_) {
    TriageRow r = t.row();
    r.list = list;
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const TriageRow& a, const TriageRow& b) { return a.list < b.list; });
  return out;
}

std::vector<TriageRow> MonthHits::triage_by_entry(std::size_t limit) const {
  std::vector<TriageRow> out;
  for (const auto& [key, e] : entries_) {
    TriageRow r = e.triage.row();
    r.list = e.list;
    r.kind = e.kind;
    r.entry = e.entry;
    out.push_back(std::move(r));
  }
  // Most dismissed first, then most hits, then (list, kind, entry).
  std::sort(out.begin(), out.end(), [](const TriageRow& a, const TriageRow& b) {
    return std::tie(b.dismissed, b.hits, a.list, a.kind, a.entry) <
           std::tie(a.dismissed, a.hits, b.list, b.kind, b.entry);
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace vigil::report
