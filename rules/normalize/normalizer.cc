#include "rules/normalize/normalizer.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace vigil::rules {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

void append_utf8(std::string& out, char32_t c) {
  char buf[U8_MAX_LENGTH];
  int32_t len = 0;
  UBool error = false;
  U8_APPEND(buf, len, U8_MAX_LENGTH, static_cast<UChar32>(c), error);
  if (error) {
    len = 0;
    U8_APPEND_UNSAFE(buf, len, static_cast<UChar32>(kReplacement));
  }
  out.append(buf, static_cast<std::size_t>(len));
}

// Decodes one code point at `i`, advancing `i`; an ill-formed subsequence
// (ICU's maximal-subpart rule) yields U+FFFD.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  if (static_cast<unsigned char>(s[i]) < 0x80) return static_cast<unsigned char>(s[i++]);
  UChar32 c = 0;
  int32_t pos = static_cast<int32_t>(i);
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  U8_NEXT(p, pos, static_cast<int32_t>(s.size()), c);
  i = static_cast<std::size_t>(pos);
  return c < 0 ? kReplacement : static_cast<char32_t>(c);
}

bool is_well_formed_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    UChar32 c = 0;
    int32_t pos = static_cast<int32_t>(i);
    U8_NEXT(reinterpret_cast<const std::uint8_t*>(s.data()), pos, static_cast<int32_t>(s.size()),
            c);
    if (c < 0) return false;
    i = static_cast<std::size_t>(pos);
  }
  return true;
}

// Invalid UTF-8 replaced by U+FFFD; valid input is returned unchanged.
std::string scrub_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      out.push_back(s[i++]);
      continue;
    }
    append_utf8(out, next_code_point(s, i));
  }
  return out;
}

// One entry of the look-alike table: a code point and the ASCII letter(s)
// it is read as.
struct LookAlike {
  char32_t cp;
  std::uint8_t len;
  char out[3];
};

// Scripts whose letters are used to dress up Latin words. Scripts written
// by living communities whose words are never read as Latin (Arabic,
// Hebrew, Georgian, Ethiopic, Tifinagh, Indic scripts...) are left out: the
// few look-alikes there (Arabic alef -> "l", Hebrew samekh -> "o") would
// only alter genuine text.
bool is_spoofing_script(UScriptCode s) {
  switch (s) {
    case USCRIPT_LATIN:
    case USCRIPT_COMMON:
    case USCRIPT_GREEK:
    case USCRIPT_CYRILLIC:
    case USCRIPT_ARMENIAN:
    case USCRIPT_CHEROKEE:
    case USCRIPT_COPTIC:
    case USCRIPT_LISU:
    case USCRIPT_CANADIAN_ABORIGINAL:
    case USCRIPT_OLD_ITALIC:
    case USCRIPT_GOTHIC:
    case USCRIPT_RUNIC:
    case USCRIPT_DESERET:
    case USCRIPT_CARIAN:
    case USCRIPT_LYCIAN:
    case USCRIPT_ELBASAN:
    case USCRIPT_OSAGE:
    case USCRIPT_WARANG_CITI:
      return true;
    default:
      return false;
  }
}

// The skeleton of one code point if it is exactly one ASCII letter
// (lower-cased), else 0. Longer skeletons ("ы" -> "bl", "ю" -> "lo") are
// not used: they are guesses, not look-alikes.
char single_letter_skeleton(const USpoofChecker* sc, UChar32 c) {
  UChar in[2];
  int32_t len = 0;
  U16_APPEND_UNSAFE(in, len, c);
  UChar out[8];
  UErrorCode ec = U_ZERO_ERROR;
  const int32_t n = uspoof_getSkeleton(sc, 0, in, len, out, 8, &ec);
  if (U_FAILURE(ec) || n != 1) return 0;
  const UChar32 f = u_foldCase(out[0], U_FOLD_CASE_DEFAULT);
  return (f >= 'a' && f <= 'z') ? static_cast<char>(f) : 0;
}

