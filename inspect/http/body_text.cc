#include "inspect/http/body_text.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

// The markup rules follow the WHATWG HTML tokenizer where they change the
// text a reader sees (raw-text and RCDATA elements, comments including
// "<!-->" and "--!>", character references with the windows-1252 remapping
// of &#128;-&#159;, "<" that opens no tag) and leave out what only builds the
// tree (insertion modes, attribute values other than <meta>'s, foreign content).

namespace vigil::inspect {
namespace {

constexpr std::uint32_t kReplacement = 0xFFFD;
// A <meta> charset counts only near the top of a document (the HTML
// prescan looks at 1024 bytes; pages with long heads put it later).
constexpr std::uint64_t kMetaCharsetWindow = 8192;

// windows-1252 bytes 0x80-0x9f; the five it leaves undefined map to the C1
// controls, as in the WHATWG Encoding standard.
constexpr std::array<std::uint16_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

std::uint32_t cp1252(std::uint8_t b) noexcept {
  return (b >= 0x80 && b <= 0x9F) ? kCp1252High[b - 0x80] : b;
}

struct NamedEntity {
  std::string_view name;
  std::uint32_t cp;
  std::uint64_t key = 0;  // the name packed into an integer (names are at most 6 letters)
};

// A name of up to 8 bytes as one integer: element names for a switch,
// entity names for a search among integers.
constexpr std::uint64_t pack(std::string_view name) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < name.size() && i < 8; ++i) {
    v |= std::uint64_t{static_cast<unsigned char>(name[i])} << (8 * i);
  }
  return v;
}

// The HTML 4 entities (every Latin-1 one, the specials, the common
// punctuation and symbols): what pages written by hand and by older
// tools use. Case matters, as in HTML.
constexpr auto kEntities = [] {
  std::array<NamedEntity, 151> a = {{
      {"quot", 34},     {"amp", 38},      {"apos", 39},     {"lt", 60},       {"gt", 62},
      {"nbsp", 160},    {"iexcl", 161},   {"cent", 162},    {"pound", 163},   {"curren", 164},
      {"yen", 165},     {"brvbar", 166},  {"sect", 167},    {"uml", 168},     {"copy", 169},
      {"ordf", 170},    {"laquo", 171},   {"not", 172},     {"shy", 173},     {"reg", 174},
      {"macr", 175},    {"deg", 176},     {"plusmn", 177},  {"sup2", 178},    {"sup3", 179},
      {"acute", 180},   {"micro", 181},   {"para", 182},    {"middot", 183},  {"cedil", 184},
      {"sup1", 185},    {"ordm", 186},    {"raquo", 187},   {"frac14", 188},  {"frac12", 189},
      {"frac34", 190},  {"iquest", 191},  {"Agrave", 192},  {"Aacute", 193},  {"Acirc", 194},
      {"Atilde", 195},  {"Auml", 196},    {"Aring", 197},   {"AElig", 198},   {"Ccedil", 199},
      {"Egrave", 200},  {"Eacute", 201},  {"Ecirc", 202},   {"Euml", 203},    {"Igrave", 204},
      {"Iacute", 205},  {"Icirc", 206},   {"Iuml", 207},    {"ETH", 208},     {"Ntilde", 209},
      {"Ograve", 210},  {"Oacute", 211},  {"Ocirc", 212},   {"Otilde", 213},  {"Ouml", 214},
      {"times", 215},   {"Oslash", 216},  {"Ugrave", 217},  {"Uacute", 218},  {"Ucirc", 219},
      {"Uuml", 220},    {"Yacute", 221},  {"THORN", 222},   {"szlig", 223},   {"agrave", 224},
      {"aacute", 225},  {"acirc", 226},   {"atilde", 227},  {"auml", 228},    {"aring", 229},
      {"aelig", 230},   {"ccedil", 231},  {"egrave", 232},  {"eacute", 233},  {"ecirc", 234},
      {"euml", 235},    {"igrave", 236},  {"iacute", 237},  {"icirc", 238},   {"iuml", 239},
      {"eth", 240},     {"ntilde", 241},  {"ograve", 242},  {"oacute", 243},  {"ocirc", 244},
      {"otilde", 245},  {"ouml", 246},    {"divide", 247},  {"oslash", 248},  {"ugrave", 249},
      {"uacute", 250},  {"ucirc", 251},   {"uuml", 252},    {"yacute", 253},  {"thorn", 254},
      {"yuml", 255},    {"OElig", 338},   {"oelig", 339},   {"Scaron", 352},  {"scaron", 353},
      {"Yuml", 376},    {"fnof", 402},    {"circ", 710},    {"tilde", 732},   {"ensp", 8194},
      {"emsp", 8195},   {"thinsp", 8201}, {"zwnj", 8204},   {"zwj", 8205},    {"lrm", 8206},
      {"rlm", 8207},    {"ndash", 8211},  {"mdash", 8212},  {"lsquo", 8216},  {"rsquo", 8217},
      {"sbquo", 8218},  {"ldquo", 8220},  {"rdquo", 8221},  {"bdquo", 8222},  {"dagger", 8224},
      {"Dagger", 8225}, {"bull", 8226},   {"hellip", 8230}, {"permil", 8240}, {"prime", 8242},
      {"Prime", 8243},  {"lsaquo", 8249}, {"rsaquo", 8250}, {"oline", 8254},  {"frasl", 8260},
      {"euro", 8364},   {"trade", 8482},  {"larr", 8592},   {"uarr", 8593},   {"rarr", 8594},
      {"darr", 8595},   {"harr", 8596},   {"minus", 8722},  {"infin", 8734},  {"ne", 8800},
      {"le", 8804},     {"ge", 8805},     {"spades", 9824}, {"clubs", 9827},  {"hearts", 9829},
      {"diams", 9830},
  }};
  for (NamedEntity& e : a) e.key = pack(e.name);
  std::sort(a.begin(), a.end(),
            [](const NamedEntity& x, const NamedEntity& y) { return x.key < y.key; });
  return a;
}();
static_assert(std::all_of(kEntities.begin(), kEntities.end(),
                          [](const NamedEntity& e) { return e.name.size() <= 8; }));

