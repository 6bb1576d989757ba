#include "rules/policy/policy.h"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string_view>

#include "rules/lists/list_formats.h"

namespace vigil::rules {
namespace {

namespace fs = std::filesystem;

// An error at a node of policy.toml: "file:line: message".
struct Failure {
  std::string text;
};

std::string where(const std::string& file, const toml::node& n) {
  return file + ":" + std::to_string(n.source().begin.line);
}

[[noreturn]] void fail(const std::string& file, const toml::node& n, const std::string& msg) {
  throw Failure{where(file, n) + ": " + msg};
}

void check_keys(const std::string& file, const toml::table& t,
                std::initializer_list<std::string_view> known, std::string_view what) {
  for (const auto& [key, value] : t) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || key.str() == k;
    if (!ok) {
      fail(file, value, "unknown key '" + std::string(key.str()) + "' in " + std::string(what));
    }
  }
}

std::string get_string(const std::string& file, const toml::table& t, std::string_view key,
                       bool required, const toml::node& owner) {
  const toml::node* n = t.get(key);
  if (n == nullptr) {
    if (required) fail(file, owner, "missing '" + std::string(key) + "'");
    return {};
  }
  auto v = n->value<std::string>();
  if (!v) fail(file, *n, "'" + std::string(key) + "' must be a string");
  return *v;
}

std::optional<std::int64_t> get_int(const std::string& file, const toml::table& t,
                                    std::string_view key, std::int64_t lo, std::int64_t hi) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::nullopt;
  auto v = n->value<std::int64_t>();
  if (!v) fail(file, *n, "'" + std::string(key) + "' must be an integer");
  if (*v < lo || *v > hi) {
    fail(file, *n,
         "'" + std::string(key) + "' must be between " + std::to_string(lo) + " and " +
             std::to_string(hi));
  }
  return v;
}

bool get_bool(const std::string& file, const toml::table& t, std::string_view key, bool dflt) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return dflt;
  auto v = n->value<bool>();
  if (!v) fail(file, *n, "'" + std::string(key) + "' must be true or false");
  return *v;
}

Category get_category(const std::string& file, const toml::table& t, const toml::node& owner) {
  std::string name = get_string(file, t, "category", true, owner);
  auto c = parse_category(name);
  if (!c) fail(file, *t.get("category"), "unknown category '" + name + "'");
  return *c;
}

std::string resolve(const std::string& root, const std::string& path) {
  fs::path p(path);
  return (p.is_absolute() ? p : fs::path(root) / p).lexically_normal().string();
}

ListSpec parse_list(const std::string& root, const std::string& file, const toml::table& t,
                    const toml::node& node, StatutorySlot slot) {
  check_keys(file, t,
             {"name", "path", "format", "category", "severity", "action", "allow", "source",
              "licence", "version", "edit_distance", "edit_min_length", "normalise", "slot"},
             slot == StatutorySlot::None ? "[[list]]" : "[[statutory]]");
  ListSpec l;
  l.spec_line = static_cast<std::uint32_t>(node.source().begin.line);
  l.statutory = slot;
  l.path = resolve(root, get_string(file, t, "path", true, node));
  l.name = get_string(file, t, "name", false, node);
  if (l.name.empty()) l.name = fs::path(l.path).filename().string();
  std::string fmt = get_string(file, t, "format", true, node);
  auto f = parse_list_format(fmt);
  if (!f)
    fail(file, *t.get("format"),
         "unknown format '" + fmt + "' (domains, urls, regex, keywords, phrases)");
  l.format = *f;
  if (slot == StatutorySlot::Iwf) {
    l.category = Category::ChildAbuse;
  } else if (slot == StatutorySlot::Ctiru) {
    l.category = Category::Terrorism;
  } else {
    l.category = get_category(file, t, node);
  }
  l.severity = default_severity(l.category);
  l.action = default_action(l.category);
  if (std::string s = get_string(file, t, "severity", false, node); !s.empty()) {
    auto v = parse_severity(s);
    if (!v) fail(file, *t.get("severity"), "unknown severity '" + s + "'");
    l.severity = *v;
  }
  if (std::string s = get_string(file, t, "action", false, node); !s.empty()) {
    auto v = parse_action(s);
    if (!v) fail(file, *t.get("action"), "unknown action '" + s + "' (log, alert, block)");
    l.action = *v;
  }
  l.allow = get_bool(file, t, "allow", false);
  if (slot != StatutorySlot::None) {
    // Statutory lists always block and can be neither allow lists nor softened.
    if (l.allow || l.action != Action::Block) {
      fail(file, node, "a statutory list always blocks: remove 'allow'/'action'");
    }
    l.severity = Severity::Danger;
  }
  l.source = get_string(file, t, "source", false, node);
  l.licence = get_string(file, t, "licence", false, node);
  l.version = get_string(file, t, "version", false, node);
  l.edit_distance = static_cast<unsigned>(get_int(file, t, "edit_distance", 0, 2).value_or(0));
  l.edit_min_length = static_cast<unsigned>(get_int(file, t, "edit_min_length", 3, 64).value_or(6));
  l.normalise = get_bool(file, t, "normalise", true);
  return l;
}

