#include "daemon/pipeline/packet_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace vigil::daemon {
namespace {

inspect::Bytes bytes(const std::string& s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

std::vector<std::string> drain(PacketRing& ring, std::vector<std::uint64_t>* ts = nullptr) {
  std::vector<std::string> out;
  while (ring.pop(
             [&](std::uint32_t, std::uint64_t t, inspect::Bytes f) {
               out.emplace_back(reinterpret_cast<const char*>(f.data()), f.size());
               if (ts != nullptr) ts->push_back(t);
             },
             1000) > 0) {
  }
  return out;
}

TEST(PacketRing, FramesComeOutInOrderWithTheirTimes) {
  PacketRing ring(64 * 1024);
  ASSERT_TRUE(ring.try_push(1, 10, bytes("first")));
  ASSERT_TRUE(ring.try_push(1, 20, bytes("")));
  ASSERT_TRUE(ring.try_push(1, 30, bytes("third frame")));
  std::vector<std::uint64_t> ts;
  EXPECT_EQ(drain(ring, &ts), (std::vector<std::string>{"first", "", "third frame"}));
  EXPECT_EQ(ts, (std::vector<std::uint64_t>{10, 20, 30}));
}

TEST(PacketRing, AFullRingRefusesAndRecoversAfterPop) {
  PacketRing ring(64 * 1024);
  const std::string frame(1000, 'x');
  std::size_t accepted = 0;
  while (ring.try_push(1, 0, bytes(frame))) ++accepted;
  EXPECT_GT(accepted, 50U);
  EXPECT_LE(accepted * 1000, ring.capacity());
  EXPECT_EQ(drain(ring).size(), accepted);
  EXPECT_TRUE(ring.try_push(1, 0, bytes(frame)));
}

TEST(PacketRing, AFrameLargerThanAQuarterIsRefused) {
  PacketRing ring(64 * 1024);
  EXPECT_FALSE(ring.try_push(1, 0, bytes(std::string(20000, 'x'))));
  EXPECT_TRUE(ring.try_push(1, 0, bytes(std::string(10000, 'x'))));
}

TEST(PacketRing, WrapsAroundWithFramesOfEverySize) {
  PacketRing ring(64 * 1024);
  std::vector<std::string> sent;
  std::vector<std::string> got;
  for (int round = 0; round < 200; ++round) {
    for (int k = 0; k < 7; ++k) {
      std::string f(static_cast<std::size_t>((round * 131 + k * 977) % 9000),
                    static_cast<char>('a' + (round + k) % 26));
      if (!ring.try_push(1, static_cast<std::uint64_t>(round), bytes(f))) break;
      sent.push_back(f);
    }
    for (auto& f : drain(ring)) got.push_back(std::move(f));
  }
  EXPECT_EQ(got, sent);
}

TEST(PacketRing, ProducerAndConsumerThreadsLoseNothingWhenWaiting) {
  PacketRing ring(64 * 1024);
  constexpr std::uint64_t kFrames = 200000;
  std::atomic<bool> refused{false};
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < kFrames; ++i) {
      std::string f(static_cast<std::size_t>(i % 1500), static_cast<char>(i % 251));
      if (!ring.push_wait(1, i, bytes(f))) {
        refused = true;  // reported below: a failed ASSERT here would hang the consumer
        break;
      }
    }
    ring.close();
  });
  std::uint64_t expect = 0;
  bool in_order = true;
  while (!ring.closed_and_empty()) {
    const std::size_t n = ring.pop(
        [&](std::uint32_t, std::uint64_t ts, inspect::Bytes f) {
          in_order = in_order && ts == expect && f.size() == expect % 1500 &&
                     (f.empty() || f[0] == static_cast<unsigned char>(expect % 251));
          ++expect;
        },
        256);
    if (n == 0) ring.wait(std::chrono::milliseconds(10));
  }
  producer.join();
  EXPECT_FALSE(refused.load());
  EXPECT_EQ(expect, kFrames);
  EXPECT_TRUE(in_order);
}

TEST(PacketRing, CloseEndsAWaitingProducer) {
  PacketRing ring(64 * 1024);
  const std::string frame(8000, 'x');
  while (ring.try_push(1, 0, bytes(frame))) {
  }
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ring.close();
  });
  EXPECT_FALSE(ring.push_wait(1, 0, bytes(frame)));
  closer.join();
}

}  // namespace
}  // namespace vigil::daemon
