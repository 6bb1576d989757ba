#pragma once
// What Vigil can and cannot see, stated from the live configuration, and
// the rule lists as they are on disk now. Part of every monthly report and
// of the annual review: the UK Safer Internet Centre asks for an honest
// statement of what a filter cannot see in encrypted traffic.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.h"
#include "store/types.h"

namespace vigil::report {

// One list of the rules tree named in rules.dir, as its file is now.
struct ListState {
  std::string name;
  std::string category;
  std::string format;
  std::string statutory;  // "", "iwf" or "ctiru"
  bool allow = false;
  std::string path;
  std::string source;   // provenance from policy.toml
  std::string version;  // as declared in policy.toml, "" when not
  bool readable = false;
  std::int64_t entries = 0;  // accepted by the list's parser
  std::int64_t invalid = 0;  // lines the parser rejected
  std::string sha256;        // of the file's bytes, hex; "" when unreadable
  std::optional<store::TimeUs> modified_us{};
  std::optional<double> age_days{};  // as_of - modified
  std::string status;                // ok, unreadable, empty, stale (statutory only)
};

struct StatutoryState {
  std::string slot;  // iwf, ctiru
  std::string name;  // "" when the slot is not declared
  bool declared = false;
  bool present = false;  // readable with at least one entry
  bool fresh = false;    // present and modified within max_age of as_of
  std::int64_t entries = 0;
  std::optional<double> age_days{};
};

struct ListInventory {
  std::string rules_dir;
  std::string error;  // the policy could not be read: file:line: what
  store::TimeUs as_of_us = 0;
  std::chrono::hours max_age{0};
  std::vector<ListState> lists;
  std::vector<StatutoryState> statutory;  // iwf then ctiru, always both
};

// Reads rules.dir's policy.toml and every list it names (parsed as vigild
// would, never compiled): entries, SHA-256, modification time and age.
ListInventory list_inventory(const config::Config& config, store::TimeUs as_of_us,
                             std::chrono::hours statutory_max_age);

struct CoverageItem {
  std::string topic;  // "Plain DNS", "HTTPS (TLS)", ...
  std::string
      status;        // inspected, partly, not inspected, detected, configured, not configured, note
  std::string text;  // plain sentences
};

struct CoverageStatement {
  std::string source;  // the configuration it was generated from
  std::vector<CoverageItem> items;
  std::string text() const;  // "topic (status): text" per line
};

// Generated from `config` (and, when given, the lists as they are now, to
// name the circumvention, safe-search and statutory lists in use).
CoverageStatement coverage_statement(const config::Config& config, std::string source = {},
                                     const ListInventory* lists = nullptr);

}  // namespace vigil::report
