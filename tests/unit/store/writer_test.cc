// The writer: acknowledgement after commit, batching, grouping into
// incidents, bounds, the spool's exact counting, activity privacy.

#include "store/writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <mutex>
#include <thread>
#include <vector>

#include "store/casework.h"
#include "store/maintenance.h"
#include "store/reader.h"
#include "tests/unit/store/store_test_util.h"

namespace vigil::store {
namespace {

using testing::FakeClock;
using testing::kHour;
using testing::kMinute;
using testing::kNow;
using testing::make_hit;
using testing::raw_int;
using testing::raw_text;
using testing::TempDir;

class StoreWriter : public ::testing::Test {
 protected:
  std::unique_ptr<Writer> open(WriterOptions o = {}, AckCallback cb = {}) {
    if (o.path.empty()) o.path = db_;
    if (!o.clock) o.clock = clock_.fn();
    auto w = Writer::open(std::move(o), std::move(cb));
    EXPECT_TRUE(w.ok()) << w.error().message;
    return w.ok() ? std::move(*w) : nullptr;
  }
  std::unique_ptr<Reader> reader() {
    auto r = Reader::open({db_});
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(*r) : nullptr;
  }
  TempDir dir_;
  std::string db_ = dir_.file("vigil.db");
  FakeClock clock_;
};

TEST_F(StoreWriter, AHitIsStoredExactlyAsGivenAndAcknowledgedAfterCommit) {
  auto w = open();
  HitRecord h = make_hit(kNow, "10.0.0.5");
  // Attacker-chosen text travels as bound parameters, byte for byte.
  h.value = std::string("x'); DROP TABLE hits; --\0\xe2\x82\xac", 28);
  h.search_term = "how to \"make\" things";
  h.device_mac = "AA:BB:CC:00:11:22";
  h.hostname = "lab-pc-7";
  h.person_ref = "L1001";
  h.attribution_source = "dhcp_lease";
  h.attribution_confidence = 0.75;
  h.flow_id = 0xfedcba9876543210ULL;  // above INT64_MAX: kept bit for bit
  h.statutory = true;
  h.weight = 7;
  const std::string value = h.value;
  AppendResult r = w->append(std::move(h));
  ASSERT_EQ(r.status, AppendStatus::Accepted);
  EXPECT_EQ(r.ticket, 1U);
  ASSERT_TRUE(w->wait_acked(r.ticket, std::chrono::seconds(10)));
  auto rd = reader();
  ASSERT_EQ(*rd->count_hits(), 1);
  auto stored = rd->hit(1);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const StoredHit& s = **stored;
  EXPECT_EQ(s.value, value);
  EXPECT_EQ(s.value.size(), 28U);
  EXPECT_EQ(s.value[24], '\0');
  EXPECT_EQ(s.search_term, "how to \"make\" things");
  EXPECT_EQ(s.flow_id, 0xfedcba9876543210ULL);
  EXPECT_TRUE(s.statutory);
  EXPECT_EQ(s.weight, 7);
  EXPECT_DOUBLE_EQ(s.attribution_confidence, 0.75);
  EXPECT_NE(s.person_id, 0);
  EXPECT_NE(s.incident_id, 0);
  auto dev = rd->device(s.device_id);
  ASSERT_TRUE(dev.ok() && dev->has_value());
  EXPECT_EQ((*dev)->mac, "AA:BB:CC:00:11:22");
  EXPECT_EQ((*dev)->hostname, "lab-pc-7");
  auto person = rd->person(s.person_id);
  ASSERT_TRUE(person.ok() && person->has_value());
  EXPECT_EQ((*person)->reference, "L1001");
  EXPECT_EQ((*person)->kind, "unknown");  // attributed before any import
  auto attr = rd->attributions_of_device(s.device_id);
  ASSERT_EQ(attr->size(), 1U);
  EXPECT_EQ((*attr)[0].source, "dhcp_lease");
  EXPECT_EQ(w->stats().committed, 1U);
  EXPECT_EQ(w->stats().acked_ticket, 1U);
}

TEST_F(StoreWriter, AcksArriveInTicketOrderWithTheirRowIds) {
  std::mutex mu;
  std::vector<Ack> acks;
  WriterOptions o;
  o.batch_max = 64;
  auto w = open(o, [&](std::span<const Ack> batch) {
    std::lock_guard<std::mutex> lk(mu);
    acks.insert(acks.end(), batch.begin(), batch.end());
  });
  const int n = 1000;
  for (int i = 0; i < n; ++i) {
    HitRecord h = make_hit(kNow + i, "10.0.0." + std::to_string(i % 50));
    h.flow_id = static_cast<std::uint64_t>(i) + 1;
    ASSERT_EQ(w->append(std::move(h)).status, AppendStatus::Accepted);
  }
  ASSERT_TRUE(w->wait_acked(n, std::chrono::seconds(30)));
  w->stop();
  std::lock_guard<std::mutex> lk(mu);
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(acks[i].ticket, static_cast<std::uint64_t>(i) + 1);
    // Each acknowledged id holds the hit with that ticket's flow reference.
    EXPECT_EQ(raw_int(db_, "SELECT flow_id FROM hits WHERE id = " + std::to_string(acks[i].hit_id)),
              i + 1);
  }
  EXPECT_GE(w->stats().batches, static_cast<std::uint64_t>(n / 64));
}

TEST_F(StoreWriter, BatchesCloseByCountAndByTime) {
  WriterOptions o;
  o.batch_max = 100;
  o.batch_delay = std::chrono::milliseconds(60'000);  // only the count closes a batch here
  auto w = open(o);
  for (int i = 0; i < 250; ++i)
    ASSERT_EQ(w->append(make_hit(kNow + i, "10.0.0.1")).status, AppendStatus::Accepted);
  ASSERT_TRUE(w->wait_acked(200, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(w->acked_ticket(), 200U);  // the last 50 wait for their batch to fill
  w->stop();                           // ... or for stop, which commits them
  EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM hits"), 250);

  WriterOptions t;
  t.path = dir_.file("time.db");
  t.batch_max = 10'000;
  t.batch_delay = std::chrono::milliseconds(500);
  auto w2 = open(t);
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(w2->append(make_hit(kNow + i, "10.0.0.1")).status, AppendStatus::Accepted);
  ASSERT_TRUE(w2->wait_acked(5, std::chrono::seconds(5)));  // closed by time
  EXPECT_EQ(w2->stats().batches, 1U);
}

TEST_F(StoreWriter, HitsGroupIntoIncidentsPerPersonOrDeviceAndCategory) {
  WriterOptions o;
  o.incident_window = std::chrono::minutes(30);
  auto w = open(o);
  auto add = [&](TimeUs ts, const std::string& ip, const std::string& cat, const std::string& sev,
                 const std::string& person = "", bool allowed = false, int weight = 0) {
    HitRecord h = make_hit(ts, ip, cat, sev);
    h.person_ref = person;
    h.attribution_source = person.empty() ? "" : "csv";
    h.attribution_confidence = person.empty() ? 0 : 1;
    h.allowed = allowed;
    h.weight = weight;
    return w->append(std::move(h)).ticket;
  };
  add(kNow, "10.0.0.1", "gambling", "advisory");                   // A
  add(kNow + 5 * kMinute, "10.0.0.1", "gambling", "caution");      // A (within 30 min)
  add(kNow + 6 * kMinute, "10.0.0.1", "extremism", "danger");      // B: other category
  add(kNow + 50 * kMinute, "10.0.0.1", "gambling", "advisory");    // C: 45 min gap
  add(kNow, "10.0.0.2", "gambling", "advisory");                   // D: other device
  add(kNow, "10.0.0.3", "self_harm", "caution", "L1", false, 12);  // E: person L1
  add(kNow + kMinute, "10.0.0.4", "self_harm", "danger", "L1");    // E: same person, other device
  std::uint64_t last = add(kNow, "10.0.0.5", "gambling", "advisory", "", true);  // allowed: none
  ASSERT_TRUE(w->wait_acked(last, std::chrono::seconds(10)));
  w->stop();
  auto rd = reader();
  IncidentFilter all;
  auto page = rd->incidents(all, PageRequest{100});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 5U);
  EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM hits WHERE incident_id IS NULL"), 1);
  // A: two hits, scores 1 + 5, highest caution.
  auto a = rd->incident(raw_int(db_, "SELECT incident_id FROM hits WHERE id = 1"));
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->hit_count, 2);
  EXPECT_EQ((*a)->score, 6);
  EXPECT_EQ((*a)->highest_severity, "caution");
  EXPECT_EQ((*a)->first_us, kNow);
  EXPECT_EQ((*a)->last_us, kNow + 5 * kMinute);
  EXPECT_NE(raw_int(db_, "SELECT incident_id FROM hits WHERE id = 4"), (*a)->id);
  // E: grouped by the person across two devices: weight 12 + danger's 20.
  auto e = rd->incident(raw_int(db_, "SELECT incident_id FROM hits WHERE id = 6"));
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->person_ref, "L1");
  EXPECT_EQ((*e)->hit_count, 2);
  EXPECT_EQ((*e)->score, 32);
  EXPECT_EQ((*e)->highest_severity, "danger");
  EXPECT_EQ(raw_int(db_, "SELECT incident_id FROM hits WHERE id = 7"), (*e)->id);
}

TEST_F(StoreWriter, ADismissedIncidentTakesNoMoreHits) {
  auto w = open();
  ASSERT_TRUE(w->wait_acked(w->append(make_hit(kNow, "10.0.0.1")).ticket, std::chrono::seconds(5)));
  const std::int64_t first = raw_int(db_, "SELECT incident_id FROM hits WHERE id = 1");
  {
    auto cw = Casework::open({db_});
    ASSERT_TRUE(cw.ok());
    ASSERT_TRUE((*cw)->dismiss_incident("dsl1", first, "school project on radicalisation").ok());
  }
  ASSERT_TRUE(w->wait_acked(w->append(make_hit(kNow + kMinute, "10.0.0.1")).ticket,
                            std::chrono::seconds(5)));
  const std::int64_t second = raw_int(db_, "SELECT incident_id FROM hits WHERE id = 2");
  EXPECT_NE(first, second);
  EXPECT_EQ(raw_int(db_, "SELECT hit_count FROM incidents WHERE id = " + std::to_string(first)), 1);
}

TEST_F(StoreWriter, MalformedHitsAreRefusedAndCounted) {
  auto w = open();
  std::vector<HitRecord> bad(7, make_hit(kNow, "10.0.0.1"));
  bad[0].severity = "severe";
  bad[1].client_ip = "";
  bad[2].category = "Gambling";  // not the snake_case name
  bad[3].attribution_confidence = std::nan("");
  bad[4].ts_us = 0;
  bad[5].kind = std::string(40, 'a');
  bad[6].client_ip = std::string(100, '1');
  for (auto& h : bad) EXPECT_EQ(w->append(std::move(h)).status, AppendStatus::Invalid);
  EXPECT_EQ(w->stats().invalid, 7U);
  EXPECT_EQ(w->stats().accepted, 0U);
}

TEST_F(StoreWriter, OverlongTextIsCutAtACharacterBoundaryAndCounted) {
  auto w = open();
  HitRecord h = make_hit(kNow, "10.0.0.1");
  std::string euro = "\xe2\x82\xac";  // three bytes
  h.value.clear();
  for (int i = 0; i < 2000; ++i) h.value += euro;
  h.hostname = std::string(300, 'h');
  ASSERT_TRUE(w->wait_acked(w->append(std::move(h)).ticket, std::chrono::seconds(5)));
  EXPECT_EQ(raw_int(db_, "SELECT length(CAST(value AS BLOB)) FROM hits"),
            4095);  // 1365 whole euros
  EXPECT_EQ(raw_int(db_, "SELECT length(hostname) FROM devices"), 255);
  EXPECT_EQ(w->stats().fields_truncated, 2U);
}

TEST_F(StoreWriter, TheSpoolIsBoundedAndCountsEveryDropExactly) {
  ASSERT_TRUE(init_store(db_).ok());
  // Another connection holds the write lock: nothing can commit.
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &blocker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  WriterOptions o;
  o.spool_capacity = 10;
  o.batch_delay = std::chrono::milliseconds(1);
  o.busy_timeout = std::chrono::milliseconds(10);
  o.retry_min = std::chrono::milliseconds(5);
  o.retry_max = std::chrono::milliseconds(20);
  auto w = open(o);
  int accepted = 0;
  int dropped = 0;
  for (int i = 0; i < 25; ++i) {
    AppendResult r = w->append(make_hit(kNow + i, "10.0.0.1"));
    if (r.status == AppendStatus::Accepted) ++accepted;
    if (r.status == AppendStatus::DroppedOverBound) ++dropped;
  }
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(dropped, 15);
  for (int i = 0; i < 500 && w->stats().retries < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  WriterStats s = w->stats();
  EXPECT_EQ(s.alarm, Alarm::Busy);
  EXPECT_EQ(s.dropped_over_bound, 15U);
  EXPECT_EQ(s.spool_depth, 10U);
  EXPECT_EQ(s.committed, 0U);
  EXPECT_GT(s.retries, 0U);
  EXPECT_EQ(w->acked_ticket(), 0U);
  ASSERT_EQ(sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(blocker);
  ASSERT_TRUE(w->wait_acked(10, std::chrono::seconds(10)));
  s = w->stats();
  EXPECT_EQ(s.alarm, Alarm::None);
  EXPECT_EQ(s.committed, 10U);
  EXPECT_EQ(s.spool_depth, 0U);
  EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM hits"), 10);
}

TEST_F(StoreWriter, ActivityIsBucketedPerMinuteWithItsPrivacyLevel) {
  struct Case {
    ActivityPrivacy privacy;
    const char* name_seen;
    bool device_kept;
  };
  const Case cases[] = {{ActivityPrivacy::Full, "example.org", true},
                        {ActivityPrivacy::HideNames, "", true},
                        {ActivityPrivacy::HideClients, "example.org", false}};
  for (const Case& c : cases) {
    const std::string privacy(activity_privacy_name(c.privacy));
    const std::string db = dir_.file(privacy + ".db");
    WriterOptions o;
    o.path = db;
    o.activity_privacy = c.privacy;
    o.activity_flush = std::chrono::milliseconds(10);
    auto w = open(o);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(
          w->record_activity({kNow + TimeUs{i} * 1'000'000, "10.0.0.8", "", "dns", "example.org"}));
    }
    ASSERT_TRUE(w->record_activity({kNow + 2 * kMinute, "10.0.0.8", "", "dns", "example.org"}));
    w->stop();
    SCOPED_TRACE(privacy);
    EXPECT_EQ(raw_int(db, "SELECT count(*) FROM activity"), 2);
    EXPECT_EQ(raw_int(db, "SELECT count FROM activity ORDER BY minute LIMIT 1"), 5);
    EXPECT_EQ(raw_text(db, "SELECT group_concat(DISTINCT name) FROM activity"), c.name_seen);
    EXPECT_EQ(raw_text(db, "SELECT group_concat(DISTINCT privacy) FROM activity"), privacy);
    EXPECT_EQ(raw_int(db, "SELECT count(*) FROM activity WHERE device_id <> 0") > 0, c.device_kept);
    EXPECT_EQ(raw_int(db, "SELECT count(*) FROM devices") > 0, c.device_kept);
  }
}

TEST_F(StoreWriter, PeopleAndRuleSetsGoThroughTheWriterThread) {
  auto w = open();
  PersonRecord p;
  p.reference = "L2002";
  p.display_name = "Alex";
  p.cohort = "2026-B";
  p.under_18 = true;
  auto id = w->upsert_person(p).get();
  ASSERT_TRUE(id.ok()) << id.error().message;
  p.display_name = "Alex B";
  EXPECT_EQ(*w->upsert_person(p).get(), *id);  // same reference, same row
  p.kind = "pupil";
  EXPECT_EQ(w->upsert_person(p).get().error().code, ErrorCode::Invalid);
  RuleSetRecord rs{0, "sha256:0123", "/etc/vigil/rules", 12, 48'000, "vigild (SIGHUP)"};
  auto rid = w->record_rule_set(rs).get();
  ASSERT_TRUE(rid.ok()) << rid.error().message;
  w->stop();
  EXPECT_EQ(raw_text(db_, "SELECT display_name FROM people WHERE reference = 'L2002'"), "Alex B");
  EXPECT_EQ(raw_int(db_, "SELECT entries FROM rule_sets"), 48'000);
  EXPECT_EQ(raw_text(db_, "SELECT action FROM audit_log"), "rules.loaded");
  EXPECT_EQ(raw_int(db_, "SELECT loaded_us FROM rule_sets"), kNow);  // the injected clock
}

TEST_F(StoreWriter, CaptureHealthSamplesAreWrittenOnTheWriterThread) {
  auto w = open();
  auto f = w->record_capture_health(
      {{kNow, "eth0", true, 1000, 3, 2, 7}, {kNow, "eth1", false, 0, 0, 0, 7}});
  // Hits keep flowing while the sample waits its turn.
  std::uint64_t t = w->append(make_hit(kNow, "10.0.0.1")).ticket;
  auto n = f.get();
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 2);
  ASSERT_TRUE(w->wait_acked(t, std::chrono::seconds(5)));
  // A sample that breaks a rule writes nothing of its set.
  auto bad = w->record_capture_health({{kNow + kMinute, "eth0", true, 1100, 3, 2, 7},
                                       {kNow + kMinute, "", true, 1, 0, 0, 7}})
                 .get();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::Invalid);
  w->stop();
  EXPECT_EQ(raw_text(db_,
                     "SELECT group_concat(interface || ':' || running || ':' || frames || ':' || "
                     "kernel_drops || ':' || queue_drops || ':' || rules_generation, ',') FROM "
                     "(SELECT * FROM capture_health ORDER BY interface)"),
            "eth0:1:1000:3:2:7,eth1:0:0:0:0:7");
  EXPECT_EQ(
      raw_int(db_, "SELECT count(*) FROM capture_health WHERE ts_us = " + std::to_string(kNow)), 2);
  // After stop() the writer refuses rather than blocks.
  EXPECT_EQ(w->record_capture_health({{kNow, "eth0", true, 1, 0, 0, 1}}).get().error().code,
            ErrorCode::Stopped);
}

TEST_F(StoreWriter, StatisticsRollUpPerHourAndCatchLateHits) {
  auto w = open();
  for (int i = 0; i < 4; ++i) w->append(make_hit(kNow + i * kMinute, "10.0.0.1"));
  std::uint64_t t = w->append(make_hit(kNow + kHour, "10.0.0.2", "gambling", "advisory")).ticket;
  ASSERT_TRUE(w->wait_acked(t, std::chrono::seconds(5)));
  auto hours = w->rollup_statistics().get();
  ASSERT_TRUE(hours.ok()) << hours.error().message;
  EXPECT_EQ(*hours, 2);
  // A hit arriving late for the first hour is counted on the next rollup.
  t = w->append(make_hit(kNow + 30 * kMinute, "10.0.0.3")).ticket;
  ASSERT_TRUE(w->wait_acked(t, std::chrono::seconds(5)));
  EXPECT_EQ(*w->rollup_statistics().get(), 1);
  EXPECT_EQ(*w->rollup_statistics().get(), 0);  // nothing new
  w->stop();
  auto rd = reader();
  auto stats = rd->hourly_stats(kNow - kHour, kNow + 2 * kHour);
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->size(), 2U);
  EXPECT_EQ((*stats)[0].category, "extremism");
  EXPECT_EQ((*stats)[0].hits, 5);
  EXPECT_EQ((*stats)[0].devices, 2);
  EXPECT_EQ((*stats)[1].category, "gambling");
  EXPECT_EQ((*stats)[1].hits, 1);
}

TEST_F(StoreWriter, StopCommitsWhatIsQueuedAndRefusesMore) {
  WriterOptions o;
  o.batch_delay = std::chrono::milliseconds(60'000);
  auto w = open(o);
  for (int i = 0; i < 30; ++i)
    ASSERT_EQ(w->append(make_hit(kNow + i, "10.0.0.1")).status, AppendStatus::Accepted);
  w->stop();
  EXPECT_EQ(w->acked_ticket(), 30U);
  EXPECT_EQ(w->stats().lost_at_stop, 0U);
  EXPECT_EQ(w->append(make_hit(kNow, "10.0.0.1")).status, AppendStatus::Stopped);
  EXPECT_EQ(w->upsert_person(PersonRecord{"L1", "", "learner", "", "", false}).get().error().code,
            ErrorCode::Stopped);
  EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM hits"), 30);
}

TEST_F(StoreWriter, ManyProducersLoseNothing) {
  WriterOptions o;
  o.batch_max = 500;
  o.spool_capacity = 100'000;
  auto w = open(o);
  constexpr int kThreads = 4;
  constexpr int kEach = 2500;
  std::vector<std::thread> producers;
  std::atomic<int> accepted{0};
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        HitRecord h =
            make_hit(kNow + i, "10.0." + std::to_string(t) + "." + std::to_string(i % 200));
        h.flow_id = static_cast<std::uint64_t>(t) * 1'000'000 + static_cast<std::uint64_t>(i);
        if (w->append(std::move(h)).status == AppendStatus::Accepted) ++accepted;
      }
    });
  }
  for (auto& p : producers) p.join();
  ASSERT_EQ(accepted.load(), kThreads * kEach);
  ASSERT_TRUE(w->wait_acked(std::uint64_t{kThreads} * kEach, std::chrono::seconds(60)));
  w->stop();
  EXPECT_EQ(raw_int(db_, "SELECT count(DISTINCT flow_id) FROM hits"), kThreads * kEach);
  EXPECT_EQ(raw_int(db_, "SELECT sum(hit_count) FROM incidents"), kThreads * kEach);
  EXPECT_EQ(raw_int(db_, "SELECT count(*) FROM devices"), kThreads * 200);
}

}  // namespace
}  // namespace vigil::store
