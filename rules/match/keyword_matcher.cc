#include "rules/match/keyword_matcher.h"

#include <hs.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <utility>

namespace vigil::rules {
namespace {

bool is_ascii(std::string_view s) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if ((w & 0x8080808080808080ULL) != 0) return false;
  }
  for (; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
  }
  return true;
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  }
  return n;
}

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Copies `s` into `out` with every byte that is not part of a well-formed
// sequence replaced by a space: the same length, so match offsets still
// point into the caller's text, and a non-word byte, as it is in byte mode.
void repair_utf8(std::string_view s, std::string& out) {
  out.assign(s);
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out[i] = ' ';
      ++i;
    } else {
      i += n;
    }
  }
}

// A literal in Hyperscan regex syntax: ASCII other than letters and digits
// becomes \xHH; bytes >= 0x80 stay as they are (UTF-8 characters).
std::string escape_literal(std::string_view lit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(lit.size() * 2);
  for (char ch : lit) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80) {
      out.push_back(ch);
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The code point that ends just before `pos` / starts at `pos`, or -1.
long code_point_before(std::string_view s, std::size_t pos) noexcept {
  std::size_t i = pos;
  for (int k = 0; k < 4 && i > 0; ++k) {
    --i;
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) break;
  }
  if (i == pos) return -1;
  const std::size_t n = utf8_sequence(s, i);
  if (n != pos - i) return -1;
  long cp = static_cast<unsigned char>(s[i]) & (n == 1 ? 0x7F : 0x3F >> (n - 1));
  for (std::size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

long code_point_at(std::string_view s, std::size_t pos) noexcept {
  if (pos >= s.size()) return -1;
  const std::size_t n = utf8_sequence(s, pos);
  if (n == 0) return -1;
  long cp = static_cast<unsigned char>(s[pos]) & (n == 1 ? 0x7F : 0x3F >> (n - 1));
  for (std::size_t k = 1; k < n; ++k)
    cp = cp << 6 | (static_cast<unsigned char>(s[pos + k]) & 0x3F);
  return cp;
}

// Letters, digits and underscore. Outside ASCII every code point counts as a
// letter except the common punctuation, space and symbol blocks: the
// normaliser has already folded look-alikes, and this stays table-free.
bool is_word(long cp) noexcept {
  if (cp < 0) return false;  // start or end of text, or an invalid byte
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_';
  }
  if (cp <= 0xBF || cp == 0xD7 || cp == 0xF7) return false;  // Latin-1 punctuation
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;            // punctuation, symbols, arrows
  if (cp >= 0x3000 && cp <= 0x303F) return false;            // CJK punctuation
  if (cp >= 0xFE30 && cp <= 0xFE6F) return false;            // compatibility forms
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;            // fullwidth punctuation
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return false;          // emoji
  return true;
}

struct Group {
  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;  // index into KeywordMatcher::checks_
  std::vector<hs_expr_ext_t> exts;
};

}  // namespace

struct KeywordMatcher::Check {
  std::uint32_t id = 0;
  std::uint32_t source = 0;       // index into the caller's vector
  std::uint32_t literal_len = 0;  // start = end - literal_len when !som
  bool start = false;             // not preceded by a word character
  bool end = false;               // not followed by a word character
  bool som = false;               // start comes from HS_FLAG_SOM_LEFTMOST
  bool approximate = false;       // edit distance: the ends may hold an inserted separator
};

