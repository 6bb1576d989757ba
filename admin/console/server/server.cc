// The only file that sees Boost.Beast, Asio and OpenSSL's TLS: the
// listener, the workers and one HTTPS/1.1 connection. Request handling
// itself is the worker's Dispatcher (dispatcher.h).

#include "admin/console/server/server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <exception>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "admin/console/server/certificate.h"
#include "admin/console/server/dispatcher.h"
#include "store/casework.h"
#include "store/credentials.h"

namespace vigil::console {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr unsigned kMaxRequestsPerConnection = 1000;
constexpr std::chrono::seconds kShutdownTime{2};

// TLS 1.2 with forward secrecy and AEAD only; TLS 1.3 suites are all of that.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

class Connection;

struct Worker {
  std::unique_ptr<store::Casework> casework;
  std::unique_ptr<store::CredentialStore> credentials;
  std::unique_ptr<Dispatcher> dispatcher;
  std::atomic<std::size_t> connections{0};
  std::vector<std::weak_ptr<Connection>> live;  // this worker's thread only
  std::thread thread;
  // Declared last: destroyed first, taking pending handlers (and the
  // connections they hold) with it while the stores above still exist.
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
};

std::string tls_error(const std::string& what) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return what;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return what + ": " + buf;
}

}  // namespace

struct ConsoleServer::Impl {
  ServerOptions options;
  std::atomic<std::size_t> connections{0};
  std::unique_ptr<ConsoleCore> core;
  ssl::context tls{ssl::context::tls_server};
  std::vector<std::unique_ptr<Worker>> workers;
  std::uint16_t bound_port = 0;
  std::thread accept_thread;
  bool started = false;
  std::atomic<bool> stopped{false};
  // Declared last: destroyed first.
  asio::io_context accept_ioc{1};
  tcp::acceptor acceptor{accept_ioc};
  asio::steady_timer accept_backoff{accept_ioc};

  void accept();
  Worker& least_busy();
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, ConsoleServer::Impl& server, Worker& worker, std::string remote)
      : stream_(std::move(socket), server.tls),
        server_(server),
        worker_(worker),
        remote_(std::move(remote)) {}
  ~Connection() {
    --worker_.connections;
    --server_.connections;
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start() {
    beast::get_lowest_layer(stream_).expires_after(server_.options.read_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) {
                              if (ec) {
                                self->close();  // not TLS (plain HTTP), too old, or too slow
                              } else {
                                self->read();
                              }
                            });
  }

  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
    parser_->body_limit(server_.options.max_post_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(server_.options.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read(ec);
    const bool post = parser_->get().method() == http::verb::post;
    parser_->body_limit(post ? server_.options.max_post_body_bytes
                             : server_.options.max_body_bytes);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_read(e); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      return respond(plain_error(431, "The request's headers are too large."), false, false);
    }
    if (ec == http::error::body_limit) {
      return respond(plain_error(413, "The request is too large."), false, false);
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == ssl::error::stream_truncated) {
      return close();
    }
    if (ec) return respond(plain_error(400, "The request could not be read."), false, false);

    ++served_;
    const auto& req = parser_->get();
    Incoming in;
    in.method = std::string(req.method_string());
    in.target = std::string(req.target());
    in.headers.reserve(16);
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      in.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    in.body = std::move(parser_->get().body());
    in.remote_address = remote_;
    const bool keep_alive =
        req.keep_alive() && served_ < kMaxRequestsPerConnection && !server_.stopped.load();
    const bool head = req.method() == http::verb::head;
    Response r;
    try {
      r = worker_.dispatcher->handle(in);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "vigil-console: %s\n", e.what());
      r = plain_error(500, "Something went wrong on the server. It has been logged.");
    }
    respond(std::move(r), keep_alive, head);
  }

  void respond(Response r, bool keep_alive, bool head) {
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(http::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers) res_.insert(name, value);
    res_.keep_alive(keep_alive);
    res_.content_length(r.body.size());
    if (!head) res_.body() = std::move(r.body);
    beast::get_lowest_layer(stream_).expires_after(server_.options.write_timeout);
    http::async_write(stream_, res_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (self->res_.keep_alive()) return self->read();
                        self->shutdown();
                      });
  }

  // TLS close_notify, then the socket; a peer that does not answer in
  // time is cut off.
  void shutdown() {
    beast::get_lowest_layer(stream_).expires_after(kShutdownTime);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->close(); });
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  ConsoleServer::Impl& server_;
  Worker& worker_;
  std::string remote_;
  unsigned served_ = 0;
};

}  // namespace

Worker& ConsoleServer::Impl::least_busy() {
  Worker* best = workers.front().get();
  for (auto& w : workers) {
    if (w->connections.load() < best->connections.load()) best = w.get();
  }
  return *best;
}

void ConsoleServer::Impl::accept() {
  Worker& worker = least_busy();
  acceptor.async_accept(worker.ioc, [this, &worker](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors and the like: try again shortly rather than spin.
      accept_backoff.expires_after(std::chrono::milliseconds(100));
      accept_backoff.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) accept();
      });
      return;
    }
    if (connections.load() >= options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      ++connections;
      ++worker.connections;
      beast::error_code addr_ec;
      asio::ip::address peer = socket.remote_endpoint(addr_ec).address();
      if (peer.is_v6() && peer.to_v6().is_v4_mapped()) {
        peer = asio::ip::make_address_v4(asio::ip::v4_mapped, peer.to_v6());
      }
      socket.set_option(tcp::no_delay(true), addr_ec);
      asio::post(worker.ioc, [this, &worker, s = std::move(socket),
                              remote = addr_ec ? std::string() : peer.to_string()]() mutable {
        auto c = std::make_shared<Connection>(std::move(s), *this, worker, std::move(remote));
        std::erase_if(worker.live, [](const std::weak_ptr<Connection>& w) { return w.expired(); });
        worker.live.push_back(c);
        c->start();
      });
    }
    accept();
  });
}

