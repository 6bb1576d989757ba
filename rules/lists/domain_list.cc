// Domain lists: plain, hosts and AdBlock DNS syntax, with Pi-hole's
// acceptance rules. See README.md for what is accepted and why.

#include <arpa/inet.h>
#include <idn2.h>

#include <array>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "rules/lists/list_formats.h"
#include "rules/lists/list_text.h"

namespace vigil::rules {
namespace {

using lists_internal::ascii_lower;
using lists_internal::is_blank;
using lists_internal::reject;
using lists_internal::trim;

constexpr std::size_t kMaxDomainBytes = 253;
constexpr std::size_t kMaxLabelBytes = 63;
// Before IDN conversion: enough for 253 bytes of 4-byte UTF-8 and then some.
constexpr std::size_t kMaxRawNameBytes = 1024;

bool is_ip_address(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  // Most names have a letter and no ':'; skip the library calls for them.
  if (s.find(':') == std::string_view::npos &&
      s.find_first_not_of("0123456789.") != std::string_view::npos) {
    return false;
  }
  char buf[72];
  s.copy(buf, s.size());
  buf[s.size()] = '\0';
  unsigned char addr[16];
  return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

std::string describe_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7F) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

// Labels 1..63 of [a-z0-9-_], no '-' at either end; total <= 253.
bool validate_ascii_name(std::string_view name, std::string& reason) {
  if (name.size() > kMaxDomainBytes) {
    reason = "name longer than 253 bytes";
    return false;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) {
      reason = "empty label (leading dot or two dots in a row)";
      return false;
    }
    if (label.size() > kMaxLabelBytes) {
      reason = "label longer than 63 bytes";
      return false;
    }
    for (const char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) {
        reason = c == '*' ? "wildcards are not supported (a rule covers its subdomains already)"
                          : "character " + describe_byte(c) + " not allowed in a domain name";
        return false;
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      reason = "label starts or ends with '-'";
      return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool is_hosts_placeholder_name(std::string_view name) {
  return name == "localhost" || name == "localhost.localdomain" || name == "broadcasthost" ||
         name == "local" || name.starts_with("ip6-");
}

bool is_cosmetic_rule(std::string_view line) {
  static constexpr std::array<std::string_view, 8> kMarkers = {"##",  "#@#",  "#?#",  "#$#",
                                                               "#%#", "#@?#", "#@$#", "#@%#"};
  for (const auto m : kMarkers) {
    if (line.find(m) != std::string_view::npos) return true;
  }
  return false;
}

// Cuts a trailing comment: '#' at the start or after whitespace.
std::string_view cut_comment(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || is_blank(line[i - 1]))) return trim(line.substr(0, i));
  }
  return line;
}

class DomainListParser {
 public:
  explicit DomainListParser(DomainList& out) : out_(out) {}

  void parse_line(std::uint32_t number, std::string_view raw) {
    std::string_view line = trim(raw);
    if (line.empty()) return skip();
    const char first = line.front();
    if (first == '!' || first == '#' || first == ';' || first == '[') return skip();
    if (is_cosmetic_rule(line)) return skip();
    line = cut_comment(line);
    if (line.empty()) return skip();
    if (line.starts_with("@@") || line.front() == '|') return parse_adblock(number, raw, line);

    // Whitespace-separated tokens: a hosts line, or a single name.
    std::string_view tokens[2];
    std::size_t count = 0;
    std::string_view rest = line;
    while (!rest.empty() && count < 2) {
      std::size_t end = 0;
      while (end < rest.size() && !is_blank(rest[end])) ++end;
      tokens[count++] = rest.substr(0, end);
      rest = trim(rest.substr(end));
    }
    if (is_ip_address(tokens[0])) {
      if (count == 1) return reject(out_.diag, number, raw, "an IP address, not a domain");
      // Every name after the address.
      std::string_view names = trim(line.substr(tokens[0].size()));
      while (!names.empty()) {
        std::size_t end = 0;
        while (end < names.size() && !is_blank(names[end])) ++end;
        add_hosts_name(number, raw, names.substr(0, end));
        names = trim(names.substr(end));
      }
      return;
    }
    if (count > 1) {
      return reject(out_.diag, number, raw,
                    "unexpected text after the domain (a hosts line starts with an address)");
    }
    std::string reason;
    auto name = normalise_domain(tokens[0], reason);
    if (name && name->find('.') == std::string::npos) {
      name.reset();
      reason = "a single label (a whole top-level domain); write ||" + std::string(tokens[0]) +
               "^ to mean that";
    }
    if (!name) return reject(out_.diag, number, raw, std::move(reason));
    add(number, std::move(*name), false);
  }

