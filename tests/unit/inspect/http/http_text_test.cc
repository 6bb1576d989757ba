#include "inspect/http/http_text.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/inspect/http/compress.h"

namespace vigil::inspect {
namespace {

Bytes bytes(std::string_view s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string chunked(std::string_view body, std::size_t chunk) {
  std::string out;
  char len[32];
  for (std::size_t i = 0; i < body.size(); i += chunk) {
    const std::string_view part = body.substr(i, chunk);
    std::snprintf(len, sizeof len, "%zx\r\n", part.size());
    out += len;
    out.append(part);
    out += "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string response(std::string_view type, std::string_view body, std::string_view encoding = "",
                     bool chunk = false) {
  std::string h = "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(type) + "\r\n";
  if (!encoding.empty()) h += "Content-Encoding: " + std::string(encoding) + "\r\n";
  if (chunk) return h + "Transfer-Encoding: chunked\r\n\r\n" + chunked(body, 1000);
  return h + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::string get(std::string_view target, std::string_view method = "GET") {
  return std::string(method) + " " + std::string(target) +
         " HTTP/1.1\r\nHost: www.example.org\r\n\r\n";
}

class HttpTextTest : public ::testing::Test {
 protected:
  void client(std::string_view data, bool gap = false, std::uint64_t missing = 0) {
    collector_->on_client_data(bytes(data), gap, missing, out_);
  }
  // Server bytes cut into segments of `step`.
  void server(std::string_view data, std::size_t step = 1460) {
    for (std::size_t i = 0; i < data.size(); i += step) {
      collector_->on_server_data(bytes(data.substr(i, step)), false, 0, out_);
    }
  }
  void finish() { collector_->finish(out_); }
  std::vector<std::string> texts() const {
    std::vector<std::string> t;
    for (const HttpText& x : out_) t.push_back(x.text);
    return t;
  }
  void make(const HttpTextLimits& limits = {}) {
    collector_ = std::make_unique<HttpTextCollector>(limits, budget_, counters_);
  }
  void SetUp() override { make(); }

  HttpMemoryBudget budget_;
  Counters counters_;
  std::unique_ptr<HttpTextCollector> collector_;
  std::vector<HttpText> out_;
};

const std::string kHtml =
    "<html><head><title>Revision notes</title><script>var secret = 1;</script>"
    "<style>p { margin: 0 }</style></head>"
    "<body><h1>Chapter one</h1><p>The quick brown fox.</p></body></html>";
const std::string kText = "Revision notes Chapter one The quick brown fox.";

TEST_F(HttpTextTest, PlainHtmlResponseIsLabelledWithItsRequest) {
  client(get("/notes?page=1"));
  server(response("text/html; charset=utf-8", kHtml));
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].text, kText);
  EXPECT_EQ(out_[0].method, "GET");
  EXPECT_EQ(out_[0].host, "www.example.org");
  EXPECT_EQ(out_[0].target, "/notes?page=1");
  EXPECT_EQ(out_[0].status, 200);
  EXPECT_EQ(counters_.get(Counter::HttpResponses), 1u);
  EXPECT_EQ(counters_.get(Counter::HttpTextBodies), 1u);
  EXPECT_EQ(counters_.get(Counter::HttpTextBytes), kText.size());
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(HttpTextTest, GzipChunkedDeflateAndBrotli) {
  client(get("/gz") + get("/deflate-raw") + get("/deflate-zlib") + get("/br") + get("/plain"));
  server(response("text/html", test::gzip(kHtml), "gzip", true), 100);
  server(response("text/html", test::raw_deflate(kHtml), "deflate"), 3);
  server(response("text/html", test::zlib_deflate(kHtml), "deflate", true));
  server(response("text/html", test::brotli(kHtml), "br", true), 1);
  server(response("text/plain", "just  text\n"));
  EXPECT_EQ(texts(), (std::vector<std::string>{kText, kText, kText, kText, "just text"}));
  ASSERT_EQ(out_.size(), 5u);
  EXPECT_EQ(out_[0].target, "/gz");
  EXPECT_EQ(out_[3].target, "/br");
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(HttpTextTest, PipelinedHeadRequestsHaveNoBody) {
  client(get("/a", "HEAD") + get("/b") + get("/c", "HEAD") + get("/d"));
  // Each HEAD response announces a body it does not send.
  server("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n" +
         response("text/html", "<p>page b</p>") +
         "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 77\r\n\r\n" +
         response("text/html", "<p>page d</p>"));
  ASSERT_EQ(texts(), (std::vector<std::string>{"page b", "page d"}));
  EXPECT_EQ(out_[0].target, "/b");
  EXPECT_EQ(out_[1].target, "/d");
  EXPECT_EQ(counters_.get(Counter::HttpResponses), 4u);
  EXPECT_EQ(counters_.get(Counter::HttpResponsesMalformed), 0u);
}

TEST_F(HttpTextTest, InterimAndEmptyResponsesKeepThePairing) {
  client(
      "POST /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Type: image/png\r\n"
      "Content-Length: 3\r\n\r\nabc" +
      get("/cached") + get("/next"));
  server("HTTP/1.1 100 Continue\r\n\r\n" + response("text/plain", "stored") +
         "HTTP/1.1 304 Not Modified\r\nContent-Type: text/html\r\nContent-Length: 50\r\n\r\n" +
         response("text/plain", "next one"));
  ASSERT_EQ(texts(), (std::vector<std::string>{"stored", "next one"}));
  EXPECT_EQ(out_[0].target, "/upload");
  EXPECT_EQ(out_[1].target, "/next");
}

TEST_F(HttpTextTest, NonTextBodiesAreSkippedByLength) {
  client(get("/img.png") + get("/page") + get("/style.css") + get("/redirect") + get("/zstd"));
  server(response("image/png", std::string(50'000, '\x89')) + response("text/html", "<b>yes</b>") +
         response("text/css", "body{}") +
         "HTTP/1.1 301 Moved\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\n<p>gone</p>" +
         response("text/html", "xyz", "zstd"));
  EXPECT_EQ(texts(), std::vector<std::string>{"yes"});
  EXPECT_EQ(counters_.get(Counter::HttpBodiesSkipped), 3u);
  EXPECT_EQ(counters_.get(Counter::HttpCodingUnsupported), 1u);
}

TEST_F(HttpTextTest, BodyToConnectionClose) {
  client(get("/old"));
  server("HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n<p>caf\xe9");
  server(" au lait</p>");
  EXPECT_TRUE(out_.empty());
  finish();
  EXPECT_EQ(texts(), std::vector<std::string>{"café au lait"});
}

TEST_F(HttpTextTest, TextIsCappedPerResponse) {
  HttpTextLimits limits;
  limits.max_text_bytes = 20;
  make(limits);
  client(get("/long") + get("/after"));
  std::string words;
  for (int i = 0; i < 2000; ++i) words += "word ";
  server(response("text/plain", words) + response("text/plain", "short one"));
  ASSERT_EQ(texts(), (std::vector<std::string>{"word word word word", "short one"}));
  EXPECT_EQ(counters_.get(Counter::HttpTextCapped), 1u);
}

TEST_F(HttpTextTest, DecompressionBombIsCutAndCounted) {
  HttpTextLimits limits;
  limits.max_text_bytes = 1u << 20;
  limits.max_decoded_bytes = 64u << 20;
  limits.max_ratio = 10;
  make(limits);
  // 40 MiB of the same tag compresses about 1000:1.
  std::string bomb_html;
  bomb_html.reserve(40u << 20);
  while (bomb_html.size() < (40u << 20)) bomb_html += "<div></div>";
  const std::string bomb = test::gzip(bomb_html);
  ASSERT_LT(bomb.size(), 200'000u);
  client(get("/bomb") + get("/after"));
  server(response("text/html", bomb, "gzip"));
  server(response("text/html", test::gzip("<p>still read</p>"), "gzip"));
  EXPECT_EQ(texts(), std::vector<std::string>{"still read"});
  EXPECT_EQ(counters_.get(Counter::HttpDecodeBombs), 1u);
}

TEST_F(HttpTextTest, DecodedBytesAreCappedPerResponse) {
  HttpTextLimits limits;
  limits.max_decoded_bytes = 1000;
  make(limits);
  client(get("/big"));
  server(response("text/html", "<p>" + std::string(5000, 'y') + "</p>"));
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].text, std::string(997, 'y'));
  EXPECT_EQ(counters_.get(Counter::HttpDecodeCapped), 1u);
}

TEST_F(HttpTextTest, CorruptCompressionKeepsWhatWasDecoded) {
  client(get("/broken") + get("/fine"));
  std::string z = test::gzip(kHtml);
  z[2] = 7;  // not deflate: zlib stops at the header
  server(response("text/html", z, "gzip") + response("text/html", "<p>fine</p>"));
  EXPECT_EQ(texts(), std::vector<std::string>{"fine"});
  EXPECT_EQ(counters_.get(Counter::HttpDecodeErrors), 1u);
}

TEST_F(HttpTextTest, GapInsideABodyStopsItsTextOnly) {
  client(get("/first") + get("/second"));
  const std::string first = response("text/plain", "aaaa bbbb cccc dddd");
  const std::size_t head = first.find("\r\n\r\n") + 4;
  collector_->on_server_data(bytes(first.substr(0, head + 5)), false, 0, out_);
  collector_->on_server_data(bytes(first.substr(head + 10)), true, 5, out_);
  server(response("text/plain", "second page"));
  EXPECT_EQ(texts(), (std::vector<std::string>{"aaaa", "second page"}));
  EXPECT_EQ(counters_.get(Counter::HttpTextCut), 1u);
  EXPECT_EQ(out_[1].target, "/second");
}

TEST_F(HttpTextTest, AfterAnUnknownGapTheNextResponseAnswersTheNewestRequest) {
  client(get("/one"));
  server("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nstart");
  client(get("/two"));  // the rest of /one's answer is lost; the client asks again
  collector_->on_server_data(bytes(response("text/plain", "answer two")), true, 0, out_);
  ASSERT_EQ(texts(), (std::vector<std::string>{"start", "answer two"}));
  EXPECT_EQ(out_[1].target, "/two");
}

TEST_F(HttpTextTest, LostResponseHeadIsResolvedByTheNewestRequest) {
  client(get("/lost"));
  client(get("/seen"));
  collector_->on_server_data(bytes(response("text/plain", "seen page")), true, 0, out_);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].target, "/seen");
}

TEST_F(HttpTextTest, ResponseWithoutRequestIsUnlabelled) {
  server(response("text/plain", "orphan"));
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].text, "orphan");
  EXPECT_EQ(out_[0].target, "");
}

TEST_F(HttpTextTest, FormPostsAreDecoded) {
  const std::string form = "q=how+to+make+friends&lang=en%2Dgb";
  client(
      "POST /search HTTP/1.1\r\nHost: search.example\r\n"
      "Content-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: " +
      std::to_string(form.size()) + "\r\n\r\n" + form +
      "POST /upload HTTP/1.1\r\nHost: search.example\r\nContent-Type: multipart/form-data; "
      "boundary=x\r\nContent-Length: 4\r\n\r\n--x-");
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].text, "q=how to make friends lang=en-gb");
  EXPECT_EQ(out_[0].status, 0);
  EXPECT_EQ(out_[0].method, "POST");
  EXPECT_EQ(out_[0].host, "search.example");
  EXPECT_EQ(out_[0].target, "/search");
  EXPECT_EQ(counters_.get(Counter::HttpFormPosts), 1u);
}

