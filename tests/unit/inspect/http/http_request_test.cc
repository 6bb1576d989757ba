#include "inspect/http/http_request.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::inspect {
namespace {

Bytes bytes(std::string_view s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Feeds `segments` in order, one feed() call (one TCP segment) each.
std::vector<HttpRequest> scan(HttpRequestScanner& sc, const std::vector<std::string>& segments,
                              std::size_t* malformed = nullptr) {
  std::vector<HttpRequest> out;
  std::size_t bad = 0;
  for (const std::string& s : segments) bad += sc.feed(bytes(s), out);
  if (malformed != nullptr) *malformed = bad;
  return out;
}

std::vector<HttpRequest> scan(const std::vector<std::string>& segments) {
  HttpRequestScanner sc;
  return scan(sc, segments);
}

std::vector<std::string> one_byte_at_a_time(std::string_view s) {
  std::vector<std::string> out;
  for (char c : s) out.emplace_back(1, c);
  return out;
}

std::vector<std::string> targets(const std::vector<HttpRequest>& reqs) {
  std::vector<std::string> t;
  for (const HttpRequest& r : reqs) t.push_back(r.target);
  return t;
}

const std::string kGet =
    "GET /index.html?q=1 HTTP/1.1\r\nHost: WWW.Example.COM\r\nUser-Agent: curl/8.0\r\n"
    "Accept: */*\r\n\r\n";

TEST(HttpRequestScanner, SimpleRequest) {
  const auto reqs = scan({kGet});
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/index.html?q=1");
  EXPECT_EQ(reqs[0].version, "HTTP/1.1");
  EXPECT_TRUE(reqs[0].has_host);
  EXPECT_EQ(reqs[0].host, "www.example.com");
  EXPECT_EQ(reqs[0].user_agent, "curl/8.0");
}

const std::string kPipeline =
    "POST /upload HTTP/1.1\r\nHost: a.example\r\nContent-Length: 27\r\n\r\n"
    "GET /not-a-request HTTP/1.1"
    "POST /chunked HTTP/1.1\r\nHost: b.example\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;ext=1\r\nhello\r\n1a\r\nGET /inside HTTP/1.1\r\n\r\nxy\r\n0\r\nTrailer: t\r\n\r\n"
    "GET /last HTTP/1.0\r\nHost: c.example:8080\r\n\r\n";

TEST(HttpRequestScanner, PipeliningSkipsContentLengthAndChunkedBodies) {
  HttpRequestScanner sc;
  const auto reqs = scan(sc, {kPipeline});
  EXPECT_EQ(targets(reqs), (std::vector<std::string>{"/upload", "/chunked", "/last"}));
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].host, "b.example");
  EXPECT_EQ(reqs[2].host, "c.example");
  EXPECT_EQ(sc.state(), HttpRequestScanner::State::Head);
}

TEST(HttpRequestScanner, OneByteAtATimeFindsTheSameRequests) {
  const auto whole = scan({kGet + kPipeline});
  HttpRequestScanner sc;
  const auto bytewise = scan(sc, one_byte_at_a_time(kGet + kPipeline));
  EXPECT_EQ(targets(bytewise), targets(whole));
  ASSERT_EQ(bytewise.size(), 4u);
  EXPECT_EQ(bytewise[0].host, "www.example.com");
  EXPECT_EQ(bytewise[3].host, "c.example");
}

TEST(HttpRequestScanner, SplitsAtEveryPositionAgreeWithTshark) {
  const std::string stream = kGet + kPipeline;
  // tshark (checked with this stream cut at every point) loses the message
  // after a chunked body when the line after the last chunk is cut between
  // its CR and LF: its reassembly then reads past the data.
  const std::size_t trailer_cr = stream.find("Trailer: t\r") + 10;
  const std::vector<std::string> all = {"/index.html?q=1", "/upload", "/chunked", "/last"};
  const std::vector<std::string> lost = {"/index.html?q=1", "/upload", "/chunked"};
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    const auto reqs = scan({stream.substr(0, cut), stream.substr(cut)});
    const bool quirk = cut == trailer_cr + 1 || cut == trailer_cr + 3;
    EXPECT_EQ(targets(reqs), quirk ? lost : all) << "cut at " << cut;
  }
}

