#pragma once
// The console's and reports' side of the store: safeguarding work on its
// own read-write connection (separate from the writer thread's), and the
// audited reads. Every change and every read of a concern or an incident
// (which identifies a person or a device) appends a row to the hash-chained
// audit log naming the user, in the same transaction as the change; a read
// whose audit row cannot be written is refused, so nothing is read
// unaudited. Not thread-safe: one Casework per console thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/reader.h"
#include "store/result.h"
#include "store/types.h"

namespace vigil::store {

struct CaseworkOptions {
  std::string path;
  std::chrono::milliseconds busy_timeout{5'000};  // waits for the writer's batch to commit
  std::chrono::hours default_review{48};          // internal support: review due after this
  std::function<TimeUs()> clock{};                // system clock when empty
};

// A concern with everything a DSL reads on its page.
struct ConcernRecord {
  Concern concern;
  std::vector<ConcernEvent> events;
  ReferralContent referral;
  std::vector<Incident> incidents;
};

class Casework {
 public:
  static Result<std::unique_ptr<Casework>> open(const CaseworkOptions& options);
  ~Casework();
  Casework(const Casework&) = delete;
  Casework& operator=(const Casework&) = delete;

  // Unaudited reads (counts, statistics, the audit log itself) for pages
  // and reports that show no one's activity.
  Reader& reader();

  // Audited reads. `actor` is the signed-in user's name.
  Result<IncidentPage> list_incidents(std::string_view actor, const IncidentFilter& filter,
                                      const PageRequest& page);
  Result<Incident> read_incident(std::string_view actor, std::int64_t incident_id);
  Result<std::vector<StoredHit>> read_incident_hits(std::string_view actor,
                                                    std::int64_t incident_id, std::int64_t after_id,
                                                    std::size_t limit);
  Result<ConcernRecord> read_concern(std::string_view actor, std::int64_t concern_id);

  // Incident triage.
  Status dismiss_incident(std::string_view actor, std::int64_t incident_id,
                          std::string_view reason);

  // Concerns. open_concern links the given incidents at once and pre-fills
  // the referral's "how it arose" and "internet use" from the summary and
  // the incidents.
  Result<std::int64_t> open_concern(std::string_view actor, const NewConcern& concern);
  Status link_incident(std::string_view actor, std::int64_t concern_id, std::int64_t incident_id);
  // Validated against concern_transition_allowed(). Closing needs an
  // outcome; no further action, referral and reopening need a note saying
  // why; internal support sets a review date (given, or default_review).
  Status transition_concern(std::string_view actor, std::int64_t concern_id, ConcernState to,
                            std::string_view note, std::string_view outcome = {},
                            std::optional<TimeUs> review_due_us = std::nullopt);
  Status assign_concern(std::string_view actor, std::int64_t concern_id,
                        std::string_view user_name);  // a dsl or deputy_dsl, enabled
  Status set_review_due(std::string_view actor, std::int64_t concern_id, TimeUs review_due_us);
  Status add_note(std::string_view actor, std::int64_t concern_id, std::string_view text);
  Status update_referral(std::string_view actor, std::int64_t concern_id,
                         const ReferralContent& content);

  // People, users, settings, and the logs the standards ask for.
  Result<std::int64_t> upsert_person(std::string_view actor, const PersonRecord& person);
  Status attribute_device(std::string_view actor, std::int64_t device_id, std::int64_t person_id,
                          std::string_view source, double confidence);
  Result<std::int64_t> add_user(std::string_view actor, std::string_view name, Role role,
                                std::string_view password_hash);
  Status set_user_disabled(std::string_view actor, std::string_view name, bool disabled);
  Status set_setting(std::string_view actor, std::string_view key, std::string_view value);
  Result<std::int64_t> record_decision(std::string_view actor, const DecisionEntry& entry);
  Result<std::int64_t> record_check(std::string_view actor, const CheckEntry& entry);

  // Any other event worth a row (an export, a login): returns its id.
  Result<std::int64_t> audit(std::string_view actor, std::string_view action,
                             std::string_view object_type, std::int64_t object_id,
                             std::string_view detail);

  // ---- Console admin pages (issue 6) ----------------------------------
  // Gives a user another role (audited as user.role, "name: old -> new").
  // Refuses to leave no enabled admin: the last enabled admin keeps the role.
  Status set_user_role(std::string_view actor, std::string_view name, Role role);
  // ---- end of the console admin pages' block

  // ---- Console safeguarding pages (issue 6): review escalation ---------
  // Escalates one overdue review, at most once per review date. In one
  // transaction: when the concern is not closed, its review date is before
  // `now_us` and no escalation by `actor` is in the chronology since the
  // date was last set, appends an 'escalated' event with `text` and a
  // concern.escalate audit row. True when it escalated, false when there
  // was nothing to do (so two console threads cannot escalate twice).
  Result<bool> escalate_review(std::string_view actor, std::int64_t concern_id, TimeUs now_us,
                               std::string_view text);
  // ---- end of the console safeguarding pages' block

  struct Impl;

 private:
  explicit Casework(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::store
