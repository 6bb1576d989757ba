#include "rules/match/keyword_matcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

KeywordPattern lit(std::string s, std::uint32_t id) {
  KeywordPattern p;
  p.expression = std::move(s);
  p.id = id;
  return p;
}

struct Compiled {
  std::unique_ptr<KeywordMatcher> m;
  KeywordMatcher::Scratch scratch;

  // (id, end) pairs for every match, sorted.
  std::set<std::pair<std::uint32_t, std::size_t>> scan(std::string_view text) {
    std::set<std::pair<std::uint32_t, std::size_t>> got;
    EXPECT_TRUE(
        m->scan(text, scratch, [&](std::uint32_t id, std::size_t end) { got.emplace(id, end); }));
    return got;
  }
  std::set<std::uint32_t> ids(std::string_view text) {
    std::set<std::uint32_t> out;
    for (const auto& [id, end] : scan(text)) out.insert(id);
    return out;
  }
};

Compiled compile_ok(const std::vector<KeywordPattern>& patterns) {
  Compiled c;
  KeywordMatcher::CompileError err;
  c.m = KeywordMatcher::compile(patterns, err);
  EXPECT_NE(c.m, nullptr) << err.message;
  if (c.m) {
    EXPECT_TRUE(c.m->prepare(c.scratch));
  }
  return c;
}

TEST(KeywordMatcher, LiteralsAreCaselessAndReportTheirEnd) {
  auto c = compile_ok({lit("casino", 1), lit("poker", 2)});
  EXPECT_THAT(c.scan("Play CASINO or Poker"),
              ElementsAre(std::pair{1U, 11UL}, std::pair{2U, 20UL}));
  EXPECT_THAT(c.scan("nothing here"), IsEmpty());
  EXPECT_EQ(c.m->pattern_count(), 2U);
  EXPECT_GT(c.m->database_bytes(), 0U);
}

TEST(KeywordMatcher, LiteralMetacharactersAreEscaped) {
  auto c = compile_ok({lit("a.b*c", 1), lit("(x)", 2), lit("1+1=2?", 3), lit("\\d", 4)});
  EXPECT_THAT(c.ids("a.b*c (x) 1+1=2? \\d"), ElementsAre(1U, 2U, 3U, 4U));
  EXPECT_THAT(c.ids("axbbc x 11=2 7"), IsEmpty());
}

TEST(KeywordMatcher, WholeWordStartAndEnd) {
  KeywordPattern whole = lit("bet", 1);
  whole.whole_word = true;
  KeywordPattern start = lit("gamb", 2);
  start.word_start = true;
  KeywordPattern end = lit("slots", 3);
  end.word_end = true;
  auto c = compile_ok({whole, start, end});
  EXPECT_THAT(c.ids("place a bet now"), ElementsAre(1U));
  EXPECT_THAT(c.ids("BET"), ElementsAre(1U));
  EXPECT_THAT(c.ids("alphabet betting"), IsEmpty());
  EXPECT_THAT(c.ids("gambling"), ElementsAre(2U));
  EXPECT_THAT(c.ids("legamble"), IsEmpty());
  EXPECT_THAT(c.ids("freeslots!"), ElementsAre(3U));
  EXPECT_THAT(c.ids("slotsmania"), IsEmpty());
}

TEST(KeywordMatcher, EditDistanceOneCatchesMisspellings) {
  KeywordPattern p = lit("extremist", 1);
  p.edit_distance = 1;
  p.whole_word = true;
  auto c = compile_ok({p});
  EXPECT_THAT(c.ids("an extremist group"), ElementsAre(1U));
  EXPECT_THAT(c.ids("an extremlst group"), ElementsAre(1U));   // substitution
  EXPECT_THAT(c.ids("an extemist group"), ElementsAre(1U));    // deletion
  EXPECT_THAT(c.ids("an extreemist group"), ElementsAre(1U));  // insertion
  EXPECT_THAT(c.ids("an extrmlst group"), IsEmpty());          // two edits
  EXPECT_THAT(c.ids("an EXTREMLST group"), ElementsAre(1U));
  EXPECT_THAT(c.ids("extremlst"), ElementsAre(1U));
  EXPECT_THAT(c.ids("(extremist)"), ElementsAre(1U));
  EXPECT_THAT(c.ids("proextremists"), IsEmpty());  // two extra letters, not a word
  EXPECT_THAT(c.ids("antiextremist"), IsEmpty());
}

