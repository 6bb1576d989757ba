// Incident queries: every filter against a brute-force reference, keyset
// and offset paging that cover the list exactly once, hits of an incident.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "store/casework.h"
#include "store/reader.h"
#include "store/report_queries.h"
#include "store/writer.h"
#include "tests/unit/store/store_test_util.h"

namespace vigil::store {
namespace {

using testing::kHour;
using testing::kMinute;
using testing::kNow;
using testing::make_hit;
using testing::raw_exec;
using testing::TempDir;

const std::vector<std::string> categories{"extremism", "gambling", "self_harm", "drugs"};
const std::vector<std::string> severities{"advisory", "caution", "danger"};

class StoreQuery : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    db_ = dir_->file("vigil.db");
    WriterOptions o;
    o.path = db_;
    o.incident_window = std::chrono::minutes(10);
    auto w = Writer::open(o);
    ASSERT_TRUE(w.ok()) << w.error().message;
    std::mt19937 rng(20260315);
    std::uint64_t t = 0;
    // 3000 hits over 40 devices, 8 of them attributed to people; gaps of
    // up to 30 minutes, so some continue an incident and some start one.
    std::vector<TimeUs> clock(40, kNow - 200 * kHour);
    for (int i = 0; i < 3000; ++i) {
      int dev = static_cast<int>(rng() % 40);
      clock[dev] += static_cast<TimeUs>(rng() % (30 * kMinute));
      HitRecord h =
          make_hit(clock[dev], "10.1.0." + std::to_string(dev),
                   categories[rng() % categories.size()], severities[rng() % severities.size()]);
      if (dev < 8) {
        h.person_ref = "P" + std::to_string(dev % 4);
        h.attribution_source = "csv";
        h.attribution_confidence = 1;
      }
      h.flow_id = static_cast<std::uint64_t>(i);
      t = (*w)->append(std::move(h)).ticket;
    }
    ASSERT_TRUE((*w)->wait_acked(t, std::chrono::seconds(60)));
    (*w)->stop();
    // Some triage, so status filters have something to find.
    ASSERT_EQ(raw_exec(db_,
                       "UPDATE incidents SET status = 'dismissed', dismiss_reason = 'fp' "
                       "WHERE id % 7 = 0"),
              SQLITE_OK);
  }
  static void TearDownTestSuite() { delete dir_; }

  void SetUp() override {
    auto r = Reader::open({db_});
    ASSERT_TRUE(r.ok()) << r.error().message;
    reader_ = std::move(*r);
    auto all = reader_->incidents({}, PageRequest{1000});
    ASSERT_TRUE(all.ok());
    all_ = all->items;
    for (auto next = all->next; next;) {
      PageRequest p{1000};
      p.after = next;
      auto more = reader_->incidents({}, p);
      ASSERT_TRUE(more.ok());
      all_.insert(all_.end(), more->items.begin(), more->items.end());
      next = more->next;
    }
  }

  std::vector<std::int64_t> keyset_ids(const IncidentFilter& f, std::size_t page_size) {
    std::vector<std::int64_t> ids;
    PageRequest p{page_size};
    for (int pages = 0; pages < 10'000; ++pages) {
      auto r = reader_->incidents(f, p);
      EXPECT_TRUE(r.ok()) << r.error().message;
      if (!r.ok()) break;
      EXPECT_LE(r->items.size(), page_size);
      for (const auto& i : r->items) ids.push_back(i.id);
      if (!r->next) break;
      p.after = r->next;
    }
    return ids;
  }

  static bool matches(const Incident& i, const IncidentFilter& f) {
    auto in = [](const std::vector<std::string>& v, const std::string& x) {
      return v.empty() || std::find(v.begin(), v.end(), x) != v.end();
    };
    if (!in(f.severities, i.highest_severity) || !in(f.categories, i.category)) return false;
    if (!f.statuses.empty() &&
        std::find(f.statuses.begin(), f.statuses.end(), i.status) == f.statuses.end()) {
      return false;
    }
    if (f.person_id && i.person_id != *f.person_id) return false;
    if (f.device_id && i.device_id != *f.device_id) return false;
    if (f.from_us && i.last_us < *f.from_us) return false;
    if (f.to_us && i.first_us >= *f.to_us) return false;
    return true;
  }

