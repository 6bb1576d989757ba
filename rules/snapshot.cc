#include "rules/snapshot.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "rules/match/domain_index.h"
#include "rules/match/keyword_matcher.h"
#include "rules/normalize/normalizer.h"
#include "rules/normalize/search_terms.h"

namespace vigil::rules {
namespace {

constexpr std::uint32_t kNoTerm = UINT32_MAX;

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    out += buf;
  }
  return out;
}

int action_rank(Action a) {
  switch (a) {
    case Action::Log:
      return 1;
    case Action::Alert:
      return 2;
    case Action::Block:
      return 3;
  }
  return 0;
}

Verdict verdict_for(Action a) {
  switch (a) {
    case Action::Log:
      return Verdict::Log;
    case Action::Alert:
      return Verdict::Alert;
    case Action::Block:
      return Verdict::Block;
  }
  return Verdict::None;
}

// The path of a request-target: origin-form as is, absolute-form after the authority.
std::string_view target_path(std::string_view target) {
  std::size_t scheme = target.find("://");
  if (scheme != std::string_view::npos && scheme < 16) {
    std::size_t slash = target.find('/', scheme + 3);
    return slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  return target;
}

}  // namespace

std::string_view hit_kind_name(HitKind k) noexcept {
  switch (k) {
    case HitKind::Domain:
      return "domain";
    case HitKind::Url:
      return "url";
    case HitKind::Keyword:
      return "keyword";
    case HitKind::Phrase:
      return "phrase";
    case HitKind::Regex:
      return "regex";
    case HitKind::SearchTerm:
      return "search_term";
  }
  return "unknown";
}

std::string_view verdict_name(Verdict v) noexcept {
  switch (v) {
    case Verdict::None:
      return "none";
    case Verdict::Allow:
      return "allow";
    case Verdict::Log:
      return "log";
    case Verdict::Alert:
      return "alert";
    case Verdict::Block:
      return "block";
  }
  return "unknown";
}

// One rule: an entry of a list (or a hand-made entry of policy.toml).
// Text kept for explanations, in one arena per snapshot: a million rules
// then cost a few bytes each instead of a std::string each.
struct TextRef {
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
};

struct Rule {
  std::uint32_t list = 0;  // index into Impl::lists
  std::uint32_t line = 0;
  TextRef entry;            // as written in the list
  TextRef path_prefix;      // URL rules
  std::int32_t weight = 0;  // phrases
  std::uint16_t terms = 0;  // phrases: how many terms must match
  HitKind kind = HitKind::Domain;
  bool allow = false;
  bool manual = false;  // a hand-made entry of policy.toml
};

// What a Hyperscan pattern id stands for.
struct PatternTarget {
  std::uint32_t rule = 0;
  std::uint32_t term = kNoTerm;  // phrase term index, or kNoTerm for a keyword
};

struct RuleSnapshot::Impl {
  Policy policy;
  std::string arena;  // entry texts of all rules

  TextRef keep(std::string_view text) {
    TextRef t{static_cast<std::uint32_t>(arena.size()), static_cast<std::uint32_t>(text.size())};
    arena.append(text);
    return t;
  }
  std::string_view text(TextRef t) const {
    return std::string_view(arena).substr(t.offset, t.size);
  }

  std::vector<LoadedList> lists;
  std::vector<Rule> rules;
  DomainIndex domains;
  DomainIndex url_hosts;
  std::unique_ptr<KeywordMatcher> keywords;  // normalised text
  std::vector<PatternTarget> keyword_targets;
  std::unique_ptr<KeywordMatcher> regexes;  // raw text
  std::vector<std::uint32_t> regex_rules;
  Normalizer normalizer;
  SnapshotStats stats;

  const GroupPolicy& group(std::string_view name) const {
    for (const GroupPolicy& g : policy.groups) {
      if (g.name == name) return g;
    }
    for (const GroupPolicy& g : policy.groups) {
      if (g.name == policy.default_group) return g;
    }
    return policy.groups.front();
  }