const NamedEntity* find_entity(std::string_view name) noexcept {
  if (name.size() > 8) return nullptr;
  const std::uint64_t key = pack(name);
  auto it = std::lower_bound(kEntities.begin(), kEntities.end(), key,
                             [](const NamedEntity& e, std::uint64_t k) { return e.key < k; });
  return (it != kEntities.end() && it->key == key) ? &*it : nullptr;
}

// How an element changes the text around it.
enum class TagKind : std::uint8_t {
  Block,    // breaks words: blocks, cells, list items, <br>, unknown names
  Inline,   // sits inside a line of text
  RawText,  // content is script or styling, or fallback a browser with scripting
            // does not show: dropped (<noscript> is shown only without scripting)
  RcData,   // content is text in which only its own end tag counts
  Meta,
};

TagKind tag_kind(const char* name, std::size_t len) noexcept {
  if (len == 0 || len > 8) return TagKind::Block;
  const std::uint64_t key = pack(std::string_view(name, len));
  switch (key) {
    case pack("a"):
    case pack("abbr"):
    case pack("acronym"):
    case pack("b"):
    case pack("bdi"):
    case pack("bdo"):
    case pack("big"):
    case pack("cite"):
    case pack("code"):
    case pack("data"):
    case pack("del"):
    case pack("dfn"):
    case pack("em"):
    case pack("font"):
    case pack("i"):
    case pack("ins"):
    case pack("kbd"):
    case pack("mark"):
    case pack("nobr"):
    case pack("q"):
    case pack("s"):
    case pack("samp"):
    case pack("small"):
    case pack("span"):
    case pack("strike"):
    case pack("strong"):
    case pack("sub"):
    case pack("sup"):
    case pack("time"):
    case pack("tt"):
    case pack("u"):
    case pack("var"):
      return TagKind::Inline;
    case pack("iframe"):
    case pack("noembed"):
    case pack("noframes"):
    case pack("noscript"):
    case pack("script"):
    case pack("style"):
    case pack("template"):
    case pack("xmp"):
      return TagKind::RawText;
    case pack("title"):
    case pack("textarea"):
      return TagKind::RcData;
    case pack("meta"):
      return TagKind::Meta;
    default:
      return TagKind::Block;
  }
}

// What each byte is to a run of text, per context: part of a word, a space
// (or a control character), the start of a UTF-8 sequence or a legacy
// character, or a byte at which the run stops (markup, escapes).
enum ByteClass : std::uint8_t { kWord = 0, kSpace = 1, kHigh = 2, kStop = 3 };
using Stops = std::array<std::uint8_t, 256>;
constexpr Stops stops(std::string_view chars) {
  Stops t{};
  for (int b = 0; b < 256; ++b) {
    t[b] = b <= 0x20 || b == 0x7F ? kSpace : b >= 0x80 ? kHigh : kWord;
  }
  for (char c : chars) t[static_cast<unsigned char>(c)] = kStop;
  return t;
}
constexpr Stops kStopNone = stops("");
constexpr Stops kStopMarkup = stops("<&");
constexpr Stops kStopCdata = stops("]");
constexpr Stops kStopJson = stops("\"\\");
constexpr Stops kStopForm = stops("+%&");

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_alnum(char c) noexcept { return is_alpha(c) || is_digit(c); }
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (is_space(s.front()) || s.front() == '"' || s.front() == '\'')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (is_space(s.back()) || s.back() == '"' || s.back() == '\'')) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool iends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

// Finds "charset=" (any case) in `s` and returns the label after it.
std::string_view charset_param(std::string_view s) noexcept {
  for (std::size_t i = 0; i + 8 <= s.size(); ++i) {
    if (!iequals(s.substr(i, 8), "charset=")) continue;
    std::string_view v = s.substr(i + 8);
    while (!v.empty() && (is_space(v.front()) || v.front() == '"' || v.front() == '\'')) {
      v.remove_prefix(1);
    }
    std::size_t end = 0;
    while (end < v.size() && v[end] != ';' && v[end] != '"' && v[end] != '\'' &&
           !is_space(v[end]) && v[end] != ',') {
      ++end;
    }
    return v.substr(0, end);
  }
  return {};
}

