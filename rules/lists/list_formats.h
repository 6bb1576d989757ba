#pragma once
// Parsers for the list formats the field already uses, loaded unchanged.
// They read text, never compile anything, and report every rejected line
// with its number. Runs off the packet path (when a snapshot is built).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::rules {

struct RejectedLine {
  std::uint32_t line = 0;  // 1-based
  std::string text;        // the line as read, truncated to 200 bytes
  std::string reason;      // "label longer than 63 bytes", ...
  std::string file;        // the file it is in (an .Include'd phrase file names its own)
};

// Per-list counters: what was accepted, dropped as a duplicate, or invalid.
struct ListDiagnostics {
  std::string path;
  std::uint64_t accepted = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t invalid = 0;
  std::uint64_t skipped = 0;                // comments, blank, cosmetic rules
  std::vector<RejectedLine> first_invalid;  // at most kMaxReportedInvalid
  static constexpr std::size_t kMaxReportedInvalid = 10;
  std::string error;  // set when the file itself could not be read (load_ut1_tree)
};

// A line longer than this is rejected whole (memory per line stays bounded).
inline constexpr std::size_t kMaxListLineBytes = 64 * 1024;

// ---------------------------------------------------------------- domains

struct DomainEntry {
  std::string domain;  // lowercase ASCII (IDN as punycode), no trailing dot
  std::uint32_t line = 0;
  bool allow = false;  // AdBlock "@@||d^" exception
};

struct DomainList {
  std::vector<DomainEntry> entries;
  ListDiagnostics diag;
};

// One domain per line, hosts-file lines ("0.0.0.0 a b c", "127.0.0.1 d",
// "::" ...), and AdBlock DNS syntax ("||d^", "@@||d^", "||d^$important"),
// mixed freely, with Pi-hole's acceptance rules: lines starting with
// '!', '#', ';' or '[' are skipped, as are cosmetic rules ("##", "#@#");
// trailing comments are cut; a UTF-8 BOM, CR and a trailing dot are
// stripped; names are lowercased, IDN converted to punycode (libidn2), and
// labels checked (1..63 bytes, LDH plus '_', total <= 253).
DomainList parse_domain_list(std::string_view text, std::string path);

// Normalises and validates one name as above; nullopt with `reason` set when invalid.
std::optional<std::string> normalise_domain(std::string_view name, std::string& reason);

// ---------------------------------------------------------------- URLs

struct UrlEntry {
  std::string host;         // normalised as a domain
  std::string path_prefix;  // begins with '/', may be "/" (whole host); case kept
  std::uint32_t line = 0;
};

struct UrlList {
  std::vector<UrlEntry> entries;
  ListDiagnostics diag;
};

// One URL per line: "host/path", "http://host/path", "https://host:port/path"
// (scheme and port dropped), as UT1 "urls" files and the IWF/CTIRU
// distributions write them.
UrlList parse_url_list(std::string_view text, std::string path);

// ---------------------------------------------------------------- regexes

struct RegexEntry {
  std::string pattern;  // Hyperscan (PCRE subset) syntax, as written
  std::uint32_t line = 0;
};

struct RegexList {
  std::vector<RegexEntry> entries;
  ListDiagnostics diag;
};

// One pattern per line; '#' comments and blank lines skipped. Patterns are
// not compiled here: the snapshot compiler reports file:line for those
// Hyperscan rejects.
RegexList parse_regex_list(std::string_view text, std::string path);

// ---------------------------------------------------------------- keywords

struct KeywordEntry {
  std::string text;  // UTF-8 as written (normalised later by the matcher)
  std::uint32_t line = 0;
};

struct KeywordList {
  std::vector<KeywordEntry> entries;
  ListDiagnostics diag;
};

// One keyword or phrase per line, UTF-8, any language; '#' comments.
// Invalid UTF-8 lines are rejected.
KeywordList parse_keyword_list(std::string_view text, std::string path);

// ---------------------------------------------------------------- e2guardian phrases

enum class PhraseBoundary : std::uint8_t {
  None,       // <word>   matches inside other words
  WordStart,  // < word>  must start a word
  WordEnd,    // <word >  must end a word
  Whole,      // < word > whole word
};

struct PhraseTerm {
  std::string text;  // the phrase text inside <>, spaces at the ends removed
  PhraseBoundary boundary = PhraseBoundary::None;
};

struct PhraseEntry {
  // One term, or several for a combination phrase "<a>,<b>,<c><10>": all
  // must occur (anywhere, any order) for it to count.
  std::vector<PhraseTerm> terms;
  // Weighted phrases: the weight (may be negative). Banned phrases (no
  // weight) have `banned` set and weight 0.
  int weight = 0;
  bool banned = false;
  std::string file;  // the file it came from (.Include'd files name their own)
  std::uint32_t line = 0;
  std::string list_category;  // the '#listcategory: "..."' in effect in its file, if any
};

struct PhraseList {
  std::vector<PhraseEntry> entries;
  ListDiagnostics diag;  // for the top file; included files add their counts
  std::string error;     // fatal: unreadable include, include loop or depth
};

// Reads an e2guardian phrase list file unchanged: "<phrase>" (banned),
// "<phrase><weight>" (weighted), "<a>,<b><weight>" (combination),
// ".Include<path>" (relative to the including file), '#' comments.
// `read_file` is used for every file, so tests can supply their own.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;
PhraseList load_phrase_list(const std::string& path, const FileReader& read_file);

// Reads a whole file; nullopt when it cannot be read.
std::optional<std::string> read_text_file(const std::string& path);

// ---------------------------------------------------------------- UT1 / squidGuard

struct Ut1Category {
  std::string folder;                 // e.g. "gambling"
  std::optional<DomainList> domains;  // <folder>/domains when present
  std::optional<UrlList> urls;        // <folder>/urls when present
};

// Every "<dir>/<category>/domains" and "<dir>/<category>/urls" under `dir`.
// Returns an error string when `dir` cannot be listed.
std::vector<Ut1Category> load_ut1_tree(const std::string& dir, std::string& error);

}  // namespace vigil::rules