 private:
  void skip() { ++out_.diag.skipped; }

  void add_hosts_name(std::uint32_t number, std::string_view raw, std::string_view token) {
    std::string lowered(token);
    for (char& c : lowered) c = ascii_lower(c);
    while (!lowered.empty() && lowered.back() == '.') lowered.pop_back();
    // "0.0.0.0 0.0.0.0" and "::1 localhost" lines are hosts-file furniture.
    if (is_hosts_placeholder_name(lowered) || is_ip_address(lowered)) return skip();
    std::string reason;
    auto name = normalise_domain(token, reason);
    if (name && name->find('.') == std::string::npos) {
      name.reset();
      reason = "a single label in a hosts line (not a domain)";
    }
    if (!name) return reject(out_.diag, number, raw, std::move(reason));
    add(number, std::move(*name), false);
  }

  void parse_adblock(std::uint32_t number, std::string_view raw, std::string_view rule) {
    bool allow = false;
    if (rule.starts_with("@@")) {
      allow = true;
      rule.remove_prefix(2);
    }
    if (!rule.starts_with("||")) {
      if (!rule.empty() && rule.front() == '/') {
        return reject(out_.diag, number, raw,
                      "AdBlock regex rules are not supported in a domain list");
      }
      return reject(out_.diag, number, raw,
                    "AdBlock rule must start with '||' (a domain anchor) for a DNS list");
    }
    rule.remove_prefix(2);
    std::optional<std::string_view> options;
    if (const std::size_t dollar = rule.find('$'); dollar != std::string_view::npos) {
      options = rule.substr(dollar + 1);
      rule = rule.substr(0, dollar);
    }
    if (rule.ends_with("^|")) {
      rule.remove_suffix(2);
    } else if (rule.ends_with('^')) {
      rule.remove_suffix(1);
    }
    if (rule.find('*') != std::string_view::npos) {
      return reject(out_.diag, number, raw, "wildcard rules cannot be applied to a DNS list");
    }
    if (rule.find('/') != std::string_view::npos) {
      return reject(out_.diag, number, raw, "rule has a path; a DNS list matches names only");
    }
    if (rule.find('^') != std::string_view::npos || rule.find('|') != std::string_view::npos) {
      return reject(out_.diag, number, raw, "separator inside the rule; expected ||domain^");
    }
    if (rule.find(':') != std::string_view::npos) {
      return reject(out_.diag, number, raw, "rule has a port; a DNS list matches names only");
    }
    if (std::string reason; !check_options(options, reason)) {
      return reject(out_.diag, number, raw, std::move(reason));
    }
    std::string reason;
    auto name = normalise_domain(rule, reason);
    if (!name) return reject(out_.diag, number, raw, std::move(reason));
    add(number, std::move(*name), allow);
  }