TEST(KeywordMatcher, EditDistanceTooBroadIsACompileErrorNamingThePattern) {
  KeywordPattern p = lit("ab", 9);
  p.edit_distance = 2;
  KeywordMatcher::CompileError err;
  auto m = KeywordMatcher::compile({lit("fine", 1), p}, err);
  ASSERT_EQ(m, nullptr);
  EXPECT_EQ(err.pattern_index, 1U);
  EXPECT_THAT(err.message, HasSubstr("pattern 1 (id 9)"));
}

TEST(KeywordMatcher, EditDistanceAboveTheLimitIsRejected) {
  KeywordPattern p = lit("extremist", 1);
  p.edit_distance = 3;
  KeywordMatcher::CompileError err;
  EXPECT_EQ(KeywordMatcher::compile({p}, err), nullptr);
  EXPECT_EQ(err.pattern_index, 0U);
  EXPECT_THAT(err.message, HasSubstr("edit distance 3"));
}

TEST(KeywordMatcher, RegexPatterns) {
  KeywordPattern r = lit("buy\\s+(cheap\\s+)?pills", 5);
  r.literal = false;
  auto c = compile_ok({r, lit("casino", 1)});
  EXPECT_THAT(c.ids("BUY  cheap pills"), ElementsAre(5U));
  EXPECT_THAT(c.ids("buy pills at the casino"), ElementsAre(1U, 5U));
  EXPECT_THAT(c.ids("buypills"), IsEmpty());
}

TEST(KeywordMatcher, BadRegexReportsItsIndex) {
  KeywordPattern bad = lit("foo(bar", 3);
  bad.literal = false;
  KeywordMatcher::CompileError err;
  auto m = KeywordMatcher::compile({lit("a", 1), lit("b", 2), bad, lit("c", 4)}, err);
  ASSERT_EQ(m, nullptr);
  EXPECT_EQ(err.pattern_index, 2U);
  EXPECT_THAT(err.message, HasSubstr("pattern 2 (id 3)"));
}

TEST(KeywordMatcher, BadUtf8RegexAmongUnicodePatternsReportsItsOriginalIndex) {
  KeywordPattern bad = lit("кот(", 8);
  bad.literal = false;
  KeywordMatcher::CompileError err;
  auto m = KeywordMatcher::compile({lit("dog", 1), lit("собака", 2), bad}, err);
  ASSERT_EQ(m, nullptr);
  EXPECT_EQ(err.pattern_index, 2U);
}

TEST(KeywordMatcher, RejectsEmptyInvalidAndMissingPatterns) {
  KeywordMatcher::CompileError err;
  EXPECT_EQ(KeywordMatcher::compile({}, err), nullptr);
  EXPECT_EQ(err.pattern_index, SIZE_MAX);
  EXPECT_EQ(KeywordMatcher::compile({lit("ok", 1), lit("", 2)}, err), nullptr);
  EXPECT_EQ(err.pattern_index, 1U);
  EXPECT_EQ(KeywordMatcher::compile({lit("bad\xff", 1)}, err), nullptr);
  EXPECT_THAT(err.message, HasSubstr("UTF-8"));
  EXPECT_EQ(KeywordMatcher::compile({lit(std::string(2000, 'a'), 1)}, err), nullptr);
  KeywordPattern empty_regex = lit("x?", 4);
  empty_regex.literal = false;
  EXPECT_EQ(KeywordMatcher::compile({empty_regex}, err), nullptr);
  EXPECT_EQ(err.pattern_index, 0U);
}

