#include "admin/console/http.h"

#include <cstdio>

#include "admin/console/html.h"
#include "inspect/eve_json.h"

namespace vigil::console {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 400:
      return "Bad request";
    case 401:
      return "Sign in needed";
    case 403:
      return "Not allowed";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Too large";
    case 429:
      return "Too many attempts";
    case 503:
      return "Unavailable";
    default:
      return status >= 500 ? "Server error" : "Error";
  }
}

void append_u(std::string& out, unsigned cp) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", cp);
  out += buf;
}

}  // namespace

std::string harden_json(std::string_view json) {
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (std::size_t i = 0; i < json.size(); ++i) {
    const auto c = static_cast<unsigned char>(json[i]);
    if (c == '<' || c == '>' || c == '&') {
      append_u(out, c);
      continue;
    }
    if (c == 0xD8 && i + 1 < json.size() && static_cast<unsigned char>(json[i + 1]) == 0x9C) {
      append_u(out, 0x061C);
      i += 1;
      continue;
    }
    if ((c == 0xE2 || c == 0xEF) && i + 2 < json.size()) {
      const auto b1 = static_cast<unsigned char>(json[i + 1]);
      const auto b2 = static_cast<unsigned char>(json[i + 2]);
      if ((b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80) {
        const unsigned cp = ((c & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
        const bool hide = (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
                          (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 ||
                          cp == 0xFEFF;
        if (hide) {
          append_u(out, cp);
          i += 2;
          continue;
        }
      }
    }
    out += static_cast<char>(c);
  }
  return out;
}

std::optional<std::string_view> Request::param(std::string_view name) const {
  for (const Fields* fields : {&path_params, &query, &form})
    for (const auto& [k, v] : *fields)
      if (k == name) return std::string_view{v};
  return std::nullopt;
}

std::vector<std::string_view> Request::params(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const Fields* fields : {&query, &form})
    for (const auto& [k, v] : *fields)
      if (k == name) out.emplace_back(v);
  return out;
}

Response redirect(std::string_view location, int status) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Location", std::string{location});
  return r;
}

Response json_response(std::string body, int status) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = harden_json(body);
  return r;
}

Response error_response(const Request& request, int status, std::string_view message) {
  if (request.api) return json_response(inspect::JsonObject{}.str("error", message).text(), status);
  Response r;
  r.status = status;
  html::Page page;
  page.title = std::string{reason_phrase(status)};
  page.body = "<p class=\"error\">" + html::escape(message) + "</p><p><a href=\"/\">Back</a></p>";
  r.body = html::render(page);
  return r;
}

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return std::nullopt;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<Fields> parse_urlencoded(std::string_view in) {
  Fields out;
  while (!in.empty()) {
    const std::size_t amp = in.find('&');
    const std::string_view pair = in.substr(0, amp);
    in = amp == std::string_view::npos ? std::string_view{} : in.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace vigil::console