  static TempDir* dir_;
  static std::string db_;
  std::unique_ptr<Reader> reader_;
  std::vector<Incident> all_;
};

TempDir* StoreQuery::dir_ = nullptr;
std::string StoreQuery::db_;

// The capture-health arithmetic on a hand-worked case (the monthly report's
// figure test checks it against SQL on a month of samples).
TEST(CaptureHealthTally, RestartsAddNothingAndGapsCountAsDown) {
  const TimeUs m = kMinute;
  CaptureHealthTally t({0, 10 * m});
  t.add({0, "eth0", true, 100, 0, 0, 1});
  t.add({m, "eth0", true, 200, 5, 1, 1});
  t.add({2 * m, "eth0", true, 50, 0, 0, 1});  // vigild restarted: a new run
  t.add({3 * m, "eth0", true, 150, 1, 0, 1});
  t.add({8 * m, "eth0", true, 250, 1, 0, 1});   // after a 5-minute gap
  t.add({10 * m, "eth0", true, 999, 9, 9, 1});  // outside the range: ignored
  const CaptureHealthSummary s = t.finish();
  EXPECT_EQ(s.samples, 5);
  EXPECT_EQ(s.sample_times, 5);
  EXPECT_EQ(s.runs, 2);
  EXPECT_EQ(s.frames, 100 + 100 + 100);
  EXPECT_EQ(s.kernel_drops, 5 + 1);
  EXPECT_EQ(s.queue_drops, 1);
  // 0-4 min up (the sample before the gap covers one minute), 8-9 min up.
  EXPECT_EQ(s.up_us, 5 * m);
  EXPECT_EQ(s.longest_outage_from_us, 4 * m);
  EXPECT_EQ(s.longest_outage_to_us, 8 * m);
}

TEST(CaptureHealthTally, AStoppedInterfaceMakesItsSampleTimeDown) {
  const TimeUs m = kMinute;
  CaptureHealthTally t({0, 4 * m});
  for (int i = 0; i < 4; ++i) {
    t.add({i * m, "eth0", true, 10 * i, 0, 0, 1});
    t.add({i * m, "eth1", i != 1, 10 * i, 0, 0, 1});
  }
  const CaptureHealthSummary s = t.finish();
  EXPECT_EQ(s.sample_times, 4);
  EXPECT_EQ(s.runs, 2);
  EXPECT_EQ(s.frames, 60);
  EXPECT_EQ(s.up_us, 3 * m);
  EXPECT_EQ(s.longest_outage_from_us, m);
  EXPECT_EQ(s.longest_outage_to_us, 2 * m);
  // No samples: the whole range is one outage.
  CaptureHealthTally none({0, 4 * m});
  const CaptureHealthSummary n = none.finish();
  EXPECT_EQ(n.up_us, 0);
  EXPECT_EQ(n.longest_outage_to_us - n.longest_outage_from_us, 4 * m);
}

TEST_F(StoreQuery, TheFullListIsNewestFirstAndAccountsForEveryHit) {
  ASSERT_GT(all_.size(), 300U);
  std::int64_t hits = 0;
  for (std::size_t i = 0; i < all_.size(); ++i) {
    hits += all_[i].hit_count;
    if (i > 0) {
      EXPECT_TRUE(all_[i - 1].last_us > all_[i].last_us ||
                  (all_[i - 1].last_us == all_[i].last_us && all_[i - 1].id > all_[i].id));
    }
  }
  EXPECT_EQ(hits, 3000);
  EXPECT_EQ(*reader_->count_incidents({}), static_cast<std::int64_t>(all_.size()));
}

