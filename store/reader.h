#pragma once
// Read-only access for the console and reports: its own SQLite connection
// (query_only), so readers never wait for the writer and the writer never
// waits for them (WAL). Not thread-safe: one Reader per thread. Reads here
// are not audited; Casework wraps them with audit rows for the console.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/result.h"
#include "store/types.h"

namespace vigil::store {

struct ReaderOptions {
  std::string path;
  std::chrono::milliseconds busy_timeout{2'000};
  std::size_t cache_mb = 16;  // SQLite page cache of this connection
};

class Reader {
 public:
  // Refuses a database whose schema is older (SchemaTooOld: migrate it
  // first) or newer (SchemaTooNew) than this code's.
  static Result<std::unique_ptr<Reader>> open(const ReaderOptions& options);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Newest first by (last_us, id). `page.after` continues after a cursor
  // (keyset paging); otherwise `page.offset` skips rows.
  Result<IncidentPage> incidents(const IncidentFilter& filter, const PageRequest& page);
  Result<std::int64_t> count_incidents(const IncidentFilter& filter);
  Result<std::optional<Incident>> incident(std::int64_t id);
  Result<std::vector<Incident>> incidents_of_concern(std::int64_t concern_id);
  // The incident's hits in time order, after hit id `after_id`, at most `limit` (1..10000).
  Result<std::vector<StoredHit>> incident_hits(std::int64_t incident_id, std::int64_t after_id,
                                               std::size_t limit);
  Result<std::optional<StoredHit>> hit(std::int64_t id);
  Result<std::int64_t> count_hits();

  Result<std::optional<Device>> device(std::int64_t id);
  Result<std::optional<Person>> person(std::int64_t id);
  Result<std::optional<Person>> person_by_reference(const std::string& reference);
  Result<std::vector<Attribution>> attributions_of_device(std::int64_t device_id);

  Result<std::optional<Concern>> concern(std::int64_t id);
  Result<std::vector<ConcernEvent>> concern_events(std::int64_t concern_id);
  Result<std::optional<ReferralContent>> referral(std::int64_t concern_id);
  Result<std::vector<Concern>> concerns(const ConcernFilter& filter);

  Result<std::vector<User>> users();
  Result<std::optional<User>> user(const std::string& name);
  Result<std::optional<std::string>> setting(const std::string& key);

  Result<std::vector<HourlyStat>> hourly_stats(TimeUs from_us, TimeUs to_us);
  Result<std::vector<AuditRow>> audit_rows(std::int64_t after_id, std::size_t limit);
  Result<AuditVerification> verify_audit();

  // ---- Console admin pages (issue 6) ----------------------------------
  // People by reference and devices by last seen (newest first), `limit`
  // 1..1000 from `offset`; the device whose MAC is `mac` (lower case, colons).
  Result<std::vector<Person>> people(std::size_t limit, std::size_t offset);
  Result<std::int64_t> count_people();
  Result<std::vector<Device>> devices(std::size_t limit, std::size_t offset);
  Result<std::int64_t> count_devices();
  Result<std::optional<Device>> device_by_mac(const std::string& mac);
  // Newest first: rows with an id below `before_id` (0: from the newest),
  // at most `limit` (1..1000).
  Result<std::vector<DecisionRow>> decisions(std::int64_t before_id, std::size_t limit);
  Result<std::vector<CheckRow>> checks(std::int64_t before_id, std::size_t limit);
  Result<std::vector<AuditRow>> audit_rows_before(std::int64_t before_id, std::size_t limit);
  // Hits at or after `from_us` per list name, with those of dismissed
  // incidents (false positives) counted apart; ordered by list name.
  Result<std::vector<ListHitCount>> hits_by_list(TimeUs from_us);
  // ---- end of the console admin pages' block

  // ---- Console safeguarding pages (issue 6) ----------------------------
  // Rules (list, entry) whose hits were in incidents a DSL dismissed, with
  // how many such incidents; most dismissed first.
  Result<std::vector<FalsePositiveCount>> false_positive_counts();
  // The "newer" page of keyset paging: up to `limit` incidents just newer
  // than `before`, newest first. `next` is set (to the newest item's cursor)
  // when still newer ones exist.
  Result<IncidentPage> incidents_newer(const IncidentFilter& filter, IncidentCursor before,
                                       std::size_t limit);
  // The activity log of these devices (at most 64) for the minutes from
  // `from_us` to `to_us`, in time order, at most `limit` rows (1..10000).
  Result<std::vector<ActivityRow>> activity(const std::vector<std::int64_t>& device_ids,
                                            TimeUs from_us, TimeUs to_us, std::size_t limit);
  // Devices attributed to a person, most recently seen first.
  Result<std::vector<std::int64_t>> devices_of_person(std::int64_t person_id);
  // The rule set vigild loaded last, if any.
  Result<std::optional<RuleSetRecord>> latest_rule_set();
  // How many concerns `filter` selects (its limit does not apply).
  Result<std::int64_t> count_concerns(const ConcernFilter& filter);
  // Concerns this user name raised, newest first, closed ones included.
  Result<std::vector<Concern>> concerns_raised_by(const std::string& user, std::size_t limit);
  // ---- end of the console safeguarding pages' block

  struct Impl;

 private:
  explicit Reader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::store