TEST(HttpRequestScanner, ConnectStopsForTheTunnel) {
  HttpRequestScanner sc;
  std::vector<HttpRequest> out;
  const std::string head = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
  const std::string data = head + "\x16\x03\x01\x02\x00";
  sc.feed(bytes(data), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].method, "CONNECT");
  EXPECT_EQ(out[0].target, "example.com:443");
  EXPECT_EQ(out[0].host, "example.com");
  EXPECT_EQ(sc.state(), HttpRequestScanner::State::Done);
  EXPECT_TRUE(sc.connect_seen());
  EXPECT_EQ(sc.tunnel_offset(), head.size());
  EXPECT_EQ(sc.feed(bytes("GET /x HTTP/1.1\r\n\r\n"), out), 0u);
  EXPECT_EQ(out.size(), 1u);  // nothing after the tunnel starts
}

TEST(HttpRequestScanner, RefusedConnectResumes) {
  HttpRequestScanner sc;
  std::vector<HttpRequest> out;
  sc.feed(bytes("CONNECT a:443 HTTP/1.1\r\n\r\nGET /same-segment HTTP/1.1\r\n\r\n"), out);
  ASSERT_EQ(out.size(), 1u);
  sc.resume_after_connect(out);
  sc.feed(bytes("GET /later HTTP/1.1\r\n\r\n"), out);
  EXPECT_EQ(targets(out), (std::vector<std::string>{"a:443", "/same-segment", "/later"}));
}

TEST(HttpRequestScanner, AbsoluteFormTargetIsKeptAsSent) {
  const auto reqs =
      scan({"GET http://Proxy.Example:3128/a/B?c HTTP/1.1\r\nHost: x.example\r\n\r\n"});
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "http://Proxy.Example:3128/a/B?c");
  EXPECT_EQ(reqs[0].host, "x.example");
}

TEST(HttpRequestScanner, HostNormalisation) {
  EXPECT_EQ(normalise_http_host("Example.COM"), "example.com");
  EXPECT_EQ(normalise_http_host("example.com:8080"), "example.com");
  EXPECT_EQ(normalise_http_host("[2001:DB8::1]:443"), "2001:db8::1");
  EXPECT_EQ(normalise_http_host("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(normalise_http_host("2001:db8::1"), "2001:db8::1");  // bare v6: colons stay
  EXPECT_EQ(normalise_http_host("example.com.:80"), "example.com");
  EXPECT_EQ(normalise_http_host("example.com.."), "example.com");
  EXPECT_EQ(normalise_http_host(" \texample.com"), "example.com");
  EXPECT_EQ(normalise_http_host("a:1:2"), "a:1:2");  // two colons: no port taken off
  EXPECT_EQ(normalise_http_host("..."), "");

  const auto reqs = scan({"GET / HTTP/1.1\r\nhost:\t [2001:db8::2]:80\r\n\r\n"});
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].host, "2001:db8::2");
}

TEST(HttpRequestScanner, GarbageStreamYieldsNothing) {
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 131 + 7) % 256));
  HttpRequestScanner sc;
  std::size_t malformed = 0;
  const auto reqs = scan(sc, {junk, junk.substr(100), "\x01\x02\x03"}, &malformed);
  EXPECT_TRUE(reqs.empty());
  EXPECT_GT(malformed, 0u);
  // tshark looks again at the start of each segment.
  const auto later = scan(sc, {"GET /after-junk HTTP/1.1\r\n\r\n"});
  EXPECT_EQ(targets(later), (std::vector<std::string>{"/after-junk"}));
}

TEST(HttpRequestScanner, JunkHidesTheRestOfItsSegmentOnly) {
  const auto reqs =
      scan({"hello there\r\nGET /hidden HTTP/1.1\r\n\r\n", "GET /seen HTTP/1.1\r\n\r\n"});
  EXPECT_EQ(targets(reqs), (std::vector<std::string>{"/seen"}));
}

