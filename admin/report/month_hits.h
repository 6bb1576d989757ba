#pragma once
// Internal to admin/report: the month's hits aggregated in one pass over
// store::ReportQueries::scan_hits(). Each figure's definition is the one in
// README.md; report_figures_test checks every one against SQL.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "admin/report/report.h"
#include "store/report_queries.h"

namespace vigil::report {

class MonthHits {
 public:
  MonthHits(store::ReportRange range, const std::vector<std::string>& prevent);

  void add(const store::HitRow& h);

  // The results. `top_domains` and `top_entries` bound those tables.
  store::HitSplit totals() const { return all_.split(); }
  store::HitSplit prevent() const { return prevent_hits_.split(); }
  store::HitSplit circumvention() const { return circumvention_.split(); }
  std::vector<std::pair<std::string, store::HitSplit>> by_category() const;
  std::vector<DayRow> days() const;
  std::vector<DomainRow> top_domains(std::size_t per_category, std::int64_t& host_hits) const;
  std::vector<CircumventionRow> circumvention_methods() const;
  std::vector<TriageRow> triage_by_list() const;
  std::vector<TriageRow> triage_by_entry(std::size_t limit) const;
  const std::unordered_set<std::int64_t>& devices() const { return all_.devices; }
  // Per person id: hits, Prevent hits, danger hits (no names).
  struct PersonCounts {
    std::int64_t hits = 0;
    std::int64_t prevent = 0;
    std::int64_t danger = 0;
  };
  const std::unordered_map<std::int64_t, PersonCounts>& people() const { return people_; }

 private:
  struct Split {
    store::HitSplit counts;
    std::unordered_set<std::int64_t> devices;
    std::unordered_set<std::int64_t> people;
    void add(const store::HitRow& h);
    store::HitSplit split() const;
  };
  struct Triage {
    std::int64_t hits = 0;
    std::unordered_map<std::int64_t, char> incidents;  // id -> status initial (n, d, l)
    void add(const store::HitRow& h);
    TriageRow row() const;
  };
  struct Host {
    std::string category;
    std::string name;
    std::int64_t hits = 0;
  };
  struct Entry {
    std::string list;
    std::string kind;
    std::string entry;
    Triage triage;
  };
  struct Circumvention {
    std::int64_t attempts = 0;
    std::int64_t blocked = 0;
    std::unordered_set<std::int64_t> devices;
    std::unordered_set<std::int64_t> people;
  };

  store::ReportRange range_;
  std::vector<std::string> prevent_;
  Split all_;
  Split prevent_hits_;
  Split circumvention_;
  std::map<std::string, Split, std::less<>> categories_;
  std::vector<DayRow> days_;
  // Keyed by the length-prefixed fields, assembled in key_ (reused, so a
  // hit that finds its row allocates nothing).
  std::string key_;
  std::unordered_map<std::string, Host> hosts_;                           // (category, name)
  std::map<std::pair<std::string, std::string>, Circumvention> methods_;  // (source, method)
  std::unordered_map<std::string, Triage> lists_;
  std::unordered_map<std::string, Entry> entries_;  // (list, kind, entry)
  std::unordered_map<std::int64_t, PersonCounts> people_;
};

}  // namespace vigil::report