namespace {

hs_database_t* compile_group(Group& g, unsigned mode_flags,
                             const std::vector<KeywordMatcher::Check>& checks,
                             KeywordMatcher::CompileError& error) {
  std::vector<const char*> exprs;
  std::vector<const hs_expr_ext_t*> exts;
  exprs.reserve(g.expressions.size());
  exts.reserve(g.expressions.size());
  for (std::size_t i = 0; i < g.expressions.size(); ++i) {
    exprs.push_back(g.expressions[i].c_str());
    exts.push_back(g.exts[i].flags != 0 ? &g.exts[i] : nullptr);
    g.flags[i] |= mode_flags;
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  const hs_error_t rc =
      hs_compile_ext_multi(exprs.data(), g.flags.data(), g.ids.data(), exts.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db, &err);
  if (rc == HS_SUCCESS) return db;
  if (err != nullptr && err->expression >= 0 &&
      static_cast<std::size_t>(err->expression) < g.ids.size()) {
    const KeywordMatcher::Check& c = checks[g.ids[static_cast<std::size_t>(err->expression)]];
    error.pattern_index = c.source;
    error.message = "pattern " + std::to_string(c.source) + " (id " + std::to_string(c.id) +
                    "): " + err->message;
  } else {
    error.pattern_index = SIZE_MAX;
    error.message =
        std::string("keyword database: ") + (err != nullptr ? err->message : "compile failed");
  }
  hs_free_compile_error(err);
  return nullptr;
}

struct ScanContext {
  const KeywordMatcher::OnMatch* on_match;
  const KeywordMatcher::Check* checks;
  std::string_view text;
};

int on_hs_match(unsigned int index, unsigned long long from, unsigned long long to,
                unsigned int /*flags*/, void* ctx) {
  const auto* c = static_cast<const ScanContext*>(ctx);
  const KeywordMatcher::Check& k = c->checks[index];
  const auto end = static_cast<std::size_t>(to);
  // An approximate match may begin or end with the separator itself, taken
  // as an insertion ("an extremist" matches " extremist" leftmost), so
  // there a non-word first or last character is a boundary too.
  if (k.start) {
    const std::size_t start = k.som ? static_cast<std::size_t>(from) : end - k.literal_len;
    if (is_word(code_point_before(c->text, start)) &&
        !(k.approximate && !is_word(code_point_at(c->text, start)))) {
      return 0;
    }
  }
  if (k.end && is_word(code_point_at(c->text, end)) &&
      !(k.approximate && !is_word(code_point_before(c->text, end)))) {
    return 0;
  }
  (*c->on_match)(k.id, end);
  return 0;
}

}  // namespace

KeywordMatcher::Scratch::Scratch() = default;
KeywordMatcher::Scratch::~Scratch() { hs_free_scratch(static_cast<hs_scratch_t*>(scratch_)); }
KeywordMatcher::Scratch::Scratch(Scratch&& o) noexcept
    : scratch_(std::exchange(o.scratch_, nullptr)), repaired_(std::move(o.repaired_)) {}
KeywordMatcher::Scratch& KeywordMatcher::Scratch::operator=(Scratch&& o) noexcept {
  if (this != &o) {
    hs_free_scratch(static_cast<hs_scratch_t*>(scratch_));
    scratch_ = std::exchange(o.scratch_, nullptr);
    repaired_ = std::move(o.repaired_);
  }
  return *this;
}

std::unique_ptr<KeywordMatcher> KeywordMatcher::compile(const std::vector<KeywordPattern>& patterns,
                                                        CompileError& error) {
  error = {};
  if (patterns.empty()) {
    error.pattern_index = SIZE_MAX;
    error.message = "no patterns";
    return nullptr;
  }
  std::unique_ptr<KeywordMatcher> m(new KeywordMatcher());
  m->patterns_ = patterns.size();
  m->checks_.reserve(patterns.size());
  Group bytes;  // byte mode: safe on any input
  Group utf8;   // HS_FLAG_UTF8 | HS_FLAG_UCP: valid UTF-8 only
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    const KeywordPattern& p = patterns[i];
    auto fail = [&](const std::string& what) {
      error.pattern_index = i;
      error.message =
          "pattern " + std::to_string(i) + " (id " + std::to_string(p.id) + "): " + what;
      return nullptr;
    };
    if (p.expression.empty()) return fail("empty expression");
    if (p.expression.size() > kMaxExpression) {
      return fail("longer than " + std::to_string(kMaxExpression) + " bytes");
    }
    if (p.expression.find('\0') != std::string::npos) return fail("contains a NUL byte");
    if (p.edit_distance > kMaxEditDistance) {
      return fail("edit distance " + std::to_string(p.edit_distance) + " is above the limit of " +
                  std::to_string(kMaxEditDistance));
    }
    if (!valid_utf8(p.expression)) return fail("not valid UTF-8");
    const bool ascii = is_ascii(p.expression);
    Group& g = (ascii || p.edit_distance > 0) ? bytes : utf8;
    if (g.expressions.size() == kMaxPatterns) {
      return fail("more than " + std::to_string(kMaxPatterns) + " patterns in one database");
    }

    Check c;
    c.id = p.id;
    c.source = static_cast<std::uint32_t>(i);
    c.start = p.whole_word || p.word_start;
    c.end = p.whole_word || p.word_end;
    // A caseless ASCII literal matched exactly has a known length; anything
    // else asks Hyperscan for the start (only when the start is checked, as
    // start-of-match tracking costs scan speed).
    const bool fixed_length = p.literal && ascii && p.edit_distance == 0;
    c.som = c.start && !fixed_length;
    c.approximate = p.edit_distance > 0;
    c.literal_len = static_cast<std::uint32_t>(p.expression.size());
    unsigned flags = HS_FLAG_CASELESS;
    if (c.som) flags |= HS_FLAG_SOM_LEFTMOST;
    hs_expr_ext_t ext{};
    if (p.edit_distance > 0) {
      ext.flags = HS_EXT_FLAG_EDIT_DISTANCE;
      ext.edit_distance = p.edit_distance;
    }
    g.expressions.push_back(p.literal ? escape_literal(p.expression) : p.expression);
    g.flags.push_back(flags);
    g.ids.push_back(static_cast<unsigned>(m->checks_.size()));
    g.exts.push_back(ext);
    m->checks_.push_back(c);
  }