// The patterns by which browsers sniff an unlabelled body as HTML (WHATWG
// MIME Sniffing), each followed by a space or '>'.
constexpr std::array<std::string_view, 17> kHtmlSniff = {"<!doctype html",
                                                         "<html",
                                                         "<head",
                                                         "<script",
                                                         "<iframe",
                                                         "<h1",
                                                         "<div",
                                                         "<font",
                                                         "<table",
                                                         "<a",
                                                         "<style",
                                                         "<title",
                                                         "<b",
                                                         "<body",
                                                         "<br",
                                                         "<p",
                                                         "<!--"};

bool sniffs_as_html(std::string_view head) noexcept {
  for (std::string_view pat : kHtmlSniff) {
    if (head.size() <= pat.size()) continue;
    if (!iequals(head.substr(0, pat.size()), pat)) continue;
    const char after = head[pat.size()];
    if (after == ' ' || after == '>' || after == '\t' || after == '\n' || after == '\r') {
      return true;
    }
  }
  return false;
}

// Characters that separate words like a space does.
bool is_space_like(std::uint32_t cp) noexcept {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// Invisible characters that split a word without showing (soft hyphen,
// zero-width space and joiners, word joiner, BOM): dropped, so a keyword
// cannot hide behind them.
bool is_invisible(std::uint32_t cp) noexcept {
  return cp == 0xAD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF ||
         cp == 0x180E;
}

}  // namespace

TextCharset charset_from_label(std::string_view label) noexcept {
  label = trim(label);
  if (label.empty()) return TextCharset::Undeclared;
  static constexpr std::array<std::string_view, 6> kUtf8 = {
      "utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"};
  static constexpr std::array<std::string_view, 17> kWindows1252 = {
      "ansi_x3.4-1968", "ascii",           "cp1252",     "cp819",     "csisolatin1",
      "ibm819",         "iso-8859-1",      "iso-ir-100", "iso8859-1", "iso88591",
      "iso_8859-1",     "iso_8859-1:1987", "l1",         "latin1",    "us-ascii",
      "windows-1252",   "x-cp1252"};
  for (std::string_view l : kUtf8) {
    if (iequals(label, l)) return TextCharset::Utf8;
  }
  for (std::string_view l : kWindows1252) {
    if (iequals(label, l)) return TextCharset::Windows1252;
  }
  return TextCharset::Other;
}

bool text_format_for(std::string_view content_type, TextFormat& format,
                     TextCharset& charset) noexcept {
  const std::size_t semi = content_type.find(';');
  const std::string_view type = trim(content_type.substr(0, semi));
  charset = semi == std::string_view::npos
                ? TextCharset::Undeclared
                : charset_from_label(charset_param(content_type.substr(semi)));
  if (type.empty()) {
    format = TextFormat::Sniff;
    return true;
  }
  if (iequals(type, "text/html") || iequals(type, "application/xhtml+xml")) {
    format = TextFormat::Html;
  } else if (iequals(type, "text/plain")) {
    format = TextFormat::Plain;
  } else if (iequals(type, "application/json") || iequals(type, "text/json") ||
             (iends_with(type, "+json") && type.size() > 12 &&
              iequals(type.substr(0, 12), "application/"))) {
    format = TextFormat::Json;
  } else if (iequals(type, "text/xml") || iequals(type, "application/xml") ||
             (iends_with(type, "+xml") && type.size() > 12 &&
              iequals(type.substr(0, 12), "application/"))) {
    format = TextFormat::Xml;
  } else if (iequals(type, "application/x-www-form-urlencoded")) {
    format = TextFormat::Form;
  } else {
    return false;
  }
  return true;
}

void BodyText::start(TextFormat format, TextCharset charset, std::size_t max_bytes) {
  out_.clear();
  max_ = max_bytes;
  written_ = 0;
  full_ = max_bytes == 0;
  stopped_ = false;
  space_ = false;
  format_ = format;
  charset_ = charset;
  charset_declared_ = charset != TextCharset::Undeclared;
  fed_ = 0;
  partial_len_ = partial_need_ = 0;
  end_tag_ = is_meta_ = false;
  tag_len_ = attr_len_ = value_len_ = meta_charset_len_ = 0;
  raw_end_len_ = raw_match_ = dashes_ = decl_len_ = ent_len_ = hex_len_ = 0;
  hex_ = high_surrogate_ = 0;
  sniff_len_ = 0;
  return_state_ = State::Data;
  switch (format) {
    case TextFormat::Json:
      state_ = State::JsonOutside;
      break;
    case TextFormat::Form:
      state_ = State::FormData;
      break;
    default:
      state_ = State::Data;
      break;
  }
}

std::string BodyText::take() {
  std::string s = std::move(out_);
  out_.clear();
  return s;
}

bool BodyText::sniff(std::string_view& data) {
  std::size_t k = 0;
  if (sniff_len_ == 0) {
    while (k < data.size() && is_space(data[k])) ++k;
  }
  const std::size_t take = std::min(sizeof(sniff_) - sniff_len_, data.size() - k);
  std::memcpy(sniff_ + sniff_len_, data.data() + k, take);
  sniff_len_ = static_cast<std::uint8_t>(sniff_len_ + take);
  data.remove_prefix(k + take);
  if (sniff_len_ > 0 && sniff_[0] != '<') {
    stopped_ = true;
    return false;
  }
  if (sniff_len_ < sizeof(sniff_)) return false;  // wait for more
  if (!sniffs_as_html(std::string_view(sniff_, sniff_len_))) {
    stopped_ = true;
    return false;
  }
  format_ = TextFormat::Html;
  const std::size_t n = sniff_len_;
  std::size_t i = 0;
  while (i < n && !full_) i = feed_html(sniff_, n, i);
  return true;
}

