// URL lists (UT1 "urls" files, IWF / CTIRU distributions): host plus path
// prefix. Scheme, user info, port and fragment are dropped.

#include <arpa/inet.h>

#include <string>
#include <unordered_set>

#include "rules/lists/list_formats.h"
#include "rules/lists/list_text.h"

namespace vigil::rules {
namespace {

using lists_internal::ascii_lower;
using lists_internal::iequals_prefix;
using lists_internal::is_blank;
using lists_internal::reject;
using lists_internal::trim;

// An IPv4 or bracketed IPv6 host, in canonical text form; nullopt otherwise.
std::optional<std::string> canonical_ip(std::string_view host) {
  if (host.size() > 64) return std::nullopt;
  char buf[72];
  unsigned char addr[16];
  char text[INET6_ADDRSTRLEN];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    const std::string_view inner = host.substr(1, host.size() - 2);
    inner.copy(buf, inner.size());
    buf[inner.size()] = '\0';
    if (inet_pton(AF_INET6, buf, addr) != 1) return std::nullopt;
    if (inet_ntop(AF_INET6, addr, text, sizeof text) == nullptr) return std::nullopt;
    return std::string(text);
  }
  host.copy(buf, host.size());
  buf[host.size()] = '\0';
  if (inet_pton(AF_INET, buf, addr) != 1) return std::nullopt;
  if (inet_ntop(AF_INET, addr, text, sizeof text) == nullptr) return std::nullopt;
  return std::string(text);
}

// Parses one URL; on failure returns false with `reason` set.
bool parse_url(std::string_view url, UrlEntry& entry, std::string& reason) {
  if (const std::size_t scheme_end = url.find("://");
      scheme_end != std::string_view::npos && url.find('/') > scheme_end) {
    const std::string_view scheme = url.substr(0, scheme_end);
    const bool known = (scheme.size() == 4 && iequals_prefix(scheme, "http")) ||
                       (scheme.size() == 5 && iequals_prefix(scheme, "https"));
    if (!known) {
      reason = "scheme '" + std::string(scheme.substr(0, 20)) + "' is not http or https";
      return false;
    }
    url.remove_prefix(scheme_end + 3);
  }
  const std::size_t host_end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, host_end);
  std::string_view rest =
      host_end == std::string_view::npos ? std::string_view{} : url.substr(host_end);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  // Port: the digits after the last ':' that is not inside an IPv6 literal.
  std::string_view host = authority;
  if (const std::size_t colon = authority.rfind(':');
      colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos &&
      (authority.front() != '[' || colon > authority.find(']'))) {
    const std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoul(std::string(port)) > 65535) {
      reason = "port is not a number from 0 to 65535";
      return false;
    }
    host = authority.substr(0, colon);
  }
  if (host.empty()) {
    reason = "no host";
    return false;
  }
  if (auto ip = canonical_ip(host)) {
    entry.host = std::move(*ip);
  } else {
    auto name = normalise_domain(host, reason);
    if (!name) return false;
    entry.host = std::move(*name);
  }
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  if (rest.empty()) {
    entry.path_prefix = "/";
  } else if (rest.front() != '/') {
    entry.path_prefix = "/";  // "host?query": the query is on the root path
    entry.path_prefix += rest;
  } else {
    entry.path_prefix = std::string(rest);
  }
  return true;
}

}  // namespace

UrlList parse_url_list(std::string_view text, std::string path) {
  UrlList out;
  out.diag.path = std::move(path);
  std::unordered_set<std::string> seen;
  lists_internal::for_each_line(text, out.diag, [&](std::uint32_t number, std::string_view raw) {
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') {
      ++out.diag.skipped;
      return;
    }
    // A trailing comment needs whitespace before '#' ('#' alone starts a fragment).
    for (std::size_t i = 1; i < line.size(); ++i) {
      if (line[i] == '#' && is_blank(line[i - 1])) {
        line = trim(line.substr(0, i));
        break;
      }
    }
    for (const char c : line) {
      if (is_blank(c)) {
        reject(out.diag, number, raw, "unexpected text after the URL");
        return;
      }
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
        reject(out.diag, number, raw, "control character in the URL");
        return;
      }
    }
    UrlEntry entry;
    entry.line = number;
    std::string reason;
    if (!parse_url(line, entry, reason)) {
      reject(out.diag, number, raw, std::move(reason));
      return;
    }
    std::string key = entry.host;
    key += entry.path_prefix;
    if (!seen.insert(std::move(key)).second) {
      ++out.diag.duplicate;
      return;
    }
    ++out.diag.accepted;
    out.entries.push_back(std::move(entry));
  });
  return out;
}

}  // namespace vigil::rules
