#include "rules/normalize/search_terms.h"

#include <algorithm>

#include "rules/normalize/normalizer.h"

namespace vigil::rules {

namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (ascii_lower(s[i]) != prefix[i]) return false;
  return true;
}

// Labels allowed after a "name." suffix: google.com, google.co.uk and
// google.com.au have one or two; without a public-suffix list more are not
// taken, so "google.evil.example.net" is not Google.
constexpr int kMaxSuffixLabels = 2;

bool host_matches(std::string_view host, std::string_view suffix) {
  if (suffix.empty()) return false;
  if (suffix.back() == '.') {
    // "google." : a label "google" at a label boundary, then 1-2 labels.
    std::size_t from = 0;
    while (true) {
      const std::size_t at = host.find(suffix, from);
      if (at == std::string_view::npos) return false;
      if (at == 0 || host[at - 1] == '.') {
        const std::string_view rest = host.substr(at + suffix.size());
        if (!rest.empty() && rest.front() != '.' && rest.back() != '.') {
          const auto dots = std::count(rest.begin(), rest.end(), '.');
          if (dots < kMaxSuffixLabels && rest.find("..") == std::string_view::npos) return true;
        }
      }
      from = at + 1;
    }
  }
  if (host.size() < suffix.size()) return false;
  if (host.substr(host.size() - suffix.size()) != suffix) return false;
  return host.size() == suffix.size() || host[host.size() - suffix.size() - 1] == '.';
}

bool path_matches(std::string_view path, std::string_view prefix) {
  if (prefix.empty()) return true;
  if (path.size() < prefix.size() || path.substr(0, prefix.size()) != prefix) return false;
  // At a segment boundary: Baidu's "/s" is not "/sitemap".
  return path.size() == prefix.size() || path[prefix.size()] == '/' || prefix.back() == '/';
}

std::string normalise_host(std::string_view authority) {
  // Drop userinfo and port; keep IPv6 literals whole.
  if (const auto at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    authority = authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1);
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    authority = authority.substr(0, colon);
  }
  while (!authority.empty() && authority.back() == '.') authority.remove_suffix(1);
  std::string out(authority);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

std::string_view trim_spaces(std::string_view s) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The first non-empty value of `name` in the query string.
std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (percent_decode(pair.substr(0, eq), true) != name) continue;
    std::string value = percent_decode(pair.substr(eq + 1), true);
    const std::string_view trimmed = trim_spaces(value);
    if (!trimmed.empty()) return std::string(trimmed);
  }
  return std::nullopt;
}

}  // namespace

const std::vector<SearchEngine>& default_search_engines() {
  static const std::vector<SearchEngine> engines = {
      {"google", "google.", "/search", "q"},
      {"google", "google.", "/complete/search", "q"},  // suggestions as the learner types
      {"bing", "bing.com", "/search", "q"},
      {"bing", "bing.com", "/images/search", "q"},
      {"bing", "bing.com", "/videos/search", "q"},
      {"duckduckgo", "duckduckgo.com", "", "q"},
      {"yahoo", "search.yahoo.com", "/search", "p"},
      {"youtube", "youtube.com", "/results", "search_query"},
      {"ecosia", "ecosia.org", "/search", "q"},
      {"yandex", "yandex.", "/search", "text"},
      {"baidu", "baidu.com", "/s", "wd"},
  };
  return engines;
}

std::optional<SearchTerm> extract_search_term(std::string_view host, std::string_view target,
                                              const std::vector<SearchEngine>& engines) {
  // The fragment is never sent by a browser; if present it is not part of
  // the query.
  if (const auto hash = target.find('#'); hash != std::string_view::npos)
    target = target.substr(0, hash);
  std::string host_name(host);
  if (iequals_prefix(target, "http://") || iequals_prefix(target, "https://")) {
    // Absolute form (proxy requests): the authority in the target wins over
    // the Host header (RFC 9112 section 3.2.2).
    target.remove_prefix(target.find("//") + 2);
    const auto end = target.find_first_of("/?");
    host_name = normalise_host(target.substr(0, end));
    target = end == std::string_view::npos ? std::string_view{} : target.substr(end);
  } else {
    host_name = normalise_host(host_name);
  }
  const auto question = target.find('?');
  std::string_view path = target.substr(0, question);
  if (path.empty()) path = "/";
  if (question == std::string_view::npos) return std::nullopt;
  const std::string_view query = target.substr(question + 1);

  for (const SearchEngine& e : engines) {
    if (!host_matches(host_name, e.host_suffix) || !path_matches(path, e.path_prefix)) continue;
    if (auto value = query_value(query, e.parameter)) return SearchTerm{e.name, std::move(*value)};
  }
  return std::nullopt;
}

}  // namespace vigil::rules