bool BodyText::feed(std::string_view data) {
  if (stopped()) return false;
  if (fed_ == 0 && data.size() >= 2) {
    const auto b0 = static_cast<std::uint8_t>(data[0]);
    const auto b1 = static_cast<std::uint8_t>(data[1]);
    if ((b0 == 0xFE && b1 == 0xFF) || (b0 == 0xFF && b1 == 0xFE)) {
      stopped_ = true;  // UTF-16: not read here
      return false;
    }
    if (data.size() >= 3 && b0 == 0xEF && b1 == 0xBB &&
        static_cast<std::uint8_t>(data[2]) == 0xBF) {
      charset_ = TextCharset::Utf8;  // a byte order mark outranks any label
      charset_declared_ = true;
      data.remove_prefix(3);
      fed_ = 3;
    }
  }
  if (format_ == TextFormat::Sniff) {
    const std::uint64_t before = data.size();
    if (!sniff(data)) {
      fed_ += before - data.size();
      return !stopped();
    }
    fed_ += before - data.size();
  }
  fed_ += data.size();
  const char* p = data.data();
  const std::size_t n = data.size();
  std::size_t i = 0;
  switch (format_) {
    case TextFormat::Plain:
      text(p, n);
      break;
    case TextFormat::Html:
    case TextFormat::Xml:
      while (i < n && !full_) i = feed_html(p, n, i);
      break;
    case TextFormat::Json:
      while (i < n && !full_) i = feed_json(p, n, i);
      break;
    case TextFormat::Form:
      while (i < n && !full_) i = feed_form(p, n, i);
      break;
    case TextFormat::Sniff:
      break;
  }
  return !stopped();
}

void BodyText::finish() {
  if (format_ == TextFormat::Sniff && !stopped_ && sniff_len_ > 0) {
    if (sniffs_as_html(std::string_view(sniff_, sniff_len_))) {
      format_ = TextFormat::Html;
      const std::size_t n = sniff_len_;
      std::size_t i = 0;
      while (i < n && !full_) i = feed_html(sniff_, n, i);
    }
  }
  if (stopped()) return;
  switch (state_) {
    case State::Entity: {
      bool consume = false;
      entity_done('\0', consume);
      break;
    }
    case State::TagOpen:
      literal("<");
      break;
    case State::RcData:
      if (raw_match_ > 0) end_tag_match_failed();
      break;
    case State::Cdata:
      literal(std::string_view("]]", dashes_));
      break;
    case State::FormPercent:
      literal("%");
      if (hex_len_ == 1) literal(std::string_view(ent_, 1));
      break;
    case State::JsonUnicode:
      code_point(kReplacement);
      break;
    default:
      break;
  }
  if (high_surrogate_ != 0) code_point(kReplacement);
  high_surrogate_ = 0;
  flush_partial();
  state_ = State::Data;
}

// ---------------------------------------------------------------------------
// Markup