TEST_F(StoreQuery, EveryFilterMatchesABruteForceReference) {
  std::vector<IncidentFilter> filters(10);
  filters[0].severities = {"danger"};
  filters[1].categories = {"gambling", "drugs"};
  filters[2].statuses = {IncidentStatus::Dismissed};
  filters[3].person_id = all_[0].person_id != 0 ? all_[0].person_id : 1;
  filters[4].device_id = all_.back().device_id;
  filters[5].from_us = kNow - 150 * kHour;
  filters[5].to_us = kNow - 100 * kHour;
  filters[6].severities = {"caution", "danger"};
  filters[6].categories = {"extremism"};
  filters[6].statuses = {IncidentStatus::New};
  filters[7].person_id = 999'999;  // nobody
  filters[8].categories = {"no_such_category"};
  filters[9].device_id = all_[3].device_id;
  filters[9].severities = {"advisory"};
  filters[9].from_us = kNow - 180 * kHour;
  for (std::size_t n = 0; n < filters.size(); ++n) {
    SCOPED_TRACE("filter " + std::to_string(n));
    std::vector<std::int64_t> want;
    for (const auto& i : all_) {
      if (matches(i, filters[n])) want.push_back(i.id);
    }
    EXPECT_EQ(keyset_ids(filters[n], 17), want);
    EXPECT_EQ(*reader_->count_incidents(filters[n]), static_cast<std::int64_t>(want.size()));
  }
  EXPECT_FALSE(keyset_ids(filters[0], 50).empty());
}

TEST_F(StoreQuery, KeysetAndOffsetPagesCoverTheListOnce) {
  std::vector<std::int64_t> want;
  for (const auto& i : all_) want.push_back(i.id);
  for (std::size_t size : {1UL, 7UL, 50UL, 333UL}) {
    SCOPED_TRACE(size);
    auto ids = keyset_ids({}, size);
    EXPECT_EQ(ids, want);
    EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), ids.size());
  }
  std::vector<std::int64_t> by_offset;
  for (std::size_t off = 0; off < all_.size(); off += 40) {
    PageRequest p{40};
    p.offset = off;
    auto r = reader_->incidents({}, p);
    ASSERT_TRUE(r.ok());
    for (const auto& i : r->items) by_offset.push_back(i.id);
  }
  EXPECT_EQ(by_offset, want);
}

TEST_F(StoreQuery, PageLimitsAreBounded) {
  EXPECT_EQ(reader_->incidents({}, PageRequest{0}).error().code, ErrorCode::Invalid);
  EXPECT_EQ(reader_->incidents({}, PageRequest{1001}).error().code, ErrorCode::Invalid);
  IncidentFilter f;
  f.categories.assign(33, "x");
  EXPECT_EQ(reader_->incidents(f, PageRequest{10}).error().code, ErrorCode::Invalid);
  EXPECT_EQ(reader_->incident_hits(1, 0, 0).error().code, ErrorCode::Invalid);
}

TEST_F(StoreQuery, HitsOfAnIncidentComeInTimeOrderAndPage) {
  auto biggest = *std::max_element(all_.begin(), all_.end(), [](const auto& a, const auto& b) {
    return a.hit_count < b.hit_count;
  });
  ASSERT_GE(biggest.hit_count, 3);
  auto hits = reader_->incident_hits(biggest.id, 0, 10'000);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(static_cast<std::int64_t>(hits->size()), biggest.hit_count);
  for (std::size_t i = 1; i < hits->size(); ++i) EXPECT_LE((*hits)[i - 1].ts_us, (*hits)[i].ts_us);
  EXPECT_EQ(hits->front().ts_us, biggest.first_us);
  EXPECT_EQ(hits->back().ts_us, biggest.last_us);
  std::vector<std::int64_t> paged;
  std::int64_t after = 0;
  for (;;) {
    auto page = reader_->incident_hits(biggest.id, after, 2);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    for (const auto& h : *page) paged.push_back(h.id);
    after = page->back().id;
  }
  std::vector<std::int64_t> want;
  for (const auto& h : *hits) want.push_back(h.id);
  EXPECT_EQ(paged, want);
}

}  // namespace
}  // namespace vigil::store