  Hit make_hit(const Rule& r, const GroupPolicy& g) const {
    const ListSpec& l = lists[r.list].spec;
    Hit h;
    h.kind = r.kind;
    h.category = l.category;
    h.severity = l.severity;
    h.statutory = l.statutory != StatutorySlot::None;
    auto it = g.actions.find(l.category);
    // A hand-made block is a decision someone recorded a reason for: no
    // group setting softens it (as no setting softens a statutory list).
    bool fixed_block = h.statutory || (r.manual && !r.allow);
    h.action = fixed_block ? Action::Block : (it != g.actions.end() ? it->second : l.action);
    h.allow_entry = r.allow;
    h.weight = r.weight;
    h.limit_action = h.action;
    h.list = l.name;
    h.list_path = l.path;
    h.entry = std::string(text(r.entry));
    h.line = r.line;
    return h;
  }

  void scan_keywords(std::string_view normalised, const GroupPolicy& g, KeywordMatcher::Scratch& ks,
                     KeywordMatcher::Scratch& rs, std::string_view raw,
                     std::vector<Hit>& hits) const;
  Decision conclude(std::vector<Hit> hits, const GroupPolicy& g, FlowScore* flow) const;
  void scan_text(std::string_view text, const GroupPolicy& g, Scratch::Impl& scratch,
                 std::vector<Hit>& hits) const;
};

struct RuleSnapshot::Scratch::Impl {
  KeywordMatcher::Scratch keywords;
  KeywordMatcher::Scratch regexes;
  std::vector<std::uint32_t> ids;
};

RuleSnapshot::Scratch::Scratch() : impl_(std::make_unique<Impl>()) {}
RuleSnapshot::Scratch::~Scratch() = default;
RuleSnapshot::Scratch::Scratch(Scratch&&) noexcept = default;
RuleSnapshot::Scratch& RuleSnapshot::Scratch::operator=(Scratch&&) noexcept = default;

RuleSnapshot::RuleSnapshot() : impl_(std::make_unique<Impl>()) {}
RuleSnapshot::~RuleSnapshot() = default;

const std::vector<LoadedList>& RuleSnapshot::lists() const noexcept { return impl_->lists; }
const SnapshotStats& RuleSnapshot::stats() const noexcept { return impl_->stats; }
const Policy& RuleSnapshot::policy() const noexcept { return impl_->policy; }

