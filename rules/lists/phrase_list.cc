// e2guardian phrase lists, read unchanged: banned "<phrase>", weighted
// "<phrase><30>" (negative weights too), combinations "<a>,<b><30>" and
// banned combinations "<a>,<b>", boundary spaces "< word >", and
// ".Include<path>". See README.md for the rejected forms.

#include <charconv>
#include <filesystem>
#include <string>
#include <vector>

#include "rules/lists/list_formats.h"
#include "rules/lists/list_text.h"

namespace vigil::rules {
namespace {

using lists_internal::iequals_prefix;
using lists_internal::is_blank;
using lists_internal::reject;
using lists_internal::trim;

constexpr int kMaxIncludeDepth = 8;  // the top file is depth 0
// Diamond includes are allowed (e2guardian reads them twice), so a few lines
// per file could otherwise ask for 8^8 reads.
constexpr int kMaxFilesRead = 1000;
constexpr std::size_t kMaxPhraseBytes = 255;
constexpr long kMaxAbsWeight = 1'000'000;

std::string_view skip_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return s;
}

// One term's text between '<' and '>'.
bool parse_term(std::string_view inner, PhraseTerm& term, std::string& reason) {
  const bool start = !inner.empty() && is_blank(inner.front());
  const bool end = !inner.empty() && is_blank(inner.back());
  inner = trim(inner);
  if (inner.empty()) {
    reason = "empty phrase '<>'";
    return false;
  }
  if (inner.size() > kMaxPhraseBytes) {
    reason = "phrase longer than 255 bytes";
    return false;
  }
  if (!lists_internal::is_valid_utf8(inner)) {
    reason = "phrase is not valid UTF-8 (convert the list, e.g. with iconv)";
    return false;
  }
  for (const char c : inner) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) {
      reason = "control character in the phrase";
      return false;
    }
  }
  term.text = std::string(inner);
  term.boundary = start && end ? PhraseBoundary::Whole
                  : start      ? PhraseBoundary::WordStart
                  : end        ? PhraseBoundary::WordEnd
                               : PhraseBoundary::None;
  return true;
}

bool parse_weight(std::string_view inner, int& weight, std::string& reason) {
  inner = trim(inner);
  if (inner.ends_with('%')) {
    reason = "percentage weights ('<10%>') are not supported; give a number";
    return false;
  }
  if (!inner.empty() && inner.front() == '+') inner.remove_prefix(1);
  long value = 0;
  const auto [ptr, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), value);
  if (inner.empty() || ec == std::errc::invalid_argument || ptr != inner.data() + inner.size()) {
    reason = "weight must be a whole number, as in <30> or <-20>";
    return false;
  }
  if (ec == std::errc::result_out_of_range || value > kMaxAbsWeight || value < -kMaxAbsWeight) {
    reason = "weight out of range (at most 1000000 either way)";
    return false;
  }
  if (value == 0) {
    // e2guardian reads "<x><0>" as a banned phrase, which is rarely meant.
    reason = "weight 0 (e2guardian would treat this as banned); remove it or give a weight";
    return false;
  }
  weight = static_cast<int>(value);
  return true;
}

// "<a>", "<a><10>", "<a>,<b>", "<a>,<b>,<c><-5>", optional trailing "# comment".
bool parse_phrase_line(std::string_view line, PhraseEntry& entry, std::string& reason) {
  std::string_view rest = line;
  while (true) {
    if (rest.empty() || rest.front() != '<') {
      reason = "expected '<' to start a phrase";
      return false;
    }
    const std::size_t close = rest.find('>');
    if (close == std::string_view::npos) {
      reason = "missing '>' after a phrase";
      return false;
    }
    const std::string_view inner = rest.substr(1, close - 1);
    if (inner.find('<') != std::string_view::npos) {
      reason = "'<' inside a phrase";
      return false;
    }
    PhraseTerm term;
    if (!parse_term(inner, term, reason)) return false;
    entry.terms.push_back(std::move(term));
    rest = skip_blanks(rest.substr(close + 1));
    if (rest.empty() || rest.front() == '#') break;
    if (rest.front() == ',') {
      rest = skip_blanks(rest.substr(1));
      if (rest.empty()) {
        reason = "combination ends with ','";
        return false;
      }
      if (entry.terms.size() >= 64) {
        reason = "more than 64 phrases in one combination";
        return false;
      }
      continue;
    }
    if (rest.front() == '<') {
      const std::size_t wclose = rest.find('>');
      if (wclose == std::string_view::npos) {
        reason = "missing '>' after the weight";
        return false;
      }
      if (!parse_weight(rest.substr(1, wclose - 1), entry.weight, reason)) return false;
      rest = skip_blanks(rest.substr(wclose + 1));
      if (!rest.empty() && rest.front() != '#') {
        reason = "unexpected text after the weight";
        return false;
      }
      entry.banned = false;
      return true;
    }
    reason = "unexpected text after '>' (expected ',', a weight '<30>' or the end of the line)";
    return false;
  }
  entry.banned = true;
  entry.weight = 0;
  return true;
}

