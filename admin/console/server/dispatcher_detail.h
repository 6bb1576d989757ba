#pragma once
// Internal to admin/console/server: one request's state, shared by
// dispatcher.cc (the pipeline) and account.cc (sign-in and account pages).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/console/server/dispatcher.h"
#include "store/credentials.h"

namespace vigil::console {

struct Dispatcher::Exchange {
  explicit Exchange(const Incoming& incoming) : in(incoming) {}

  const Incoming& in;
  Request req;
  std::vector<std::string> cookies;  // Set-Cookie values to send
  bool cacheable = false;            // a static asset: cached for an hour
  // Signed in: the session, the user's row as read for this request, and
  // the principal built from both.
  std::string session_id;
  std::optional<Session> session;
  std::optional<store::Credential> credential;
  Principal principal;

  // The first cookie named `name` in the Cookie header(s), "" when absent.
  [[nodiscard]] std::string_view cookie(std::string_view name) const {
    for (const auto& [k, v] : in.headers) {
      if (k != "cookie") continue;
      std::string_view rest = v;
      while (!rest.empty()) {
        const std::size_t semi = rest.find(';');
        std::string_view pair = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        const std::size_t eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
      }
    }
    return {};
  }
};

// __Host- cookies: Secure, Path=/, no Domain; never readable by script and
// never sent with a request another site starts.
inline std::string set_cookie(std::string_view name, std::string_view value,
                              std::string_view max_age = {}) {
  std::string c = std::string(name) + "=" + std::string(value) + "; Path=/";
  if (!max_age.empty()) c += "; Max-Age=" + std::string(max_age);
  return c + "; Secure; HttpOnly; SameSite=Strict";
}

inline std::string clear_cookie(std::string_view name) { return set_cookie(name, "", "0"); }

}  // namespace vigil::console
