#pragma once
// vigil-console's HTTPS server: TLS, sessions, sign-in, CSRF, capability
// checks, security headers and static assets, around the routes the pages
// (admin/console/pages) provide. Boost.Beast, Asio and OpenSSL stay inside
// this folder's .cc files.
//
// Threads: one accepts connections and hands each to the worker with the
// fewest; each of `worker_threads` workers runs its own io_context and owns
// its own store::Casework and store::CredentialStore, so a handler uses
// the connection of the thread serving it and nothing store-side is shared.
// Sessions and the sign-in back-off are shared, each behind its own lock.
// See admin/console/README.md.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "admin/console/password.h"
#include "admin/console/route.h"
#include "store/types.h"

namespace vigil::console {

// console.totp: whether admin, DSL and deputy DSL accounts use a second factor.
enum class TotpMode : unsigned char {
  Off,       // not offered and not asked for
  Optional,  // anyone may enrol; enrolled users give a code at sign-in
  Required,  // admin, dsl and deputy_dsl must enrol before using anything else
};

struct ServerOptions {
  std::string host = "127.0.0.1";  // console.listen
  std::uint16_t port = 8443;       // 0: the kernel chooses (tests); see port()
  // console.tls_cert / tls_key. When both files are missing a P-256 key and
  // a self-signed certificate are made there (key 0600, cert 0644, parent
  // folders 0700) and the certificate's SHA-256 fingerprint is printed to
  // standard error; one without the other is an error.
  std::string cert_path;
  std::string key_path;
  std::string store_path;  // store.path: every worker opens its own connections
  // The console as staff reach it (console.public_url), "" when not set: its
  // origin is accepted in an Origin header besides https://<Host header>.
  std::string public_url;

  std::chrono::milliseconds session_idle{std::chrono::minutes(30)};    // console.session_idle
  std::chrono::milliseconds session_lifetime{std::chrono::hours(12)};  // however active
  std::size_t max_sessions = 10'000;
  TotpMode totp = TotpMode::Optional;
  std::string totp_issuer = "Vigil";  // shown by authenticator apps

  unsigned worker_threads = 2;
  std::size_t max_connections = 256;
  std::size_t max_header_bytes = 16 * 1024;
  // Request bodies: POST may carry up to max_post_body_bytes (a people CSV
  // import is the largest thing the console takes); other methods
  // max_body_bytes. There is no per-route limit.
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_post_body_bytes = 8 * 1024 * 1024;
  // Reading one request (the TLS handshake, or the idle time before it on a
  // kept-alive connection, included) and writing one response must each
  // finish within these.
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};

  // Argon2id cost for new hashes, rehashing at sign-in and the dummy check
  // that makes an unknown user cost as much as a wrong password.
  PasswordCost password_cost = default_password_cost();
  // Wall clock in microseconds (sessions, back-off, TOTP); the system clock
  // when empty. The same clock is handed to each worker's Casework.
  std::function<store::TimeUs()> clock;
};

class ConsoleServer {
 public:
  // Checks or makes the certificate, sets up TLS, opens each worker's store
  // connections, binds and listens. nullptr and a one-line `error` when any
  // of that fails.
  static std::unique_ptr<ConsoleServer> open(ServerOptions options, std::vector<Route> routes,
                                             std::string& error);
  ~ConsoleServer();  // stop()
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  void start();  // starts the threads; idempotent
  void stop();   // closes the listener and every connection, joins the threads; idempotent

  [[nodiscard]] std::uint16_t port() const;  // the bound port

  struct Impl;

 private:
  explicit ConsoleServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::console
