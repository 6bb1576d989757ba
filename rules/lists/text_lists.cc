// Regex lists and keyword lists: one entry per line, UTF-8, '#' comments.
// Neither is compiled or normalised here; the snapshot compiler and the
// matcher do that and report file:line from the entries' line numbers.

#include <string>
#include <type_traits>
#include <unordered_set>

#include "rules/lists/list_formats.h"
#include "rules/lists/list_text.h"

namespace vigil::rules {
namespace {

using lists_internal::reject;
using lists_internal::trim;

// Shared by both formats: trim, skip blank and '#' lines, require UTF-8
// without control characters, count duplicates (exact bytes).
template <typename Entry, typename List>
List parse_line_list(std::string_view text, std::string path, const char* kind) {
  List out;
  out.diag.path = std::move(path);
  std::unordered_set<std::string_view> seen;  // views into `text`
  lists_internal::for_each_line(text, out.diag, [&](std::uint32_t number, std::string_view raw) {
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') {
      ++out.diag.skipped;
      return;
    }
    if (!lists_internal::is_valid_utf8(line)) {
      reject(out.diag, number, raw, std::string(kind) + " is not valid UTF-8");
      return;
    }
    for (const char c : line) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7F) {
        reject(out.diag, number, raw, std::string("control character in the ") + kind);
        return;
      }
    }
    if (!seen.insert(line).second) {
      ++out.diag.duplicate;
      return;
    }
    ++out.diag.accepted;
    Entry e;
    if constexpr (std::is_same_v<Entry, RegexEntry>) {
      e.pattern = std::string(line);
    } else {
      e.text = std::string(line);
    }
    e.line = number;
    out.entries.push_back(std::move(e));
  });
  return out;
}

}  // namespace

RegexList parse_regex_list(std::string_view text, std::string path) {
  return parse_line_list<RegexEntry, RegexList>(text, std::move(path), "pattern");
}

KeywordList parse_keyword_list(std::string_view text, std::string path) {
  return parse_line_list<KeywordEntry, KeywordList>(text, std::move(path), "keyword");
}

}  // namespace vigil::rules
