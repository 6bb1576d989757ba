// Page text through the whole Inspector: the http_text replay capture (made
// by tests/gen/make_captures.py, which writes the text each page should give
// into expected_text.tsv) and hand-made flows around the inspection cap.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "inspect/capture/pcap_source.h"
#include "inspect/inspector.h"
#include "tests/unit/inspect/decode/frames.h"

namespace vigil::inspect {
namespace {

using Row = std::vector<std::string>;  // client, method, host, url, status, text

struct Collect final : ObservationSink {
  void on_observation(const Observation& o) override {
    if (o.kind == ObservationKind::HttpText) {
      texts.push_back({o.client.to_string(), o.http_method, o.http_host, o.http_url,
                       std::to_string(o.http_status), o.value});
      text_obs.push_back(o);
    } else {
      names.emplace_back(std::string(kind_name(o.kind)), o.value);
    }
  }
  std::vector<Row> texts;
  std::vector<Observation> text_obs;
  std::vector<std::pair<std::string, std::string>> names;
};

const std::string kCase = std::string(VIGIL_REPLAY_DIR) + "/http_text/";

std::vector<Row> expected_rows() {
  std::ifstream in(kCase + "expected_text.tsv");
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    Row r;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) r.push_back(field);
    rows.push_back(r);
  }
  return rows;
}

Counters replay(const InspectorConfig& cfg, Collect& sink) {
  std::string error;
  auto source = PcapSource::open_file(kCase + "capture.pcap", error);
  EXPECT_TRUE(source) << error;
  Inspector inspector(cfg, sink);
  if (source) {
    CapturedPacket pkt;
    const auto link = static_cast<LinkType>(source->datalink());
    while (source->next(pkt) == PcapSource::Next::Packet) {
      inspector.on_packet(link, pkt.frame, pkt.ts_us);
    }
  }
  inspector.finish();
  return inspector.counters();
}

InspectorConfig quiet() {
  InspectorConfig cfg;
  cfg.classify = false;
  return cfg;
}

TEST(InspectorHttpText, ReplayCaseGivesTheTextOfEachPage) {
  const std::vector<Row> want = expected_rows();
  ASSERT_EQ(want.size(), 8u);
  Collect sink;
  const Counters c = replay(quiet(), sink);
  std::vector<Row> got = sink.texts;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
  // Attributed like the request: the learner is the client, the server its peer.
  for (const Observation& o : sink.text_obs) {
    EXPECT_EQ(o.transport, Transport::Tcp);
    EXPECT_TRUE(o.server_port == 80 || o.server_port == 8080) << o.server_port;
    EXPECT_GE(o.client_port, 43001);
  }
  EXPECT_EQ(c.get(Counter::HttpResponses), 10u);     // the 204 and the HEAD answer too
  EXPECT_EQ(c.get(Counter::HttpBodiesSkipped), 1u);  // the image
  EXPECT_EQ(c.get(Counter::HttpFormPosts), 1u);
  EXPECT_EQ(c.get(Counter::HttpTextCut), 1u);  // the page with the lost segment
  EXPECT_EQ(c.get(Counter::HttpResponsesMalformed), 0u);
  EXPECT_EQ(c.get(Counter::HttpDecodeErrors), 0u);
  std::size_t bytes = 0;
  for (const Row& r : want) bytes += r[5].size();
  EXPECT_EQ(c.get(Counter::HttpTextBytes), bytes);
}

TEST(InspectorHttpText, TurningTextOffChangesNothingElse) {
  Collect on;
  replay(quiet(), on);
  InspectorConfig cfg = quiet();
  cfg.http_text_max_bytes = 0;
  Collect off;
  const Counters c = replay(cfg, off);
  EXPECT_TRUE(off.texts.empty());
  EXPECT_EQ(c.get(Counter::HttpResponses), 0u);
  std::sort(on.names.begin(), on.names.end());
  std::sort(off.names.begin(), off.names.end());
  EXPECT_EQ(on.names, off.names);
  EXPECT_FALSE(on.names.empty());
}

TEST(InspectorHttpText, TextCapIsPerPage) {
  InspectorConfig cfg = quiet();
  cfg.http_text_max_bytes = 16;
  Collect sink;
  replay(cfg, sink);
  for (const Row& r : sink.texts) EXPECT_LE(r[5].size(), 16u) << r[5];
  EXPECT_FALSE(sink.texts.empty());
}

