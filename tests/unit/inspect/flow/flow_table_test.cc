#include "inspect/flow/flow_table.h"

#include <gtest/gtest.h>

#include <vector>

namespace vigil::inspect {
namespace {

struct State {
  int packets = 0;
};

IpAddress v4(std::uint8_t last) {
  std::uint8_t b[4] = {10, 0, 0, last};
  return IpAddress::from_v4(b);
}

FlowKey key(std::uint8_t a, std::uint16_t pa, std::uint8_t b, std::uint16_t pb,
            std::uint8_t proto = 6) {
  bool lo = false;
  return FlowKey::make(v4(a), pa, v4(b), pb, proto, lo);
}

TEST(FlowKey, BothDirectionsShareOneKeyAndHash) {
  bool a_lo = false;
  bool b_lo = false;
  FlowKey k1 = FlowKey::make(v4(1), 1234, v4(2), 80, 6, a_lo);
  FlowKey k2 = FlowKey::make(v4(2), 80, v4(1), 1234, 6, b_lo);
  EXPECT_EQ(k1, k2);
  EXPECT_EQ(k1.hash(), k2.hash());
  EXPECT_NE(a_lo, b_lo);
  EXPECT_NE(k1, key(1, 1235, 2, 80));
}

class FlowTableTest : public ::testing::Test {
 protected:
  FlowTable<State>::Limits limits() {
    FlowTable<State>::Limits l;
    l.max_flows = 3;
    l.tcp_idle_us = 10'000'000;
    l.udp_idle_us = 2'000'000;
    l.close_linger_us = 1'000'000;
    return l;
  }
  Counters counters;
  std::vector<std::pair<std::uint64_t, EvictReason>> evicted;
  FlowTable<State> table{limits(), counters};
  auto on_evict() {
    return [this](FlowTable<State>::Entry& e, EvictReason r) { evicted.emplace_back(e.id, r); };
  }
  FlowTable<State>::Entry& get(const FlowKey& k, std::uint64_t ts, bool& created) {
    return table.find_or_create(k, ts, created, on_evict());
  }
};

TEST_F(FlowTableTest, FindsTheSameFlowAgain) {
  bool created = false;
  auto& a = get(key(1, 1000, 2, 80), 1, created);
  EXPECT_TRUE(created);
  a.state.packets = 5;
  auto& b = get(key(2, 80, 1, 1000), 2, created);
  EXPECT_FALSE(created);
  EXPECT_EQ(b.state.packets, 5);
  EXPECT_EQ(table.size(), 1u);
}

TEST_F(FlowTableTest, FullTableEvictsLeastRecentlySeen) {
  bool created = false;
  auto first = get(key(1, 1, 2, 80), 1, created).id;
  get(key(1, 2, 2, 80), 2, created);
  get(key(1, 3, 2, 80), 3, created);
  get(key(1, 1, 2, 80), 4, created);  // touch the first again
  get(key(1, 4, 2, 80), 5, created);  // table full: flow 2 is the oldest
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_NE(evicted[0].first, first);
  EXPECT_EQ(evicted[0].second, EvictReason::Cap);
  EXPECT_EQ(counters.get(Counter::FlowsEvictedCap), 1u);
  EXPECT_EQ(table.size(), 3u);
}

TEST_F(FlowTableTest, IdleFlowsExpireByTransport) {
  bool created = false;
  get(key(1, 1, 2, 53, 17), 1'000'000, created);  // UDP, 2 s idle
  get(key(1, 2, 2, 80, 6), 1'000'000, created);   // TCP, 10 s idle
  table.expire(4'000'000, on_evict());
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0].second, EvictReason::Idle);
  table.expire(12'000'000, on_evict());
  EXPECT_EQ(evicted.size(), 2u);
  EXPECT_EQ(counters.get(Counter::FlowsEvictedIdle), 2u);
}

TEST_F(FlowTableTest, ClosedFlowsLeaveAfterTheLinger) {
  bool created = false;
  auto& f = get(key(1, 1, 2, 80), 1'000'000, created);
  table.mark_closed(f);
  table.expire(1'500'000, on_evict());
  EXPECT_TRUE(evicted.empty());
  table.expire(2'100'000, on_evict());
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0].second, EvictReason::Closed);
}

TEST_F(FlowTableTest, ClearEvictsEverythingAsShutdown) {
  bool created = false;
  get(key(1, 1, 2, 80), 1, created);
  get(key(1, 1, 2, 53, 17), 1, created);
  table.clear(on_evict());
  EXPECT_EQ(evicted.size(), 2u);
  EXPECT_EQ(table.size(), 0u);
  for (auto& [id, reason] : evicted) EXPECT_EQ(reason, EvictReason::Shutdown);
}

}  // namespace
}  // namespace vigil::inspect
