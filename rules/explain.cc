#include "rules/explain.h"

#include <string_view>
#include <vector>

#include "inspect/eve_json.h"

namespace vigil::rules {
namespace {

// What a `rules test` input is: a host name, a URL, or text.
struct Input {
  std::string host;
  std::string target;  // for URLs: the request-target
  bool is_host = false;
  bool is_url = false;
};

Input classify(const std::string& s) {
  Input in;
  std::string_view v(s);
  std::size_t scheme = v.find("://");
  if (scheme != std::string_view::npos && v.find(' ') == std::string_view::npos) {
    std::string_view rest = v.substr(scheme + 3);
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) authority = authority.substr(0, colon);
    in.host = std::string(authority);
    in.target = std::string(v);  // absolute-form, as a proxy request carries it
    in.is_url = true;
  } else if (v.find(' ') == std::string_view::npos && v.find('.') != std::string_view::npos &&
             v.find('/') != std::string_view::npos) {
    std::size_t slash = v.find('/');
    in.host = std::string(v.substr(0, slash));
    in.target = std::string(v.substr(slash));
    in.is_url = true;
  } else if (v.find(' ') == std::string_view::npos && v.find('.') != std::string_view::npos) {
    in.host = std::string(v);
    in.is_host = true;
  }
  for (char& c : in.host) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return in;
}

int verdict_rank(Verdict v) {
  switch (v) {
    case Verdict::None:
      return 0;
    case Verdict::Log:
      return 1;
    case Verdict::Alert:
      return 2;
    case Verdict::Allow:
      return 3;
    case Verdict::Block:
      return 4;
  }
  return 0;
}

}  // namespace

Decision explain(const RuleSnapshot& snap, RuleSnapshot::Scratch& scratch, const std::string& raw,
                 const std::string& group) {
  Input in = classify(raw);
  if (!in.is_host && !in.is_url) return snap.decide_text(raw, group, scratch);
  inspect::Observation host;
  host.kind = inspect::ObservationKind::HttpHost;
  host.value = in.host;
  Decision d = snap.decide(host, group, scratch);
  if (!in.is_url) return d;
  inspect::Observation url;
  url.kind = inspect::ObservationKind::HttpUrl;
  url.value = in.target;
  url.http_host = in.host;
  std::vector<Decision> parts;
  parts.push_back(std::move(d));
  parts.push_back(snap.decide(url, group, scratch));
  if (auto term = snap.search_term(url)) parts.push_back(snap.decide(*term, group, scratch));
  // Report the strongest decision, with every hit of all of them.
  std::size_t strong = 0;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (verdict_rank(parts[i].verdict) > verdict_rank(parts[strong].verdict)) strong = i;
  }
  Decision out = std::move(parts[strong]);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i == strong) continue;
    for (Hit& h : parts[i].hits) out.hits.push_back(std::move(h));
  }
  return out;
}

std::string decision_json(const std::string& input, const Decision& d) {
  std::string out = "{\"input\":";
  inspect::append_json_string(out, input);
  out += ",\"verdict\":\"" + std::string(verdict_name(d.verdict)) + "\",\"reason\":";
  inspect::append_json_string(out, d.reason);
  out += ",\"hits\":[";
  for (std::size_t i = 0; i < d.hits.size(); ++i) {
    const Hit& h = d.hits[i];
    if (i > 0) out += ',';
    out += "{\"kind\":\"" + std::string(hit_kind_name(h.kind)) + "\"";
    out += ",\"category\":\"" + std::string(category_name(h.category)) + "\"";
    out += ",\"severity\":\"" + std::string(severity_name(h.severity)) + "\"";
    out += ",\"action\":\"" + std::string(action_name(h.action)) + "\"";
    out += ",\"list\":";
    inspect::append_json_string(out, h.list);
    out += ",\"file\":";
    inspect::append_json_string(out, h.list_path);
    out += ",\"entry\":";
    inspect::append_json_string(out, h.entry);
    out += ",\"line\":" + std::to_string(h.line);
    out += std::string(",\"statutory\":") + (h.statutory ? "true" : "false");
    out += std::string(",\"allow_entry\":") + (h.allow_entry ? "true" : "false");
    out += std::string(",\"allowed\":") + (h.allowed ? "true" : "false");
    if (h.weight != 0) out += ",\"weight\":" + std::to_string(h.weight);
    if (!h.search_term.empty()) {
      out += ",\"search_term\":";
      inspect::append_json_string(out, h.search_term);
    }
    out += ",\"reason\":";
    inspect::append_json_string(out, h.reason);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace vigil::rules
