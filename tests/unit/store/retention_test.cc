// Retention: activity after N days, hits after N months, never concerns,
// their evidence, the audit log or statistics.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "store/casework.h"
#include "store/detail/jobs.h"
#include "store/maintenance.h"
#include "store/reader.h"
#include "store/writer.h"
#include "tests/unit/store/store_test_util.h"

namespace vigil::store {
namespace {

using testing::FakeClock;
using ::testing::HasSubstr;
using testing::kDay;
using testing::kNow;
using testing::make_hit;
using testing::raw_int;
using testing::raw_text;
using testing::TempDir;

TimeUs utc(int y, unsigned m, unsigned d, int hour = 0) {
  using namespace std::chrono;
  auto midnight = sys_days(year(y) / month(m) / day(d));
  return duration_cast<microseconds>((midnight + hours(hour)).time_since_epoch()).count();
}

TEST(StoreRetentionCalendar, MonthsAreCalendarMonths) {
  EXPECT_EQ(detail::months_before(utc(2026, 3, 15, 12), 1), utc(2026, 2, 15, 12));
  EXPECT_EQ(detail::months_before(utc(2026, 3, 15, 12), 12), utc(2025, 3, 15, 12));
  EXPECT_EQ(detail::months_before(utc(2024, 3, 31, 6), 1), utc(2024, 2, 29, 6));  // leap year
  EXPECT_EQ(detail::months_before(utc(2025, 3, 31), 1), utc(2025, 2, 28));
  EXPECT_EQ(detail::months_before(utc(2026, 1, 10), 13), utc(2024, 12, 10));
}

class StoreRetention : public ::testing::Test {
 protected:
  // Hits 400, 200 and 1 days old (one device each); the 400-day incident is
  // evidence in a concern. Activity 40 and 1 days old.
  void SetUp() override {
    WriterOptions o;
    o.path = db_;
    o.clock = clock_.fn();
    auto w = Writer::open(o);
    ASSERT_TRUE(w.ok()) << w.error().message;
    writer_ = std::move(*w);
    std::uint64_t t = 0;
    for (int i = 0; i < 5; ++i)
      t = writer_->append(make_hit(kNow - 400 * kDay + i, "10.0.0.1")).ticket;
    for (int i = 0; i < 7; ++i)
      t = writer_->append(make_hit(kNow - 410 * kDay + i, "10.0.0.2")).ticket;
    for (int i = 0; i < 3; ++i)
      t = writer_->append(make_hit(kNow - 200 * kDay + i, "10.0.0.3")).ticket;
    for (int i = 0; i < 2; ++i) t = writer_->append(make_hit(kNow - kDay + i, "10.0.0.4")).ticket;
    ASSERT_TRUE(writer_->wait_acked(t, std::chrono::seconds(10)));
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(
          writer_->record_activity({kNow - 40 * kDay + i, "10.0.0.9", "", "dns", "a.example"}));
    }
    ASSERT_TRUE(writer_->record_activity({kNow - kDay, "10.0.0.9", "", "dns", "b.example"}));
    // Let the activity commit (flushed within activity_flush).
    for (int i = 0; i < 100 && raw_int(db_, "SELECT count(*) FROM activity") < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(raw_int(db_, "SELECT count(*) FROM activity"), 2);
    // Capture health 40 and 1 days old: kept as long as the activity log.
    auto h = writer_
                 ->record_capture_health({{kNow - 40 * kDay, "eth0", true, 10, 1, 0, 1},
                                          {kNow - kDay, "eth0", true, 20, 1, 0, 1}})
                 .get();
    ASSERT_TRUE(h.ok()) << h.error().message;
    auto cw = Casework::open({db_, std::chrono::seconds(5), std::chrono::hours(48), clock_.fn()});
    ASSERT_TRUE(cw.ok());
    evidence_incident_ =
        raw_int(db_, "SELECT incident_id FROM hits WHERE client_ip = '10.0.0.1' LIMIT 1");
    NewConcern nc;
    nc.summary = "Searches for attack planning";
    nc.incident_ids = {evidence_incident_};
    auto c = (*cw)->open_concern("dsl1", nc);
    ASSERT_TRUE(c.ok()) << c.error().message;
    concern_ = *c;
  }