std::size_t BodyText::feed_html(const char* p, std::size_t n, std::size_t i) {
  while (i < n && !full_) {
    const char c = p[i];
    switch (state_) {
      case State::Data: {
        const std::size_t j = i + run(p + i, n - i, kStopMarkup);
        if (j >= n || full_) return n;
        i = j + 1;
        if (p[j] == '<') {
          state_ = State::TagOpen;
        } else {
          return_state_ = State::Data;
          state_ = State::Entity;
          ent_len_ = 0;
        }
        break;
      }
      case State::TagOpen:
        if (is_alpha(c)) {
          end_tag_ = false;
          tag_len_ = 0;
          state_ = State::TagName;
        } else if (c == '/') {
          state_ = State::EndTagOpen;
          ++i;
        } else if (c == '!') {
          state_ = State::MarkupDecl;
          decl_len_ = 0;
          ++i;
        } else if (c == '?') {
          state_ = State::BogusComment;
          ++i;
        } else {
          literal("<");  // "a < b": no tag
          state_ = State::Data;
        }
        break;
      case State::EndTagOpen:
        if (is_alpha(c)) {
          end_tag_ = true;
          tag_len_ = 0;
          state_ = State::TagName;
        } else if (c == '>') {
          state_ = State::Data;
          ++i;
        } else {
          state_ = State::BogusComment;
        }
        break;
      case State::TagName:
        if (is_space(c) || c == '/' || c == '>') {
          tag_name_done();
          ++i;
          if (c == '>') {
            tag_done();
          } else {
            state_ = State::Attrs;
          }
        } else {
          for (; i < n && !is_space(p[i]) && p[i] != '/' && p[i] != '>'; ++i) {
            if (tag_len_ < sizeof(tag_)) tag_[tag_len_] = lower(p[i]);
            if (tag_len_ <= sizeof(tag_)) ++tag_len_;
          }
        }
        break;
      case State::Attrs:
        if (c == '>') {
          ++i;
          tag_done();
        } else if (is_space(c) || c == '/') {
          ++i;
        } else {
          attr_len_ = 0;
          value_len_ = 0;
          state_ = State::AttrName;
        }
        break;
      case State::AttrName:
        if (is_space(c)) {
          state_ = State::AfterAttrName;
          ++i;
        } else if (c == '=') {
          state_ = State::BeforeAttrValue;
          ++i;
        } else if (c == '>' || c == '/') {
          attr_done();
          state_ = State::Attrs;
        } else {
          for (; i < n && !is_space(p[i]) && p[i] != '=' && p[i] != '>' && p[i] != '/'; ++i) {
            if (!is_meta_) continue;  // only <meta>'s attribute names matter
            if (attr_len_ < sizeof(attr_)) attr_[attr_len_] = lower(p[i]);
            if (attr_len_ <= sizeof(attr_)) ++attr_len_;
          }
        }
        break;
      case State::AfterAttrName:
        if (is_space(c)) {
          ++i;
        } else if (c == '=') {
          state_ = State::BeforeAttrValue;
          ++i;
        } else {
          attr_done();
          state_ = State::Attrs;
        }
        break;
      case State::BeforeAttrValue:
        if (is_space(c)) {
          ++i;
        } else if (c == '"') {
          state_ = State::AttrValueDq;
          ++i;
        } else if (c == '\'') {
          state_ = State::AttrValueSq;
          ++i;
        } else if (c == '>') {
          attr_done();
          state_ = State::Attrs;
        } else {
          state_ = State::AttrValueUnq;
        }
        break;
      case State::AttrValueDq:
      case State::AttrValueSq:
      case State::AttrValueUnq: {
        const bool unquoted = state_ == State::AttrValueUnq;
        const char quote = state_ == State::AttrValueDq ? '"' : '\'';
        std::size_t j = i;
        if (unquoted) {
          while (j < n && !is_space(p[j]) && p[j] != '>') ++j;
        } else {
          const void* q = std::memchr(p + i, quote, n - i);
          j = q == nullptr ? n : static_cast<std::size_t>(static_cast<const char*>(q) - p);
        }
        if (is_meta_) {
          const std::size_t room = sizeof(value_) - value_len_;
          const std::size_t k = std::min(room, j - i);
          std::memcpy(value_ + value_len_, p + i, k);
          value_len_ = static_cast<std::uint8_t>(value_len_ + k);
        }
        if (j == n) return n;
        attr_done();
        state_ = State::Attrs;
        i = unquoted ? j : j + 1;
        break;
      }
      case State::MarkupDecl: {
        decl_[decl_len_++] = c;
        const std::string_view d(decl_, decl_len_);
        if (std::string_view("--").substr(0, d.size()) == d) {
          ++i;
          if (decl_len_ == 2) {
            state_ = State::Comment;
            dashes_ = 2;  // "<!-->" and "<!--->" end at once
          }
        } else if (format_ == TextFormat::Xml && decl_len_ <= 7 &&
                   std::string_view("[CDATA[").substr(0, d.size()) == d) {
          ++i;
          if (decl_len_ == 7) {
            state_ = State::Cdata;
            dashes_ = 0;
          }
        } else {
          state_ = State::BogusComment;  // <!DOCTYPE ...> and the like; `c` again there
        }
        break;
      }
      case State::Comment: {
        if (dashes_ == 0) {
          const void* q = std::memchr(p + i, '-', n - i);
          if (q == nullptr) return n;
          i = static_cast<std::size_t>(static_cast<const char*>(q) - p);
          dashes_ = 1;
          ++i;
          break;
        }
        if (c == '-') {
          dashes_ = dashes_ == 3 ? 1 : 2;
        } else if (c == '>' && dashes_ >= 2) {
          state_ = State::Data;
        } else if (c == '!' && dashes_ == 2) {
          dashes_ = 3;  // "--!>" ends a comment too
        } else {
          dashes_ = 0;
        }
        ++i;
        break;
      }
      case State::BogusComment: {
        const void* q = std::memchr(p + i, '>', n - i);
        if (q == nullptr) return n;
        i = static_cast<std::size_t>(static_cast<const char*>(q) - p) + 1;
        state_ = State::Data;
        break;
      }
      case State::Cdata:
        if (c == ']') {
          if (dashes_ < 2) {
            ++dashes_;
          } else {
            literal("]");
          }
          ++i;
        } else if (c == '>' && dashes_ == 2) {
          dashes_ = 0;
          state_ = State::Data;
          ++i;
        } else {
          if (dashes_ > 0) literal(std::string_view("]]", dashes_));
          dashes_ = 0;
          i += run(p + i, n - i, kStopCdata);
        }
        break;
      case State::RawText:
      case State::RcData: {
        const bool rcdata = state_ == State::RcData;
        if (raw_match_ == 0) {
          std::size_t j = i;
          if (rcdata) {
            j += run(p + i, n - i, kStopMarkup);
            if (full_) return n;
          } else {
            const void* q = std::memchr(p + i, '<', n - i);
            j = q == nullptr ? n : static_cast<std::size_t>(static_cast<const char*>(q) - p);
          }
          if (j == n) return n;
          i = j + 1;
          if (p[j] == '&') {
            return_state_ = State::RcData;
            state_ = State::Entity;
            ent_len_ = 0;
          } else {
            raw_match_ = 1;
          }
          break;
        }
        if (raw_match_ == 1) {
          if (c == '/') {
            raw_match_ = 2;
            ++i;
          } else {
            end_tag_match_failed();
          }
          break;
        }
        const std::size_t k = raw_match_ - 2u;
        if (k < raw_end_len_) {
          if (lower(c) == raw_end_[k]) {
            ++raw_match_;
            ++i;
          } else {
            end_tag_match_failed();
          }
          break;
        }
        if (is_space(c) || c == '/' || c == '>') {
          end_tag_ = true;
          std::memcpy(tag_, raw_end_, raw_end_len_);
          tag_len_ = raw_end_len_;
          tag_kind_ = static_cast<std::uint8_t>(tag_kind(tag_, tag_len_));
          raw_match_ = 0;
          ++i;
          if (c == '>') {
            tag_done();
          } else {
            state_ = State::Attrs;
          }
        } else {
          end_tag_match_failed();
        }
        break;
      }
      case State::Entity: {
        const bool numeric = ent_len_ > 0 && ent_[0] == '#';
        if (ent_len_ == 0 && c == '#') {
          ent_[ent_len_++] = '#';
          ++i;
          break;
        }
        if (numeric && ent_len_ == 1 && (c == 'x' || c == 'X')) {
          ent_[ent_len_++] = 'x';
          ++i;
          break;
        }
        const bool hex = numeric && ent_len_ >= 2 && ent_[1] == 'x';
        const bool fits = numeric ? (hex ? hex_value(c) >= 0 : is_digit(c)) : is_alnum(c);
        if (fits && ent_len_ < sizeof(ent_) - 1) {
          ent_[ent_len_++] = c;
          ++i;
          break;
        }
        bool consume = false;
        entity_done(c, consume);
        state_ = return_state_;
        if (consume) ++i;
        break;
      }
      default:
        state_ = State::Data;
        break;
    }
  }
  return i;
}