// Built once from ICU's data (about 20 ms); immutable afterwards.
std::vector<LookAlike> build_look_alikes() {
  UErrorCode ec = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(ec);
  USpoofChecker* sc = uspoof_open(&ec);
  if (U_FAILURE(ec)) {
    if (sc) uspoof_close(sc);
    throw std::runtime_error(std::string("ICU confusables data unavailable: ") + u_errorName(ec));
  }
  std::vector<LookAlike> table;
  for (UChar32 c = 0x80; c < 0x20000; ++c) {
    if (!u_isalpha(c)) continue;
    UErrorCode sec = U_ZERO_ERROR;
    if (!is_spoofing_script(uscript_getScript(c, &sec)) || U_FAILURE(sec)) continue;
    LookAlike e{static_cast<char32_t>(c), 0, {}};
    // 1. What NFKC_Casefold makes of it (fullwidth, mathematical, ligatures):
    //    canonical, so taken when it is all ASCII letters.
    icu::UnicodeString folded;
    UErrorCode fec = U_ZERO_ERROR;
    nfkc_cf->normalize(icu::UnicodeString(c), folded, fec);
    if (U_FAILURE(fec)) continue;
    bool all_ascii = folded.length() > 0 && folded.length() <= 3;
    for (int32_t k = 0; all_ascii && k < folded.length(); ++k) {
      const UChar u = folded.charAt(k);
      if (u < 'a' || u > 'z') all_ascii = false;
    }
    if (all_ascii) {
      for (int32_t k = 0; k < folded.length(); ++k)
        e.out[e.len++] = static_cast<char>(folded.charAt(k));
      table.push_back(e);
      continue;
    }
    // 2. The confusables skeleton of the folded letter, then of its capital:
    //    folding made Cyrillic "Т" into "т", which looks like no lowercase
    //    Latin letter but was written to be read as "T".
    if (folded.countChar32() != 1) continue;
    const UChar32 f = folded.char32At(0);
    char letter = single_letter_skeleton(sc, f);
    if (!letter) {
      const UChar32 upper = u_toupper(f);
      if (upper != f) letter = single_letter_skeleton(sc, upper);
    }
    if (!letter) continue;
    e.out[e.len++] = letter;
    table.push_back(e);
  }
  uspoof_close(sc);
  return table;  // ascending by construction
}

const std::vector<LookAlike>& look_alikes() {
  static const std::vector<LookAlike> table = build_look_alikes();
  return table;
}

const LookAlike* find_look_alike(const std::vector<LookAlike>& table, char32_t c) {
  auto it = std::lower_bound(table.begin(), table.end(), c,
                             [](const LookAlike& e, char32_t v) { return e.cp < v; });
  return (it != table.end() && it->cp == c) ? &*it : nullptr;
}

bool is_word_code_point(char32_t c) {
  if (c < 0x80) {
    const char a = static_cast<char>(c);
    return is_ascii_letter(a) || is_ascii_digit(a);
  }
  const auto u = static_cast<UChar32>(c);
  return u_isalnum(u) || (U_GET_GC_MASK(u) & U_GC_M_MASK) != 0;
}

// A code point that keeps its word from being mapped: a letter of a script
// other than Latin/Common/Inherited with no Latin look-alike ("п", "ж", any
// Arabic letter). Such a word is genuine non-Latin text, not a disguise.
bool blocks_mapping(const std::vector<LookAlike>& table, char32_t c) {
  if (c < 0x80 || find_look_alike(table, c)) return false;
  UErrorCode ec = U_ZERO_ERROR;
  const UScriptCode s = uscript_getScript(static_cast<UChar32>(c), &ec);
  if (U_FAILURE(ec)) return true;
  return s != USCRIPT_LATIN && s != USCRIPT_COMMON && s != USCRIPT_INHERITED;
}

