#include "inspect/http/http_message.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace vigil::inspect {
namespace {

Bytes bytes(std::string_view s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Records what the scanner reports; plans come from a queue (Read when empty).
struct Record final : HttpMessageSink {
  BodyPlan on_head(const HttpHead& h) noexcept override {
    heads.push_back(h);
    bodies.emplace_back();
    ends.push_back(-1);
    if (plans.empty()) return BodyPlan::Read;
    const BodyPlan p = plans.front();
    plans.erase(plans.begin());
    return p;
  }
  bool on_body(Bytes data) noexcept override {
    bodies.back().append(reinterpret_cast<const char*>(data.data()), data.size());
    return bodies.back().size() < stop_at;
  }
  void on_body_gap() noexcept override { ++gaps; }
  void on_message_end(bool complete) noexcept override { ends.back() = complete ? 1 : 0; }
  void on_malformed() noexcept override { ++malformed; }

  std::vector<BodyPlan> plans;
  std::vector<HttpHead> heads;
  std::vector<std::string> bodies;
  std::vector<int> ends;  // 1 complete, 0 cut, -1 not ended
  std::size_t stop_at = 1u << 30;
  int gaps = 0;
  int malformed = 0;
};

void feed_all(HttpMessageScanner& s, std::string_view data, std::size_t step) {
  for (std::size_t i = 0; i < data.size(); i += step) s.feed(bytes(data.substr(i, step)));
}

const std::string kResponses =
    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 11\r\n\r\n"
    "<p>one</p>\n"
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
    "4\r\ntwo \r\n6;ext=1\r\nchunks\r\n0\r\nTrailer: x\r\n\r\n"
    "HTTP/1.1 304 Not Modified\r\nContent-Length: 999\r\n\r\n"
    "HTTP/1.1 204 No Content\r\n\r\n"
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.0 404 Not Found\nContent-Type: text/html\nContent-Encoding: gzip\n"
    "Content-Encoding: identity\n\nrest until close";

TEST(HttpMessageScanner, PipelinedResponsesInAnyPieces) {
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{64}, kResponses.size()}) {
    Record r;
    HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
    feed_all(s, kResponses, step);
    s.finish();
    ASSERT_EQ(r.heads.size(), 5u) << step;  // the 100 is interim: not reported
    EXPECT_EQ(r.heads[0].status, 200);
    EXPECT_EQ(r.heads[0].content_type, "text/html; charset=utf-8");
    EXPECT_EQ(r.bodies[0], "<p>one</p>\n");
    EXPECT_TRUE(r.heads[1].chunked);
    EXPECT_EQ(r.bodies[1], "two chunks");
    EXPECT_EQ(r.heads[2].status, 304);
    EXPECT_EQ(r.bodies[2], "");
    EXPECT_EQ(r.heads[3].status, 204);
    EXPECT_EQ(r.heads[4].status, 404);
    EXPECT_EQ(r.heads[4].content_encoding, "gzip,identity");
    EXPECT_EQ(r.bodies[4], "rest until close");
    EXPECT_EQ(r.ends, (std::vector<int>{1, 1, 1, 1, 1}));
    EXPECT_EQ(r.malformed, 0);
  }
}

TEST(HttpMessageScanner, ResponseToHeadHasNoBody) {
  Record r;
  r.plans = {BodyPlan::None, BodyPlan::Read};
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  feed_all(s,
           "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"
           "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody",
           7);
  ASSERT_EQ(r.heads.size(), 2u);
  EXPECT_EQ(r.bodies[0], "");
  EXPECT_EQ(r.bodies[1], "body");
}

TEST(HttpMessageScanner, SkippedBodiesAreNotHandedOver) {
  Record r;
  r.plans = {BodyPlan::Skip, BodyPlan::Read};
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  feed_all(s,
           "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 6\r\n\r\n\x89PNG\r\n"
           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
           1000);
  EXPECT_EQ(r.bodies, (std::vector<std::string>{"", "ok"}));
}

TEST(HttpMessageScanner, SkippedBodyToCloseEndsTheScan) {
  Record r;
  r.plans = {BodyPlan::Skip};
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  s.feed(bytes("HTTP/1.0 200 OK\r\nContent-Type: video/mp4\r\n\r\n"));
  EXPECT_TRUE(s.done());
  EXPECT_EQ(r.ends, std::vector<int>{1});
}