std::string category_from_comment(std::string_view line) {
  // #listcategory: "Gambling"
  const std::size_t open = line.find('"');
  if (open == std::string_view::npos) return std::string(trim(line.substr(14)));
  const std::size_t close = line.find('"', open + 1);
  return std::string(line.substr(
      open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1));
}

class PhraseLoader {
 public:
  PhraseLoader(PhraseList& out, const FileReader& read_file) : out_(out), read_file_(read_file) {}

  // Returns false on a fatal error (out_.error set).
  bool load(const std::string& path, int depth) {
    const std::string key = std::filesystem::path(path).lexically_normal().string();
    for (const auto& open : stack_) {
      if (open == key) {
        std::string chain;
        for (const auto& s : stack_) chain += s + " -> ";
        out_.error = path + ": include loop: " + chain + key;
        return false;
      }
    }
    if (depth > kMaxIncludeDepth) {
      out_.error = path + ": includes nested more than 8 deep";
      return false;
    }
    if (++files_read_ > kMaxFilesRead) {
      out_.error = path + ": more than 1000 files read through .Include";
      return false;
    }
    const std::optional<std::string> text = read_file_ ? read_file_(path) : std::nullopt;
    if (!text) {
      out_.error = path + ": cannot read the file";
      return false;
    }
    stack_.push_back(key);
    bool ok = true;
    std::string category;
    lists_internal::for_each_line(
        *text, out_.diag,
        [&](std::uint32_t number, std::string_view raw) {
          if (!ok) return;
          ok = parse_line(path, number, raw, depth, category);
        },
        path);
    stack_.pop_back();
    return ok;
  }

 private:
  bool parse_line(const std::string& path, std::uint32_t number, std::string_view raw, int depth,
                  std::string& category) {
    const std::string_view line = trim(raw);
    if (line.empty()) {
      ++out_.diag.skipped;
      return true;
    }
    if (line.front() == '#') {
      if (iequals_prefix(line, "#listcategory:")) category = category_from_comment(line);
      ++out_.diag.skipped;
      return true;
    }
    if (line.front() == '.') {
      if (!iequals_prefix(line, ".include<")) {
        reject(out_.diag, number, raw, "unknown directive (expected .Include<file>)", path);
        return true;
      }
      const std::string_view rest = line.substr(9);
      const std::size_t close = rest.find('>');
      if (close == std::string_view::npos) {
        reject(out_.diag, number, raw, "missing '>' after the included file's name", path);
        return true;
      }
      const std::string_view after = skip_blanks(rest.substr(close + 1));
      const std::string_view target = trim(rest.substr(0, close));
      if (target.empty()) {
        reject(out_.diag, number, raw, "empty file name in .Include<>", path);
        return true;
      }
      if (!after.empty() && after.front() != '#') {
        reject(out_.diag, number, raw, "unexpected text after .Include<...>", path);
        return true;
      }
      if (target.find('\0') != std::string_view::npos) {
        reject(out_.diag, number, raw, "NUL byte in the included file's name", path);
        return true;
      }
      std::filesystem::path inc(target);
      if (inc.is_relative()) inc = std::filesystem::path(path).parent_path() / inc;
      ++out_.diag.skipped;
      if (!load(inc.string(), depth + 1)) {
        out_.error += " (included from " + path + ":" + std::to_string(number) + ")";
        return false;
      }
      return true;
    }
    if (line.front() != '<') {
      reject(out_.diag, number, raw, "expected '<phrase>', '.Include<file>' or a '#' comment",
             path);
      return true;
    }
    PhraseEntry entry;
    std::string reason;
    if (!parse_phrase_line(line, entry, reason)) {
      reject(out_.diag, number, raw, std::move(reason), path);
      return true;
    }
    entry.file = path;
    entry.line = number;
    entry.list_category = category;
    ++out_.diag.accepted;
    out_.entries.push_back(std::move(entry));
    return true;
  }

  PhraseList& out_;
  const FileReader& read_file_;
  std::vector<std::string> stack_;
  int files_read_ = 0;
};

}  // namespace

PhraseList load_phrase_list(const std::string& path, const FileReader& read_file) {
  PhraseList out;
  out.diag.path = path;
  PhraseLoader loader(out, read_file);
  loader.load(path, 0);
  return out;
}

}  // namespace vigil::rules