// Calls f(true) with each word (letters, digits, combining marks) in
// `word`, and f(false) with each code point between words. Invalid UTF-8
// arrives as U+FFFD.
template <class F>
void for_each_word(std::string_view text, std::vector<char32_t>& word, F&& f) {
  std::size_t i = 0;
  while (i < text.size()) {
    word.clear();
    std::size_t j = i;
    char32_t c = next_code_point(text, j);
    if (!is_word_code_point(c)) {
      word.push_back(c);
      i = j;
      f(false);
      continue;
    }
    while (is_word_code_point(c)) {
      word.push_back(c);
      i = j;
      if (i >= text.size()) break;
      c = next_code_point(text, j);
    }
    f(true);
  }
}

// ---- join_spaced_letters helpers ----

bool is_join_separator(char32_t c) {
  return c == ' ' || c == '\t' || c == '.' || c == '-' || c == '_' || c == '*' || c == 0x00B7;
}

// Cheap byte scan: false when the text certainly has no three one-byte
// tokens in a row. Non-ASCII tokens (and "·") are left to the full pass.
bool may_have_spaced_run(std::string_view text) {
  int singles = 0;
  std::size_t i = 0;
  const auto ascii_sep = [](char c) {
    return c == ' ' || c == '\t' || c == '.' || c == '-' || c == '_' || c == '*';
  };
  while (i < text.size()) {
    if (ascii_sep(text[i])) {
      ++i;
      continue;
    }
    const std::size_t begin = i;
    while (i < text.size() && !ascii_sep(text[i])) {
      if (static_cast<unsigned char>(text[i]) >= 0x80) return true;
      ++i;
    }
    singles = (i - begin == 1) ? singles + 1 : 0;
    if (singles >= 3) return true;
  }
  return false;
}

constexpr bool is_leet_symbol(char c) { return c == '@' || c == '$' || c == '!' || c == '|'; }

// ---- unleet table ----

char leet_letter(char c) {
  switch (c) {
    case '0':
      return 'o';
    case '1':
      return 'i';
    case '3':
      return 'e';
    case '4':
      return 'a';
    case '5':
      return 's';
    case '7':
      return 't';
    case '8':
      return 'b';
    case '9':
      return 'g';
    case '@':
      return 'a';
    case '$':
      return 's';
    case '!':
      return 'i';
    case '|':
      return 'l';
    default:
      return 0;
  }
}

constexpr auto kLeetTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    t[static_cast<std::size_t>(c)] =
        is_ascii_letter(ch) || is_ascii_digit(ch) || is_leet_symbol(ch);
  }
  return t;
}();