  // Options that keep a rule's meaning when applied to every lookup of the
  // name; anything narrower (dnstype=, client=, denyallow=, badfilter ...)
  // would over-block or invert intent, so the rule is rejected instead.
  static bool check_options(std::optional<std::string_view> present, std::string& reason) {
    if (!present) return true;
    std::string_view options = *present;
    while (true) {
      const std::size_t comma = options.find(',');
      std::string opt(trim(options.substr(0, comma)));
      for (char& c : opt) c = ascii_lower(c);
      const bool ok = opt == "important" || opt == "third-party" || opt == "3p" || opt == "all" ||
                      opt == "document" || opt == "doc";
      if (!ok) {
        if (opt.empty()) {
          reason = "empty AdBlock option after '$'";
        } else if (opt.size() > 40) {
          reason = "AdBlock option '$" + opt.substr(0, 40) + "...' is not supported for a DNS list";
        } else {
          reason = "AdBlock option '$" + opt + "' is not supported for a DNS list";
        }
        return false;
      }
      if (comma == std::string_view::npos) return true;
      options.remove_prefix(comma + 1);
    }
  }

  void add(std::uint32_t number, std::string name, bool allow) {
    // Same name and same allow flag is a duplicate; the first is kept.
    if (out_.entries.size() + 1 > slots_.size() / 2) grow();
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash(name, allow) & mask;
    while (slots_[i] != 0) {
      const DomainEntry& e = out_.entries[slots_[i] - 1];
      if (e.allow == allow && e.domain == name) {
        ++out_.diag.duplicate;
        return;
      }
      i = (i + 1) & mask;
    }
    ++out_.diag.accepted;
    out_.entries.push_back(DomainEntry{std::move(name), number, allow});
    slots_[i] = static_cast<std::uint32_t>(out_.entries.size());
  }

  static std::size_t hash(std::string_view name, bool allow) {
    return std::hash<std::string_view>{}(name) ^ (allow ? 0x9e3779b97f4a7c15ULL : 0);
  }

  // Open addressing over entry indexes (1-based, 0 = empty), so no name is
  // stored twice.
  void grow() {
    std::vector<std::uint32_t> bigger(slots_.empty() ? 1024 : slots_.size() * 2, 0);
    const std::size_t mask = bigger.size() - 1;
    for (std::uint32_t idx = 0; idx < out_.entries.size(); ++idx) {
      std::size_t i = hash(out_.entries[idx].domain, out_.entries[idx].allow) & mask;
      while (bigger[i] != 0) i = (i + 1) & mask;
      bigger[i] = idx + 1;
    }
    slots_ = std::move(bigger);
  }

  DomainList& out_;
  std::vector<std::uint32_t> slots_;
};

}  // namespace

std::optional<std::string> normalise_domain(std::string_view name, std::string& reason) {
  name = trim(name);
  if (name.size() > kMaxRawNameBytes) {
    reason = "name longer than 253 bytes";
    return std::nullopt;
  }
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.empty()) {
    reason = "empty name";
    return std::nullopt;
  }
  bool ascii = true;
  for (const char c : name) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  std::string out;
  if (ascii) {
    out.assign(name);
    for (char& c : out) c = ascii_lower(c);
  } else {
    if (!lists_internal::is_valid_utf8(name)) {
      reason = "not valid UTF-8";
      return std::nullopt;
    }
    if (name.find('\0') != std::string_view::npos) {
      reason = "character byte 0x00 not allowed in a domain name";
      return std::nullopt;
    }
    const std::string input(name);
    char* converted = nullptr;
    const int rc = idn2_to_ascii_8z(input.c_str(), &converted, IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
      reason = std::string("not a valid internationalised name: ") + idn2_strerror(rc);
      idn2_free(converted);
      return std::nullopt;
    }
    out = converted;
    idn2_free(converted);
    for (char& c : out) c = ascii_lower(c);
    if (out.ends_with('.')) out.pop_back();
  }
  if (is_ip_address(out)) {
    reason = "an IP address, not a domain";
    return std::nullopt;
  }
  if (!validate_ascii_name(out, reason)) return std::nullopt;
  return out;
}

DomainList parse_domain_list(std::string_view text, std::string path) {
  DomainList out;
  out.diag.path = std::move(path);
  DomainListParser parser(out);
  lists_internal::for_each_line(text, out.diag, [&](std::uint32_t number, std::string_view line) {
    parser.parse_line(number, line);
  });
  return out;
}

}  // namespace vigil::rules
