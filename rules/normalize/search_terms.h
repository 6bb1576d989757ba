#pragma once
// Search terms pulled out of request URLs, for the engines and sites the
// filtering standards name (Google, Bing, DuckDuckGo, Yahoo, YouTube) and
// any a provider adds. Visible only for plain HTTP (or behind an inspecting
// proxy); HTTPS paths are not seen by a gateway.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::rules {

struct SearchEngine {
  std::string name;         // "google"
  std::string host_suffix;  // "google." matches google.com, google.co.uk, www.google.de
                            // (a trailing '.' means: any public suffix after it);
                            // otherwise a label-boundary suffix ("duckduckgo.com")
  std::string path_prefix;  // "/search" ("" = any path)
  std::string parameter;    // "q"
};

// The built-in table: Google, Bing, DuckDuckGo, Yahoo (p=), YouTube
// (search_query=), plus common others (Ecosia, Yandex text=, Baidu wd=).
const std::vector<SearchEngine>& default_search_engines();

struct SearchTerm {
  std::string engine;
  std::string terms;  // percent-decoded, '+' as space, UTF-8 as sent
};

// `host` is normalised (lowercase, no port); `target` is the request-target
// as sent (origin-form or absolute-form).
std::optional<SearchTerm> extract_search_term(std::string_view host, std::string_view target,
                                              const std::vector<SearchEngine>& engines);

}  // namespace vigil::rules