void BodyText::tag_name_done() {
  tag_kind_ = static_cast<std::uint8_t>(tag_kind(tag_, tag_len_));
  is_meta_ = !end_tag_ && tag_kind_ == static_cast<std::uint8_t>(TagKind::Meta);
  meta_charset_len_ = 0;
  attr_len_ = value_len_ = 0;
}

void BodyText::attr_done() {
  if (is_meta_ && attr_len_ <= sizeof(attr_)) {
    const std::string_view name(attr_, attr_len_);
    const std::string_view value(value_, value_len_);
    std::string_view label;
    if (name == "charset") {
      label = trim(value);
    } else if (name == "content") {
      label = charset_param(value);
    }
    if (!label.empty()) {
      const std::size_t k = std::min(label.size(), sizeof(meta_charset_));
      std::memcpy(meta_charset_, label.data(), k);
      meta_charset_len_ = static_cast<std::uint8_t>(k);
    }
  }
  attr_len_ = value_len_ = 0;
}

void BodyText::tag_done() {
  state_ = State::Data;
  if (tag_len_ > sizeof(tag_)) {
    brk();
    return;
  }
  const auto kind = static_cast<TagKind>(tag_kind_);
  if (is_meta_ && meta_charset_len_ > 0 && !charset_declared_ && fed_ <= kMetaCharsetWindow) {
    flush_partial();
    charset_ = charset_from_label(std::string_view(meta_charset_, meta_charset_len_));
    charset_declared_ = charset_ != TextCharset::Undeclared;
  }
  is_meta_ = false;
  if (!end_tag_ && format_ == TextFormat::Html) {
    const bool raw = kind == TagKind::RawText;
    if (raw || kind == TagKind::RcData) {
      std::memcpy(raw_end_, tag_, tag_len_);
      raw_end_len_ = tag_len_;
      raw_match_ = 0;
      state_ = raw ? State::RawText : State::RcData;
      brk();
      return;
    }
  }
  if (kind != TagKind::Inline) brk();
}

// "<" or "</name" that did not end an element: in RCDATA those bytes are
// text; in raw text nothing is shown anyway. The byte that broke the match
// is looked at again.
void BodyText::end_tag_match_failed() {
  if (state_ == State::RcData) {
    literal("<");
    if (raw_match_ >= 2) {
      literal("/");
      literal(std::string_view(raw_end_, raw_match_ - 2u));
    }
  }
  raw_match_ = 0;
}

void BodyText::entity_done(char terminator, bool& consume) {
  consume = false;
  const std::string_view e(ent_, ent_len_);
  ent_len_ = 0;
  if (e.empty()) {
    literal("&");
    return;
  }
  if (e[0] == '#') {
    const bool hex = e.size() >= 2 && e[1] == 'x';
    const std::string_view digits = e.substr(hex ? 2 : 1);
    if (digits.empty()) {
      literal("&");
      literal(e.substr(0, 1));
      if (hex) literal("x");
      return;
    }
    std::uint32_t v = 0;
    for (char d : digits) {
      v = v * (hex ? 16u : 10u) + static_cast<std::uint32_t>(hex_value(d));
      if (v > 0x10FFFF) v = 0x110000;  // saturate: stays out of range
    }
    std::uint32_t cp = v;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      cp = kReplacement;
    } else if (cp >= 0x80 && cp <= 0x9F) {
      cp = cp1252(static_cast<std::uint8_t>(cp));
    }
    code_point(cp);
    consume = terminator == ';';
    return;
  }
  const NamedEntity* ent = find_entity(e);
  if (ent != nullptr && terminator == ';') {
    code_point(ent->cp);
    consume = true;
    return;
  }
  // The legacy ones work without ';', also as the start of a longer name
  // ("&copy2024" is "©2024"), the longest that matches.
  for (std::size_t k = e.size(); k >= 2; --k) {
    const NamedEntity* legacy = find_entity(e.substr(0, k));
    if (legacy != nullptr && legacy->cp < 256) {
      code_point(legacy->cp);
      literal(e.substr(k));
      return;
    }
  }
  literal("&");
  literal(e);
}

