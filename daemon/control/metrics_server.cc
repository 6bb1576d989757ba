// The only file that sees Boost.Beast: an HTTP/1.1 server for GET and HEAD
// /metrics on one io_context thread. Every connection reads at most one
// 8 KiB header block and no body, has `timeout` to send each request and to
// take each response, and is closed after kMaxRequestsPerConnection.

#include "daemon/control/metrics_server.h"

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <exception>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace vigil::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxHeaderBytes = 8192;
constexpr unsigned kMaxRequestsPerConnection = 100;
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kMaxLingerBytes = 64 * 1024;
constexpr std::string_view kExpositionType = "text/plain; version=0.0.4; charset=utf-8";

class Connection;

}  // namespace

struct MetricsServer::Impl {
  Impl(ControlHandler& h, MetricsServerOptions o) : handler(h), options(std::move(o)) {}

  ControlHandler& handler;
  MetricsServerOptions options;
  std::vector<std::weak_ptr<Connection>> live;  // I/O thread only: closed by stop()
  std::uint16_t bound_port = 0;
  std::thread thread;
  bool stopped = false;
  // Declared last: destroyed first, taking pending handlers (and the
  // connections they hold) with it while the members above still exist.
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_backoff{ioc};

  void accept();
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, ControlHandler& handler, const MetricsServerOptions& options)
      : stream_(std::move(socket)),
        buffer_(kMaxHeaderBytes),
        handler_(handler),
        options_(options) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void close() { stream_.close(); }  // pending operations finish with operation_aborted

  void read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(0);
    stream_.expires_after(options_.timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) {
      // A request we cannot read gets a 400 unless the peer is gone or slow.
      if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
          ec != asio::error::operation_aborted && ec != asio::error::connection_reset &&
          ec != asio::error::eof) {
        respond_plain(http::status::bad_request, "bad request\n", 11, false);
        return;
      }
      close();
      return;
    }
    ++served_;
    const auto& req = parser_->get();
    bool keep_alive = req.keep_alive() && served_ < kMaxRequestsPerConnection;
    std::string_view target = req.target();
    std::string_view path = target.substr(0, target.find('?'));
    if (path != "/metrics") {
      respond_plain(http::status::not_found, "not found: only /metrics is served\n", req.version(),
                    keep_alive);
      return;
    }
    bool head = req.method() == http::verb::head;
    if (req.method() != http::verb::get && !head) {
      respond_plain(http::status::method_not_allowed, "only GET and HEAD\n", req.version(),
                    keep_alive);
      return;
    }
    std::string body;
    try {
      body = render_exposition(handler_.metrics());
    } catch (const std::exception& e) {
      respond_plain(http::status::internal_server_error,
                    std::string("metrics failed: ") + e.what() + "\n", req.version(), false);
      return;
    }
    res_ = {};
    res_.result(http::status::ok);
    res_.version(req.version());
    res_.set(http::field::content_type, kExpositionType);
    res_.set(http::field::cache_control, "no-store");
    res_.keep_alive(keep_alive);
    res_.content_length(body.size());
    if (!head) res_.body() = std::move(body);
    write();
  }

  void respond_plain(http::status status, std::string text, unsigned version, bool keep_alive) {
    res_ = {};
    res_.result(status);
    res_.version(version);
    res_.set(http::field::content_type, "text/plain; charset=utf-8");
    if (status == http::status::method_not_allowed) res_.set(http::field::allow, "GET, HEAD");
    res_.keep_alive(keep_alive);
    res_.body() = std::move(text);
    res_.prepare_payload();
    write();
  }

  void write() {
    stream_.expires_after(options_.timeout);
    http::async_write(
        stream_, res_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    if (ec) {
      close();
    } else if (!res_.keep_alive()) {
      linger_close();
    } else {
      read();
    }
  }

  // Closing with unread request bytes would reset the connection and could
  // destroy the response before the client reads it: send FIN, then discard
  // what still comes for a short while (RFC 9112 section 9.6).
  void linger_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    discard();
  }
  void discard() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->discarded_ += n;
                              if (ec || self->discarded_ > kMaxLingerBytes) {
                                self->close();
                              } else {
                                self->discard();
                              }
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> res_;
  ControlHandler& handler_;
  const MetricsServerOptions& options_;
  unsigned served_ = 0;
  std::array<char, 4096> discard_{};
  std::size_t discarded_ = 0;
};

}  // namespace

void MetricsServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors and the like: try again shortly rather than spin.
      accept_backoff.expires_after(std::chrono::milliseconds(100));
      accept_backoff.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) accept();
      });
      return;
    }
    std::erase_if(live, [](const std::weak_ptr<Connection>& c) { return c.expired(); });
    if (live.size() >= options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      auto c = std::make_shared<Connection>(std::move(socket), handler, options);
      live.push_back(c);
      c->read();
    }
    accept();
  });
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<MetricsServer> MetricsServer::open(ControlHandler& handler,
                                                   MetricsServerOptions options,
                                                   std::string& error) {
  if (options.max_connections == 0) options.max_connections = 1;
  auto impl = std::make_unique<Impl>(handler, std::move(options));
  const std::string where =
      "metrics.listen " + impl->options.host + ":" + std::to_string(impl->options.port);
  beast::error_code ec;
  tcp::resolver resolver(impl->ioc);
  auto results = resolver.resolve(impl->options.host, std::to_string(impl->options.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    error = where + ": cannot resolve the host" + (ec ? ": " + ec.message() : std::string());
    return nullptr;
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  tcp::acceptor& a = impl->acceptor;
  if (a.open(endpoint.protocol(), ec) || a.set_option(asio::socket_base::reuse_address(true), ec) ||
      a.bind(endpoint, ec) || a.listen(asio::socket_base::max_listen_connections, ec)) {
    error = where + ": " + ec.message();
    return nullptr;
  }
  impl->bound_port = a.local_endpoint(ec).port();
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::start() {
  Impl& m = *impl_;
  if (m.thread.joinable() || m.stopped) return;
  m.accept();
  m.thread = std::thread([&m] { m.ioc.run(); });
}

void MetricsServer::stop() {
  Impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  // On the I/O thread: once nothing is pending, run() returns.
  asio::post(m.ioc, [&m] {
    beast::error_code ignored;
    m.acceptor.close(ignored);
    m.accept_backoff.cancel();
    for (auto& weak : m.live) {
      if (auto c = weak.lock()) c->close();
    }
    m.live.clear();
  });
  if (m.thread.joinable()) m.thread.join();
  beast::error_code ignored;
  m.acceptor.close(ignored);
}

std::uint16_t MetricsServer::port() const { return impl_->bound_port; }

}  // namespace vigil::daemon