TEST(KeywordMatcher, UnicodeKeywordsMatchWholeWordsByUnicodeRules) {
  KeywordPattern ru = lit("казино", 1);
  ru.whole_word = true;
  KeywordPattern de = lit("glücksspiel", 2);
  de.edit_distance = 1;
  auto c = compile_ok({ru, de, lit("poker", 3)});
  EXPECT_THAT(c.ids("играть в казино сейчас"), ElementsAre(1U));
  EXPECT_THAT(c.ids("онлайнказино"), IsEmpty());
  EXPECT_THAT(c.ids("online glückspiel"), ElementsAre(2U));   // one deletion
  EXPECT_THAT(c.ids("online glücksspiol"), ElementsAre(2U));  // one substitution
  // Approximate non-ASCII patterns are matched bytewise (Hyperscan disallows
  // UTF-8 with edit distance): ü -> u is two byte edits.
  EXPECT_THAT(c.ids("online glucksspiel"), IsEmpty());
  EXPECT_THAT(c.ids("online GLÜCKSSPIEL poker"), ElementsAre(2U, 3U));
}

TEST(KeywordMatcher, InvalidUtf8InputIsScannedSafely) {
  KeywordPattern ru = lit("казино", 1);
  ru.whole_word = true;
  auto c = compile_ok({ru, lit("poker", 2)});
  // A stray continuation byte, a truncated sequence, an overlong form and a
  // surrogate around valid matches: both databases still report them, at the
  // caller's offsets.
  const std::string text = "\x80 казино \xd0 poker \xc0\xaf \xed\xa0\x80 казино\xe2\x82";
  const auto got = c.scan(text);
  const std::size_t first = text.find("казино") + std::string("казино").size();
  const std::size_t second = text.rfind("казино") + std::string("казино").size();
  const std::size_t poker = text.find("poker") + 5;
  EXPECT_THAT(
      got, UnorderedElementsAre(std::pair{1U, first}, std::pair{1U, second}, std::pair{2U, poker}));
  // Pure garbage neither crashes nor matches.
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>(0x80 + (i * 37) % 128));
  EXPECT_THAT(c.scan(garbage), IsEmpty());
}

TEST(KeywordMatcher, EmptyTextMatchesNothing) {
  auto c = compile_ok({lit("casino", 1)});
  EXPECT_THAT(c.scan(""), IsEmpty());
  EXPECT_THAT(c.scan(std::string_view{}), IsEmpty());
}

TEST(KeywordMatcher, ScanWithoutPreparedScratchFails) {
  auto c = compile_ok({lit("casino", 1)});
  KeywordMatcher::Scratch unprepared;
  EXPECT_FALSE(c.m->scan("casino", unprepared, [](std::uint32_t, std::size_t) {}));
}

TEST(KeywordMatcher, OneScratchServesTwoSnapshots) {
  auto a = compile_ok({lit("casino", 1)});
  auto b = compile_ok({lit("казино", 2), lit("poker", 3)});
  KeywordMatcher::Scratch shared;
  ASSERT_TRUE(a.m->prepare(shared));
  ASSERT_TRUE(b.m->prepare(shared));
  int n = 0;
  EXPECT_TRUE(a.m->scan("casino", shared, [&](std::uint32_t, std::size_t) { ++n; }));
  EXPECT_TRUE(b.m->scan("казино poker", shared, [&](std::uint32_t, std::size_t) { ++n; }));
  EXPECT_EQ(n, 3);
  KeywordMatcher::Scratch moved(std::move(shared));
  EXPECT_TRUE(b.m->scan("poker", moved, [&](std::uint32_t, std::size_t) { ++n; }));
  EXPECT_EQ(n, 4);
}

}  // namespace
// A pattern set whose compile takes seconds and hundreds of MB: many long
// words with edit distance 2.
std::vector<KeywordPattern> heavy_patterns() {
  std::vector<KeywordPattern> v;
  std::uint64_t x = 88172645463325252ULL;
  for (std::uint32_t i = 0; i < 400; ++i) {
    std::string w;
    for (int k = 0; k < 14; ++k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      w += static_cast<char>('a' + x % 26);
    }
    KeywordPattern p = lit(w, i);
    p.edit_distance = 2;
    v.push_back(p);
  }
  return v;
}

