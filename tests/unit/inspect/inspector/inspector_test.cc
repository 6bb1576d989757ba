#include "inspect/inspector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/inspect/decode/frames.h"

namespace vigil::inspect {
namespace {

using test::Frame;
using test::V4;

struct Collect final : ObservationSink {
  void on_observation(const Observation& o) override { obs.push_back(o); }
  void on_flow_end(const FlowSummary& f) override { flows.push_back(f); }
  std::vector<std::string> values(ObservationKind k) const {
    std::vector<std::string> out;
    for (const auto& o : obs) {
      if (o.kind == k) out.push_back(o.value);
    }
    return out;
  }
  std::vector<Observation> obs;
  std::vector<FlowSummary> flows;
};

constexpr V4 kLearner = {10, 1, 1, 20};
constexpr V4 kServer = {192, 0, 2, 80};
constexpr V4 kResolver = {10, 1, 1, 1};

Frame text(const std::string& s) { return Frame(s.begin(), s.end()); }

Frame dns_query(std::uint16_t id, const std::string& name, bool response) {
  Frame f;
  test::put16(f, id);
  test::put16(f, response ? 0x8180 : 0x0100);
  test::put16(f, 1);
  test::put16(f, 0);
  test::put16(f, 0);
  test::put16(f, 0);
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    test::put8(f, static_cast<unsigned>(dot - start));
    for (std::size_t i = start; i < dot; ++i) test::put8(f, static_cast<std::uint8_t>(name[i]));
    start = dot + 1;
  }
  test::put8(f, 0);
  test::put16(f, 1);
  test::put16(f, 1);
  return f;
}

Frame udp_frame(V4 src, V4 dst, std::uint16_t sport, std::uint16_t dport, const Frame& payload) {
  return test::eth(0x0800, test::ipv4(src, dst, 17, test::udp(sport, dport, payload)));
}

Frame tcp_frame(V4 src, V4 dst, std::uint16_t sport, std::uint16_t dport, std::uint32_t seq,
                std::uint8_t flags, const Frame& payload = {}) {
  return test::eth(0x0800,
                   test::ipv4(src, dst, 6, test::tcp(sport, dport, seq, 0, flags, payload)));
}

class InspectorTest : public ::testing::Test {
 protected:
  void feed(const Frame& f) {
    now_ += 1000;
    inspector_->on_packet(LinkType::Ethernet, f, now_);
  }
  void make(const InspectorConfig& cfg) { inspector_ = std::make_unique<Inspector>(cfg, sink_); }
  InspectorConfig quiet() {
    InspectorConfig cfg;
    cfg.classify = false;
    return cfg;
  }
  Collect sink_;
  std::unique_ptr<Inspector> inspector_;
  std::uint64_t now_ = 1'700'000'000'000'000ull;
};

TEST_F(InspectorTest, DnsResponseIsAttributedToItsReceiver) {
  make(quiet());
  feed(udp_frame(kResolver, kLearner, 53, 40000, dns_query(7, "reply.example.org", true)));
  inspector_->finish();
  ASSERT_EQ(sink_.values(ObservationKind::Dns), std::vector<std::string>{"reply.example.org"});
  EXPECT_EQ(sink_.obs[0].client, IpAddress::from_v4(kLearner.data()));
  EXPECT_TRUE(sink_.obs[0].dns_response);
}

TEST_F(InspectorTest, FlowSummaryNamesTheSynSenderAsClient) {
  make(quiet());
  feed(tcp_frame(kServer, kLearner, 80, 41000, 500, 0x12));  // SYN-ACK seen first
  feed(tcp_frame(kLearner, kServer, 41000, 80, 101, 0x18,
                 text("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n")));
  inspector_->finish();
  ASSERT_EQ(sink_.flows.size(), 1u);
  EXPECT_EQ(sink_.flows[0].client, IpAddress::from_v4(kLearner.data()));
  EXPECT_EQ(sink_.flows[0].server_port, 80);
  EXPECT_EQ(sink_.flows[0].packets_to_server, 1u);
  EXPECT_EQ(sink_.flows[0].packets_to_client, 1u);
  EXPECT_EQ(sink_.flows[0].end_reason, "shutdown");
  EXPECT_EQ(sink_.values(ObservationKind::HttpHost), std::vector<std::string>{"a.example"});
}

TEST_F(InspectorTest, BytesPastTheInspectionCapAreNotExamined) {
  InspectorConfig cfg = quiet();
  cfg.max_inspect_bytes = 1024;
  make(cfg);
  std::uint32_t seq = 1000;
  feed(tcp_frame(kLearner, kServer, 42000, 80, seq++, 0x02));
  auto send = [&](const std::string& s) {
    feed(tcp_frame(kLearner, kServer, 42000, 80, seq, 0x18, text(s)));
    seq += static_cast<std::uint32_t>(s.size());
  };
  send("GET /first HTTP/1.1\r\nHost: a.example\r\n\r\n");
  send("POST /upload HTTP/1.1\r\nHost: a.example\r\nContent-Length: 2000\r\n\r\n");
  send(std::string(2000, 'x'));
  send("GET /after-cap HTTP/1.1\r\nHost: b.example\r\n\r\n");
  inspector_->finish();
  EXPECT_EQ(sink_.values(ObservationKind::HttpUrl),
            (std::vector<std::string>{"/first", "/upload"}));
  EXPECT_EQ(inspector_->counters().get(Counter::FlowByteCapReached), 1u);
}

TEST_F(InspectorTest, FullFlowTableEvictsAndCounts) {
  InspectorConfig cfg = quiet();
  cfg.max_flows = 16;
  make(cfg);
  for (std::uint16_t i = 0; i < 20; ++i) {
    feed(udp_frame(kLearner, kResolver, static_cast<std::uint16_t>(50000 + i), 53,
                   dns_query(i, "n" + std::to_string(i) + ".example.org", false)));
  }
  EXPECT_EQ(inspector_->counters().get(Counter::FlowsEvictedCap), 4u);
  EXPECT_EQ(sink_.flows.size(), 4u);
  inspector_->finish();
  EXPECT_EQ(sink_.flows.size(), 20u);
  EXPECT_EQ(sink_.values(ObservationKind::Dns).size(), 20u);
}

TEST_F(InspectorTest, IdleUdpFlowsExpireOnPacketTime) {
  make(quiet());
  feed(udp_frame(kLearner, kResolver, 50001, 53, dns_query(1, "old.example.org", false)));
  now_ += 61'000'000;  // past the 60 s UDP idle timeout
  feed(udp_frame(kLearner, kResolver, 50002, 53, dns_query(2, "new.example.org", false)));
  EXPECT_EQ(inspector_->counters().get(Counter::FlowsEvictedIdle), 1u);
  ASSERT_EQ(sink_.flows.size(), 1u);
  EXPECT_EQ(sink_.flows[0].end_reason, "idle");
}

TEST_F(InspectorTest, ClientHelloAfterSocksGreetingIsFound) {
  make(quiet());
  std::uint32_t seq = 1;
  auto send = [&](const Frame& f) {
    feed(tcp_frame(kLearner, kServer, 43000, 1080, seq, 0x18, f));
    seq += static_cast<std::uint32_t>(f.size());
  };
  send({0x05, 0x01, 0x00});
  send({0x05, 0x01, 0x00, 0x03, 0x0b, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g', 0x01,
        0xbb});
  // A minimal ClientHello with server_name "hidden.example".
  Frame sni = text("hidden.example");
  Frame ext = {0x00, 0x00};
  test::put16(ext, static_cast<unsigned>(sni.size() + 5));
  test::put16(ext, static_cast<unsigned>(sni.size() + 3));
  test::put8(ext, 0);
  test::put16(ext, static_cast<unsigned>(sni.size()));
  test::append(ext, sni);
  Frame body = {0x03, 0x03};
  test::append(body, test::bytes(32, 1));
  test::put8(body, 0);
  test::put16(body, 2);
  test::put16(body, 0x1301);
  test::put8(body, 1);
  test::put8(body, 0);
  test::put16(body, static_cast<unsigned>(ext.size()));
  test::append(body, ext);
  Frame hs = {0x01, 0x00};
  test::put16(hs, static_cast<unsigned>(body.size()));
  test::append(hs, body);
  Frame rec = {0x16, 0x03, 0x01};
  test::put16(rec, static_cast<unsigned>(hs.size()));
  test::append(rec, hs);
  send(rec);
  inspector_->finish();
  EXPECT_EQ(sink_.values(ObservationKind::Sni), std::vector<std::string>{"hidden.example"});
}

TEST_F(InspectorTest, MalformedFramesAreCountedNotObserved) {
  make(quiet());
  Frame cut = udp_frame(kLearner, kResolver, 50001, 53, dns_query(1, "x.example", false));
  for (std::size_t n = 0; n < 34; ++n) feed(Frame(cut.begin(), cut.begin() + static_cast<long>(n)));
  inspector_->finish();
  EXPECT_TRUE(sink_.obs.empty());
  EXPECT_EQ(inspector_->counters().get(Counter::PacketsTotal), 34u);
  EXPECT_GT(inspector_->counters().get(Counter::TruncatedIpv4) +
                inspector_->counters().get(Counter::TruncatedL2),
            0u);
}

}  // namespace
}  // namespace vigil::inspect
