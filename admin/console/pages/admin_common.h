#pragma once
// What the IT specialist's and the auditors' pages (admin_*.cc) share: the
// state their routes hold between requests (the compiled rules tree), the
// page frame, form fields, text checks and times. Internal to the pages.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/console/pages/pages.h"
#include "inspect/eve_json.h"
#include "rules/policy/policy.h"
#include "rules/snapshot.h"
#include "store/result.h"

namespace vigil::console::pages::admin {

// The rules tree as it is on disk: its policy and compiled snapshot, or why
// it cannot be used ("file:line: message").
struct LoadedTree {
  std::optional<rules::Policy> policy;
  std::shared_ptr<const rules::RuleSnapshot> snapshot;
  std::string error;
};

// The rules tree, compiled once and rebuilt only when policy.toml or a list
// file changed (size, time, inode), so the lists page and the test box do
// not compile the tree on every request. Thread-safe.
class RulesTree {
 public:
  explicit RulesTree(std::string dir) : dir_(std::move(dir)) {}
  RulesTree(const RulesTree&) = delete;
  RulesTree& operator=(const RulesTree&) = delete;

  [[nodiscard]] const std::string& dir() const noexcept { return dir_; }
  std::shared_ptr<const LoadedTree> current();
  // Held while a console edit writes, checks and replaces a file of the tree.
  std::mutex& edit_mutex() noexcept { return edit_mu_; }

 private:
  [[nodiscard]] std::string signature(const LoadedTree* last) const;

  std::string dir_;
  std::mutex mu_;  // guards signature_ and tree_
  std::string signature_;
  std::shared_ptr<const LoadedTree> tree_;
  std::mutex edit_mu_;
};

// What every admin route holds: the options and the rules tree.
struct Shared {
  explicit Shared(PagesOptions o) : options(std::move(o)), rules(options.rules_dir) {}
  PagesOptions options;
  RulesTree rules;
  [[nodiscard]] store::TimeUs now() const;
};

// A POST handler whose fields come from the form or, for the JSON API, from
// a JSON object body (safeguarding::post_fields), put in Request::form.
Handler with_fields(Handler handler);

std::vector<Route> list_routes(const std::shared_ptr<Shared>& shared);
std::vector<Route> people_routes(const std::shared_ptr<Shared>& shared);
std::vector<Route> user_routes(const std::shared_ptr<Shared>& shared);
std::vector<Route> settings_routes(const std::shared_ptr<Shared>& shared);
std::vector<Route> log_routes(const std::shared_ptr<Shared>& shared);

// ---------------------------------------------------------------- responses

// The whole page in the console's layout; `body` is already-safe HTML,
// `flash` plain text.
Response page(PageContext& ctx, std::string_view title, std::string body, std::string_view nav,
              std::string_view flash = {}, int status = 200);
// A store failure as the user should read it: busy or a full disk 503,
// bad input 400, missing 404, a duplicate 409, anything else 500.
Response store_failure(const Request& request, const store::Error& error);
int store_status(const store::Error& error) noexcept;

// `<form method="post" action="...">` with the CSRF field; close with </form>.
std::string form_open(const PageContext& ctx, std::string_view action,
                      std::string_view css_class = {});
// <option> elements; `selected` is marked.
std::string options_html(const std::vector<std::string>& values, std::string_view selected);

// ---------------------------------------------------------------- fields

// The named field (path parameter, query, then form), "" when absent.
std::string field(const Request& request, std::string_view name);
// A positive decimal id, nullopt otherwise.
std::optional<std::int64_t> parse_id(std::string_view text);

// Why `value` is unacceptable as `what`, or nullopt: required and empty
// (after trimming), longer than `max` bytes, not UTF-8, or holding control
// characters (line breaks and tabs only where `multiline`).
std::optional<std::string> text_problem(std::string_view value, std::string_view what,
                                        std::size_t max, bool required, bool multiline);
bool valid_utf8(std::string_view text) noexcept;
std::string_view trim(std::string_view text) noexcept;

// ---------------------------------------------------------------- times

// "2026-03-15 12:00 UTC"; "never" for 0.
std::string format_time(store::TimeUs ts_us);
// "2026-03-15T12:00:00Z", for JSON.
std::string iso_time(store::TimeUs ts_us);
// "today", "1 day ago", "12 days ago".
std::string age_words(store::TimeUs then_us, store::TimeUs now_us);

inline constexpr store::TimeUs kDayUs = 86'400'000'000;

// ---------------------------------------------------------------- JSON

// "[a,b]" from objects, for bodies that are a bare array member.
std::string json_array(const std::vector<inspect::JsonObject>& items);

}  // namespace vigil::console::pages::admin