TEST(HttpRequestScanner, OnlyTsharksMethodsAreRequests) {
  const auto reqs = scan({"FOO /a HTTP/1.1\r\n\r\n", "get /b HTTP/1.1\r\n\r\n",
                          "NOTIFY /c HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
                          "M-SEARCH * HTTP/1.1\r\n\r\n", "PROPFIND /d HTTP/1.1\r\n\r\n"});
  EXPECT_EQ(targets(reqs), (std::vector<std::string>{"*", "/d"}));
  EXPECT_TRUE(is_http_request_method("GET"));
  EXPECT_TRUE(is_http_request_method("M-GET"));
  EXPECT_TRUE(is_http_request_method("SSTP_DUPLEX_POST"));
  EXPECT_FALSE(is_http_request_method("get"));
  EXPECT_FALSE(is_http_request_method("NOTIFY"));
  EXPECT_FALSE(is_http_request_method("PRI"));
}

TEST(HttpRequestScanner, RequestLineOddities) {
  const std::string nul("GET /nul\0tail HTTP/1.1\r\n\r\n", 27);
  const auto reqs = scan({"GET /no-version\r\nHost: a\r\n\r\n", "GET\r\nHost: b\r\n\r\n",
                          "GET  /two-spaces HTTP/1.1\r\n\r\n", "\r\nGET /after-crlf HTTP/1.1\n\n",
                          nul, "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n"});
  ASSERT_EQ(reqs.size(), 6u);
  EXPECT_EQ(reqs[0].target, "/no-version");
  EXPECT_EQ(reqs[0].version, "");
  EXPECT_EQ(reqs[1].target, "");  // tshark: no URI, still a request
  EXPECT_EQ(reqs[1].host, "b");
  EXPECT_EQ(reqs[2].target, "");  // two spaces: empty URI, the rest is the version
  EXPECT_EQ(reqs[2].version, "/two-spaces HTTP/1.1");
  EXPECT_EQ(reqs[3].target, "/after-crlf");
  EXPECT_EQ(reqs[4].target, "/nul");                          // a NUL ends the value
  EXPECT_EQ(reqs[5].target, "/caf\xef\xbf\xbd\xef\xbf\xbd");  // bytes >= 0x80: U+FFFD
}

TEST(HttpRequestScanner, BareLineEndings) {
  const auto reqs =
      scan({"GET /lf HTTP/1.1\nHost: lf.example\n\n"
            "GET /cr HTTP/1.1\rHost: cr.example\r\r"
            "GET /next HTTP/1.1\r\n\r\n"});
  EXPECT_EQ(targets(reqs), (std::vector<std::string>{"/lf", "/cr", "/next"}));
  EXPECT_EQ(reqs[1].host, "cr.example");
}

TEST(HttpRequestScanner, HeaderParsingFollowsTshark) {
  // A folded line ends tshark's header parsing; a name with a blank before
  // the colon is no header; the first of two Host headers wins.
  const auto reqs =
      scan({"GET /fold HTTP/1.1\r\nX-A: b\r\n\tcontinued\r\nHost: late\r\n\r\n",
            "GET /space HTTP/1.1\r\nHost : bad.example\r\n\r\n",
            "GET /two HTTP/1.1\r\nHost: first.example\r\nHost: second.example\r\n\r\n",
            "GET /trail HTTP/1.1\r\nHost: t.example \r\n\r\n"});
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_FALSE(reqs[0].has_host);
  EXPECT_FALSE(reqs[1].has_host);
  EXPECT_EQ(reqs[2].host, "first.example");
  EXPECT_EQ(reqs[3].host, "t.example ");  // tshark keeps trailing blanks
}

TEST(HttpRequestScanner, BodyWithoutLengthIsNotARequest) {
  // A request without Content-Length or chunked coding has no body, so the
  // next line is a new message; junk there hides the rest of the segment.
  const auto reqs = scan({"POST /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
                          "POST /c HTTP/1.1\r\n\r\nbody bytes\r\nGET /hidden HTTP/1.1\r\n\r\n"});
  EXPECT_EQ(targets(reqs), (std::vector<std::string>{"/a", "/b", "/c"}));
}