  if (!bytes.expressions.empty()) {
    m->ascii_db_ = compile_group(bytes, 0, m->checks_, error);
    if (m->ascii_db_ == nullptr) return nullptr;
  }
  if (!utf8.expressions.empty()) {
    m->utf8_db_ = compile_group(utf8, HS_FLAG_UTF8 | HS_FLAG_UCP, m->checks_, error);
    if (m->utf8_db_ == nullptr) return nullptr;  // ~KeywordMatcher frees ascii_db_
  }
  return m;
}

KeywordMatcher::~KeywordMatcher() {
  hs_free_database(static_cast<hs_database_t*>(ascii_db_));
  hs_free_database(static_cast<hs_database_t*>(utf8_db_));
}

bool KeywordMatcher::prepare(Scratch& scratch) const {
  for (void* db : {ascii_db_, utf8_db_}) {
    if (db == nullptr) continue;
    auto* s = static_cast<hs_scratch_t*>(scratch.scratch_);
    if (hs_alloc_scratch(static_cast<const hs_database_t*>(db), &s) != HS_SUCCESS) return false;
    scratch.scratch_ = s;
  }
  return true;
}

bool KeywordMatcher::scan(std::string_view text, Scratch& scratch,
                          const OnMatch& on_match) const noexcept {
  if (text.empty()) return true;  // no pattern may match the empty string
  if (text.size() > UINT_MAX || scratch.scratch_ == nullptr) return false;
  auto* s = static_cast<hs_scratch_t*>(scratch.scratch_);
  ScanContext ctx{&on_match, checks_.data(), text};
  if (ascii_db_ != nullptr &&
      hs_scan(static_cast<const hs_database_t*>(ascii_db_), text.data(),
              static_cast<unsigned>(text.size()), 0, s, on_hs_match, &ctx) != HS_SUCCESS) {
    return false;
  }
  if (utf8_db_ != nullptr) {
    // Hyperscan's behaviour on invalid UTF-8 in UTF-8 mode is undefined.
    std::string_view valid = text;
    if (!is_ascii(text) && !valid_utf8(text)) {
      try {
        repair_utf8(text, scratch.repaired_);
      } catch (const std::bad_alloc&) {
        return false;
      }
      valid = scratch.repaired_;
    }
    ctx.text = valid;
    if (hs_scan(static_cast<const hs_database_t*>(utf8_db_), valid.data(),
                static_cast<unsigned>(valid.size()), 0, s, on_hs_match, &ctx) != HS_SUCCESS) {
      return false;
    }
  }
  return true;
}

std::size_t KeywordMatcher::database_bytes() const noexcept {
  std::size_t total = 0;
  for (void* db : {ascii_db_, utf8_db_}) {
    std::size_t n = 0;
    if (db != nullptr &&
        hs_database_size(static_cast<const hs_database_t*>(db), &n) == HS_SUCCESS) {
      total += n;
    }
  }
  return total;
}

std::size_t KeywordMatcher::pattern_count() const noexcept { return patterns_; }

}  // namespace vigil::rules