// Hand-made frames: text goes on past the inspection cap, names do not.
using test::Frame;
using test::V4;
constexpr V4 kLearner = {10, 1, 1, 20};
constexpr V4 kServer = {192, 0, 2, 80};

Frame tcp_frame(V4 src, V4 dst, std::uint16_t sport, std::uint16_t dport, std::uint32_t seq,
                std::uint8_t flags, const std::string& payload = {}) {
  return test::eth(0x0800, test::ipv4(src, dst, 6,
                                      test::tcp(sport, dport, seq, 0, flags,
                                                Frame(payload.begin(), payload.end()))));
}

TEST(InspectorHttpText, PagesAndFormsPastTheInspectionCapAreStillRead) {
  InspectorConfig cfg = quiet();
  cfg.max_inspect_bytes = 1024;
  Collect sink;
  Inspector inspector(cfg, sink);
  std::uint64_t now = 1'700'000'000'000'000ull;
  std::uint32_t cseq = 1000;
  std::uint32_t sseq = 9000;
  auto client = [&](const std::string& s) {
    inspector.on_packet(LinkType::Ethernet, tcp_frame(kLearner, kServer, 42000, 80, cseq, 0x18, s),
                        now += 1000);
    cseq += static_cast<std::uint32_t>(s.size());
  };
  auto server = [&](const std::string& s) {
    inspector.on_packet(LinkType::Ethernet, tcp_frame(kServer, kLearner, 80, 42000, sseq, 0x18, s),
                        now += 1000);
    sseq += static_cast<std::uint32_t>(s.size());
  };
  inspector.on_packet(LinkType::Ethernet, tcp_frame(kLearner, kServer, 42000, 80, cseq++, 0x02),
                      now);
  inspector.on_packet(LinkType::Ethernet, tcp_frame(kServer, kLearner, 80, 42000, sseq++, 0x12),
                      now += 1000);
  client("GET /big HTTP/1.1\r\nHost: a.example\r\n\r\n");
  server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 3000\r\n\r\n");
  for (int i = 0; i < 3; ++i) server(std::string(1000, 'z'));
  client("POST /upload HTTP/1.1\r\nHost: a.example\r\nContent-Length: 2000\r\n\r\n" +
         std::string(2000, 'x'));
  server("HTTP/1.1 204 No Content\r\n\r\n");
  const std::string form = "q=after+the+cap";
  client(
      "POST /search HTTP/1.1\r\nHost: a.example\r\nContent-Type: "
      "application/x-www-form-urlencoded\r\nContent-Length: " +
      std::to_string(form.size()) + "\r\n\r\n" + form);
  const std::string page = "<p>Results after cap</p>";
  server("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
         std::to_string(page.size()) + "\r\n\r\n" + page);
  inspector.finish();
  std::vector<Row> got = sink.texts;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<Row>{
                     {"10.1.1.20", "POST", "a.example", "/search", "0", "q=after the cap"},
                     {"10.1.1.20", "POST", "a.example", "/search", "200", "Results after cap"}}));
  // The request after the cap is not a name: the inspection cap still holds for names.
  for (const auto& [kind, value] : sink.names) EXPECT_NE(value, "/search");
  EXPECT_EQ(inspector.counters().get(Counter::FlowByteCapReached), 1u);
}

TEST(InspectorHttpText, ResponsesWithoutTheirRequestsAreStillRead) {
  // Only the server's side was captured (asymmetric routing), picked up
  // mid-way: the first segment is the tail of a body, the next a response.
  Collect sink;
  Inspector inspector(quiet(), sink);
  std::uint64_t now = 1'700'000'000'000'000ull;
  std::uint32_t sseq = 7000;
  auto server = [&](const std::string& s) {
    inspector.on_packet(LinkType::Ethernet, tcp_frame(kServer, kLearner, 80, 42001, sseq, 0x18, s),
                        now += 1000);
    sseq += static_cast<std::uint32_t>(s.size());
  };
  server("tail of an earlier body that nobody framed");
  const std::string page = "<title>Seen from one side</title>";
  server("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
         std::to_string(page.size()) + "\r\n\r\n" + page);
  inspector.finish();
  EXPECT_EQ(sink.texts, (std::vector<Row>{{"10.1.1.20", "", "", "", "200", "Seen from one side"}}));
  ASSERT_EQ(sink.text_obs.size(), 1u);
  EXPECT_EQ(sink.text_obs[0].server_port, 80);  // the learner is still the client
  EXPECT_TRUE(sink.names.empty());
}

}  // namespace
}  // namespace vigil::inspect