  void expect_purged(const RetentionReport& r) {
    EXPECT_EQ(r.hits_deleted, 7 + 3);  // 410 and 200 days old
    EXPECT_EQ(r.hits_kept_as_evidence, 5);
    EXPECT_EQ(r.activity_deleted, 1);
    EXPECT_EQ(r.capture_health_deleted, 1);
    EXPECT_EQ(raw_int(db_, "SELECT ts_us FROM capture_health"), kNow - kDay);
    EXPECT_EQ(r.incidents_deleted, 2);
    EXPECT_EQ(r.hits_cutoff_us, detail::months_before(kNow, 6));
    EXPECT_EQ(r.activity_cutoff_us, kNow - 30 * kDay);
    EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM hits"), 5 + 2);
    EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM hits WHERE client_ip = '10.0.0.1'"), 5);
    EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM incidents"), 2);
    EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM incidents WHERE id = " +
                               std::to_string(evidence_incident_)),
              1);
    EXPECT_EQ(raw_text(db_, "SELECT name FROM activity"), "b.example");
    EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM concerns"), 1);
    EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM concern_events WHERE concern_id = " +
                               std::to_string(concern_)),
              2);
    // The hourly statistics were rolled up before the hits went.
    EXPECT_EQ(raw_int(db_, "SELECT sum(hits) FROM hourly_stats"), 17);
    EXPECT_THAT(raw_text(db_, "SELECT detail FROM audit_log WHERE action = 'retention.purge'"),
                HasSubstr("10 deleted, 5 kept as concern evidence"));
    auto v = verify_audit(db_);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->ok) << v->problem;
  }

  TempDir dir_;
  std::string db_ = dir_.file("vigil.db");
  FakeClock clock_;
  std::unique_ptr<Writer> writer_;
  std::int64_t evidence_incident_ = 0;
  std::int64_t concern_ = 0;
};

TEST_F(StoreRetention, TheWritersJobPurgesOldRecordsAndKeepsEvidence) {
  RetentionPolicy p;
  p.activity_days = 30;
  p.hits_months = 6;
  p.statistics_months = 0;
  p.delete_batch = 4;  // several transactions per class
  auto r = writer_->run_retention(p).get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  expect_purged(*r);
  // Appending still works after the job, and a second run finds nothing.
  ASSERT_TRUE(writer_->wait_acked(writer_->append(make_hit(kNow, "10.0.0.5")).ticket,
                                  std::chrono::seconds(5)));
  auto again = writer_->run_retention(p).get();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->hits_deleted, 0);
  EXPECT_EQ(again->hits_kept_as_evidence, 5);
}

TEST_F(StoreRetention, TheStandaloneJobDoesTheSameOnItsOwnConnection) {
  RetentionPolicy p;
  p.activity_days = 30;
  p.hits_months = 6;
  p.statistics_months = 0;
  p.delete_batch = 3;
  auto r = run_retention(db_, p, kNow);  // while the writer holds its own connection
  ASSERT_TRUE(r.ok()) << r.error().message;
  expect_purged(*r);
}

TEST_F(StoreRetention, ZeroKeepsAClassForever) {
  RetentionPolicy p;
  p.activity_days = 0;
  p.hits_months = 0;
  p.statistics_months = 0;
  auto r = writer_->run_retention(p).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hits_deleted, 0);
  EXPECT_EQ(r->activity_deleted, 0);
  EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM hits"), 17);
  p.hits_months = -1;
  EXPECT_EQ(writer_->run_retention(p).get().error().code, ErrorCode::Invalid);
}

TEST_F(StoreRetention, StatisticsHaveTheirOwnLongerRetention) {
  RetentionPolicy p;
  p.activity_days = 0;
  p.hits_months = 6;
  p.statistics_months = 12;  // the 400- and 410-day-old hours go, the 200-day one stays
  p.delete_batch = 1;
  auto r = writer_->run_retention(p).get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->statistics_deleted, 2);
  EXPECT_EQ(r->statistics_cutoff_us, detail::months_before(kNow, 12));
  EXPECT_EQ(raw_int(db_, "SELECT sum(hits) FROM hourly_stats"), 3 + 2);
  EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM hits"), 5 + 2);  // hits follow their own policy
}

}  // namespace
}  // namespace vigil::store
