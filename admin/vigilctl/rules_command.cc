#include "admin/vigilctl/rules_command.h"

#include <cstdio>
#include <map>
#include <string>

#include "admin/vigilctl/text_escape.h"
#include "inspect/eve_json.h"
#include "rules/explain.h"
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
    Decision d = rules::explain(*snap, scratch, input, opt.group);
    if (opt.json) {
      std::puts(rules::decision_json(input, d).c_str());
    } else {
      print_text(input, d);
    }
  }
  return 0;
}

}  // namespace vigil::admin