std::shared_ptr<const RuleSnapshot> RuleSnapshot::build(const Policy& policy, std::string& error,
                                                        const SnapshotLimits& limits) {
  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<RuleSnapshot> snap(new RuleSnapshot());
  Impl& s = *snap->impl_;
  s.policy = policy;
  std::vector<KeywordPattern> keyword_patterns;
  std::vector<KeywordPattern> regex_patterns;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> regex_origin;  // (list, line)
  std::vector<std::pair<std::uint32_t, std::uint32_t>> keyword_origin;

  auto add_keyword = [&](const ListSpec& spec, std::uint32_t list, std::uint32_t line,
                         const std::string& text, PatternTarget target, PhraseBoundary b) {
    KeywordPattern p;
    p.expression = spec.normalise ? s.normalizer.normalise(text) : text;
    if (p.expression.empty()) return;
    p.literal = true;
    p.whole_word = b == PhraseBoundary::Whole;
    p.word_start = b == PhraseBoundary::WordStart;
    p.word_end = b == PhraseBoundary::WordEnd;
    if (spec.edit_distance > 0 && p.expression.size() >= spec.edit_min_length) {
      p.edit_distance = spec.edit_distance;
    }
    p.id = static_cast<std::uint32_t>(s.keyword_targets.size());
    s.keyword_targets.push_back(target);
    keyword_patterns.push_back(std::move(p));
    keyword_origin.emplace_back(list, line);
  };

  for (const ListSpec& spec : policy.lists) {
    auto list = static_cast<std::uint32_t>(s.lists.size());
    LoadedList loaded;
    loaded.spec = spec;
    auto text = read_text_file(spec.path);
    if (!text && spec.format != ListFormat::Phrases) {
      error = spec.path + ":0: cannot read list '" + spec.name + "'";
      return nullptr;
    }
    loaded.sha256 = text ? sha256_hex(*text) : std::string();
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(spec.path, ec);
    if (!ec) {
      // file_clock and system_clock differ by a fixed offset (libstdc++ has no clock_cast yet).
      loaded.modified = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
          mtime - std::filesystem::file_time_type::clock::now() + std::chrono::system_clock::now());
    }
    auto add_rule = [&](HitKind kind, std::string_view entry, std::uint32_t line, bool allow) {
      Rule r;
      r.list = list;
      r.kind = kind;
      r.entry = s.keep(entry);
      r.line = line;
      r.allow = allow || spec.allow;
      s.rules.push_back(std::move(r));
      return static_cast<std::uint32_t>(s.rules.size() - 1);
    };
    switch (spec.format) {
      case ListFormat::Domains: {
        DomainList dl = parse_domain_list(*text, spec.path);
        for (const DomainEntry& e : dl.entries) {
          s.domains.add(e.domain, add_rule(HitKind::Domain, e.domain, e.line, e.allow));
        }
        loaded.entries = dl.entries.size();
        loaded.diag = std::move(dl.diag);
        s.stats.domains += loaded.entries;
        break;
      }
      case ListFormat::Urls: {
        UrlList ul = parse_url_list(*text, spec.path);
        for (const UrlEntry& e : ul.entries) {
          std::uint32_t id = add_rule(HitKind::Url, e.host + e.path_prefix, e.line, false);
          s.rules[id].path_prefix = s.keep(e.path_prefix);
          s.url_hosts.add(e.host, id);
        }
        loaded.entries = ul.entries.size();
        loaded.diag = std::move(ul.diag);
        s.stats.urls += loaded.entries;
        break;
      }
      case ListFormat::Regex: {
        RegexList rl = parse_regex_list(*text, spec.path);
        for (const RegexEntry& e : rl.entries) {
          KeywordPattern p;
          p.expression = e.pattern;
          p.literal = false;
          p.id = static_cast<std::uint32_t>(s.regex_rules.size());
          s.regex_rules.push_back(add_rule(HitKind::Regex, e.pattern, e.line, false));
          regex_patterns.push_back(std::move(p));
          regex_origin.emplace_back(list, e.line);
        }
        loaded.entries = rl.entries.size();
        loaded.diag = std::move(rl.diag);
        s.stats.regexes += loaded.entries;
        break;
      }
      case ListFormat::Keywords: {
        KeywordList kl = parse_keyword_list(*text, spec.path);
        for (const KeywordEntry& e : kl.entries) {
          std::uint32_t id = add_rule(HitKind::Keyword, e.text, e.line, false);
          add_keyword(spec, list, e.line, e.text, PatternTarget{id, kNoTerm}, PhraseBoundary::None);
        }
        loaded.entries = kl.entries.size();
        loaded.diag = std::move(kl.diag);
        s.stats.keywords += loaded.entries;
        break;
      }
      case ListFormat::Phrases: {
        PhraseList pl = load_phrase_list(spec.path, read_text_file);
        if (!pl.error.empty()) {
          error = pl.error;
          return nullptr;
        }
        for (const PhraseEntry& e : pl.entries) {
          std::string shown;
          for (const PhraseTerm& t : e.terms) shown += (shown.empty() ? "<" : ",<") + t.text + ">";
          std::uint32_t id = add_rule(HitKind::Phrase, shown, e.line, false);
          s.rules[id].weight = e.weight;
          s.rules[id].terms = static_cast<std::uint16_t>(e.terms.size());
          for (std::uint32_t t = 0; t < e.terms.size(); ++t) {
            add_keyword(spec, list, e.line, e.terms[t].text, PatternTarget{id, t},
                        e.terms[t].boundary);
          }
        }
        loaded.entries = pl.entries.size();
        loaded.diag = std::move(pl.diag);
        s.stats.phrases += loaded.entries;
        break;
      }
    }
    s.lists.push_back(std::move(loaded));
    if (s.arena.size() > UINT32_MAX / 2) {
      error = spec.path + ":0: the rules tree is too large (over 2 GB of entries)";
      return nullptr;
    }
  }

  // Hand-made entries of policy.toml, as one pseudo-list per kind.
  if (!policy.manual.empty()) {
    for (bool allow : {true, false}) {
      for (const ManualEntry& m : policy.manual) {
        if (m.allow != allow) continue;
        LoadedList pseudo;
        pseudo.spec.name = allow ? "manual allow" : "manual block";
        pseudo.spec.path = policy.root + "/policy.toml";
        pseudo.spec.format = ListFormat::Domains;
        pseudo.spec.category = m.category;
        pseudo.spec.severity = default_severity(m.category);
        pseudo.spec.action = allow ? Action::Log : Action::Block;
        pseudo.spec.allow = allow;
        auto list = static_cast<std::uint32_t>(s.lists.size());
        s.lists.push_back(std::move(pseudo));
        Rule r;
        r.list = list;
        r.kind = HitKind::Domain;
        r.entry = s.keep(m.domain + " (" + m.reason + ")");
        r.line = m.line;
        r.allow = allow;
        r.manual = true;
        s.rules.push_back(std::move(r));
        s.domains.add(m.domain, static_cast<std::uint32_t>(s.rules.size() - 1));
        ++s.stats.manual;
      }
    }
  }

  s.domains.build();
  s.url_hosts.build();
  auto compile = [&](std::vector<KeywordPattern>& patterns,
                     const std::vector<std::pair<std::uint32_t, std::uint32_t>>& origin,
                     std::unique_ptr<KeywordMatcher>& out) {
    if (patterns.empty()) return true;
    KeywordMatcher::CompileError ce;
    out = KeywordMatcher::compile(patterns, ce, {limits.compile_time, limits.compile_memory_bytes});
    if (out) return true;
    if (ce.pattern_index < origin.size()) {
      const auto& [list, line] = origin[ce.pattern_index];
      error = s.lists[list].spec.path + ":" + std::to_string(line) + ": " + ce.message;
    } else {
      error = "rules: " + ce.message;
    }
    return false;
  };
  if (!compile(keyword_patterns, keyword_origin, s.keywords)) return nullptr;
  if (!compile(regex_patterns, regex_origin, s.regexes)) return nullptr;

  s.stats.memory_bytes = s.domains.memory_bytes() + s.url_hosts.memory_bytes() +
                         (s.keywords ? s.keywords->database_bytes() : 0) +
                         (s.regexes ? s.regexes->database_bytes() : 0);
  s.stats.compile_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return snap;
}