Policy parse_policy(const std::string& root, const std::string& file, const toml::table& doc) {
  check_keys(file, doc, {"default_group", "list", "statutory", "group", "entry", "search_engine"},
             "policy.toml");
  Policy p;
  p.root = root;
  if (const toml::node* n = doc.get("default_group")) {
    auto v = n->value<std::string>();
    if (!v) fail(file, *n, "'default_group' must be a string");
    p.default_group = *v;
  }
  auto each_table = [&](std::string_view key, auto&& fn) {
    const toml::node* n = doc.get(key);
    if (n == nullptr) return;
    const toml::array* arr = n->as_array();
    if (arr == nullptr)
      fail(file, *n, "'" + std::string(key) + "' must be [[" + std::string(key) + "]] tables");
    for (const toml::node& item : *arr) {
      const toml::table* t = item.as_table();
      if (t == nullptr) fail(file, item, "[[" + std::string(key) + "]] entries must be tables");
      fn(*t, item);
    }
  };
  std::set<std::string> names;
  each_table("list", [&](const toml::table& t, const toml::node& node) {
    p.lists.push_back(parse_list(root, file, t, node, StatutorySlot::None));
    if (!names.insert(p.lists.back().name).second) {
      fail(file, node, "a list named '" + p.lists.back().name + "' is declared twice");
    }
  });
  each_table("statutory", [&](const toml::table& t, const toml::node& node) {
    std::string slot = get_string(file, t, "slot", true, node);
    StatutorySlot s = slot == "iwf"     ? StatutorySlot::Iwf
                      : slot == "ctiru" ? StatutorySlot::Ctiru
                                        : StatutorySlot::None;
    if (s == StatutorySlot::None) {
      fail(file, *t.get("slot"), "unknown statutory slot '" + slot + "' (iwf, ctiru)");
    }
    p.lists.push_back(parse_list(root, file, t, node, s));
  });
  each_table("group", [&](const toml::table& t, const toml::node& node) {
    check_keys(file, t, {"name", "naughtiness_limit", "actions"}, "[[group]]");
    GroupPolicy g;
    g.name = get_string(file, t, "name", true, node);
    g.naughtiness_limit =
        static_cast<int>(get_int(file, t, "naughtiness_limit", 1, 1'000'000).value_or(50));
    if (const toml::node* a = t.get("actions")) {
      const toml::table* at = a->as_table();
      if (at == nullptr) fail(file, *a, "'actions' must be a table of category = action");
      for (const auto& [key, value] : *at) {
        auto c = parse_category(key.str());
        if (!c) fail(file, value, "unknown category '" + std::string(key.str()) + "'");
        auto v = value.value<std::string>();
        auto act = v ? parse_action(*v) : std::nullopt;
        if (!act) fail(file, value, "action must be \"log\", \"alert\" or \"block\"");
        // A group may soften terrorism or child-abuse category lists; the
        // statutory slots block whatever a group says (RuleSnapshot).
        g.actions[*c] = *act;
      }
    }
    p.groups.push_back(std::move(g));
  });
  each_table("entry", [&](const toml::table& t, const toml::node& node) {
    check_keys(file, t, {"domain", "allow", "block", "category", "reason", "by"}, "[[entry]]");
    ManualEntry e;
    e.line = static_cast<std::uint32_t>(node.source().begin.line);
    std::string reason;
    std::string domain = get_string(file, t, "domain", true, node);
    e.domain = normalise_domain(domain, reason).value_or("");
    if (e.domain.empty()) fail(file, node, "invalid domain '" + domain + "': " + reason);
    bool allow = get_bool(file, t, "allow", false);
    bool block = get_bool(file, t, "block", false);
    if (allow == block) fail(file, node, "an entry is either allow = true or block = true");
    e.allow = allow;
    if (block) e.category = get_category(file, t, node);
    e.reason = get_string(file, t, "reason", true, node);
    if (e.reason.empty()) fail(file, node, "'reason' must say why (it goes to the decision log)");
    e.by = get_string(file, t, "by", false, node);
    p.manual.push_back(std::move(e));
  });
  each_table("search_engine", [&](const toml::table& t, const toml::node& node) {
    check_keys(file, t, {"name", "host", "path", "parameter"}, "[[search_engine]]");
    SearchEngine e;
    e.name = get_string(file, t, "name", true, node);
    e.host_suffix = get_string(file, t, "host", true, node);
    e.path_prefix = get_string(file, t, "path", false, node);
    e.parameter = get_string(file, t, "parameter", true, node);
    std::string why;
    std::string host = e.host_suffix;
    const bool any_suffix = !host.empty() && host.back() == '.';
    if (any_suffix) host.pop_back();
    auto normal = normalise_domain(host, why);
    if (!normal) fail(file, *t.get("host"), "invalid host '" + e.host_suffix + "': " + why);
    e.host_suffix = *normal + (any_suffix ? "." : "");
    if (!e.path_prefix.empty() && e.path_prefix.front() != '/') {
      fail(file, *t.get("path"), "'path' must start with '/'");
    }
    if (e.parameter.empty() || e.parameter.find_first_of("&=# ") != std::string::npos) {
      fail(file, *t.get("parameter"), "'parameter' must be a query parameter name");
    }
    p.search_engines.push_back(std::move(e));
  });
  for (const SearchEngine& e : default_search_engines()) p.search_engines.push_back(e);
  if (p.groups.empty()) p.groups.push_back(GroupPolicy{p.default_group, {}, 50});
  bool found = false;
  for (const GroupPolicy& g : p.groups) found = found || g.name == p.default_group;
  if (!found) fail(file, doc, "default_group '" + p.default_group + "' is not a [[group]]");
  return p;
}

