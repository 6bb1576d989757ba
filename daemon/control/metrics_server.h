#pragma once
// Prometheus /metrics over HTTP/1.1 (text exposition format 0.0.4), without a
// login, so it belongs on loopback (metrics.listen). One I/O thread serves
// every connection; each scrape asks ControlHandler::metrics() on it.
// Boost.Beast stays inside metrics_server.cc.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "daemon/control/handler.h"

namespace vigil::daemon {

struct MetricsServerOptions {
  std::string host = "127.0.0.1";  // an address or a name that resolves locally
  std::uint16_t port = 9750;       // 0: the kernel chooses (tests); see port()
  std::size_t max_connections = 16;
  // Reading one request (including the idle time before it on a kept-alive
  // connection) and writing one response must each finish within this time.
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

class MetricsServer {
 public:
  // Binds and listens; nullptr and a one-line `error` when it cannot.
  static std::unique_ptr<MetricsServer> open(ControlHandler& handler, MetricsServerOptions options,
                                             std::string& error);
  ~MetricsServer();  // stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  void start();
  void stop();  // closes every connection and joins the I/O thread; idempotent

  [[nodiscard]] std::uint16_t port() const;  // the bound port

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The exposition text: one # HELP and # TYPE per metric name, its samples
// together (in the order names first appear), label values escaped
// (backslash, double quote, line feed). A sample whose metric or label name
// is not valid is left out and counted in vigil_metrics_invalid_samples.
std::string render_exposition(std::span<const MetricSample> samples);

bool is_valid_metric_name(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_valid_label_name(std::string_view name);   // [a-zA-Z_][a-zA-Z0-9_]*, not __*

}  // namespace vigil::daemon
