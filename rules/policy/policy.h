#pragma once
// The rules tree an IT specialist manages: which lists exist (with their
// category, severity, action and provenance), the statutory slots, the
// groups of people with their per-category actions and naughtiness limits,
// and the hand-made allow/block entries with the reason each was made.
//
// Layout of a rules tree DIR:
//   DIR/policy.toml            lists, statutory slots, groups, manual entries
//   DIR/<paths named there>    the list files, in their own formats
// A DIR without policy.toml is read as a bare UT1 / squidGuard category
// tree (DIR/<category>/domains, DIR/<category>/urls).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rules/normalize/search_terms.h"
#include "rules/taxonomy.h"

namespace vigil::rules {

enum class ListFormat : std::uint8_t { Domains, Urls, Regex, Keywords, Phrases };

std::string_view list_format_name(ListFormat f) noexcept;
std::optional<ListFormat> parse_list_format(std::string_view s) noexcept;

enum class StatutorySlot : std::uint8_t { None, Iwf, Ctiru };

struct ListSpec {
  std::string name;
  std::string path;  // absolute, resolved against DIR
  ListFormat format = ListFormat::Domains;
  Category category = Category::Extremism;
  Severity severity = Severity::Advisory;
  Action action = Action::Log;
  bool allow = false;  // an allow list (its entries beat deny entries, never statutory ones)
  StatutorySlot statutory = StatutorySlot::None;
  unsigned edit_distance = 0;    // keywords/phrases: misspellings matched
  unsigned edit_min_length = 6;  // ... only for terms at least this long
  bool normalise = true;         // keywords/phrases: match after normalisation
  std::string source;
  std::string licence;
  std::string version;
  std::uint32_t spec_line = 0;  // where policy.toml declares it
};

struct GroupPolicy {
  std::string name;
  std::map<Category, Action> actions;  // overrides of the lists' actions
  int naughtiness_limit = 50;
};

struct ManualEntry {
  std::string domain;                       // normalised
  bool allow = true;                        // false: a hand-made block
  Category category = Category::Extremism;  // for blocks
  std::string reason;                       // required: goes to the decision log
  std::string by;
  std::uint32_t line = 0;
};

struct Policy {
  std::string root;  // DIR
  std::vector<ListSpec> lists;
  std::vector<GroupPolicy> groups;
  std::vector<ManualEntry> manual;
  // The built-in engines (default_search_engines()) plus the provider's own
  // [[search_engine]] tables, which are tried first.
  std::vector<SearchEngine> search_engines;
  std::string default_group = "default";
  bool ut1_tree = false;  // read as a bare category tree
};

// Reads DIR/policy.toml (or a bare UT1 tree). On error returns nullopt and
// sets `error` to "file:line: what is wrong".
std::optional<Policy> load_policy(const std::string& dir, std::string& error);

// As load_policy(), with `text` read in place of DIR/policy.toml: the
// console checks an edited policy before it replaces the file. Errors name
// DIR/policy.toml and the line in `text`.
std::optional<Policy> load_policy_text(const std::string& dir, std::string_view text,
                                       std::string& error);

}  // namespace vigil::rules
