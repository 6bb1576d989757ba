#include "rules/normalize/normalizer.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::rules {
namespace {

class NormalizerTest : public ::testing::Test {
 protected:
  Normalizer n_;
};

// ---- fold ----

TEST_F(NormalizerTest, FoldLowercasesAscii) {
  EXPECT_EQ(n_.fold("HeLLo World 42"), "hello world 42");
}

TEST_F(NormalizerTest, FoldFullwidthToAscii) {
  EXPECT_EQ(n_.fold("ＥＸＴＲＥＭＩＳＴ"), "extremist");
  EXPECT_EQ(n_.normalise("ＥＸＴＲＥＭＩＳＴ"), "extremist");
}

TEST_F(NormalizerTest, FoldMathematicalLettersToAscii) {
  EXPECT_EQ(n_.fold("\xF0\x9D\x90\x9B\xF0\x9D\x90\xA8\xF0\x9D\x90\xA6\xF0\x9D\x90\x9B"),
            "bomb");  // 𝐛𝐨𝐦𝐛
}

TEST_F(NormalizerTest, FoldGermanSharpS) {
  EXPECT_EQ(n_.fold("Straße"), "strasse");
  EXPECT_EQ(n_.fold("STRASSE"), "strasse");
}

TEST_F(NormalizerTest, FoldTurkishDottedCapitalIKeepsCombiningDot) {
  // NFKC_Casefold is locale-independent: U+0130 -> "i" U+0307.
  EXPECT_EQ(n_.fold("\xC4\xB0stanbul"), "i\xCC\x87stanbul");
  // unconfuse() drops the redundant dot, so the whole chain reads "istanbul".
  EXPECT_EQ(n_.normalise("\xC4\xB0STANBUL"), "istanbul");
  // Dotless i is a look-alike of i.
  EXPECT_EQ(n_.normalise("k\xC4\xB1z"), "kiz");
}

TEST_F(NormalizerTest, FoldRemovesDefaultIgnorables) {
  // Zero-width space and soft hyphen inside a word.
  EXPECT_EQ(n_.fold("bo\xE2\x80\x8Bm\xC2\xAD"
                    "b"),
            "bomb");
}

TEST_F(NormalizerTest, EmojiPassThrough) {
  const std::string s = "stay safe \xF0\x9F\x98\x80\xF0\x9F\x91\x8D";
  EXPECT_EQ(n_.fold(s), s);
  EXPECT_EQ(n_.normalise(s), s);
}

TEST_F(NormalizerTest, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(n_.fold("a\xFF"
                    "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(n_.fold("\xC3"), "\xEF\xBF\xBD");  // truncated sequence
  EXPECT_EQ(n_.fold("\xED\xA0\x80x"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");  // surrogate
  EXPECT_EQ(n_.normalise("B\xC0\xAFMB"), "b\xEF\xBF\xBD\xEF\xBF\xBDmb");         // overlong '/'
  EXPECT_EQ(n_.unconfuse("\xFF"), "\xEF\xBF\xBD");
  EXPECT_EQ(Normalizer::join_spaced_letters("a b \xFF"), "a b \xEF\xBF\xBD");
}

TEST_F(NormalizerTest, EmbeddedNulIsKept) {
  const std::string s("a\0B", 3);
  EXPECT_EQ(n_.fold(s), std::string("a\0b", 3));
  EXPECT_EQ(n_.fold(s + "\xC3\xA9"), std::string("a\0b\xC3\xA9", 5));
}

// ---- unconfuse ----

TEST_F(NormalizerTest, CyrillicLookAlikesInLatinWord) {
  // "е" U+0435 and "х" U+0445 are Cyrillic.
  EXPECT_EQ(n_.unconfuse("\xD0\xB5\xD1\x85tremist"), "extremist");
  EXPECT_EQ(n_.normalise("\xD0\xB5\xD1\x85tremist"), "extremist");
}

TEST_F(NormalizerTest, CyrillicCapitalsReadAsLatinCapitals) {
  // "ЕХТRЕМIST" with Cyrillic Е Х Т Е М: folding gives "т" and "м", whose
  // lowercase forms look like no Latin letter; their capitals do.
  EXPECT_EQ(n_.normalise("\xD0\x95\xD0\xA5\xD0\xA2R\xD0\x95\xD0\x9CIST"), "extremist");
}

TEST_F(NormalizerTest, WordsOnlyOfLookAlikesAreMappedWithoutGenuineContext) {
  // "ВОМВ" in Cyrillic capitals, alone or among English words.
  EXPECT_EQ(n_.normalise("\xD0\x92\xD0\x9E\xD0\x9C\xD0\x92"), "bomb");
  EXPECT_EQ(n_.normalise("how to make a \xD0\x92\xD0\x9E\xD0\x9C\xD0\x92"), "how to make a bomb");
  // Mixed words are mapped even next to genuine Russian.
  EXPECT_EQ(n_.normalise("\xD0\xB5\xD1\x85tremist школу"), "extremist школу");
}

TEST_F(NormalizerTest, GreekOmicronAndOthers) {
  EXPECT_EQ(n_.unconfuse("b\xCE\xBFmb"), "bomb");                // ο U+03BF
  EXPECT_EQ(n_.normalise("\xCE\x9F\xCE\x92\xCE\x95Y"), "obey");  // Ο Β Ε Greek capitals
}

TEST_F(NormalizerTest, GenuineCyrillicAndGreekWordsAreLeftAlone) {
  EXPECT_EQ(n_.normalise("привет"), "привет");
  EXPECT_EQ(n_.normalise("Ζήτω η Ελλάδα"), "ζήτω η ελλάδα");
  // Short words made only of look-alikes ("в", "а", "с" in Russian; "η" in
  // Greek) stay when the text has genuine words in that script.
  EXPECT_EQ(n_.normalise("Я иду в школу"), "я иду в школу");
  EXPECT_EQ(n_.normalise("кот и пёс"), "кот и пёс");
  // A mixed word keeps its Cyrillic when one letter has no look-alike.
  EXPECT_EQ(n_.unconfuse("жaбa"), "жaбa");
}

TEST_F(NormalizerTest, OrdinaryLatinIsNeverRewrittenByConfusables) {
  // The confusables skeleton would make "m" -> "rn", "I" -> "l", "0" -> "o".
  EXPECT_EQ(n_.unconfuse("Modern Illinois 2024"), "Modern Illinois 2024");
  EXPECT_EQ(n_.normalise("Zażółć gęślą jaźń"), "zażółć gęślą jaźń");
  EXPECT_EQ(n_.normalise("café naïve"), "café naïve");
}

TEST_F(NormalizerTest, RightToLeftTextIsLeftAlone) {
  const std::string arabic = "\xD8\xA7\xD9\x84\xD9\x84\xD9\x87";  // الله (alef looks like l)
  EXPECT_EQ(n_.normalise(arabic), arabic);
  const std::string urdu = "\xD8\xAE\xD9\x88\xD8\xAF\xDA\xA9\xD8\xB4\xDB\x8C";  // خودکشی
  EXPECT_EQ(n_.normalise(urdu), urdu);
  const std::string hebrew = "\xD7\xA1\xD7\x95\xD7\xA1";  // סוס
  EXPECT_EQ(n_.normalise(hebrew), hebrew);
}

TEST_F(NormalizerTest, ArmenianAndCherokeeLookAlikes) {
  EXPECT_EQ(n_.unconfuse("h\xD6\x85me"), "home");        // Armenian օ
  EXPECT_EQ(n_.normalise("\xE1\x8E\xAAPPLE"), "apple");  // Cherokee Ꭺ
}

// ---- unleet ----

TEST_F(NormalizerTest, UnleetDigitsAndSymbolsInsideWords) {
  EXPECT_EQ(Normalizer::unleet("3xtr3m1st"), "extremist");
  EXPECT_EQ(Normalizer::unleet("b0mb"), "bomb");
  EXPECT_EQ(Normalizer::unleet("h4t3"), "hate");
  EXPECT_EQ(Normalizer::unleet("$ex"), "sex");
  EXPECT_EQ(Normalizer::unleet("cla$$"), "class");
  EXPECT_EQ(Normalizer::unleet("j@ne"), "jane");
  EXPECT_EQ(Normalizer::unleet("k!ll"), "kill");
  EXPECT_EQ(Normalizer::unleet("ki||"), "kill");
  EXPECT_EQ(Normalizer::unleet("7err0r1$7"), "terrorist");
  EXPECT_EQ(Normalizer::unleet("9r8"), "grb");  // table is fixed: 8 is b, never "ate"
}

TEST_F(NormalizerTest, UnleetLeavesNumbersAlone) {
  EXPECT_EQ(Normalizer::unleet("in 2024 port 443 costs $100"), "in 2024 port 443 costs $100");
  EXPECT_EQ(Normalizer::unleet("10.0.0.1:8080"), "10.0.0.1:8080");
  EXPECT_EQ(Normalizer::unleet("01234 567890"), "01234 567890");
}

TEST_F(NormalizerTest, UnleetKeepsSentencePunctuation) {
  EXPECT_EQ(Normalizer::unleet("hello! wow!! stop!"), "hello! wow!! stop!");
  EXPECT_EQ(Normalizer::unleet("a | b"), "a | b");
}

TEST_F(NormalizerTest, UnleetOnlyTouchesAscii) {
  EXPECT_EQ(Normalizer::unleet("2024年"), "2024年");
  EXPECT_EQ(Normalizer::unleet("żó3"), "żó3");  // no ASCII letter in the token
}

TEST_F(NormalizerTest, UnleetKnownCollateral) {
  // Documented: alphanumeric codes get rewritten too. Harmless for matching
  // because lists hold words, not "mpe".
  EXPECT_EQ(Normalizer::unleet("mp3"), "mpe");
}

// ---- join_spaced_letters ----

TEST_F(NormalizerTest, JoinSpacedLetters) {
  EXPECT_EQ(Normalizer::join_spaced_letters("b o m b"), "bomb");
  EXPECT_EQ(Normalizer::join_spaced_letters("b.o.m.b"), "bomb");
  EXPECT_EQ(Normalizer::join_spaced_letters("b-o-m-b"), "bomb");
  EXPECT_EQ(Normalizer::join_spaced_letters("b_o_m_b"), "bomb");
  EXPECT_EQ(Normalizer::join_spaced_letters("b*o*m*b"), "bomb");
  EXPECT_EQ(Normalizer::join_spaced_letters("b\xC2\xB7o\xC2\xB7m\xC2\xB7"
                                            "b"),
            "bomb");
  EXPECT_EQ(Normalizer::join_spaced_letters("b. o. m. b."), "bomb.");
  EXPECT_EQ(Normalizer::join_spaced_letters("how to make a b o m b now"), "how to make a bomb now");
}

TEST_F(NormalizerTest, JoinKeepsLeadingEnglishAOrI) {
  EXPECT_EQ(Normalizer::join_spaced_letters("i h a t e"), "i hate");
  EXPECT_EQ(Normalizer::join_spaced_letters("a s s"), "ass");
  EXPECT_EQ(Normalizer::join_spaced_letters("a 1 2 3"), "a 1 2 3");
}

TEST_F(NormalizerTest, JoinRunKeepsOneSeparator) {
  EXPECT_EQ(Normalizer::join_spaced_letters("s-3-l-f h-4-r-m"), "s3lf h4rm");
  EXPECT_EQ(Normalizer::join_spaced_letters("b o m b  n o w"), "bomb  now");
}

TEST_F(NormalizerTest, JoinNeedsThreeSingleLetters) {
  EXPECT_EQ(Normalizer::join_spaced_letters("u.s. army"), "u.s. army");
  EXPECT_EQ(Normalizer::join_spaced_letters("a b"), "a b");
  EXPECT_EQ(Normalizer::join_spaced_letters("a b c"), "abc");  // policy: three is a run
}

TEST_F(NormalizerTest, JoinLeavesRealSentencesAlone) {
  for (const char* s :
       {"i am a student", "i think i am a good person", "is it a dog", "page 1 of 2",
        "call 0 8 0 0 now", "version 1.2.3", "e-mail and t-shirt", "well - i - think"}) {
    EXPECT_EQ(Normalizer::join_spaced_letters(s), s) << s;
  }
}

TEST_F(NormalizerTest, JoinCountsLeetDigitsAndNonLatinLetters) {
  EXPECT_EQ(Normalizer::join_spaced_letters("b 0 m b"), "b0mb");
  EXPECT_EQ(Normalizer::join_spaced_letters("$ e x"), "$ex");
  EXPECT_EQ(Normalizer::join_spaced_letters("ż ó ł w"), "żółw");
}

// ---- normalise: the whole chain ----

TEST_F(NormalizerTest, NormaliseChainsAllSteps) {
  EXPECT_EQ(n_.normalise("3XTR3M1ST"), "extremist");
  EXPECT_EQ(n_.normalise("B 0 M B"), "bomb");
  EXPECT_EQ(n_.normalise("b.0.m.b"), "bomb");
  EXPECT_EQ(n_.normalise("Ｋ１ＬＬ"), "kill");
  EXPECT_EQ(n_.normalise("\xD0\xB5\xD1\x85tr3m\xD1\x96st"), "extremist");  // Cyrillic е х і + leet
  EXPECT_EQ(n_.normalise("S-3-L-F H-4-R-M"), "self harm");
}

TEST_F(NormalizerTest, NormaliseLeavesOrdinaryTextReadable) {
  EXPECT_EQ(n_.normalise("Meet me at 10:30 on 12.05.2024, room 101!"),
            "meet me at 10:30 on 12.05.2024, room 101!");
  EXPECT_EQ(n_.normalise(""), "");
}

TEST_F(NormalizerTest, NormaliseIsIdempotentOnItsOutput) {
  for (const char* s : {"3xtr3m1st", "b o m b", "ＥＸＴＲＥＭＩＳＴ", "Straße", "\xC4\xB0STANBUL",
                        "\xD0\xB5\xD1\x85tremist", "hello! 2024"}) {
    const std::string once = n_.normalise(s);
    EXPECT_EQ(n_.normalise(once), once) << s;
  }
}

TEST_F(NormalizerTest, SeparateInstancesAgree) {
  Normalizer other;
  EXPECT_EQ(other.normalise("\xD0\xB5\xD1\x85tr3m1st"), n_.normalise("\xD0\xB5\xD1\x85tr3m1st"));
}

// ---- percent_decode ----

TEST(PercentDecode, DecodesEscapesAndPlus) {
  EXPECT_EQ(percent_decode("a%20b+c", true), "a b c");
  EXPECT_EQ(percent_decode("a%20b+c", false), "a b+c");
  EXPECT_EQ(percent_decode("%C5%BC%c3%b3", false), "\xC5\xBC\xC3\xB3");
}

TEST(PercentDecode, KeepsInvalidEscapes) {
  EXPECT_EQ(percent_decode("100%", true), "100%");
  EXPECT_EQ(percent_decode("%4", true), "%4");
  EXPECT_EQ(percent_decode("%zz%4g", true), "%zz%4g");
  EXPECT_EQ(percent_decode("%%41", true), "%A");
  EXPECT_EQ(percent_decode("%00", true), std::string(1, '\0'));
}

}  // namespace
}  // namespace vigil::rules
