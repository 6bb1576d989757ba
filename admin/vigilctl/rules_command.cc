#include "admin/vigilctl/rules_command.h"

#include <cstdio>
#include <map>
#include <string>

#include "admin/vigilctl/text_escape.h"
#include "inspect/eve_json.h"
#include "rules/policy/policy.h"
#include "rules/snapshot.h"

namespace vigil::admin {
namespace {

using rules::Decision;
using rules::Hit;

std::shared_ptr<const rules::RuleSnapshot> load(const std::string& dir) {
  std::string error;
  auto policy = rules::load_policy(dir, error);
  if (!policy) {
    std::fprintf(stderr, "vigilctl rules: %s\n", error.c_str());
    return nullptr;
  }
  auto snap = rules::RuleSnapshot::build(*policy, error);
  if (!snap) {
    std::fprintf(stderr, "vigilctl rules: %s\n", error.c_str());
    return nullptr;
  }
  return snap;
}

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

int verdict_rank(rules::Verdict v) {
  switch (v) {
    case rules::Verdict::None:
      return 0;
    case rules::Verdict::Log:
      return 1;
    case rules::Verdict::Alert:
      return 2;
    case rules::Verdict::Allow:
      return 3;
    case rules::Verdict::Block:
      return 4;
  }
  return 0;
}

Decision decide(const rules::RuleSnapshot& snap, rules::RuleSnapshot::Scratch& scratch,
                const std::string& raw, const std::string& group) {
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

void print_json(const std::string& input, const Decision& d) {
  std::string out = "{\"input\":";
  inspect::append_json_string(out, input);
  out += ",\"verdict\":\"" + std::string(rules::verdict_name(d.verdict)) + "\",\"reason\":";
  inspect::append_json_string(out, d.reason);
  out += ",\"hits\":[";
  for (std::size_t i = 0; i < d.hits.size(); ++i) {
    const Hit& h = d.hits[i];
    if (i > 0) out += ',';
    out += "{\"kind\":\"" + std::string(rules::hit_kind_name(h.kind)) + "\"";
    out += ",\"category\":\"" + std::string(rules::category_name(h.category)) + "\"";
    out += ",\"severity\":\"" + std::string(rules::severity_name(h.severity)) + "\"";
    out += ",\"action\":\"" + std::string(rules::action_name(h.action)) + "\"";
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
  std::puts(out.c_str());
}

void print_text(const std::string& input, const Decision& d) {
  std::printf("%s: %s\n", escape_control_bytes(input).c_str(),
              std::string(rules::verdict_name(d.verdict)).c_str());
  if (!d.reason.empty()) std::printf("  why: %s\n", escape_control_bytes(d.reason).c_str());
  for (const Hit& h : d.hits) {
    std::printf("  %s %s/%s/%s%s%s list '%s' %s:%u entry '%s'%s\n",
                std::string(rules::hit_kind_name(h.kind)).c_str(),
                std::string(rules::category_name(h.category)).c_str(),
                std::string(rules::severity_name(h.severity)).c_str(),
                std::string(rules::action_name(h.action)).c_str(), h.statutory ? " statutory" : "",
                h.allow_entry ? " allow-entry" : (h.allowed ? " (allowed)" : ""),
                escape_control_bytes(h.list).c_str(), escape_control_bytes(h.list_path).c_str(),
                h.line, escape_control_bytes(h.entry).c_str(),
                h.search_term.empty()
                    ? ""
                    : (" search '" + escape_control_bytes(h.search_term) + "'").c_str());
  }
}

}  // namespace

int run_rules_check(const RulesOptions& opt) {
  auto snap = load(opt.rules_dir);
  if (!snap) return 1;
  const rules::RuleSnapshot& s = *snap;
  std::map<std::string, std::uint64_t> per_category;
  std::uint64_t invalid = 0;
  for (const rules::LoadedList& l : s.lists()) {
    per_category[std::string(rules::category_name(l.spec.category))] += l.entries;
    invalid += l.diag.invalid;
    for (const rules::RejectedLine& r : l.diag.first_invalid) {
      std::printf("%s:%u: warning: %s: %s\n", (r.file.empty() ? l.spec.path : r.file).c_str(),
                  r.line, r.reason.c_str(), escape_control_bytes(r.text).c_str());
    }
  }
  std::printf("%zu lists\n", s.lists().size());
  for (const rules::LoadedList& l : s.lists()) {
    std::printf(
        "  %-28s %-8s %-16s %-8s %-5s%s%s accepted %llu duplicate %llu invalid %llu sha256 %.12s\n",
        escape_control_bytes(l.spec.name).c_str(),
        std::string(rules::list_format_name(l.spec.format)).c_str(),
        std::string(rules::category_name(l.spec.category)).c_str(),
        std::string(rules::severity_name(l.spec.severity)).c_str(),
        std::string(rules::action_name(l.spec.action)).c_str(), l.spec.allow ? " allow" : "",
        l.spec.statutory != rules::StatutorySlot::None ? " statutory" : "",
        static_cast<unsigned long long>(l.diag.accepted),
        static_cast<unsigned long long>(l.diag.duplicate),
        static_cast<unsigned long long>(l.diag.invalid), l.sha256.c_str());
  }
  auto now = std::chrono::system_clock::now();
  for (const rules::LoadedList& l : s.lists()) {
    if (l.spec.statutory == rules::StatutorySlot::None) continue;
    auto days = std::chrono::duration_cast<std::chrono::hours>(now - l.modified).count() / 24;
    std::printf("statutory slot '%s': %llu entries, file changed %lld days ago%s\n",
                escape_control_bytes(l.spec.name).c_str(),
                static_cast<unsigned long long>(l.entries), static_cast<long long>(days),
                l.entries == 0 ? " (empty: no list installed)" : "");
  }
  std::printf("entries per category:");
  for (const auto& [c, n] : per_category)
    std::printf(" %s=%llu", c.c_str(), static_cast<unsigned long long>(n));
  const rules::SnapshotStats& st = s.stats();
  std::printf(
      "\ndomains %llu, urls %llu, keywords %llu, phrases %llu, regexes %llu, manual %llu\n",
      static_cast<unsigned long long>(st.domains), static_cast<unsigned long long>(st.urls),
      static_cast<unsigned long long>(st.keywords), static_cast<unsigned long long>(st.phrases),
      static_cast<unsigned long long>(st.regexes), static_cast<unsigned long long>(st.manual));
  std::printf("compiled in %lld ms, %zu bytes of matching structures; %llu invalid lines skipped\n",
              static_cast<long long>(st.compile_time.count()), st.memory_bytes,
              static_cast<unsigned long long>(invalid));
  return 0;
}

int run_rules_test(const RulesOptions& opt) {
  auto snap = load(opt.rules_dir);
  if (!snap) return 1;
  rules::RuleSnapshot::Scratch scratch;
  if (!snap->prepare(scratch)) {
    std::fprintf(stderr, "vigilctl rules: cannot allocate matching scratch\n");
    return 1;
  }
  for (const std::string& input : opt.inputs) {
    Decision d = decide(*snap, scratch, input, opt.group);
    if (opt.json) {
      print_json(input, d);
    } else {
      print_text(input, d);
    }
  }
  return 0;
}

}  // namespace vigil::admin