Policy ut1_policy(const std::string& dir, std::string& error) {
  Policy p;
  p.root = dir;
  p.ut1_tree = true;
  std::error_code ec;
  std::vector<std::string> folders;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory()) folders.push_back(e.path().filename().string());
  }
  if (ec) {
    error = dir + ": " + ec.message();
    return p;
  }
  std::sort(folders.begin(), folders.end());
  for (const std::string& f : folders) {
    auto c = category_for_ut1_folder(f);
    if (!c) continue;
    for (auto [file, fmt] :
         {std::pair{"domains", ListFormat::Domains}, std::pair{"urls", ListFormat::Urls}}) {
      fs::path path = fs::path(dir) / f / file;
      if (!fs::is_regular_file(path, ec)) continue;
      ListSpec l;
      l.name = f + "/" + file;
      l.path = path.string();
      l.format = fmt;
      l.category = *c;
      l.severity = default_severity(*c);
      l.action = default_action(*c);
      l.source = "UT1 category folder";
      p.lists.push_back(std::move(l));
    }
  }
  p.groups.push_back(GroupPolicy{p.default_group, {}, 50});
  p.search_engines = default_search_engines();
  return p;
}

}  // namespace

std::string_view list_format_name(ListFormat f) noexcept {
  switch (f) {
    case ListFormat::Domains:
      return "domains";
    case ListFormat::Urls:
      return "urls";
    case ListFormat::Regex:
      return "regex";
    case ListFormat::Keywords:
      return "keywords";
    case ListFormat::Phrases:
      return "phrases";
  }
  return "unknown";
}

std::optional<ListFormat> parse_list_format(std::string_view s) noexcept {
  for (ListFormat f : {ListFormat::Domains, ListFormat::Urls, ListFormat::Regex,
                       ListFormat::Keywords, ListFormat::Phrases}) {
    if (list_format_name(f) == s) return f;
  }
  return std::nullopt;
}

std::optional<Policy> load_policy(const std::string& dir, std::string& error) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    error = dir + ": not a folder";
    return std::nullopt;
  }
  fs::path file = fs::path(dir) / "policy.toml";
  if (!fs::exists(file, ec)) {
    Policy p = ut1_policy(dir, error);
    if (!error.empty()) return std::nullopt;
    if (p.lists.empty()) {
      error = dir + ": no policy.toml and no UT1 category folders (<category>/domains)";
      return std::nullopt;
    }
    return p;
  }
  try {
    toml::table doc = toml::parse_file(file.string());
    return parse_policy(dir, file.string(), doc);
  } catch (const toml::parse_error& e) {
    error = file.string() + ":" + std::to_string(e.source().begin.line) + ": " +
            std::string(e.description());
  } catch (const Failure& f) {
    error = f.text;
  }
  return std::nullopt;
}

std::optional<Policy> load_policy_text(const std::string& dir, std::string_view text,
                                       std::string& error) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    error = dir + ": not a folder";
    return std::nullopt;
  }
  const std::string file = (fs::path(dir) / "policy.toml").string();
  try {
    toml::table doc = toml::parse(text, file);
    return parse_policy(dir, file, doc);
  } catch (const toml::parse_error& e) {
    error =
        file + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description());
  } catch (const Failure& f) {
    error = f.text;
  }
  return std::nullopt;
}

}  // namespace vigil::rules
