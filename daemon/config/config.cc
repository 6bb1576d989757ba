#include "daemon/config/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "daemon/config/values.h"

namespace vigil::config {
namespace {

using detail::declaration;
using detail::index_of;

// Larger files are not configuration files; refusing them bounds the work.
constexpr std::size_t kMaxFileBytes = 1 << 20;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view short_of(std::string_view name) {
  std::size_t dot = name.find('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

bool is_section(std::string_view name) {
  return std::any_of(sections().begin(), sections().end(),
                     [&](const SectionDecl& s) { return s.name == name; });
}

// " (did you mean a or b?)", or "" when nothing is close.
std::string did_you_mean(const std::vector<std::string_view>& names) {
  if (names.empty()) return "";
  std::string out = " (did you mean ";
  for (std::size_t i = 0; i < names.size() && i < 3; ++i) {
    if (i) out += " or ";
    out += names[i];
  }
  return out + "?)";
}

// Declared keys close to `name` ("section.key", or a bare key written outside
// any section): a small edit distance, the same key in another section, or
// the declared key with a unit suffix added ("busy_timeout_ms").
std::string suggest_key(std::string_view name) {
  if (name.size() > 64) return "";  // no key is that long; keep the work small
  std::string_view given_short = short_of(name);
  std::size_t limit = std::clamp<std::size_t>(name.size() / 4, 1, 3);
  std::size_t best = limit + 1;
  std::vector<std::string_view> found;
  for (const KeyDecl& k : keys()) {
    std::string_view ks = short_of(k.name);
    std::size_t d = edit_distance(name, k.name);
    if (given_short == ks) d = std::min<std::size_t>(d, 1);
    if (given_short.size() > ks.size() && given_short.substr(0, ks.size()) == ks &&
        given_short[ks.size()] == '_') {
      d = std::min<std::size_t>(d, 1);
    }
    if (d < best) {
      best = d;
      found.clear();
    }
    if (d == best) found.push_back(k.name);
  }
  return did_you_mean(found);
}

std::string suggest_section(std::string_view name) {
  if (name.size() > 64) return "";
  std::vector<std::string_view> found;
  std::size_t best = 3;
  for (const SectionDecl& s : sections()) {
    std::size_t d = edit_distance(name, s.name);
    if (d >= s.name.size()) continue;
    if (d < best) {
      best = d;
      found.clear();
    }
    if (d == best) found.push_back(s.name);
  }
  return did_you_mean(found);
}

// How a TOML value is shown after "got".
std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return detail::quote(n.as_string()->get(), 80);
    case toml::node_type::integer:
      return std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point:
      return detail::format_double(n.as_floating_point()->get());
    case toml::node_type::boolean:
      return n.as_boolean()->get() ? "true" : "false";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

std::uint32_t line_of(const toml::key& k, const toml::node& n) {
  if (k.source().begin.line != 0) return k.source().begin.line;
  return n.source().begin.line;
}

// A TOML value converted to the key's type; nullopt with `error` set to
// "key: expected ..., got ..." when it is not one.
std::optional<Value> from_node(const KeyDecl& decl, const toml::node& n, std::string& error) {
  const std::string got = describe(n);
  std::optional<Value> v;
  switch (decl.type) {
    case Type::Bool:
      if (const auto* b = n.as_boolean()) v = b->get();
      break;
    case Type::Int:
      if (const auto* i = n.as_integer()) v = i->get();
      break;
    case Type::Double:
      if (const auto* f = n.as_floating_point()) v = f->get();
      if (const auto* i = n.as_integer()) v = static_cast<double>(i->get());
      break;
    case Type::Duration:
      if (const auto* s = n.as_string()) {
        if (auto ms = detail::parse_duration(s->get())) v = *ms;
      }
      break;
    case Type::StringList:
    case Type::EmailList:
      if (const auto* a = n.as_array()) {
        std::vector<std::string> items;
        for (std::size_t i = 0; i < a->size(); ++i) {
          const auto* s = (*a)[i].as_string();
          if (s == nullptr) {
            error = std::string(decl.name) + "[" + std::to_string(i) + "]: expected " +
                    detail::expectation(decl, true) + ", got " + describe((*a)[i]);
            return std::nullopt;
          }
          items.push_back(s->get());
        }
        v = std::move(items);
      }
      break;
    default:
      if (const auto* s = n.as_string()) v = s->get();
  }
  if (!v) {
    error = std::string(decl.name) + ": expected " + detail::expectation(decl) + ", got " + got;
    return std::nullopt;
  }
  error = detail::check(decl, *v, got);
  if (!error.empty()) return std::nullopt;
  return v;
}

std::string where(const Origin& o) {
  switch (o.kind) {
    case Origin::Kind::File:
      return o.line ? o.file + ":" + std::to_string(o.line) : o.file;
    case Origin::Kind::Override:
      return "--set";
    case Origin::Kind::Default:
      break;
  }
  return "default";
}

}  // namespace

std::string Origin::describe() const { return where(*this); }

Config::Config() {
  values_.reserve(keys().size());
  origins_.resize(keys().size());
  for (const KeyDecl& decl : keys()) {
    std::string error;
    auto v = detail::from_text(decl, decl.fallback, error);
    if (!v) detail::programming_error("the default of " + error);
    values_.push_back(std::move(*v));
  }
}

namespace {

const Value& typed(const std::vector<Value>& values, std::string_view key,
                   std::initializer_list<Type> types, const char* getter) {
  const KeyDecl& decl = declaration(key);
  if (std::find(types.begin(), types.end(), decl.type) == types.end()) {
    detail::programming_error(std::string("Config::") + getter + "(\"" + std::string(key) +
                              "\"): the key is " + detail::expectation(decl));
  }
  return values[index_of(decl)];
}

}  // namespace

bool Config::get_bool(std::string_view key) const {
  return std::get<bool>(typed(values_, key, {Type::Bool}, "get_bool"));
}

std::int64_t Config::get_int(std::string_view key) const {
  return std::get<std::int64_t>(typed(values_, key, {Type::Int}, "get_int"));
}

double Config::get_double(std::string_view key) const {
  return std::get<double>(typed(values_, key, {Type::Double}, "get_double"));
}

std::chrono::milliseconds Config::get_duration(std::string_view key) const {
  return std::chrono::milliseconds(
      std::get<std::int64_t>(typed(values_, key, {Type::Duration}, "get_duration")));
}

const std::string& Config::get_string(std::string_view key) const {
  return std::get<std::string>(typed(
      values_, key, {Type::String, Type::Path, Type::Enum, Type::Address, Type::Url, Type::Email},
      "get_string"));
}

const std::vector<std::string>& Config::get_strings(std::string_view key) const {
  return std::get<std::vector<std::string>>(
      typed(values_, key, {Type::StringList, Type::EmailList}, "get_strings"));
}

std::optional<Address> Config::get_address(std::string_view key) const {
  const auto& s = std::get<std::string>(typed(values_, key, {Type::Address}, "get_address"));
  if (s.empty()) return std::nullopt;
  return parse_address(s);
}

const Value& Config::value(std::string_view key) const {
  return values_[index_of(declaration(key))];
}

const Origin& Config::origin(std::string_view key) const {
  return origins_[index_of(declaration(key))];
}

std::string Config::text(std::string_view key) const {
  const KeyDecl& decl = declaration(key);
  return detail::format_value(decl, values_[index_of(decl)]);
}

// Applies a document and overrides on top of the defaults, collecting every
// error rather than stopping at the first.
class Loader {
 public:
  void apply(const toml::table& root, const std::string& file) {
    // toml++ keeps a table's keys sorted by name; report in file order.
    std::size_t first = errors_.size();
    for (auto&& [k, node] : root) {
      Origin at{Origin::Kind::File, file, line_of(k, node)};
      const std::string section(k.str());
      if (!is_section(section)) {
        if (node.is_table()) {
          fail(at, section + ": unknown section" + suggest_section(section));
        } else {
          fail(at, section + ": unknown key" + suggest_key(section));
        }
        continue;
      }
      const toml::table* table = node.as_table();
      if (table == nullptr) {
        std::string message = section;
        message += ": expected a table [" + section + "], got ";
        message += describe(node);
        fail(at, message);
        continue;
      }
      for (auto&& [key, value] : *table) {
        Origin key_at{Origin::Kind::File, file, line_of(key, value)};
        std::string name = section;
        name += '.';
        name += key.str();
        const KeyDecl* decl = find_key(name);
        if (decl == nullptr) {
          fail(key_at, name + ": unknown key" + suggest_key(name));
          continue;
        }
        std::string error;
        if (auto v = from_node(*decl, value, error)) {
          set(*decl, std::move(*v), std::move(key_at));
        } else {
          fail(key_at, error);
        }
      }
    }
    std::stable_sort(errors_.begin() + static_cast<std::ptrdiff_t>(first), errors_.end(),
                     [](const Error& a, const Error& b) { return a.line < b.line; });
  }

  void apply_overrides(std::span<const std::string> overrides) {
    const Origin at{Origin::Kind::Override, {}, 0};
    for (const std::string& o : overrides) {
      std::size_t eq = o.find('=');
      if (eq == std::string::npos || eq == 0) {
        fail(at, detail::quote(o, 80) + ": expected section.key=value");
        continue;
      }
      const std::string name = o.substr(0, eq);
      const std::string_view text = std::string_view(o).substr(eq + 1);
      const KeyDecl* decl = find_key(name);
      if (decl == nullptr) {
        fail(at, name + ": unknown key" + suggest_key(name));
        continue;
      }
      std::string error;
      std::optional<Value> v;
      bool list = decl->type == Type::StringList || decl->type == Type::EmailList;
      if (list && !text.empty() && text.front() == '[') {
        v = list_from_toml(*decl, text, error);
      } else {
        v = detail::from_text(*decl, text, error);
      }
      if (v) {
        set(*decl, std::move(*v), at);
      } else {
        fail(at, error);
      }
    }
  }

  // Cross-key rules, checked once every value is known.
  void check_requirements() {
    if (!errors_.empty()) return;  // a rejected value would mislead them
    for (const Requirement& r : requirements()) {
      const KeyDecl& key = declaration(r.key);
      const KeyDecl& needs = declaration(r.needs);
      if (detail::is_set(config_.values_[index_of(key)]) &&
          !detail::is_set(config_.values_[index_of(needs)])) {
        fail(config_.origins_[index_of(key)], std::string(r.key) + ": is set, so " +
                                                  std::string(r.needs) + " must be set too (" +
                                                  std::string(r.why) + ")");
      }
    }
  }

  void fail(const Origin& at, const std::string& message) {
    errors_.push_back({at.line, where(at) + ": " + message});
  }

  LoadResult finish() {
    check_requirements();
    LoadResult result;
    if (errors_.empty()) {
      result.config = std::move(config_);
    } else {
      for (Error& e : errors_) result.errors.push_back(std::move(e.text));
    }
    return result;
  }

 private:
  void set(const KeyDecl& decl, Value v, Origin at) {
    config_.values_[index_of(decl)] = std::move(v);
    config_.origins_[index_of(decl)] = std::move(at);
  }

  // `--set capture.interfaces=["eth0", "eth1"]`: the value in TOML syntax.
  static std::optional<Value> list_from_toml(const KeyDecl& decl, std::string_view text,
                                             std::string& error) {
    std::string doc = "v = ";
    doc += text;
    try {
      toml::table t = toml::parse(doc, std::string_view("--set"));
      if (t.size() == 1 && t.contains("v")) return from_node(decl, *t.get("v"), error);
    } catch (const toml::parse_error&) {
      // reported below
    }
    error = std::string(decl.name) + ": expected " + detail::expectation(decl) + ", got " +
            detail::quote(text, 80);
    return std::nullopt;
  }

  struct Error {
    std::uint32_t line;  // in the file; 0 for overrides
    std::string text;
  };

  Config config_;
  std::vector<Error> errors_;
};

LoadResult load_text(std::string_view text, std::string_view source,
                     std::span<const std::string> overrides) {
  Loader loader;
  try {
    toml::table root = toml::parse(text, source);
    loader.apply(root, std::string(source));
  } catch (const toml::parse_error& e) {
    Origin at{Origin::Kind::File, std::string(source), e.source().begin.line};
    LoadResult result;
    std::string description(e.description());
    std::replace(description.begin(), description.end(), '\n', ' ');  // one line
    result.errors.push_back(where(at) + ": invalid TOML: " + description);
    return result;
  }
  loader.apply_overrides(overrides);
  return loader.finish();
}

LoadResult load(const std::string& path, std::span<const std::string> overrides) {
  LoadResult result;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    result.errors.push_back(path + ": cannot read: " + std::strerror(errno));
    return result;
  }
  std::string text;
  char buf[16384];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && text.size() <= kMaxFileBytes) {
    text.append(buf, n);
  }
  int read_errno = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (read_errno != 0) {
    result.errors.push_back(path + ": cannot read: " + std::strerror(read_errno));
    return result;
  }
  if (text.size() > kMaxFileBytes) {
    result.errors.push_back(path + ": larger than 1 MiB, not a configuration file");
    return result;
  }
  return load_text(text, path, overrides);
}

LoadResult load_defaults(std::span<const std::string> overrides) {
  Loader loader;
  loader.apply_overrides(overrides);
  return loader.finish();
}

ConfigDiff diff(const Config& running, const Config& loaded, std::uint8_t readers) {
  ConfigDiff d;
  for (const KeyDecl& decl : keys()) {
    if ((decl.readers & readers) == 0) continue;
    const Value& before = running.value(decl.name);
    const Value& after = loaded.value(decl.name);
    if (before == after) continue;
    Change c{decl.name, detail::format_value(decl, before), detail::format_value(decl, after)};
    (decl.apply == Apply::Startup ? d.restart : d.reload).push_back(std::move(c));
  }
  return d;
}

}  // namespace vigil::config
