#pragma once
// Keyword, phrase and regex matching with Hyperscan (Vectorscan on arm64):
// one compiled block-mode database per rule snapshot, read-only and shared;
// one Scratch per worker thread. The Hyperscan headers stay in the .cc.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::rules {

struct KeywordPattern {
  std::string expression;       // a literal (escaped here) or a regex
  std::uint32_t id = 0;         // reported back on a match
  bool literal = true;          // false: Hyperscan regex syntax
  bool whole_word = false;      // literal: \b on both sides
  bool word_start = false;      // literal: \b before
  bool word_end = false;        // literal: \b after
  unsigned edit_distance = 0;   // approximate matching (Hyperscan HS_EXT_FLAG_EDIT_DISTANCE)
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
    void* scratch_ = nullptr;  // hs_scratch_t*
  };

  struct CompileError {
    std::size_t pattern_index = 0;  // into the vector passed to compile(); SIZE_MAX if global
    std::string message;
  };

  // Compiles all patterns (UTF-8, caseless). Returns nullptr and sets
  // `error` when Hyperscan rejects one; the message names which.
  static std::unique_ptr<KeywordMatcher> compile(const std::vector<KeywordPattern>& patterns,
                                                 CompileError& error);
  ~KeywordMatcher();

  // Allocates or grows `scratch` for this database (once per worker and snapshot).
  bool prepare(Scratch& scratch) const;

  // Calls `on_match(id, end_offset)` for every match in `text`. Returns
  // false if Hyperscan reported an error.
  using OnMatch = std::function<void(std::uint32_t id, std::size_t end)>;
  bool scan(std::string_view text, Scratch& scratch, const OnMatch& on_match) const noexcept;

  [[nodiscard]] std::size_t database_bytes() const noexcept;
  [[nodiscard]] std::size_t pattern_count() const noexcept;

 private:
  KeywordMatcher() = default;
  void* db_ = nullptr;  // hs_database_t*
  std::size_t patterns_ = 0;
};

}  // namespace vigil::rules
