#include "admin/console/server/dispatcher.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <exception>
#include <utility>

#include "admin/console/html.h"
#include "admin/console/server/dispatcher_detail.h"
#include "admin/console/server/static_assets.h"
#include "store/casework.h"
#include "store/credentials.h"

namespace vigil::console {
namespace {

constexpr std::string_view kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
// The monthly report page (Response::Policy::SelfContainedReport): its own
// inline <style> and style attributes, inline SVG and data: images, nothing
// else; no script at all, no form, no frame, and a sandbox (an opaque
// origin) so even a markup slip in the report could not act as the console.
constexpr std::string_view kReportCsp =
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'; sandbox";
constexpr std::string_view kPermissions =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()";

// Headers only the server sets.
constexpr std::array<std::string_view, 15> kServerOwned{"set-cookie",
                                                        "content-security-policy",
                                                        "strict-transport-security",
                                                        "x-frame-options",
                                                        "x-content-type-options",
                                                        "referrer-policy",
                                                        "permissions-policy",
                                                        "cross-origin-opener-policy",
                                                        "cross-origin-resource-policy",
                                                        "cache-control",
                                                        "content-length",
                                                        "transfer-encoding",
                                                        "connection",
                                                        "content-type",
                                                        "upgrade"};

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool safe_header_value(std::string_view v) noexcept {
  for (char c : v) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

Method parse_method(std::string_view m) noexcept {
  if (m == "GET") return Method::Get;
  if (m == "HEAD") return Method::Head;
  if (m == "POST") return Method::Post;
  return Method::Other;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The path and query of an origin-form target; false when it is not one
// or an escape is malformed.
bool parse_target(std::string_view target, Request& req) {
  if (target.empty() || target.front() != '/') return false;
  const std::size_t q = target.find('?');
  auto path = percent_decode(target.substr(0, q), false);
  if (!path || path->find('\0') != std::string::npos) return false;
  req.path = std::move(*path);
  if (q != std::string_view::npos) {
    auto query = parse_urlencoded(target.substr(q + 1));
    if (!query) return false;
    req.query = std::move(*query);
  }
  return true;
}

// "https://host[:port]" of a URL, lower-cased; "" when it has none.
std::string origin_of(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  const std::size_t end = url.find_first_of("/?#", scheme + 3);
  return lower(url.substr(0, end));
}

void log_line(const std::string& text) {
  std::string line = "vigil-console: ";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      line += buf;
    } else {
      line += c;
    }
  }
  line += '\n';
  std::fputs(line.c_str(), stderr);
}

}  // namespace

std::string_view Incoming::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

bool safe_next(std::string_view next) noexcept {
  if (next.empty() || next.size() > 2048 || next.front() != '/') return false;
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return false;
  for (char c : next) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\') return false;
  }
  return true;
}

void add_standard_headers(Response& r, bool cacheable) {
  std::erase_if(r.headers, [](const auto& h) {
    if (!is_token(h.first) || !safe_header_value(h.second)) {
      log_line("dropped a response header that could split the response: " + h.first);
      return true;
    }
    const std::string name = lower(h.first);
    for (std::string_view owned : kServerOwned) {
      if (name == owned) return true;
    }
    return false;
  });
  if (!safe_header_value(r.content_type)) r.content_type = "application/octet-stream";
  r.headers.emplace_back(
      "Content-Security-Policy",
      std::string(r.policy == Response::Policy::SelfContainedReport ? kReportCsp : kCsp));
  r.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  r.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
  r.headers.emplace_back("Permissions-Policy", std::string(kPermissions));
  r.headers.emplace_back("Cache-Control", cacheable ? "max-age=3600" : "no-store");
}

Response plain_error(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::string(message) + "\n";
  add_standard_headers(r, false);
  return r;
}

ConsoleCore::ConsoleCore(const ServerOptions& options, std::vector<Route> routes)
    : options_(options),
      routes_(std::move(routes)),
      sessions_(SessionLimits{
          std::chrono::duration_cast<std::chrono::microseconds>(options.session_idle),
          std::chrono::duration_cast<std::chrono::microseconds>(options.session_lifetime),
          options.max_sessions}),
      public_origin_(origin_of(options.public_url)) {
  auto dummy = hash_password(random_token(), options.password_cost);
  if (!dummy) throw std::runtime_error("cannot hash a password (out of memory?)");
  dummy_hash_ = std::move(*dummy);
}