bool RuleSnapshot::prepare(Scratch& scratch) const {
  bool ok = true;
  if (impl_->keywords) ok = ok && impl_->keywords->prepare(scratch.impl_->keywords);
  if (impl_->regexes) ok = ok && impl_->regexes->prepare(scratch.impl_->regexes);
  return ok;
}

void RuleSnapshot::Impl::scan_keywords(std::string_view normalised, const GroupPolicy& g,
                                       KeywordMatcher::Scratch& ks, KeywordMatcher::Scratch& rs,
                                       std::string_view raw, std::vector<Hit>& hits) const {
  std::unordered_set<std::uint32_t> keyword_rules;
  std::unordered_map<std::uint32_t, std::unordered_set<std::uint32_t>> phrase_terms;
  if (keywords) {
    keywords->scan(normalised, ks, [&](std::uint32_t id, std::size_t) {
      const PatternTarget& t = keyword_targets[id];
      if (t.term == kNoTerm) {
        keyword_rules.insert(t.rule);
      } else {
        phrase_terms[t.rule].insert(t.term);
      }
    });
  }
  std::vector<std::uint32_t> matched(keyword_rules.begin(), keyword_rules.end());
  for (const auto& [rule, terms] : phrase_terms) {
    if (terms.size() == rules[rule].terms) matched.push_back(rule);  // every term present
  }
  if (regexes) {
    regexes->scan(raw, rs, [&](std::uint32_t id, std::size_t) {
      std::uint32_t rule = regex_rules[id];
      if (std::find(matched.begin(), matched.end(), rule) == matched.end()) {
        matched.push_back(rule);
      }
    });
  }
  std::sort(matched.begin(), matched.end());
  for (std::uint32_t id : matched) {
    Hit h = make_hit(rules[id], g);
    hits.push_back(std::move(h));
  }
}

