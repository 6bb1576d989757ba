#pragma once
// Changing the rules tree from the console: one entry added to or removed
// from a list file, or a hand-made entry ([[entry]], with its reason) added
// to or removed from policy.toml.
//
// Every change is written to a temporary file beside the original (same
// mode), fsynced, and checked by loading and compiling the whole tree with
// it in place of the original; only then is the original kept as FILE.bak
// and the new file renamed over it (the folder fsynced). The decision log
// row (who, what, the list, why) is written next; if it cannot be, the
// previous file is put back. A refused change leaves every file as it was.
// Statutory lists (IWF, CTIRU slots) are never changed.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "admin/console/pages/admin_common.h"
#include "store/result.h"
#include "store/types.h"

namespace vigil::console::pages::admin {

struct EditOutcome {
  // 200 done; 400 bad input; 403 a statutory list; 404 no such list or
  // entry; 409 already there, or the tree does not load as it is; 422 the
  // tree would not load with the change; 500 a file could not be written;
  // 503 the decision could not be recorded (the change was undone).
  int status = 200;
  std::string message;            // plain words for the page
  store::DecisionEntry decision;  // as recorded, when status is 200
  std::string file;               // the file changed
};

struct ListEntryChange {
  std::string list;   // the list's name in policy.toml
  std::string entry;  // as typed: a name, URL, keyword, pattern or phrase line
  std::string reason;
  bool add = true;
};

struct ManualEntryChange {
  std::string domain;
  bool allow = true;
  std::string category;  // for blocks: a rules::Category name
  std::string reason;
  bool add = true;
};

// Writes the decision log row; its id, or the store's error.
using RecordDecision = std::function<store::Result<std::int64_t>(const store::DecisionEntry&)>;

EditOutcome change_list_entry(RulesTree& tree, const ListEntryChange& change,
                              const RecordDecision& record);
EditOutcome change_manual_entry(RulesTree& tree, const ManualEntryChange& change,
                                std::string_view by, const RecordDecision& record);

inline constexpr std::size_t kMaxReasonBytes = 2000;
inline constexpr std::size_t kMaxEntryBytes = 2048;
inline constexpr std::string_view kManualListName = "hand-made entries (policy.toml)";

// The sentence a refused change to a statutory list gets.
std::string statutory_refusal(std::string_view list_name);

}  // namespace vigil::console::pages::admin