bool is_leet_token_char(char c) { return kLeetTokenChars[static_cast<unsigned char>(c)]; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

struct Normalizer::Impl {
  const icu::Normalizer2* nfkc_cf = nullptr;
  const std::vector<LookAlike>* look_alikes = nullptr;
};

Normalizer::Normalizer() : impl_(std::make_unique<Impl>()) {
  UErrorCode ec = U_ZERO_ERROR;
  impl_->nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(ec);
  if (U_FAILURE(ec) || !impl_->nfkc_cf)
    throw std::runtime_error(std::string("ICU NFKC_Casefold data unavailable: ") + u_errorName(ec));
  impl_->look_alikes = &look_alikes();
}

Normalizer::~Normalizer() = default;

std::string Normalizer::normalise(std::string_view text) const {
  return unleet(join_spaced_letters(unconfuse(fold(text))));
}

std::string Normalizer::fold(std::string_view text) const {
  if (is_ascii(text)) {
    // NFKC_Casefold of ASCII is ASCII lower-casing; most traffic is ASCII.
    std::string out(text);
    for (char& c : out) c = ascii_lower(c);
    return out;
  }
  std::string scrubbed;
  std::string_view clean = text;
  if (!is_well_formed_utf8(text)) {
    scrubbed = scrub_utf8(text);
    clean = scrubbed;
  }
  std::string out;
  out.reserve(clean.size());
  icu::StringByteSink<std::string> sink(&out);
  UErrorCode ec = U_ZERO_ERROR;
  impl_->nfkc_cf->normalizeUTF8(
      0, icu::StringPiece(clean.data(), static_cast<int32_t>(clean.size())), sink, nullptr, ec);
  if (U_FAILURE(ec)) {
    // Only on allocation failure: fall back to ASCII lower-casing so the
    // text is still matched as well as it can be.
    out.assign(clean);
    for (char& c : out) c = ascii_lower(c);
  }
  return out;
}

std::string Normalizer::unconfuse(std::string_view text) const {
  if (is_ascii(text)) return std::string(text);
  const std::vector<LookAlike>& table = *impl_->look_alikes;
  const auto script_of = [](char32_t c) {
    UErrorCode ec = U_ZERO_ERROR;
    const UScriptCode s = uscript_getScript(static_cast<UChar32>(c), &ec);
    return U_FAILURE(ec) || s < 0 || s >= USCRIPT_CODE_LIMIT ? USCRIPT_UNKNOWN : s;
  };

  // Pass 1: scripts in which the text has genuine words (a letter with no
  // Latin look-alike). A word wholly in such a script is read as that
  // language: Russian "в" and Greek "η" next to other Russian or Greek
  // words stay as they are. Words mixing Latin letters with look-alikes
  // are disguises whatever the rest of the text is.
  std::bitset<USCRIPT_CODE_LIMIT> genuine;
  std::vector<char32_t> word;
  for_each_word(text, word, [&](bool is_word) {
    if (!is_word) return;
    for (char32_t c : word)
      if (blocks_mapping(table, c)) genuine.set(static_cast<std::size_t>(script_of(c)));
  });

  // Pass 2: map the look-alikes of every word that is a disguise.
  std::string out;
  out.reserve(text.size());
  for_each_word(text, word, [&](bool is_word) {
    if (!is_word) {
      for (char32_t c : word) append_utf8(out, c);
      return;
    }
    bool has_latin = false;
    bool blocked = false;
    bool in_genuine_script = false;
    for (char32_t c : word) {
      if (c < 0x80) {
        has_latin |= is_ascii_letter(static_cast<char>(c));
        continue;
      }
      const UScriptCode s = script_of(c);
      has_latin |= s == USCRIPT_LATIN;
      blocked |= blocks_mapping(table, c);
      in_genuine_script |= genuine.test(static_cast<std::size_t>(s));
    }
    const bool map = !blocked && (has_latin || !in_genuine_script);
    char prev = 0;
    for (char32_t c : word) {
      // "İ" folds to "i" + U+0307 COMBINING DOT ABOVE; the dot adds nothing
      // to a soft-dotted letter, so it goes (Turkish "İSTANBUL" -> "istanbul").
      if (c == 0x0307 && (prev == 'i' || prev == 'j')) continue;
      const LookAlike* e = (map && c >= 0x80) ? find_look_alike(table, c) : nullptr;
      if (e) {
        for (std::uint8_t k = 0; k < e->len; ++k) out.push_back(e->out[k]);
        prev = e->out[e->len - 1];
      } else if (c < 0x80) {
        out.push_back(static_cast<char>(c));
        prev = ascii_lower(static_cast<char>(c));
      } else {
        append_utf8(out, c);
        prev = 0;
      }
    }
  });
  return out;
}

std::string Normalizer::unleet(std::string_view text) {
  std::string out(text);
  std::size_t i = 0;
  while (i < out.size()) {
    if (!is_leet_token_char(out[i])) {
      ++i;
      continue;
    }
    const std::size_t begin = i;
    bool has_letter = false;
    while (i < out.size() && is_leet_token_char(out[i])) has_letter |= is_ascii_letter(out[i++]);
    const std::size_t end = i;
    // A token of digits and symbols alone ("2024", "443", "$100") is a
    // number, not a disguised word.
    if (!has_letter) continue;
    for (std::size_t k = begin; k < end; ++k) {
      char& c = out[k];
      // "!" ends sentences: it is read as "i" only when a letter or digit
      // follows inside the token ("k!ll", not "hello!").
      if (c == '!') {
        std::size_t n = k + 1;
        while (n < end && out[n] == '!') ++n;
        if (n == end || !(is_ascii_letter(out[n]) || is_ascii_digit(out[n]))) continue;
      }
      if (const char l = leet_letter(c)) c = l;
    }
  }
  return out;
}

std::string Normalizer::join_spaced_letters(std::string_view text) {
  // Tokens are runs of non-separator code points. A token is "single" when
  // it is one letter, one ASCII digit or one leet symbol. Runs of at least
  // three single tokens with the same separator between each, and at least
  // one letter among them, lose those separators.
  struct Token {
    std::size_t begin, end;
    bool single, letter;
  };
  const bool well_formed = is_well_formed_utf8(text);
  if (!may_have_spaced_run(text)) return well_formed ? std::string(text) : scrub_utf8(text);
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    const char32_t c = next_code_point(text, j);
    if (is_join_separator(c)) {
      i = j;
      continue;
    }
    const std::size_t begin = i;
    std::size_t count = 0;
    char32_t first = c;
    while (i < text.size()) {
      std::size_t k = i;
      const char32_t d = next_code_point(text, k);
      if (is_join_separator(d)) break;
      if (count == 0) first = d;
      ++count;
      i = k;
    }
    const bool letter = u_isalpha(static_cast<UChar32>(first));
    const bool single =
        count == 1 && (letter || (first < 0x80 && (is_ascii_digit(static_cast<char>(first)) ||
                                                   is_leet_symbol(static_cast<char>(first)))));
    tokens.push_back({begin, i, single, letter});
  }
  // Mark the gaps (after token t) that are to be removed.
  std::vector<bool> drop_gap_after(tokens.size(), false);
  std::size_t t = 0;
  bool any = false;
  while (t < tokens.size()) {
    if (!tokens[t].single) {
      ++t;
      continue;
    }
    // A run keeps one separator throughout: in "s-3-l-f h-4-r-m" the space
    // is a word gap, so that reads "s3lf h4rm", not "s3lfh4rm".
    const auto gap = [&](std::size_t k) {
      return text.substr(tokens[k].end, tokens[k + 1].begin - tokens[k].end);
    };
    std::size_t u = t + 1;
    bool letter = tokens[t].letter;
    while (u < tokens.size() && tokens[u].single && gap(u - 1) == gap(t))
      letter |= tokens[u++].letter;
    // English "a" and "I" before a spaced word are words of their own:
    // "make a b o m b" reads "make a bomb".
    const auto is_a_or_i = [&](const Token& tok) {
      const char c = ascii_lower(text[tok.begin]);
      return tok.end - tok.begin == 1 && (c == 'a' || c == 'i');
    };
    if (u - t >= 4 && is_a_or_i(tokens[t])) {
      ++t;
      letter = std::any_of(tokens.begin() + static_cast<std::ptrdiff_t>(t),
                           tokens.begin() + static_cast<std::ptrdiff_t>(u),
                           [](const Token& tok) { return tok.letter; });
    }
    if (u - t >= 3 && letter) {
      for (std::size_t k = t; k + 1 < u; ++k) drop_gap_after[k] = true;
      any = true;
    }
    t = u;
  }
  if (!any) return well_formed ? std::string(text) : scrub_utf8(text);
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    out.append(text.substr(pos, tokens[k].begin - pos));  // separators before the token
    out.append(text.substr(tokens[k].begin, tokens[k].end - tokens[k].begin));
    pos = drop_gap_after[k] ? tokens[k + 1].begin : tokens[k].end;
  }
  out.append(text.substr(pos));
  return well_formed ? out : scrub_utf8(out);
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace vigil::rules