// ---------------------------------------------------------------------------
// JSON and forms

std::size_t BodyText::feed_json(const char* p, std::size_t n, std::size_t i) {
  while (i < n && !full_) {
    const char c = p[i];
    switch (state_) {
      case State::JsonOutside: {
        const void* q = std::memchr(p + i, '"', n - i);
        if (q == nullptr) return n;
        i = static_cast<std::size_t>(static_cast<const char*>(q) - p) + 1;
        state_ = State::JsonString;
        break;
      }
      case State::JsonString: {
        if (c == '\\') {
          state_ = State::JsonEscape;
          ++i;
          break;
        }
        if (high_surrogate_ != 0) {
          code_point(kReplacement);
          high_surrogate_ = 0;
        }
        if (c == '"') {
          brk();
          state_ = State::JsonOutside;
          ++i;
          break;
        }
        i += run(p + i, n - i, kStopJson);
        break;
      }
      case State::JsonEscape:
        ++i;
        state_ = State::JsonString;
        if (c == 'u') {
          state_ = State::JsonUnicode;
          hex_ = 0;
          hex_len_ = 0;
          break;
        }
        if (high_surrogate_ != 0) {
          code_point(kReplacement);
          high_surrogate_ = 0;
        }
        if (c == 'n' || c == 't' || c == 'r' || c == 'b' || c == 'f') {
          brk();
        } else {
          text(&c, 1);
        }
        break;
      case State::JsonUnicode: {
        const int v = hex_value(c);
        if (v < 0) {
          code_point(kReplacement);
          high_surrogate_ = 0;
          state_ = State::JsonString;
          break;
        }
        hex_ = hex_ * 16 + static_cast<std::uint32_t>(v);
        ++i;
        if (++hex_len_ < 4) break;
        state_ = State::JsonString;
        if (hex_ >= 0xD800 && hex_ <= 0xDBFF) {
          if (high_surrogate_ != 0) code_point(kReplacement);
          high_surrogate_ = hex_;
        } else if (hex_ >= 0xDC00 && hex_ <= 0xDFFF) {
          if (high_surrogate_ != 0) {
            code_point(0x10000 + ((high_surrogate_ - 0xD800) << 10) + (hex_ - 0xDC00));
          } else {
            code_point(kReplacement);
          }
          high_surrogate_ = 0;
        } else {
          if (high_surrogate_ != 0) code_point(kReplacement);
          high_surrogate_ = 0;
          code_point(hex_ == 0 ? kReplacement : hex_);
        }
        break;
      }
      default:
        state_ = State::JsonOutside;
        break;
    }
  }
  return i;
}

std::size_t BodyText::feed_form(const char* p, std::size_t n, std::size_t i) {
  while (i < n && !full_) {
    const char c = p[i];
    if (state_ == State::FormPercent) {
      const int v = hex_value(c);
      if (v < 0) {
        literal("%");
        if (hex_len_ == 1) literal(std::string_view(ent_, 1));
        state_ = State::FormData;
        continue;  // `c` again as data
      }
      ++i;
      if (hex_len_ == 0) {
        ent_[0] = c;
        hex_ = static_cast<std::uint32_t>(v);
        hex_len_ = 1;
        continue;
      }
      state_ = State::FormData;
      byte(static_cast<std::uint8_t>(hex_ * 16 + static_cast<std::uint32_t>(v)));
      continue;
    }
    const std::size_t j = i + run(p + i, n - i, kStopForm);
    if (j >= n || full_) return n;
    i = j + 1;
    if (p[j] == '%') {
      state_ = State::FormPercent;
      hex_ = 0;
      hex_len_ = 0;
    } else {
      brk();  // '+' is a space; '&' separates fields
    }
  }
  return i;
}

// ---------------------------------------------------------------------------
// Writer

void BodyText::brk() {
  if (partial_len_ > 0) flush_partial();
  space_ = true;
}

// The text ends with the last whole word that fits: a word cut in two could
// read as another word.
void BodyText::cap_reached() {
  full_ = true;
  if (space_ || out_.empty()) return;
  const std::size_t sp = out_.rfind(' ');
  const std::size_t keep = sp == std::string::npos ? 0 : sp;
  written_ -= out_.size() - keep;
  out_.resize(keep);
}

