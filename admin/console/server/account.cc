// Sign-in, sign-out and the signed-in user's own account page (password
// and two-step sign-in). Part of Dispatcher; see dispatcher.h.

#include <cstdio>
#include <string>

#include "admin/console/html.h"
#include "admin/console/password.h"
#include "admin/console/server/dispatcher.h"
#include "admin/console/server/dispatcher_detail.h"
#include "admin/console/server/totp.h"
#include "store/casework.h"
#include "store/credentials.h"

namespace vigil::console {
namespace {

constexpr std::size_t kMaxTypedName = 64;
constexpr std::string_view kWrongSignIn = "The user name, password or code is not right.";
constexpr std::string_view kLoginCookieMaxAge = "3600";

bool is_token_hex(std::string_view s) noexcept {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A typed user name fit for an audit row: at most 64 bytes, control bytes
// shown as '?'.
std::string typed_name(std::string_view name) {
  std::string out(name.substr(0, kMaxTypedName));
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  if (name.size() > kMaxTypedName) out += "...";
  return out;
}

std::string form_value(const Request& req, std::string_view name) {
  for (const auto& [k, v] : req.form) {
    if (k == name) return v;
  }
  return {};
}

void log_line(const std::string& text) {
  std::fprintf(stderr, "vigil-console: %s\n", text.c_str());
}

Response busy(const Request& req) {
  return error_response(req, 503, "The store is busy. Try again in a moment.");
}

// Base32 in groups of four, as authenticator apps show it.
std::string grouped(std::string_view secret) {
  std::string out;
  for (std::size_t i = 0; i < secret.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += ' ';
    out += secret[i];
  }
  return out;
}

std::int64_t unix_seconds(store::TimeUs now) { return now / 1'000'000; }

}  // namespace

bool Dispatcher::must_enrol(const store::Credential& c) const noexcept {
  return core_.options().totp == TotpMode::Required &&
         (c.role == store::Role::Admin || c.role == store::Role::Dsl ||
          c.role == store::Role::DeputyDsl);
}

void Dispatcher::audit(std::string_view actor, std::string_view action, std::int64_t user_id,
                       std::string_view detail) {
  auto r = casework_.audit(actor, action, "user", user_id, detail);
  if (!r)
    log_line("could not write the audit row " + std::string(action) + ": " + r.error().message);
}

Response Dispatcher::login_page(Exchange& x, std::string_view next, std::string_view flash,
                                std::string_view name, int status) {
  // The pre-session token: a cookie and the same value in the form. A page
  // of another site can neither read the cookie nor set a __Host- one, so
  // it cannot sign a browser in to an account of its choosing.
  std::string token(x.cookie(kLoginCookie));
  if (!is_token_hex(token)) token = random_token();
  x.cookies.push_back(set_cookie(kLoginCookie, token, kLoginCookieMaxAge));

  std::string body =
      "<form method=\"post\" action=\"/login\" class=\"stack login\">"
      "<input type=\"hidden\" name=\"login_csrf\" value=\"" +
      html::attr(token) + "\"><input type=\"hidden\" name=\"next\" value=\"" +
      html::attr(safe_next(next) ? next : "/") +
      "\">"
      "<label for=\"user\">User name</label>"
      "<input id=\"user\" name=\"user\" autocomplete=\"username\" required autofocus "
      "maxlength=\"64\" value=\"" +
      html::attr(name.substr(0, kMaxTypedName)) +
      "\">"
      "<label for=\"password\">Password</label>"
      "<input id=\"password\" name=\"password\" type=\"password\" "
      "autocomplete=\"current-password\" required maxlength=\"1024\">";
  if (core_.options().totp != TotpMode::Off) {
    body +=
        "<label for=\"code\">Code from your authenticator app (if you use two-step "
        "sign-in)</label>"
        "<input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" "
        "maxlength=\"7\">";
  }
  body += "<button type=\"submit\">Sign in</button></form>";
  html::Page page;
  page.title = "Sign in";
  page.body = std::move(body);
  page.flash = std::string(flash);
  Response r;
  r.status = status;
  r.body = html::render(page);
  return r;
}

Response Dispatcher::login_get(Exchange& x) {
  const std::string next(x.req.param("next").value_or("/"));
  if (x.session) return redirect(safe_next(next) ? next : "/");
  return login_page(x, next, {}, {}, 200);
}

Response Dispatcher::login_post(Exchange& x) {
  const Request& req = x.req;
  const std::string next = form_value(req, "next");
  const std::string name = form_value(req, "user");
  const std::string token = form_value(req, "login_csrf");
  if (!same_origin(x) || !is_token_hex(token) ||
      !constant_time_equal(token, x.cookie(kLoginCookie))) {
    return login_page(x, next, "The sign-in form had expired. Please sign in again.", name, 403);
  }
  const std::string password = form_value(req, "password");
  const store::TimeUs now = core_.now();
  if (const std::int64_t wait = core_.backoff().retry_after_s(name, req.remote_address, now);
      wait > 0) {
    Response r = login_page(x, next,
                            "Too many failed sign-ins. Try again in " + std::to_string(wait) +
                                (wait == 1 ? " second." : " seconds."),
                            name, 429);
    r.headers.emplace_back("Retry-After", std::to_string(wait));
    return r;
  }
  auto found =
      name.size() <= kMaxTypedName
          ? credentials_.by_name(name)
          : store::Result<std::optional<store::Credential>>(std::optional<store::Credential>{});
  if (!found) {
    log_line("sign-in: " + found.error().message);
    return busy(req);
  }
  const std::optional<store::Credential>& cred = *found;
  bool ok = false;
  if (cred && !cred->disabled && !cred->password_hash.empty()) {
    ok = verify_password(cred->password_hash, password);
  } else {
    // The same work as a wrong password, so timing does not tell who exists.
    (void)verify_password(core_.dummy_hash(), password);
  }
  if (ok && core_.options().totp != TotpMode::Off && cred->totp_enabled) {
    const auto step = totp::match(cred->totp_secret, form_value(req, "code"), unix_seconds(now));
    ok = false;
    if (step) {
      auto used = credentials_.use_totp_step(cred->user_id, *step);
      if (!used) {
        log_line("sign-in: " + used.error().message);
        return busy(req);
      }
      ok = *used;
    }
  }
  if (!ok) {
    core_.backoff().record_failure(name, req.remote_address, now);
    audit("anonymous", "login.failed", cred ? cred->user_id : 0,
          "user \"" + typed_name(name) + "\" from " + req.remote_address);
    return login_page(x, next, kWrongSignIn, name, 200);
  }
  core_.backoff().record_success(name);
  if (needs_rehash(cred->password_hash, core_.options().password_cost)) {
    if (auto fresh = hash_password(password, core_.options().password_cost)) {
      auto r = credentials_.rehash_password(cred->user_id, cred->password_hash, *fresh);
      if (!r) log_line("rehashing the password of " + cred->name + ": " + r.error().message);
    }
  }
  // Sign-in is refused when it cannot be audited, like every audited read.
  auto a =
      casework_.audit(cred->name, "login.ok", "user", cred->user_id, "from " + req.remote_address);
  if (!a) {
    log_line("sign-in of " + cred->name + ": " + a.error().message);
    return busy(req);
  }
  // A new id at every sign-in: an id planted before it is worth nothing.
  if (const std::string_view old = x.cookie(kSessionCookie); !old.empty()) {
    core_.sessions().erase(old);
  }
  auto id = core_.sessions().create(cred->user_id, cred->password_changed_us, now);
  if (!id) {
    return error_response(req, 503, "Too many people are signed in. Try again later.");
  }
  x.cookies.push_back(set_cookie(kSessionCookie, *id));
  x.cookies.push_back(clear_cookie(kLoginCookie));
  if (must_enrol(*cred) && !cred->totp_enabled) return redirect("/account");
  return redirect(safe_next(next) ? next : "/");
}

Response Dispatcher::logout(Exchange& x) {
  if (!x.session) {
    return redirect("/login");
  }
  if (!csrf_ok(x)) {
    return error_response(x.req, 403,
                          "This form came from another site or has expired. Go back, reload the "
                          "page and try again.");
  }
  core_.sessions().erase(x.session_id);
  audit(x.principal.name, "logout", x.principal.user_id, {});
  x.cookies.push_back(clear_cookie(kSessionCookie));
  return redirect("/login");
}

Response Dispatcher::account_get(Exchange& x, std::string_view flash, int status) {
  const store::Credential& c = *x.credential;
  const Principal& user = x.principal;
  std::string message(flash);
  if (message.empty()) {
    const std::string_view done = x.req.param("done").value_or("");
    if (done == "password") message = "Your password was changed. Your other sessions have ended.";
    if (done == "totp_on") message = "Two-step sign-in is on.";
    if (done == "totp_off") message = "Two-step sign-in is off.";
  }
  std::string body =
      "<section><h2>Password</h2>"
      "<form method=\"post\" action=\"/account/password\" class=\"stack\">" +
      html::csrf_field(user) +
      "<label for=\"current\">Current password</label>"
      "<input id=\"current\" name=\"current\" type=\"password\" "
      "autocomplete=\"current-password\" required>"
      "<label for=\"new\">New password (at least " +
      std::to_string(kMinPasswordBytes) +
      " characters)</label>"
      "<input id=\"new\" name=\"new\" type=\"password\" autocomplete=\"new-password\" required "
      "minlength=\"" +
      std::to_string(kMinPasswordBytes) +
      "\">"
      "<label for=\"again\">New password again</label>"
      "<input id=\"again\" name=\"again\" type=\"password\" autocomplete=\"new-password\" "
      "required>"
      "<button type=\"submit\">Change password</button></form></section>";
  if (core_.options().totp != TotpMode::Off) {
    body += "<section><h2>Two-step sign-in</h2>";
    if (c.totp_enabled) {
      body +=
          "<p>Two-step sign-in is on: you give a code from your authenticator app when you "
          "sign in.</p>";
      if (must_enrol(c)) {
        body += "<p>Your role must use it, so it cannot be turned off.</p>";
      } else {
        body +=
            "<form method=\"post\" action=\"/account/totp/disable\" class=\"stack\" "
            "data-confirm=\"Turn two-step sign-in off?\">" +
            html::csrf_field(user) +
            "<label for=\"disable-current\">Current password</label>"
            "<input id=\"disable-current\" name=\"current\" type=\"password\" "
            "autocomplete=\"current-password\" required>"
            "<button type=\"submit\">Turn off two-step sign-in</button></form>";
      }
    } else if (!c.totp_secret.empty()) {
      const std::string uri = totp::otpauth_uri(core_.options().totp_issuer, c.name, c.totp_secret);
      body +=
          "<p>Add this key to your authenticator app (type it in, or open the link on the "
          "phone that has the app), then enter the code it shows.</p>"
          "<p><code class=\"secret\">" +
          html::escape(grouped(c.totp_secret)) +
          "</code></p>"
          "<p><a href=\"" +
          html::attr(uri) + "\">" + html::escape(uri) +
          "</a></p>"
          "<form method=\"post\" action=\"/account/totp/confirm\" class=\"stack\">" +
          html::csrf_field(user) +
          "<label for=\"confirm-code\">Code from the app</label>"
          "<input id=\"confirm-code\" name=\"code\" inputmode=\"numeric\" "
          "autocomplete=\"one-time-code\" required maxlength=\"7\">"
          "<button type=\"submit\">Turn on two-step sign-in</button></form>"
          "<form method=\"post\" action=\"/account/totp/begin\">" +
          html::csrf_field(user) +
          "<button type=\"submit\">Start again with a new key</button>"
          "</form>";
    } else {
      if (must_enrol(c)) {
        body +=
            "<p class=\"error\">Your role must use two-step sign-in. Set it up to carry "
            "on using the console.</p>";
      } else {
        body +=
            "<p>Two-step sign-in is off. With it on, a stolen password is not enough to "
            "sign in as you.</p>";
      }
      body += "<form method=\"post\" action=\"/account/totp/begin\">" + html::csrf_field(user) +
              "<button type=\"submit\">Set up two-step sign-in</button></form>";
    }
    body += "</section>";
  }
  html::Page page;
  page.title = "Your account";
  page.body = std::move(body);
  page.user = &user;
  page.active_nav = "account";
  page.flash = std::move(message);
  Response r;
  r.status = status;
  r.body = html::render(page);
  return r;
}

Response Dispatcher::change_password(Exchange& x) {
  const Request& req = x.req;
  const store::Credential& c = *x.credential;
  const store::TimeUs now = core_.now();
  if (const std::int64_t wait = core_.backoff().retry_after_s(c.name, req.remote_address, now);
      wait > 0) {
    Response r = account_get(
        x, "Too many wrong passwords. Try again in " + std::to_string(wait) + " seconds.", 429);
    r.headers.emplace_back("Retry-After", std::to_string(wait));
    return r;
  }
  if (!verify_password(c.password_hash, form_value(req, "current"))) {
    core_.backoff().record_failure(c.name, req.remote_address, now);
    return account_get(x, "The current password is not right.", 400);
  }
  const std::string fresh = form_value(req, "new");
  if (fresh != form_value(req, "again")) {
    return account_get(x, "The two new passwords are not the same.", 400);
  }
  if (auto problem = password_problem(fresh, c.name)) {
    return account_get(x, "The new password is not accepted: " + *problem + ".", 400);
  }
  auto hash = hash_password(fresh, core_.options().password_cost);
  if (!hash) throw std::runtime_error("cannot hash a password (out of memory?)");
  if (auto s = credentials_.change_password(c.name, c.user_id, *hash); !s) {
    log_line("changing the password of " + c.name + ": " + s.error().message);
    return busy(req);
  }
  auto after = credentials_.by_id(c.user_id);
  if (!after || !after->has_value()) return busy(req);
  // Every other session of this user ends; this one carries on.
  core_.sessions().erase_user(c.user_id, x.session_id);
  core_.sessions().set_password_epoch(x.session_id, (*after)->password_changed_us);
  return redirect("/account?done=password");
}

Response Dispatcher::totp_begin(Exchange& x) {
  const store::Credential& c = *x.credential;
  if (core_.options().totp == TotpMode::Off) {
    return error_response(x.req, 404, "Two-step sign-in is not used here.");
  }
  if (c.totp_enabled) return redirect("/account");
  if (auto s = credentials_.begin_totp(c.user_id, totp::new_secret()); !s) {
    log_line("two-step enrolment of " + c.name + ": " + s.error().message);
    return busy(x.req);
  }
  return redirect("/account");
}

Response Dispatcher::totp_confirm(Exchange& x) {
  const store::Credential& c = *x.credential;
  if (core_.options().totp == TotpMode::Off) {
    return error_response(x.req, 404, "Two-step sign-in is not used here.");
  }
  if (c.totp_enabled || c.totp_secret.empty()) return redirect("/account");
  const store::TimeUs now = core_.now();
  const auto step = totp::match(c.totp_secret, form_value(x.req, "code"), unix_seconds(now));
  if (!step) {
    return account_get(x,
                       "That code is not right. Check the key in the app and that the phone's "
                       "clock is right, then try the newest code.",
                       400);
  }
  if (auto s = credentials_.enable_totp(c.name, c.user_id, c.totp_secret, *step); !s) {
    log_line("two-step enrolment of " + c.name + ": " + s.error().message);
    return account_get(x, "The setup was restarted elsewhere. Use the key shown now.", 409);
  }
  return redirect("/account?done=totp_on");
}

Response Dispatcher::totp_disable(Exchange& x) {
  const store::Credential& c = *x.credential;
  if (!c.totp_enabled) return redirect("/account");
  if (must_enrol(c)) return account_get(x, "Your role must use two-step sign-in.", 403);
  const store::TimeUs now = core_.now();
  if (const std::int64_t wait = core_.backoff().retry_after_s(c.name, x.req.remote_address, now);
      wait > 0) {
    Response r = account_get(
        x, "Too many wrong passwords. Try again in " + std::to_string(wait) + " seconds.", 429);
    r.headers.emplace_back("Retry-After", std::to_string(wait));
    return r;
  }
  if (!verify_password(c.password_hash, form_value(x.req, "current"))) {
    core_.backoff().record_failure(c.name, x.req.remote_address, now);
    return account_get(x, "The current password is not right.", 400);
  }
  if (auto s = credentials_.disable_totp(c.name, c.user_id); !s) {
    log_line("turning off two-step sign-in of " + c.name + ": " + s.error().message);
    return busy(x.req);
  }
  return redirect("/account?done=totp_off");
}

}  // namespace vigil::console
