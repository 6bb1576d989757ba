#include "daemon/config/values.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <type_traits>

namespace vigil::config::detail {
namespace {

constexpr std::int64_t kSecondMs = 1000;
constexpr std::int64_t kMinuteMs = 60 * kSecondMs;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;
constexpr std::int64_t kDayMs = 24 * kHourMs;

bool has_control(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool has_space_or_control(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

// Decimal integer, optionally signed, with TOML's underscores between digits.
std::optional<std::int64_t> parse_int(std::string_view text) {
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '_') {
      bool between = i > 0 && i + 1 < text.size() &&
                     std::isdigit(static_cast<unsigned char>(text[i - 1])) &&
                     std::isdigit(static_cast<unsigned char>(text[i + 1]));
      if (!between) return std::nullopt;
      continue;
    }
    digits.push_back(c);
  }
  if (digits.size() > 1 && digits[0] == '+' &&
      std::isdigit(static_cast<unsigned char>(digits[1]))) {
    digits.erase(0, 1);
  }
  std::int64_t v = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, v);
  if (digits.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::optional<double> parse_real(std::string_view text) {
  if (text.size() > 1 && text[0] == '+' && std::isdigit(static_cast<unsigned char>(text[1]))) {
    text.remove_prefix(1);
  }
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool valid_email(std::string_view s) {
  std::size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == s.size()) return false;
  if (s.find('@', at + 1) != std::string_view::npos) return false;
  if (has_space_or_control(s)) return false;
  return s.find_first_of("<>,;:\"()[]\\") == std::string_view::npos;
}

bool valid_url(const KeyDecl& decl, std::string_view s) {
  if (has_space_or_control(s)) return false;
  std::size_t sep = s.find("://");
  if (sep == std::string_view::npos) return false;
  std::string_view scheme = s.substr(0, sep);
  bool known = false;
  for (std::string_view c : decl.choices) known = known || c == scheme;
  if (!known) return false;
  std::string_view rest = s.substr(sep + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::size_t at = authority.rfind('@');
  std::string_view host = at == std::string_view::npos ? authority : authority.substr(at + 1);
  return !host.empty() && host.front() != ':';
}

bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  bool numeric = true;
  for (char c : host) {
    auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '.' && c != '_') return false;
    if (!std::isdigit(u) && c != '.') numeric = false;
  }
  if (numeric) {  // looks like IPv4: must be one
    in_addr a{};
    return inet_pton(AF_INET, std::string(host).c_str(), &a) == 1;
  }
  return true;
}

std::string join(std::span<const std::string_view> items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

std::string type_word(Type t) {
  switch (t) {
    case Type::Bool:
      return "bool";
    case Type::Int:
      return "integer";
    case Type::Double:
      return "number";
    case Type::Duration:
      return "duration";
    case Type::String:
      return "string";
    case Type::Path:
      return "path";
    case Type::Enum:
      return "choice";
    case Type::Address:
      return "address";
    case Type::Url:
      return "URL";
    case Type::Email:
      return "email address";
    case Type::StringList:
      return "list of names";
    case Type::EmailList:
      return "list of email addresses";
  }
  return "?";
}

std::string failure(const KeyDecl& decl, std::string_view where_key, std::string_view got,
                    bool item = false) {
  return std::string(where_key) + ": expected " + expectation(decl, item) + ", got " +
         std::string(got);
}

// One element of a list.
bool item_ok(const KeyDecl& decl, std::string_view item) {
  if (item.empty() || item.size() > 255) return false;
  if (decl.type == Type::EmailList) return valid_email(item);
  return !has_space_or_control(item);
}

}  // namespace

void programming_error(const std::string& what) {
  std::fprintf(stderr, "vigil::config: programming error: %s\n", what.c_str());
  std::abort();
}

const KeyDecl& declaration(std::string_view key) {
  const KeyDecl* decl = find_key(key);
  if (decl == nullptr) {
    programming_error("configuration key \"" + std::string(key) + "\" is not declared in keys.cc");
  }
  return *decl;
}

std::size_t index_of(const KeyDecl& decl) noexcept {
  return static_cast<std::size_t>(&decl - keys().data());
}

std::string quote(std::string_view text, std::size_t limit) {
  bool cut = limit > 0 && text.size() > limit;
  if (cut) text = text.substr(0, limit);
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  if (cut) out += "...";
  out += '"';
  return out;
}

std::string format_duration(std::int64_t ms) {
  struct Unit {
    std::int64_t ms;
    const char* suffix;
  };
  constexpr Unit kUnits[] = {{kDayMs, "d"}, {kHourMs, "h"}, {kMinuteMs, "m"}, {kSecondMs, "s"}};
  if (ms == 0) return "0s";
  for (const Unit& u : kUnits) {
    if (ms % u.ms == 0) return std::to_string(ms / u.ms) + u.suffix;
  }
  return std::to_string(ms) + "ms";
}

std::optional<std::int64_t> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) return std::nullopt;
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + i, n);
    if (ec != std::errc()) return std::nullopt;
    std::int64_t unit = 0;
    if (text.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else if (i < text.size()) {
      switch (text[i]) {
        case 's':
          unit = kSecondMs;
          break;
        case 'm':
          unit = kMinuteMs;
          break;
        case 'h':
          unit = kHourMs;
          break;
        case 'd':
          unit = kDayMs;
          break;
        default:
          return std::nullopt;
      }
      ++i;
    } else {
      return std::nullopt;  // a number without a unit
    }
    if (n > (std::numeric_limits<std::int64_t>::max() - total) / unit) return std::nullopt;
    total += n * unit;
  }
  return total;
}

std::string format_double(double v) {
  if (std::isnan(v)) return "nan";  // TOML's spellings
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, ec == std::errc() ? ptr : buf);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