store::TimeUs ConsoleCore::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Dispatcher::Dispatcher(ConsoleCore& core, store::Casework& casework,
                       store::CredentialStore& credentials)
    : core_(core), casework_(casework), credentials_(credentials) {}

Response Dispatcher::handle(const Incoming& in) {
  Exchange x{in};
  Response r;
  try {
    r = dispatch(x);
  } catch (const std::exception& e) {
    log_line(in.method + " " + x.req.path + ": failed: " + e.what());
    r = error_response(x.req, 500, "Something went wrong on the server. It has been logged.");
    x.cacheable = false;
  } catch (...) {
    log_line(in.method + " " + x.req.path + ": failed with an unknown exception");
    r = error_response(x.req, 500, "Something went wrong on the server. It has been logged.");
    x.cacheable = false;
  }
  add_standard_headers(r, x.cacheable);
  for (std::string& c : x.cookies) r.headers.emplace_back("Set-Cookie", std::move(c));
  return r;
}

Response Dispatcher::dispatch(Exchange& x) {
  const Incoming& in = x.in;
  Request& req = x.req;
  req.method = parse_method(in.method);
  req.remote_address = in.remote_address;
  if (!parse_target(in.target, req)) {
    req.path = "/";
    return error_response(req, 400, "The address is not valid.");
  }
  req.api = req.path.starts_with("/api/");
  const std::string_view content_type = in.header("content-type");
  req.content_type = lower(trim(content_type.substr(0, content_type.find(';'))));
  req.body = in.body;
  if (req.content_type == "application/x-www-form-urlencoded") {
    auto form = parse_urlencoded(in.body);
    if (!form) return error_response(req, 400, "The form could not be read.");
    req.form = std::move(*form);
  }
  if (req.path.starts_with("/static/")) return serve_static(x);

  const bool signed_in = authenticate(x);
  const bool read_only = req.method == Method::Get || req.method == Method::Head;

  // Sign-in, sign-out and the user's own account: handled here, before the
  // pages' routes.
  if (req.path == "/login") {
    if (read_only) return login_get(x);
    if (req.method == Method::Post) return login_post(x);
    return error_response(req, 405, "Use GET or POST.");
  }
  if (req.path == "/logout") {
    if (req.method == Method::Post) return logout(x);
    return error_response(req, 405, "Sign out with the button on each page.");
  }
  const bool account = req.path == "/account" || req.path.starts_with("/account/");
  if (!signed_in) return needs_sign_in(x);
  if (!read_only && !csrf_ok(x)) {
    return error_response(req, 403,
                          "This form came from another site or has expired. Go back, reload the "
                          "page and try again.");
  }
  if (account) {
    if (req.path == "/account") {
      if (read_only) return account_get(x);
      return error_response(req, 405, "Use GET.");
    }
    if (req.method != Method::Post) return error_response(req, 405, "Use POST.");
    if (req.path == "/account/password") return change_password(x);
    if (req.path == "/account/totp/begin") return totp_begin(x);
    if (req.path == "/account/totp/confirm") return totp_confirm(x);
    if (req.path == "/account/totp/disable") return totp_disable(x);
    return error_response(req, 404, "There is no such page.");
  }
  if (must_enrol(*x.credential) && !x.credential->totp_enabled) {
    if (req.api)
      return error_response(req, 403, "Set up two-step sign-in on your account page first.");
    return redirect("/account");
  }

  bool path_exists = false;
  const Route* route =
      find_route(core_.routes(), req.method, req.path, req.path_params, path_exists);
  if (route == nullptr) {
    if (path_exists) return error_response(req, 405, "This page does not take that method.");
    return error_response(req, 404, "There is no such page.");
  }
  if (!allowed(x.principal.role, route->need)) {
    // The start page of someone who may not see the dashboard (a reporter)
    // is the list of the concerns they raised.
    if (req.path == "/" && !req.api && allowed(x.principal.role, Capability::ViewOwnConcerns)) {
      return redirect("/concerns/mine");
    }
    return error_response(req, 403,
                          "Your role (" + std::string(store::role_name(x.principal.role)) +
                              ") may not use this page.");
  }
  PageContext ctx{casework_, x.principal};
  try {
    return route->handler(req, ctx);  // HEAD: the connection sends the headers only
  } catch (const std::exception& e) {
    log_line(in.method + " " + req.path + ": handler failed: " + e.what());
  } catch (...) {
    log_line(in.method + " " + req.path + ": handler failed with an unknown exception");
  }
  return error_response(req, 500, "Something went wrong on the server. It has been logged.");
}

