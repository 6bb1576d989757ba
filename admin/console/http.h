#pragma once
// The console's plain request and response values: what the HTTPS server
// (admin/console/server) hands to a page handler (admin/console/pages) and
// gets back. No Boost.Beast here, so pages and their tests build without it.
// Everything in a Request is attacker-chosen until a handler has checked it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/types.h"

namespace vigil::console {

enum class Method : unsigned char { Get, Head, Post, Other };

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
  Method method = Method::Get;
  std::string path;            // percent-decoded, without the query; always starts with '/'
  Fields query;                // decoded query parameters, in order
  Fields form;                 // decoded application/x-www-form-urlencoded body (POST)
  Fields path_params;          // {name} segments of the matched route pattern
  std::string body;            // the raw body (JSON API requests)
  std::string content_type;    // as sent, lower-cased media type without parameters
  std::string remote_address;  // the peer's IP address
  bool api = false;            // path starts with /api/: answer JSON, errors as JSON

  // The first value named `name`: path parameter, then query, then form.
  [[nodiscard]] std::optional<std::string_view> param(std::string_view name) const;
  // All values named `name` in the query and the form (multi-select filters).
  [[nodiscard]] std::vector<std::string_view> params(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  // Extra headers (Location, Content-Disposition, Cache-Control). The server
  // adds the security headers and owns Set-Cookie; a handler never sets those.
  Fields headers;
  // Which Content-Security-Policy the server sends. Only the generated
  // monthly report (admin/report: one self-contained page with an inline
  // <style> and inline SVG, no script) is served under SelfContainedReport;
  // every other response keeps the console's policy.
  enum class Policy : unsigned char { Console, SelfContainedReport };
  Policy policy = Policy::Console;
};

// The signed-in user, as the server's session knows them.
struct Principal {
  std::int64_t user_id = 0;
  std::string name;
  store::Role role = store::Role::Reporter;
  std::string csrf_token;  // put in every form as field "csrf" (html::csrf_field)
};

Response redirect(std::string_view location, int status = 303);
// A JSON reply. Its text is hardened first (harden_json).
Response json_response(std::string body, int status = 200);
// JSON that stays JSON whatever sniffs it: <, > and & and the characters
// that reorder or hide text (bidi controls, zero-width, line separators,
// U+061C) are written as \uXXXX escapes; the value is unchanged.
std::string harden_json(std::string_view json);
// A short error page or {"error": "..."} for API requests; `message` is plain text.
Response error_response(const Request& request, int status, std::string_view message);

// Percent-decoding of a path or a form/query component ('+' is a space in
// forms only). Invalid escapes are an error, not passed through.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);
// Splits "a=1&b=2" into decoded pairs; nullopt on a malformed escape.
std::optional<Fields> parse_urlencoded(std::string_view in);

}  // namespace vigil::console