TEST(HttpMessageScanner, TunnelAndProtocolSwitchEndTheScan) {
  Record r;
  r.plans = {BodyPlan::Tunnel};
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  s.feed(bytes("HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01"));
  EXPECT_TRUE(s.done());
  Record r2;
  HttpMessageScanner s2(HttpMessageScanner::Role::Response, r2);
  s2.feed(bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"));
  EXPECT_TRUE(s2.done());
  EXPECT_TRUE(r2.heads.empty());
}

TEST(HttpMessageScanner, GapOfKnownSizeInsideABodyIsSkipped) {
  Record r;
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  s.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123"));
  s.on_gap(6);
  s.feed(bytes("abcdefghij"));
  s.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  ASSERT_EQ(r.heads.size(), 2u);
  EXPECT_EQ(r.gaps, 1);
  EXPECT_EQ(r.bodies[0], "0123abcdefghij");
  EXPECT_EQ(r.bodies[1], "ok");
  EXPECT_EQ(r.ends, (std::vector<int>{1, 1}));
}

TEST(HttpMessageScanner, GapInsideAChunkIsSkipped) {
  Record r;
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  s.feed(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01"));
  s.on_gap(8);
  s.feed(bytes("\r\n3\r\nxyz\r\n0\r\n\r\n"));
  ASSERT_EQ(r.heads.size(), 1u);
  EXPECT_EQ(r.bodies[0], "01xyz");
  EXPECT_EQ(r.ends, std::vector<int>{1});
}

TEST(HttpMessageScanner, UnknownGapResyncsAtTheNextHead) {
  Record r;
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  s.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst"));
  s.on_gap(0);
  EXPECT_TRUE(s.resyncing());
  s.feed(bytes("middle of the lost body"));
  s.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfound"));
  ASSERT_EQ(r.heads.size(), 2u);
  EXPECT_EQ(r.bodies[0], "first");
  EXPECT_EQ(r.ends[0], 0);
  EXPECT_EQ(r.bodies[1], "found");
  EXPECT_EQ(r.ends[1], 1);
}

TEST(HttpMessageScanner, GapPastTheBodyEndResyncs) {
  Record r;
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  s.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123"));
  s.on_gap(50);  // the rest of this body and the start of the next message
  s.feed(bytes("ody of the second\r\n"));
  s.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"));
  ASSERT_EQ(r.heads.size(), 2u);
  EXPECT_EQ(r.bodies[1], "z");
}

TEST(HttpMessageScanner, JunkIsMalformedAndCounted) {
  Record r;
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  s.feed(bytes("\x16\x03\x01\x02\x00 not http"));
  EXPECT_EQ(r.malformed, 1);
  EXPECT_TRUE(s.resyncing());
  s.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  ASSERT_EQ(r.heads.size(), 1u);
  EXPECT_EQ(r.bodies[0], "ok");
}

TEST(HttpMessageScanner, BadFramingIsMalformed) {
  for (const char* bad : {
           "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX",
           "HTTP/1.1 2x0 OK\r\n\r\n",
           "HTTP/2 200\r\n\r\n",
       }) {
    Record r;
    HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
    s.feed(bytes(bad));
    EXPECT_EQ(r.malformed, 1) << bad;
  }
  // A list of equal lengths is one length.
  Record r;
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  s.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok"));
  EXPECT_EQ(r.malformed, 0);
  ASSERT_EQ(r.bodies.size(), 1u);
  EXPECT_EQ(r.bodies[0], "ok");
}

TEST(HttpMessageScanner, AnyVersionAndCaseInTheStatusLine) {
  // Browsers take these; a server must not hide a page behind them.
  Record r;
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  s.feed(
      bytes("HTTP/2.0 200 ok\r\nContent-Length: 1\r\n\r\na"
            "http/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"));
  EXPECT_EQ(r.bodies, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(looks_like_http_response(bytes("HTTP/1.0 404 Not Found\r\n")));
  EXPECT_FALSE(looks_like_http_response(bytes("HTTP/1.1 20")));
  EXPECT_FALSE(looks_like_http_response(bytes("GET / HTTP/1.1\r\n")));
}

TEST(HttpMessageScanner, OverlongHeadIsMalformed) {
  Record r;
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  s.feed(bytes("HTTP/1.1 200 OK\r\n"));
  const std::string field = "X-Pad: " + std::string(1000, 'a') + "\r\n";
  for (int i = 0; i < 40; ++i) s.feed(bytes(field));
  EXPECT_EQ(r.malformed, 1);
  EXPECT_TRUE(r.heads.empty());
}

TEST(HttpMessageScanner, SinkCanStopReadingABody) {
  Record r;
  r.stop_at = 4;
  HttpMessageScanner s(HttpMessageScanner::Role::Response, r);
  s.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234"));
  s.feed(bytes("56789HTTP/1.1 204 No Content\r\n\r\n"));
  ASSERT_EQ(r.heads.size(), 2u);
  EXPECT_EQ(r.bodies[0], "01234");
}

TEST(HttpMessageScanner, RequestsWithBodiesAndHosts) {
  Record r;
  HttpMessageScanner s(HttpMessageScanner::Role::Request, r);
  feed_all(s,
           "\r\nGET /a HTTP/1.1\r\nHost: WWW.Example.com:80\r\n\r\n"
           "POST /search HTTP/1.1\r\nHost: example.com\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nq=hello"
           "HEAD /b HTTP/1.1\r\nHost: example.com\r\n\r\n"
           "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
           5);
  ASSERT_EQ(r.heads.size(), 4u);
  EXPECT_EQ(r.heads[0].method, "GET");
  EXPECT_EQ(r.heads[0].target, "/a");
  EXPECT_EQ(r.heads[0].host, "www.example.com");
  EXPECT_EQ(r.heads[1].method, "POST");
  EXPECT_EQ(r.bodies[1], "q=hello");
  EXPECT_EQ(r.heads[2].method, "HEAD");
  EXPECT_EQ(r.heads[3].target, "/c");
  EXPECT_EQ(r.bodies[3], "hi");
  EXPECT_EQ(r.malformed, 0);
}

TEST(HttpMessageScanner, RequestResyncsOnTheNextRequestLine) {
  Record r;
  HttpMessageScanner s(HttpMessageScanner::Role::Request, r);
  s.feed(bytes("\x16\x03\x01 tls bytes"));
  EXPECT_EQ(r.malformed, 1);
  s.feed(bytes("more binary"));
  s.feed(bytes("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_EQ(r.heads.size(), 1u);
  EXPECT_EQ(r.heads[0].target, "/x");
}

}  // namespace
}  // namespace vigil::inspect