Response Dispatcher::serve_static(Exchange& x) {
  const Request& req = x.req;
  const StaticAsset* asset = find_static_asset(std::string_view(req.path).substr(8));
  if (asset == nullptr) return error_response(req, 404, "There is no such file.");
  if (req.method != Method::Get && req.method != Method::Head) {
    return error_response(req, 405, "Use GET.");
  }
  Response r;
  r.content_type = std::string(static_content_type(asset->name));
  r.body = std::string(asset->body);
  x.cacheable = true;
  return r;
}

bool Dispatcher::authenticate(Exchange& x) {
  const std::string_view id = x.cookie(kSessionCookie);
  if (id.empty()) return false;
  const store::TimeUs now = core_.now();
  auto session = core_.sessions().find(id, now);
  if (!session) {
    x.cookies.push_back(clear_cookie(kSessionCookie));
    return false;
  }
  auto cred = credentials_.by_id(session->user_id);
  if (!cred) throw std::runtime_error("reading the signed-in user: " + cred.error().message);
  // The user row decides each request: removed, disabled or a new password
  // since sign-in ends the session at once.
  if (!cred->has_value() || (*cred)->disabled ||
      (*cred)->password_changed_us != session->password_epoch_us) {
    core_.sessions().erase(id);
    x.cookies.push_back(clear_cookie(kSessionCookie));
    return false;
  }
  x.session_id = std::string(id);
  x.session = std::move(*session);
  x.credential = std::move(**cred);
  x.principal.user_id = x.credential->user_id;
  x.principal.name = x.credential->name;
  x.principal.role = x.credential->role;
  x.principal.csrf_token = x.session->csrf_token;
  return true;
}

// Sec-Fetch-Site is set by the browser itself (no page can forge it): when it
// says same-origin that settles it. The Origin header is then often "null":
// with Referrer-Policy no-referrer a browser sends `Origin: null` on form
// posts. Without Sec-Fetch-Site (older browsers, scripts) the Origin must be
// ours or absent; the CSRF token is checked in every case.
bool Dispatcher::same_origin(const Exchange& x) const {
  const std::string_view fetch_site = x.in.header("sec-fetch-site");
  if (!fetch_site.empty() && fetch_site != "same-origin" && fetch_site != "none") return false;
  if (fetch_site == "same-origin") return true;
  const std::string_view origin = x.in.header("origin");
  if (origin.empty()) return true;
  const std::string have = lower(origin);
  const std::string_view host = x.in.header("host");
  if (!host.empty() && have == "https://" + lower(host)) return true;
  return !core_.public_origin().empty() && have == core_.public_origin();
}

bool Dispatcher::csrf_ok(const Exchange& x) const {
  if (!same_origin(x)) return false;
  std::string_view token = x.in.header("x-csrf-token");
  if (token.empty()) {
    for (const auto& [k, v] : x.req.form) {
      if (k == "csrf") {
        token = v;
        break;
      }
    }
  }
  return !token.empty() && constant_time_equal(token, x.session->csrf_token);
}

Response Dispatcher::needs_sign_in(Exchange& x) {
  const Request& req = x.req;
  if (req.api) return error_response(req, 401, "Sign in first.");
  const bool read_only = req.method == Method::Get || req.method == Method::Head;
  if (read_only && x.in.target != "/" && safe_next(x.in.target)) {
    return redirect("/login?next=" + html::url_component(x.in.target));
  }
  return redirect("/login");
}

}  // namespace vigil::console