std::string format_value(const KeyDecl& decl, const Value& value) {
  switch (decl.type) {
    case Type::Bool:
      return std::get<bool>(value) ? "true" : "false";
    case Type::Int:
      return std::to_string(std::get<std::int64_t>(value));
    case Type::Double:
      return format_double(std::get<double>(value));
    case Type::Duration:
      return quote(format_duration(std::get<std::int64_t>(value)));
    case Type::StringList:
    case Type::EmailList: {
      const auto& items = std::get<std::vector<std::string>>(value);
      std::string out = "[";
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += quote(items[i]);
      }
      return out + "]";
    }
    default:
      return quote(std::get<std::string>(value));
  }
}

std::string expectation(const KeyDecl& decl, bool item, bool hint) {
  std::string e;
  switch (decl.type) {
    case Type::Bool:
      return "true or false";
    case Type::Int:
      return "integer " + std::to_string(decl.min) + ".." + std::to_string(decl.max);
    case Type::Double:
      return "number " + format_double(decl.min_real) + ".." + format_double(decl.max_real);
    case Type::Duration:
      e = "duration " + format_duration(decl.min) + ".." + format_duration(decl.max);
      if (hint) e += " (like \"90s\", \"10m\" or \"1h30m\")";
      return e;
    case Type::String:
      e = decl.optional ? "a string" : "a non-empty string";
      e += " without control characters";
      return e;
    case Type::Path:
      e = "a path";
      break;
    case Type::Enum:
      return "one of " + join(decl.choices, ", ");
    case Type::Address:
      e = "host:port (like \"127.0.0.1:8443\" or \"[::1]:8443\")";
      break;
    case Type::Url:
      e = "a URL starting ";
      for (std::size_t i = 0; i < decl.choices.size(); ++i) {
        if (i) e += " or ";
        e += std::string(decl.choices[i]) + "://";
      }
      break;
    case Type::Email:
      e = "an email address";
      break;
    case Type::StringList:
      return item ? "a name without spaces" : "a list of names without spaces (like [\"eth0\"])";
    case Type::EmailList:
      return item ? "an email address" : "a list of email addresses";
  }
  if (decl.optional) e += ", or \"\" for none";
  return e;
}

std::optional<Value> from_text(const KeyDecl& decl, std::string_view text, std::string& error) {
  const std::string got = quote(text, 80);
  std::optional<Value> v;
  switch (decl.type) {
    case Type::Bool:
      if (text == "true") v = true;
      if (text == "false") v = false;
      break;
    case Type::Int:
      if (auto n = parse_int(text)) v = *n;
      break;
    case Type::Double:
      if (auto d = parse_real(text)) v = *d;
      break;
    case Type::Duration:
      if (auto ms = parse_duration(text)) v = *ms;
      break;
    case Type::StringList:
    case Type::EmailList: {
      // Comma-separated; "" is the empty list.
      std::vector<std::string> items;
      std::size_t pos = 0;
      while (!text.empty() && pos <= text.size()) {
        std::size_t comma = text.find(',', pos);
        std::string_view item =
            text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        items.emplace_back(item);
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
      }
      v = std::move(items);
      break;
    }
    default:
      v = std::string(text);
  }
  if (!v) {
    error = failure(decl, decl.name, got);
    return std::nullopt;
  }
  error = check(decl, *v, got);
  if (!error.empty()) return std::nullopt;
  return v;
}

std::string check(const KeyDecl& decl, const Value& value, std::string_view got) {
  bool ok = true;
  switch (decl.type) {
    case Type::Bool:
      break;
    case Type::Int:
    case Type::Duration: {
      std::int64_t n = std::get<std::int64_t>(value);
      ok = n >= decl.min && n <= decl.max;
      break;
    }
    case Type::Double: {
      double d = std::get<double>(value);
      ok = std::isfinite(d) && d >= decl.min_real && d <= decl.max_real;
      break;
    }
    case Type::StringList:
    case Type::EmailList: {
      const auto& items = std::get<std::vector<std::string>>(value);
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (!item_ok(decl, items[i])) {
          return failure(decl, std::string(decl.name) + "[" + std::to_string(i) + "]",
                         quote(items[i], 80), true);
        }
      }
      break;
    }
    default: {
      const auto& s = std::get<std::string>(value);
      if (s.empty()) {
        ok = decl.optional;
        break;
      }
      switch (decl.type) {
        case Type::String:
        case Type::Path:
          ok = !has_control(s);
          break;
        case Type::Enum:
          ok = false;
          for (std::string_view c : decl.choices) ok = ok || c == s;
          break;
        case Type::Address:
          ok = parse_address(s).has_value();
          break;
        case Type::Url:
          ok = valid_url(decl, s);
          break;
        case Type::Email:
          ok = valid_email(s);
          break;
        default:
          programming_error("unexpected type " + type_word(decl.type) + " of " +
                            std::string(decl.name));
      }
    }
  }
  return ok ? std::string() : failure(decl, decl.name, got);
}

bool is_set(const Value& value) {
  return std::visit(
      [](const auto& v) -> bool {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v;
        } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          return v != 0;
        } else {
          return !v.empty();
        }
      },
      value);
}

}  // namespace vigil::config::detail

namespace vigil::config {

std::optional<Address> parse_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    in6_addr a{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &a) != 1) return std::nullopt;
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (!detail::valid_host_name(host)) return std::nullopt;  // also refuses bare IPv6
  }
  if (port.empty() || port.size() > 5) return std::nullopt;
  unsigned n = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (ec != std::errc() || ptr != port.data() + port.size() || n > 65535) return std::nullopt;
  return Address{std::string(host), static_cast<std::uint16_t>(n)};
}

}  // namespace vigil::config