TEST(HttpRequestScanner, OtherTransferCodingsSwallowTheSegment) {
  const auto reqs =
      scan({"POST /gz HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxxGET /hidden HTTP/1.1\r\n\r\n",
            "POST /lc HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n",
            "GET /seen HTTP/1.1\r\n\r\n"});
  EXPECT_EQ(targets(reqs), (std::vector<std::string>{"/gz", "/lc", "/seen"}));
}

TEST(HttpRequestScanner, GapResynchronisesOnTheNextSegment) {
  HttpRequestScanner sc;
  std::vector<HttpRequest> out;
  sc.feed(bytes("POST /a HTTP/1.1\r\nContent-Length: 100\r\n\r\n0123456789"), out);
  EXPECT_EQ(sc.state(), HttpRequestScanner::State::Body);
  sc.on_gap();
  sc.feed(bytes("GET /b HTTP/1.1\r\n\r\n"), out);
  EXPECT_EQ(targets(out), (std::vector<std::string>{"/a", "/b"}));

  // A gap of known size inside a body is absorbed.
  HttpRequestScanner known;
  std::vector<HttpRequest> out2;
  known.feed(bytes("POST /c HTTP/1.1\r\nContent-Length: 20\r\n\r\n01234"), out2);
  known.on_gap(10);
  known.feed(bytes("56789GET /d HTTP/1.1\r\n\r\n"), out2);
  EXPECT_EQ(targets(out2), (std::vector<std::string>{"/c", "/d"}));
}

TEST(HttpRequestScanner, ReportAfterBodyWaitsLikeTshark) {
  HttpRequestScanner sc(16 * 1024, true);
  std::vector<HttpRequest> out;
  sc.feed(bytes("POST /up HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234"), out);
  EXPECT_TRUE(out.empty());
  sc.feed(bytes("56789"), out);
  EXPECT_EQ(targets(out), (std::vector<std::string>{"/up"}));

  HttpRequestScanner cut(16 * 1024, true);
  std::vector<HttpRequest> none;
  cut.feed(bytes("POST /cut HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), none);
  cut.on_gap();
  EXPECT_TRUE(none.empty());

  HttpRequestScanner early;  // default: reported at the end of the head
  std::vector<HttpRequest> now;
  early.feed(bytes("POST /up HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234"), now);
  EXPECT_EQ(targets(now), (std::vector<std::string>{"/up"}));
}

TEST(HttpRequestScanner, OverlongLineIsCutNotFatal) {
  HttpRequestScanner sc(256);
  const std::string uri = "/" + std::string(5000, 'a');
  const std::string req =
      "GET " + uri + " HTTP/1.1\r\nHost: long.example\r\n\r\nGET /next HTTP/1.1\r\n\r\n";
  std::vector<std::string> segs;
  for (std::size_t i = 0; i < req.size(); i += 100) segs.push_back(req.substr(i, 100));
  const auto reqs = scan(sc, segs);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].host, "long.example");
  EXPECT_LT(reqs[0].target.size(), uri.size());
  EXPECT_EQ(reqs[0].target, uri.substr(0, reqs[0].target.size()));
  EXPECT_EQ(reqs[1].target, "/next");
}

TEST(HttpRequestScanner, TsharksTcpHeuristic) {
  EXPECT_TRUE(looks_like_http_request(bytes("GET / HTTP/1.1\r\nHost: a\r\n")));
  EXPECT_TRUE(looks_like_http_request(bytes("FOO /x HTTP/1.0\r\n")));  // any line ending so
  EXPECT_TRUE(looks_like_http_request(bytes("HTTP/1.1 200 OK\r\n")));
  EXPECT_FALSE(looks_like_http_request(bytes("GET / HTTP/1.1")));  // no line end yet
  EXPECT_FALSE(looks_like_http_request(bytes("HTTP/1.1\r\n")));    // 8 bytes: tshark says no
  EXPECT_FALSE(looks_like_http_request(bytes("GET / HTTP/2.0\r\n")));
  EXPECT_FALSE(looks_like_http_request(bytes("\x16\x03\x01\x00\x05hello")));
}

}  // namespace
}  // namespace vigil::inspect