ConsoleServer::ConsoleServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<ConsoleServer> ConsoleServer::open(ServerOptions options, std::vector<Route> routes,
                                                   std::string& error) {
  if (options.worker_threads == 0) options.worker_threads = 1;
  if (options.max_connections == 0) options.max_connections = 1;
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  const ServerOptions& o = impl->options;

  CertificateInfo cert;
  if (!ensure_certificate({o.cert_path, o.key_path, o.host, 397}, cert, error)) return nullptr;
  if (cert.made) {
    std::string names;
    for (const std::string& n : cert.names) names += (names.empty() ? "" : ", ") + n;
    std::fprintf(stderr,
                 "vigil-console: made a self-signed certificate %s (key %s) for %s, valid 397 "
                 "days\nvigil-console: its SHA-256 fingerprint is %s: check that your browser "
                 "shows the same before trusting it\n",
                 o.cert_path.c_str(), o.key_path.c_str(), names.c_str(),
                 cert.fingerprint_sha256.c_str());
  }

  SSL_CTX* ctx = impl->tls.native_handle();
  impl->tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    error = tls_error("TLS setup");
    return nullptr;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert_path.c_str()) != 1) {
    error = tls_error("console.tls_cert " + o.cert_path);
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, o.key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = tls_error("console.tls_key " + o.key_path);
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    error = tls_error("console.tls_key " + o.key_path + " does not belong to " + o.cert_path);
    return nullptr;
  }

  try {
    impl->core = std::make_unique<ConsoleCore>(impl->options, std::move(routes));
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
  for (unsigned i = 0; i < o.worker_threads; ++i) {
    auto w = std::make_unique<Worker>();
    auto cw = store::Casework::open({.path = o.store_path, .clock = o.clock});
    if (!cw) {
      error = cw.error().message;
      return nullptr;
    }
    auto cr = store::CredentialStore::open({.path = o.store_path, .clock = o.clock});
    if (!cr) {
      error = cr.error().message;
      return nullptr;
    }
    w->casework = std::move(*cw);
    w->credentials = std::move(*cr);
    w->dispatcher = std::make_unique<Dispatcher>(*impl->core, *w->casework, *w->credentials);
    impl->workers.push_back(std::move(w));
  }

  const std::string where = "console.listen " +
                            (o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host) +
                            ":" + std::to_string(o.port);
  beast::error_code ec;
  tcp::resolver resolver(impl->accept_ioc);
  auto results = resolver.resolve(o.host, std::to_string(o.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    error = where + ": cannot resolve the host" + (ec ? ": " + ec.message() : std::string());
    return nullptr;
  }
  const tcp::endpoint endpoint = results.begin()->endpoint();
  tcp::acceptor& a = impl->acceptor;
  if (a.open(endpoint.protocol(), ec) || a.set_option(asio::socket_base::reuse_address(true), ec) ||
      a.bind(endpoint, ec) || a.listen(asio::socket_base::max_listen_connections, ec)) {
    error = where + ": " + ec.message();
    return nullptr;
  }
  impl->bound_port = a.local_endpoint(ec).port();
  return std::unique_ptr<ConsoleServer>(new ConsoleServer(std::move(impl)));
}

ConsoleServer::~ConsoleServer() { stop(); }

void ConsoleServer::start() {
  Impl& m = *impl_;
  if (m.started || m.stopped.load()) return;
  m.started = true;
  for (auto& w : m.workers) {
    Worker& worker = *w;
    worker.guard.emplace(worker.ioc.get_executor());
    worker.thread = std::thread([&worker] {
      // A handler's exception is caught in the dispatcher; anything else
      // escaping run() is logged and the loop resumed, never the process ended.
      for (;;) {
        try {
          worker.ioc.run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "vigil-console: worker: %s\n", e.what());
        }
      }
    });
  }
  m.accept();
  m.accept_thread = std::thread([&m] { m.accept_ioc.run(); });
}

void ConsoleServer::stop() {
  Impl& m = *impl_;
  if (m.stopped.exchange(true)) return;
  asio::post(m.accept_ioc, [&m] {
    beast::error_code ignored;
    m.acceptor.close(ignored);
    m.accept_backoff.cancel();
  });
  if (m.accept_thread.joinable()) m.accept_thread.join();
  beast::error_code ignored;
  m.acceptor.close(ignored);
  for (auto& w : m.workers) {
    Worker& worker = *w;
    asio::post(worker.ioc, [&worker] {
      for (auto& weak : worker.live) {
        if (auto c = weak.lock()) c->close();
      }
      worker.live.clear();
    });
    worker.guard.reset();
  }
  for (auto& w : m.workers) {
    if (w->thread.joinable()) w->thread.join();
  }
}

std::uint16_t ConsoleServer::port() const { return impl_->bound_port; }

}  // namespace vigil::console