TEST(KeywordMatcher, BoundedCompileInAChildMatchesLikeInProcess) {
  std::vector<KeywordPattern> patterns = {lit("casino", 1), lit("собака", 2), lit("extremist", 3)};
  patterns[2].edit_distance = 1;
  KeywordMatcher::CompileLimits limits;
  limits.time = std::chrono::seconds(60);
  limits.memory_bytes = std::size_t{512} << 20;
  KeywordMatcher::CompileError err;
  Compiled c;
  c.m = KeywordMatcher::compile(patterns, err, limits);
  ASSERT_NE(c.m, nullptr) << err.message;
  ASSERT_TRUE(c.m->prepare(c.scratch));
  EXPECT_THAT(c.ids("a CASINO, a Собака and an extremst"), UnorderedElementsAre(1U, 2U, 3U));
  EXPECT_GT(c.m->database_bytes(), 0U);
}

TEST(KeywordMatcher, BoundedCompileReportsTheFailingPattern) {
  KeywordPattern bad = lit("(unclosed", 3);
  bad.literal = false;
  KeywordMatcher::CompileLimits limits;
  limits.time = std::chrono::seconds(60);
  KeywordMatcher::CompileError err;
  EXPECT_EQ(KeywordMatcher::compile({lit("a", 1), lit("b", 2), bad}, err, limits), nullptr);
  EXPECT_EQ(err.pattern_index, 2U);
  EXPECT_THAT(err.message, HasSubstr("pattern 2 (id 3)"));
}

TEST(KeywordMatcher, CompileOverItsTimeLimitIsStopped) {
  KeywordMatcher::CompileLimits limits;
  limits.time = std::chrono::milliseconds(100);
  KeywordMatcher::CompileError err;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(KeywordMatcher::compile(heavy_patterns(), err, limits), nullptr);
  EXPECT_THAT(err.message, HasSubstr("took longer than 100 ms"));
  // Stopped near the limit, not run to the end (generous: shared CI machines).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(KeywordMatcher, CompileOverItsMemoryLimitIsStopped) {
  KeywordMatcher::CompileLimits limits;
  limits.memory_bytes = std::size_t{16} << 20;
  limits.time = std::chrono::seconds(120);
  KeywordMatcher::CompileError err;
  EXPECT_EQ(KeywordMatcher::compile(heavy_patterns(), err, limits), nullptr);
  EXPECT_THAT(err.message, HasSubstr("16 MB"));
}

// A busy daemon rewrites its flow tables while a reload compiles: the pages
// it rewrites after the fork are not the compile's, and must not count
// against the compile's memory limit.
TEST(KeywordMatcher, MemoryTheParentRewritesDuringACompileIsNotCharged) {
  std::vector<char> busy(std::size_t{1} << 30, 1);  // resident before the fork
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> rounds{0};
  std::thread writer([&] {
    while (!done.load()) {
      for (std::size_t i = 0; i < busy.size(); i += 4096) busy[i] = static_cast<char>(busy[i] + 1);
      rounds.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  KeywordMatcher::CompileLimits limits;
  // Well above the compile (even with AddressSanitizer's quarantine), below `busy`.
  limits.memory_bytes = std::size_t{768} << 20;
  limits.time = std::chrono::seconds(120);
  KeywordMatcher::CompileError err;
  std::vector<KeywordPattern> patterns = heavy_patterns();
  patterns.resize(100);  // about a second's compile: long enough for many rounds
  auto m = KeywordMatcher::compile(patterns, err, limits);
  done = true;
  writer.join();
  EXPECT_NE(m, nullptr) << err.message;
  EXPECT_GT(rounds.load(), 1U);  // the parent did rewrite everything during the compile
}

}  // namespace vigil::rules
