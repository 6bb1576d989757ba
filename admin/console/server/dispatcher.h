#pragma once
// One request, from what the connection read to the complete response:
// the target and body decoded, static assets, the session, sign-in,
// sign-out and account pages, the CSRF and Origin checks, route dispatch
// with its capability check, and the headers every response carries.
// Plain C++ (no Beast or OpenSSL types): server.cc feeds it.
//
// ConsoleCore is what all workers share (routes, sessions, back-off); each
// worker has its own Dispatcher over its own store connections.

#include <string>
#include <string_view>
#include <vector>

#include "admin/console/http.h"
#include "admin/console/route.h"
#include "admin/console/server/backoff.h"
#include "admin/console/server/server.h"
#include "admin/console/server/sessions.h"

namespace vigil::store {
class Casework;
class CredentialStore;
struct Credential;
}  // namespace vigil::store

namespace vigil::console {

inline constexpr std::string_view kSessionCookie = "__Host-vigil_session";
inline constexpr std::string_view kLoginCookie = "__Host-vigil_login";

// A request as the connection read it.
struct Incoming {
  std::string method;  // as sent: "GET", "POST", ...
  std::string target;  // the request-target as sent, "/incidents?severity=danger"
  Fields headers;      // names lower-cased, values as sent, in order
  std::string body;
  std::string remote_address;  // the peer's IP address

  // The first value of header `name` (lower-case), "" when absent.
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

// Shared by every worker. Thread-safe: the sessions and the back-off lock
// themselves; the rest is read-only once built.
class ConsoleCore {
 public:
  ConsoleCore(const ServerOptions& options, std::vector<Route> routes);

  [[nodiscard]] const ServerOptions& options() const noexcept { return options_; }
  [[nodiscard]] const std::vector<Route>& routes() const noexcept { return routes_; }
  Sessions& sessions() noexcept { return sessions_; }
  LoginBackoff& backoff() noexcept { return backoff_; }
  // A hash of a random password at the configured cost: verified against
  // when the user is unknown, so that costs what a wrong password costs.
  [[nodiscard]] const std::string& dummy_hash() const noexcept { return dummy_hash_; }
  // "https://host[:port]" of console.public_url, "" when not set.
  [[nodiscard]] const std::string& public_origin() const noexcept { return public_origin_; }
  [[nodiscard]] store::TimeUs now() const;

 private:
  const ServerOptions& options_;
  std::vector<Route> routes_;
  Sessions sessions_;
  LoginBackoff backoff_;
  std::string dummy_hash_;
  std::string public_origin_;
};

class Dispatcher {
 public:
  Dispatcher(ConsoleCore& core, store::Casework& casework, store::CredentialStore& credentials);

  // The response, with the security headers, Cache-Control and any
  // Set-Cookie already among its headers. Never throws: a failure inside
  // (a handler's exception, the store) is a 500 or 503, logged once.
  Response handle(const Incoming& in);

 private:
  struct Exchange;  // one request's state (dispatcher.cc)

  Response dispatch(Exchange& x);
  Response serve_static(Exchange& x);
  bool authenticate(Exchange& x);
  bool same_origin(const Exchange& x) const;
  bool csrf_ok(const Exchange& x) const;
  Response needs_sign_in(Exchange& x);

  // Sign-in, sign-out and the user's own account (account.cc).
  Response login_get(Exchange& x);
  Response login_post(Exchange& x);
  Response logout(Exchange& x);
  Response account_get(Exchange& x, std::string_view flash = {}, int status = 200);
  Response change_password(Exchange& x);
  Response totp_begin(Exchange& x);
  Response totp_confirm(Exchange& x);
  Response totp_disable(Exchange& x);
  Response login_page(Exchange& x, std::string_view next, std::string_view flash,
                      std::string_view name, int status);
  bool must_enrol(const store::Credential& c) const noexcept;
  void audit(std::string_view actor, std::string_view action, std::int64_t user_id,
             std::string_view detail);

  ConsoleCore& core_;
  store::Casework& casework_;
  store::CredentialStore& credentials_;
};

// Sets the headers every response carries: the Content-Security-Policy
// (the console's; the report's own, which allows its inline style and no
// script, only when the handler chose Response::Policy::SelfContainedReport),
// HSTS, X-Frame-Options, X-Content-Type-Options, Referrer-Policy,
// Cross-Origin-Opener/Resource-Policy, Permissions-Policy, and
// Cache-Control (max-age=3600 when `cacheable`, no-store otherwise). Any of
// these, Set-Cookie or a framing header a handler set is dropped first, as
// is any header whose name or value could split the response.
void add_standard_headers(Response& response, bool cacheable);

// A short plain-text error for a request the server could not read (400,
// 413, 431), with the standard headers.
Response plain_error(int status, std::string_view message);

// Whether `next` may follow a sign-in: a path on this server ("/x..."),
// never "//host", "/\host", a scheme, a control character, a space or a
// non-ASCII byte.
bool safe_next(std::string_view next) noexcept;

}  // namespace vigil::console