namespace {

// A weighted phrase's identity across snapshots: its list and line.
std::uint64_t phrase_key(const Hit& h) {
  return std::hash<std::string>{}(h.list) * 0x9E3779B97F4A7C15ULL ^ h.line;
}

// Only weighted phrases carry a weight; a phrase matched in a search term
// keeps its weight although its kind says where it was found.
bool weighted(const Hit& h) { return h.weight != 0; }

// Adds the phrases of `hits` not yet counted in this flow; returns the total.
int add_to_flow(FlowScore& flow, const std::vector<Hit>& hits) {
  for (const Hit& h : hits) {
    if (!weighted(h)) continue;
    const std::uint64_t key = phrase_key(h);
    auto at = std::lower_bound(flow.seen.begin(), flow.seen.end(), key);
    if (at != flow.seen.end() && *at == key) continue;  // counted once per flow
    if (flow.seen.size() >= FlowScore::kMaxPhrases) {
      ++flow.untracked;  // cannot tell a repeat from a new phrase: count neither
      continue;
    }
    flow.seen.insert(at, key);
    flow.total += h.weight;
  }
  return flow.total;
}

}  // namespace

Decision RuleSnapshot::Impl::conclude(std::vector<Hit> hits, const GroupPolicy& g,
                                      FlowScore* flow) const {
  Decision d;
  // Weighted phrases count towards the group's naughtiness limit, each
  // distinct phrase once (per observation, or per flow when the caller keeps
  // a FlowScore); below the limit they are only logged, at it they take
  // their action.
  int score = 0;
  bool any_weighted = false;
  for (const Hit& h : hits) {
    if (!weighted(h)) continue;
    any_weighted = true;
    score += h.weight;
  }
  if (flow != nullptr && any_weighted) {
    const int before = flow->total;
    score = add_to_flow(*flow, hits);
    d.phrase_added = score - before;
  } else {
    d.phrase_added = score;
  }
  for (Hit& h : hits) {
    if (weighted(h)) h.action = score < g.naughtiness_limit ? Action::Log : h.limit_action;
  }
  if (any_weighted) d.phrase_score = score;
  d.naughtiness_limit = g.naughtiness_limit;
  const Hit* statutory = nullptr;
  const Hit* allow = nullptr;
  for (const Hit& h : hits) {
    if (h.statutory && statutory == nullptr) statutory = &h;
    if (h.allow_entry && allow == nullptr) allow = &h;
  }
  auto where = [](const Hit& h) {
    return "'" + h.entry + "' (" + h.list + ", line " + std::to_string(h.line) + ")";
  };
  if (statutory != nullptr) {
    d.verdict = Verdict::Block;
    d.reason = "statutory list entry " + where(*statutory) +
               " blocks; no allow entry or setting can override it";
    for (Hit& h : hits) {
      if (h.allow_entry) h.reason = "overridden: statutory lists cannot be allowed";
    }
  } else if (allow != nullptr) {
    d.verdict = Verdict::Allow;
    d.reason = "allow entry " + where(*allow) + " beats the deny entries";
    for (Hit& h : hits) {
      if (!h.allow_entry) {
        h.allowed = true;
        h.reason = "allowed by " + where(*allow);
      }
    }
  } else {
    const Hit* strongest = nullptr;
    for (const Hit& h : hits) {
      if (strongest == nullptr || action_rank(h.action) > action_rank(strongest->action) ||
          (h.action == strongest->action && h.severity > strongest->severity)) {
        strongest = &h;
      }
    }
    if (strongest != nullptr) {
      d.verdict = verdict_for(strongest->action);
      d.reason = std::string(category_name(strongest->category)) + " entry " + where(*strongest) +
                 ": " + std::string(action_name(strongest->action)) + " for group '" + g.name + "'";
      if (any_weighted) {
        d.reason += std::string("; phrase score ") + (flow != nullptr ? "in this flow " : "") +
                    std::to_string(score) + " of limit " + std::to_string(g.naughtiness_limit);
      }
    }
  }
  for (std::size_t i = 0; i < hits.size(); ++i) {
    if (hits[i].reason.empty()) hits[i].reason = d.reason;
  }
  d.hits = std::move(hits);
  return d;
}