TEST_F(HttpTextTest, ConnectTunnelEndsTheServerSide) {
  client("CONNECT secure.example:443 HTTP/1.1\r\nHost: secure.example:443\r\n\r\n\x16\x03\x01");
  server("HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x10");
  EXPECT_TRUE(collector_->server_done());
  EXPECT_TRUE(out_.empty());
}

TEST_F(HttpTextTest, RefusedConnectIsAnOrdinaryResponse) {
  client("CONNECT blocked.example:443 HTTP/1.1\r\nHost: blocked.example:443\r\n\r\n");
  server(
      "HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 22\r\n\r\n"
      "<h1>Access denied</h1>");
  EXPECT_FALSE(collector_->server_done());
  EXPECT_EQ(texts(), std::vector<std::string>{"Access denied"});
}

TEST_F(HttpTextTest, HeldTextPastTheMemoryBudgetIsHandedOverEarly) {
  budget_.limit = 100;
  client(get("/slow"));
  server("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n" +
         std::string(60, 'a'));
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(budget_.used, 60u);
  server(" " + std::string(60, 'b'));
  ASSERT_EQ(out_.size(), 1u);  // over the budget: handed over at once
  EXPECT_EQ(counters_.get(Counter::HttpTextMemoryFlushes), 1u);
  EXPECT_EQ(budget_.used, 0u);
  collector_.reset();
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(HttpTextTest, DecoderRefusedByTheBudgetIsCounted) {
  budget_.limit = 1000;
  client(get("/z"));
  server(response("text/html", test::gzip(kHtml), "gzip"));
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(counters_.get(Counter::HttpDecodeNoMemory), 1u);
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(HttpTextTest, UnlabelledHtmlIsSniffed) {
  client(get("/a") + get("/b"));
  server("HTTP/1.1 200 OK\r\nContent-Length: 25\r\n\r\n<html><p>sniffed</p></htm" +
         std::string("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nGIF89a"));
  EXPECT_EQ(texts(), std::vector<std::string>{"sniffed"});
}

}  // namespace
}  // namespace vigil::inspect
