#include "daemon/control/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/daemon/control/fake_handler.h"

namespace vigil::daemon {
namespace {

using namespace std::chrono_literals;
using testing::FakeHandler;

MetricSample sample(std::string name, double value,
                    std::vector<std::pair<std::string, std::string>> labels = {},
                    std::string type = "counter", std::string help = "") {
  return {.name = std::move(name),
          .help = std::move(help),
          .type = std::move(type),
          .labels = std::move(labels),
          .value = value};
}

// --- the exposition text --------------------------------------------------

TEST(Exposition, OneHelpAndTypePerNameWithItsSamplesTogether) {
  std::vector<MetricSample> s = {
      sample("vigil_packets_total", 10, {{"interface", "br-lan"}}, "counter", "Packets read."),
      sample("vigil_rules_generation", 3, {}, "gauge", "Rule snapshot in use."),
      sample("vigil_packets_total", 20, {{"interface", "wlan0"}}, "counter", "ignored"),
  };
  EXPECT_EQ(render_exposition(s),
            "# HELP vigil_packets_total Packets read.\n"
            "# TYPE vigil_packets_total counter\n"
            "vigil_packets_total{interface=\"br-lan\"} 10\n"
            "vigil_packets_total{interface=\"wlan0\"} 20\n"
            "# HELP vigil_rules_generation Rule snapshot in use.\n"
            "# TYPE vigil_rules_generation gauge\n"
            "vigil_rules_generation 3\n");
}

TEST(Exposition, HostileLabelValuesAreEscapedAndStayOnOneLine) {
  std::vector<MetricSample> s = {
      sample("vigil_hits_total", 1,
             {{"category", "a\"b\\c\nd"}, {"list", "x\"} 999\nvigil_fake 1"}}, "counter",
             "Hits\nby \\ category"),
      sample("vigil_hits_total", 2, {{"category", std::string("bad\xff\xc3utf8")}}),
  };
  EXPECT_EQ(render_exposition(s),
            "# HELP vigil_hits_total Hits\\nby \\\\ category\n"
            "# TYPE vigil_hits_total counter\n"
            "vigil_hits_total{category=\"a\\\"b\\\\c\\nd\",list=\"x\\\"} 999\\nvigil_fake 1\"} 1\n"
            "vigil_hits_total{category=\"bad\xEF\xBF\xBD\xEF\xBF\xBDutf8\"} 2\n");
}

TEST(Exposition, InvalidNamesAreLeftOutAndCounted) {
  std::vector<MetricSample> s = {
      sample("vigil ok", 1),
      sample("9vigil", 1),
      sample("vigil_x", 1, {{"__name__", "y"}}),
      sample("vigil_x", 1, {{"a-b", "y"}}),
      sample("vigil_x", 1, {{"a", "1"}, {"a", "2"}}),
      sample("", 1),
      sample("vigil:ok_total", 5, {{"_a1", "v"}}, "weird"),
  };
  EXPECT_EQ(render_exposition(s),
            "# TYPE vigil:ok_total untyped\n"
            "vigil:ok_total{_a1=\"v\"} 5\n"
            "# HELP vigil_metrics_invalid_samples Samples left out of this scrape: a metric or "
            "label name that is not valid.\n"
            "# TYPE vigil_metrics_invalid_samples gauge\n"
            "vigil_metrics_invalid_samples 6\n");
  EXPECT_TRUE(is_valid_metric_name("vigil_decode_truncated_ipv4_total"));
  EXPECT_TRUE(is_valid_metric_name(":a"));
  EXPECT_FALSE(is_valid_metric_name("vigil.decode"));
  EXPECT_TRUE(is_valid_label_name("interface"));
  EXPECT_FALSE(is_valid_label_name("__reserved"));
  EXPECT_FALSE(is_valid_label_name("a:b"));
}

TEST(Exposition, Values) {
  std::vector<MetricSample> s = {
      sample("a", 0),
      sample("b", -0.0),
      sample("c", 0.25),
      sample("d", 12345678901234.0),
      sample("e", 1e300),
      sample("f", std::numeric_limits<double>::quiet_NaN()),
      sample("g", std::numeric_limits<double>::infinity()),
      sample("h", -std::numeric_limits<double>::infinity()),
      sample("i", -3),
  };
  std::string text = render_exposition(s);
  for (const char* line : {"\na 0\n", "\nb 0\n", "\nc 0.25\n", "\nd 12345678901234\n",
                           "\ne 1e+300\n", "\nf NaN\n", "\ng +Inf\n", "\nh -Inf\n", "\ni -3\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  }
}

// --- over HTTP -------------------------------------------------------------

struct HttpResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  std::string header(const std::string& name) const {
    std::size_t at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return {};
    at += name.size() + 4;
    return head.substr(at, head.find("\r\n", at) - at);
  }
};

class TcpClient {
 public:
  explicit TcpClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  }
  ~TcpClient() { ::close(fd_); }
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response: headers, then Content-Length bytes (none for HEAD).
  std::optional<HttpResponse> read(bool head_request = false,
                                   std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    HttpResponse r;
    r.head = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    r.status = std::stoi(r.head.substr(9, 3));
    std::size_t length = head_request ? 0 : std::stoul("0" + r.header("Content-Length"));
    while (buf_.size() < length) {
      if (!fill(deadline)) return std::nullopt;
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  bool wait_closed(std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(deadline)) {
    }
    return eof_;
  }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char b[65536];
    ssize_t n = ::recv(fd_, b, sizeof b, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(b, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    handler_.set_samples({
        sample("vigil_packets_total", 1234, {{"interface", "br-lan"}}, "counter", "Packets."),
        sample("vigil_hits_total", 2, {{"category", "x\"y\\z\nw"}}, "counter", "Hits."),
    });
  }
  MetricsServer& serve(MetricsServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    std::string error;
    server_ = MetricsServer::open(handler_, options, error);
    EXPECT_NE(server_, nullptr) << error;
    if (server_ == nullptr) std::abort();
    EXPECT_NE(server_->port(), 0);
    server_->start();
    return *server_;
  }
  std::optional<HttpResponse> get(const std::string& request, bool head = false) {
    TcpClient c(server_->port());
    EXPECT_TRUE(c.connected());
    c.send(request);
    return c.read(head);
  }

  FakeHandler handler_;
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, GetMetrics) {
  serve();
  auto r = get("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r->body, render_exposition(handler_.metrics()));
  EXPECT_NE(r->body.find("vigil_hits_total{category=\"x\\\"y\\\\z\\nw\"} 2\n"), std::string::npos)
      << r->body;
  // A query string (as some scrapers add) is ignored.
  r = get("GET /metrics?x=1 HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(MetricsServerTest, HeadHasTheLengthAndNoBody) {
  serve();
  TcpClient c(server_->port());
  c.send("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = c.read(/*head_request=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Length"),
            std::to_string(render_exposition(handler_.metrics()).size()));
  // Kept alive, and nothing but the next response follows.
  c.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, render_exposition(handler_.metrics()));
}

TEST_F(MetricsServerTest, OtherPathsAre404OtherMethods405) {
  serve();
  for (const char* path : {"/", "/metricsx", "/metrics/", "/../etc/passwd", "*"}) {
    auto r = get(std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
  }
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    auto r = get(std::string(method) +
                 " /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(r) << method;
    EXPECT_EQ(r->status, 405) << method;
    EXPECT_EQ(r->header("Allow"), "GET, HEAD");
  }
}

TEST_F(MetricsServerTest, OversizedOrMalformedRequestsAreRefused) {
  serve();
  {
    TcpClient c(server_->port());
    c.send("GET /metrics HTTP/1.1\r\nX-Pad: " + std::string(10000, 'a') + "\r\n\r\n");
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(c.wait_closed());
  }
  {
    TcpClient c(server_->port());
    c.send("GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(c.wait_closed());
  }
  {
    TcpClient c(server_->port());
    c.send("\x16\x03\x01 not http at all\r\n\r\n");
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(c.wait_closed());
  }
  auto r = get("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(MetricsServerTest, SilentClientsAreTimedOutAndDoNotBlockScrapes) {
  serve({.timeout = 300ms});
  TcpClient silent(server_->port());
  TcpClient partial(server_->port());
  partial.send("GET /metr");
  auto r = get("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(silent.wait_closed(5s));
  EXPECT_TRUE(partial.wait_closed(5s));
}

TEST_F(MetricsServerTest, ConnectionsOverTheLimitAreClosed) {
  serve({.max_connections = 2});
  TcpClient a(server_->port());
  TcpClient b(server_->port());
  std::this_thread::sleep_for(100ms);  // both accepted
  TcpClient c(server_->port());
  EXPECT_TRUE(c.wait_closed(5s));
  a.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = a.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(MetricsServerTest, StopClosesOpenConnections) {
  serve();
  TcpClient idle(server_->port());
  TcpClient keep(server_->port());
  keep.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(keep.read());
  auto start = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(idle.wait_closed(1s));
  EXPECT_TRUE(keep.wait_closed(1s));
  EXPECT_FALSE(TcpClient(server_->port()).connected());
  server_->stop();  // idempotent
}

TEST(MetricsServerOpen, AnAddressInUseIsAnError) {
  FakeHandler handler;
  std::string error;
  auto first = MetricsServer::open(handler, {.host = "127.0.0.1", .port = 0}, error);
  ASSERT_NE(first, nullptr) << error;
  auto second = MetricsServer::open(handler, {.host = "127.0.0.1", .port = first->port()}, error);
  EXPECT_EQ(second, nullptr);
  EXPECT_TRUE(error.starts_with("metrics.listen 127.0.0.1:" + std::to_string(first->port()) + ": "))
      << error;
}

}  // namespace
}  // namespace vigil::daemon
