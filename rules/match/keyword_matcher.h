#pragma once
// Keyword, phrase and regex matching with Hyperscan (Vectorscan on arm64):
// one compiled block-mode database per rule snapshot, read-only and shared;
// one Scratch per worker thread. The Hyperscan headers stay in the .cc.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::rules {

struct KeywordPattern {
  std::string expression;      // a literal (escaped here) or a regex
  std::uint32_t id = 0;        // reported back on a match
  bool literal = true;         // false: Hyperscan regex syntax
  bool whole_word = false;     // literal: \b on both sides
  bool word_start = false;     // literal: \b before
  bool word_end = false;       // literal: \b after
  unsigned edit_distance = 0;  // approximate matching (Hyperscan HS_EXT_FLAG_EDIT_DISTANCE)
};

// Bounds on one compile. When either is set, the child that compiles is
// killed past `time`, and its allocations fail once its data segment has
// grown by `memory_bytes` (RLIMIT_DATA); compile() then fails with a message
// naming the limit. The caller's process (the daemon, with its packet
// workers) never holds a runaway compile.
struct KeywordCompileLimits {
  std::chrono::milliseconds time{0};  // 0: no limit
  std::size_t memory_bytes = 0;       // 0: no limit
  [[nodiscard]] bool bounded() const noexcept { return time.count() > 0 || memory_bytes > 0; }
};

class KeywordMatcher {
 public:
  class Scratch {
   public:
    Scratch();
    ~Scratch();
    Scratch(Scratch&&) noexcept;
    Scratch& operator=(Scratch&&) noexcept;

   private:
    friend class KeywordMatcher;
    void* scratch_ = nullptr;  // hs_scratch_t*, shared by both databases
    std::string repaired_;     // invalid UTF-8 made valid, grown on demand
  };

  struct CompileError {
    std::size_t pattern_index = 0;  // into the vector passed to compile(); SIZE_MAX if global
    std::string message;
  };

  // Compiles all patterns (UTF-8, caseless). Returns nullptr and sets
  // `error` when Hyperscan rejects one or a limit below is exceeded; the
  // message names which. Pure-ASCII patterns go to a byte-mode database that
  // is safe on any input; the others to a UTF-8 database that scan() feeds
  // only valid UTF-8 (invalid bytes are replaced one for one, so offsets
  // hold). Hyperscan disallows edit distance in UTF-8 mode, so a non-ASCII
  // pattern with an edit distance is matched bytewise (the distance counts
  // bytes). Word boundaries are checked on each match, Unicode-aware: a
  // boundary is a neighbour that is not a letter, digit or underscore.
  static constexpr std::size_t kMaxPatterns = 100000;  // per database
  static constexpr std::size_t kMaxExpression = 1024;  // bytes
  static constexpr unsigned kMaxEditDistance = 2;
  //
  // Hyperscan's compile time and memory grow with the patterns in ways a
  // count limit does not bound (edit distance, large regex repeats). With
  // non-zero `limits`, the databases are compiled in a forked child process
  // and handed back serialised (see CompileLimits).
  using CompileLimits = KeywordCompileLimits;
  static std::unique_ptr<KeywordMatcher> compile(const std::vector<KeywordPattern>& patterns,
                                                 CompileError& error,
                                                 const CompileLimits& limits = {});
  ~KeywordMatcher();

  // Allocates or grows `scratch` for this database (once per worker and snapshot).
  bool prepare(Scratch& scratch) const;

  // Calls `on_match(id, end_offset)` for every match in `text` (byte-mode
  // patterns first, then UTF-8 ones; each in end-offset order). Returns false
  // if Hyperscan reported an error. `on_match` must not throw.
  using OnMatch = std::function<void(std::uint32_t id, std::size_t end)>;
  bool scan(std::string_view text, Scratch& scratch, const OnMatch& on_match) const noexcept;

  [[nodiscard]] std::size_t database_bytes() const noexcept;
  struct Check;  // per Hyperscan id: the caller's id and boundary checks (.cc)
  [[nodiscard]] std::size_t pattern_count() const noexcept;

 private:
  KeywordMatcher() = default;
  void* ascii_db_ = nullptr;  // hs_database_t*, byte mode: ASCII and approximate patterns
  void* utf8_db_ = nullptr;   // hs_database_t*, HS_FLAG_UTF8 | HS_FLAG_UCP
  std::size_t patterns_ = 0;
  std::vector<Check> checks_;  // indexed by Hyperscan id
};

}  // namespace vigil::rules