void RuleSnapshot::Impl::scan_text(std::string_view text, const GroupPolicy& g,
                                   Scratch::Impl& scratch, std::vector<Hit>& hits) const {
  scan_keywords(normalizer.normalise(text), g, scratch.keywords, scratch.regexes, text, hits);
}

std::optional<inspect::Observation> RuleSnapshot::search_term(
    const inspect::Observation& url) const {
  if (url.kind != inspect::ObservationKind::HttpUrl) return std::nullopt;
  auto term = extract_search_term(url.http_host, url.value, impl_->policy.search_engines);
  if (!term || term->terms.empty()) return std::nullopt;
  inspect::Observation o = url;
  o.kind = inspect::ObservationKind::SearchTerm;
  o.value = std::move(term->terms);
  o.search_engine = std::move(term->engine);
  o.http_url = url.value;
  return o;
}

Decision RuleSnapshot::decide(const inspect::Observation& obs, std::string_view group_name,
                              Scratch& scratch, FlowScore* flow) const {
  const Impl& s = *impl_;
  const GroupPolicy& g = s.group(group_name);
  std::vector<Hit> hits;
  std::vector<std::uint32_t>& ids = scratch.impl_->ids;

  switch (obs.kind) {
    case inspect::ObservationKind::Dns:
    case inspect::ObservationKind::Sni:
    case inspect::ObservationKind::QuicSni:
    case inspect::ObservationKind::HttpHost:
      ids.clear();
      s.domains.match(obs.value, ids);
      for (std::uint32_t id : ids) hits.push_back(s.make_hit(s.rules[id], g));
      s.scan_text(obs.value, g, *scratch.impl_, hits);
      break;
    case inspect::ObservationKind::HttpUrl: {
      std::string_view path = target_path(obs.value);
      ids.clear();
      if (!obs.http_host.empty()) s.url_hosts.match(obs.http_host, ids);
      for (std::uint32_t id : ids) {
        const Rule& r = s.rules[id];
        std::string_view prefix = s.text(r.path_prefix);
        if (path.substr(0, prefix.size()) == prefix) hits.push_back(s.make_hit(r, g));
      }
      std::string decoded = percent_decode(obs.value, true);
      s.scan_keywords(s.normalizer.normalise(decoded), g, scratch.impl_->keywords,
                      scratch.impl_->regexes, decoded, hits);
      break;
    }
    case inspect::ObservationKind::SearchTerm:
      s.scan_text(obs.value, g, *scratch.impl_, hits);
      for (Hit& h : hits) {
        h.kind = HitKind::SearchTerm;
        h.search_term = obs.value;
      }
      break;
    case inspect::ObservationKind::HttpText:
      s.scan_text(obs.value, g, *scratch.impl_, hits);
      break;
    case inspect::ObservationKind::DnsAnswer:
      break;
  }
  // A hit on page text names the page (host and URL), not the text: page
  // text can be long and personal, and the entry says what matched.
  const std::string value =
      obs.kind == inspect::ObservationKind::HttpText ? obs.http_host + obs.http_url : obs.value;
  for (Hit& h : hits) {
    h.observation = obs.kind;
    h.value = value;
    h.client = obs.client.to_string();
    h.ts_us = obs.ts_us;
    h.flow_id = obs.flow_id;
  }
  return s.conclude(std::move(hits), g, flow);
}

Decision RuleSnapshot::decide_text(std::string_view text, std::string_view group_name,
                                   Scratch& scratch) const {
  const Impl& s = *impl_;
  const GroupPolicy& g = s.group(group_name);
  std::vector<Hit> hits;
  s.scan_text(text, g, *scratch.impl_, hits);
  for (Hit& h : hits) h.value = std::string(text);
  return s.conclude(std::move(hits), g, nullptr);
}

}  // namespace vigil::rules
