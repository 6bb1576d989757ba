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

  struct Impl;

 private:
  explicit Reader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::store