void BodyText::append(const char* s, std::size_t n) {
  const bool sep = space_ && !out_.empty();
  const std::size_t need = n + (sep ? 1 : 0);
  if (written_ + need > max_) {
    // What fits of a span of words, then back to its last whole word.
    const std::size_t room = max_ - written_;
    if (room > (sep ? 1u : 0u) + 1u) {
      const std::size_t k = room - (sep ? 1 : 0);
      if (sep) out_.push_back(' ');
      out_.append(s, k);
      written_ += room;
      space_ = s[k] == ' ';
      if (space_) {
        full_ = true;
        return;
      }
    }
    cap_reached();
    return;
  }
  if (sep) out_.push_back(' ');
  out_.append(s, n);
  written_ += need;
  space_ = false;
}

void BodyText::literal(std::string_view ascii) { text(ascii.data(), ascii.size()); }

void BodyText::text(const char* p, std::size_t n) { run(p, n, kStopNone); }

// The writer's loop: body bytes up to the first stop byte, whole words of
// ASCII appended at once, spaces collapsed, the rest byte by byte. Returns
// the bytes consumed (the stop byte is not).
std::size_t BodyText::run(const char* p, std::size_t n, const std::array<std::uint8_t, 256>& cls) {
  std::size_t i = 0;
  while (i < n) {
    if (partial_need_ != 0) {
      const auto b = static_cast<std::uint8_t>(p[i]);
      if (cls[b] == kStop) break;
      byte(b);
      ++i;
      if (full_) return i;
      continue;
    }
    // A span of words already separated by single spaces goes out as it is.
    std::size_t j = i;
    for (;;) {
      while (j < n && cls[static_cast<std::uint8_t>(p[j])] == kWord) ++j;
      if (j + 1 < n && j > i && p[j] == ' ' && cls[static_cast<std::uint8_t>(p[j + 1])] == kWord) {
        ++j;
        continue;
      }
      break;
    }
    if (j > i) {
      append(p + i, j - i);
      if (full_) return j;
      i = j;
      if (i == n) break;
    }
    const auto b = static_cast<std::uint8_t>(p[i]);
    const std::uint8_t c = cls[b];
    if (c == kStop) break;
    ++i;
    if (c == kSpace) {
      space_ = true;
    } else {
      byte(b);
      if (full_) return i;
    }
  }
  return i;
}

void BodyText::byte(std::uint8_t b) {
  if (partial_need_ > 0) {
    std::uint8_t lo = 0x80;
    std::uint8_t hi = 0xBF;
    if (partial_len_ == 1) {
      const std::uint8_t lead = partial_[0];
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    }
    if (b >= lo && b <= hi) {
      partial_[partial_len_++] = b;
      if (partial_len_ < partial_need_) return;
      std::uint32_t cp = 0;
      switch (partial_need_) {
        case 2:
          cp = ((partial_[0] & 0x1Fu) << 6) | (partial_[1] & 0x3Fu);
          break;
        case 3:
          cp = ((partial_[0] & 0x0Fu) << 12) | ((partial_[1] & 0x3Fu) << 6) | (partial_[2] & 0x3Fu);
          break;
        default:
          cp = ((partial_[0] & 0x07u) << 18) | ((partial_[1] & 0x3Fu) << 12) |
               ((partial_[2] & 0x3Fu) << 6) | (partial_[3] & 0x3Fu);
          break;
      }
      partial_len_ = partial_need_ = 0;
      code_point(cp);
      return;
    }
    flush_partial();  // not a continuation: what was pending is invalid; `b` starts afresh
  }
  if (b < 0x80) {
    if (b > 0x20 && b < 0x7F) {
      const char c = static_cast<char>(b);
      append(&c, 1);
    } else {
      brk();
    }
    return;
  }
  if (charset_ == TextCharset::Windows1252) {
    code_point(cp1252(b));
    return;
  }
  std::uint8_t need = 0;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 3;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 4;
  }
  if (need == 0) {
    code_point(charset_ == TextCharset::Undeclared ? cp1252(b) : kReplacement);
    return;
  }
  partial_[0] = b;
  partial_len_ = 1;
  partial_need_ = need;
}

// A UTF-8 sequence cut short: U+FFFD for it, or, with no declared
// charset, its bytes read as windows-1252 (legacy pages that never said).
void BodyText::flush_partial() {
  if (partial_len_ == 0) return;
  const std::uint8_t len = partial_len_;
  partial_len_ = partial_need_ = 0;
  if (charset_ == TextCharset::Undeclared) {
    std::uint8_t copy[4];
    std::memcpy(copy, partial_, len);
    for (std::uint8_t k = 0; k < len; ++k) code_point(cp1252(copy[k]));
  } else {
    code_point(kReplacement);
  }
}

void BodyText::code_point(std::uint32_t cp) {
  if (full_) return;
  if (partial_len_ > 0) flush_partial();  // a reference or escape ends a cut sequence
  if (is_space_like(cp)) {
    brk();
    return;
  }
  if (is_invisible(cp)) return;
  char buf[4];
  std::size_t n = 0;
  if (cp < 0x80) {
    buf[n++] = static_cast<char>(cp);
  } else if (cp < 0x800) {
    buf[n++] = static_cast<char>(0xC0 | (cp >> 6));
    buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    buf[n++] = static_cast<char>(0xE0 | (cp >> 12));
    buf[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    buf[n++] = static_cast<char>(0xF0 | (cp >> 18));
    buf[n++] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    buf[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  }
  append(buf, n);
}

}  // namespace vigil::inspect
