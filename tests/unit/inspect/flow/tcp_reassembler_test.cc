#include "inspect/flow/tcp_reassembler.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::inspect {
namespace {

struct Collect final : TcpStreamConsumer {
  void on_stream_data(Bytes data, bool gap_before) noexcept override {
    if (gap_before) text += "|GAP|";
    text.append(reinterpret_cast<const char*>(data.data()), data.size());
    ++chunks;
  }
  std::string text;
  int chunks = 0;
};

Bytes b(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

class TcpReassemblerTest : public ::testing::Test {
 protected:
  void seg(std::uint32_t seq, const std::string& s, std::uint8_t flags = TcpReassembler::kAck) {
    r.on_segment(seq, flags, b(s), counters, out);
  }
  TcpReassembler r;
  Counters counters;
  Collect out;
};

TEST_F(TcpReassemblerTest, InOrderAfterSyn) {
  seg(100, "", TcpReassembler::kSyn);
  seg(101, "hello ");
  seg(107, "world");
  EXPECT_EQ(out.text, "hello world");
  EXPECT_EQ(r.delivered_bytes(), 11u);
}

TEST_F(TcpReassemblerTest, OutOfOrderSegmentsAreHeldUntilTheHoleFills) {
  seg(100, "", TcpReassembler::kSyn);
  seg(111, "third");
  seg(106, "2nd__");
  EXPECT_EQ(out.text, "");
  seg(101, "first");
  EXPECT_EQ(out.text, "first2nd__third");
  EXPECT_EQ(counters.get(Counter::TcpOutOfOrder), 2u);
  EXPECT_EQ(r.held_bytes(), 0u);
}

TEST_F(TcpReassemblerTest, RetransmissionsAreTrimmedFirstCopyWins) {
  seg(1, "abcdef");
  seg(1, "abcdef");  // exact repeat
  seg(4, "XYZghi");  // overlaps "def": only "ghi" is new
  EXPECT_EQ(out.text, "abcdefghi");
  EXPECT_EQ(counters.get(Counter::TcpRetransmission), 2u);
}

TEST_F(TcpReassemblerTest, OverlappingHeldSegmentsDeliverEachByteOnce) {
  seg(100, "", TcpReassembler::kSyn);
  seg(104, "defg");
  seg(103, "cdef");
  seg(101, "ab");
  EXPECT_EQ(out.text, "abcdefg");
}

TEST_F(TcpReassemblerTest, SequenceNumbersWrapAround) {
  seg(0xfffffffd, "", TcpReassembler::kSyn);
  seg(0xfffffffe, "ab");
  seg(0x00000000, "cd");
  EXPECT_EQ(out.text, "abcd");
}

TEST_F(TcpReassemblerTest, SegmentsFarAheadAreDropped) {
  seg(100, "", TcpReassembler::kSyn);
  seg(101 + (1u << 21), "far");
  seg(101, "near");
  EXPECT_EQ(out.text, "near");
  EXPECT_EQ(counters.get(Counter::TcpOutOfWindow), 1u);
}

TEST(TcpReassemblerLimits, TooMuchHeldDataDeclaresTheHoleLost) {
  TcpReassembler::Limits limits;
  limits.max_held_segments = 2;
  TcpReassembler r(limits);
  Counters counters;
  Collect out;
  r.on_segment(1, 0, b("a"), counters, out);
  r.on_segment(10, 0, b("x"), counters, out);
  r.on_segment(11, 0, b("y"), counters, out);
  EXPECT_EQ(out.text, "a");
  r.on_segment(12, 0, b("z"), counters, out);  // third held segment: give up on 2..9
  EXPECT_EQ(out.text, "a|GAP|xyz");
  EXPECT_EQ(counters.get(Counter::TcpGap), 1u);
}

TEST_F(TcpReassemblerTest, FlushHandsOverHeldDataWithGaps) {
  seg(100, "", TcpReassembler::kSyn);
  seg(101, "ab");
  seg(110, "zz");
  r.flush(out);
  EXPECT_EQ(out.text, "ab|GAP|zz");
  EXPECT_EQ(r.last_gap_bytes(), 7u);  // 103..109 never came
}

TEST_F(TcpReassemblerTest, StreamPickedUpMidwayStartsAtFirstSegment) {
  seg(5000, "mid");
  seg(5003, "way");
  EXPECT_EQ(out.text, "midway");
}

}  // namespace
}  // namespace vigil::inspect

namespace vigil::inspect {
namespace {

TEST(TcpReassemblerBudget, HeldBytesAcrossFlowsStayWithinTheSharedBudget) {
  TcpReassembler::SharedBudget budget;
  budget.limit = 10;
  TcpReassembler::Limits limits;
  limits.shared = &budget;
  Counters counters;
  Collect out_a;
  Collect out_b;
  {
    TcpReassembler first(limits);
    TcpReassembler second(limits);
    first.on_segment(1, 0, b("a"), counters, out_a);
    first.on_segment(10, 0, b("123456"), counters, out_a);  // held: 6 bytes
    EXPECT_EQ(budget.used, 6u);
    second.on_segment(1, 0, b("b"), counters, out_b);
    second.on_segment(20, 0, b("xyz"), counters, out_b);  // held: 9 bytes in all
    EXPECT_EQ(budget.used, 9u);
    second.on_segment(30, 0, b("over"), counters, out_b);  // 13 > 10: b gives up its holes
    EXPECT_EQ(out_b.text, "b|GAP|xyz|GAP|over");
    EXPECT_EQ(budget.used, 6u);
    EXPECT_EQ(counters.get(Counter::TcpHeldBudgetExceeded), 1u);
  }
  EXPECT_EQ(budget.used, 0u);  // destroyed reassemblers return what they held
}

}  // namespace
}  // namespace vigil::inspect
