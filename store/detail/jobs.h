#pragma once
// Internal to store/: background jobs that run on any read-write
// connection (the writer's, or one of their own).

#include <cstdint>
#include <string_view>

#include "store/detail/sqlite.h"
#include "store/result.h"
#include "store/types.h"

namespace vigil::store::detail {

// `months` calendar months before `now_us` (the 31st becomes the month's
// last day), at the same time of day.
TimeUs months_before(TimeUs now_us, int months) noexcept;

// Recomputes hourly_stats for every hour holding a hit added since the last
// rollup (watermark: settings key store.stats_rolled_hit_id).
Result<std::int64_t> rollup_hourly_stats(Connection& c, TimeUs now_us);

// Rolls up statistics, then deletes activity, hits and hourly statistics
// older than the policy's cutoffs, in batches of policy.delete_batch per
// transaction, never touching concerns, their chronology, incidents linked
// to a concern or their hits, the audit log or the decision and checks
// logs; then incidents left without hits; then appends one audit row
// (actor `actor`).
Result<RetentionReport> apply_retention(Connection& c, const RetentionPolicy& policy, TimeUs now_us,
                                        std::string_view actor);

}  // namespace vigil::store::detail
