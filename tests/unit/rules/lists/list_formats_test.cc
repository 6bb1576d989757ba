#include "rules/lists/list_formats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> domains_of(const DomainList& l) {
  std::vector<std::string> out;
  for (const auto& e : l.entries) out.push_back((e.allow ? "@" : "") + e.domain);
  return out;
}

std::string reason_for(std::string_view line) {
  const auto l = parse_domain_list(line, "t");
  if (l.diag.first_invalid.empty()) return "<accepted>";
  return l.diag.first_invalid[0].reason;
}

// ------------------------------------------------------------ domains: plain

TEST(DomainList, PlainOnePerLineLowercasedTrailingDotStripped) {
  const auto l = parse_domain_list("Example.COM\nsub.example.org.\n  spaced.net\t\n", "p");
  EXPECT_THAT(domains_of(l), ElementsAre("example.com", "sub.example.org", "spaced.net"));
  EXPECT_EQ(l.diag.accepted, 3u);
  EXPECT_EQ(l.diag.invalid, 0u);
  EXPECT_EQ(l.diag.path, "p");
  EXPECT_EQ(l.entries[1].line, 2u);
}

TEST(DomainList, CommentsAndBlankLinesAreSkipped) {
  const auto l = parse_domain_list(
      "# hash\n! bang\n; semi\n[Adblock Plus 2.0]\n\n   \na.com # trailing\n", "p");
  EXPECT_THAT(domains_of(l), ElementsAre("a.com"));
  EXPECT_EQ(l.diag.skipped, 6u);
  EXPECT_EQ(l.diag.invalid, 0u);
}

TEST(DomainList, BomOnFirstLineAndCrlf) {
  const auto l = parse_domain_list(
      "\xEF\xBB\xBF"
      "a.com\r\nb.com\r\n",
      "p");
  EXPECT_THAT(domains_of(l), ElementsAre("a.com", "b.com"));
  // The BOM is removed before the comment test on line 1.
  const auto comment = parse_domain_list("\xEF\xBB\xBF# title\na.com\n", "p");
  EXPECT_EQ(comment.diag.skipped, 1u);
  EXPECT_EQ(comment.diag.invalid, 0u);
  // Later, U+FEFF is not a BOM: "# x" after it is no comment, and '#' is no name.
  const auto later = parse_domain_list("a.com\n\xEF\xBB\xBF# x\n", "p");
  EXPECT_EQ(later.diag.invalid, 1u);
}

TEST(DomainList, IdnToPunycode) {
  const auto l = parse_domain_list("bücher.de\nBÜCHER.example\nxn--bcher-kva.de\n", "p");
  EXPECT_THAT(domains_of(l), ElementsAre("xn--bcher-kva.de", "xn--bcher-kva.example"));
  EXPECT_EQ(l.diag.duplicate, 1u);  // the punycode spelling of the first
  std::string reason;
  EXPECT_EQ(normalise_domain("пример.рф", reason), "xn--e1afmkfd.xn--p1ai");
  // Non-transitional: ß stays (not "ss").
  EXPECT_EQ(normalise_domain("faß.de", reason), "xn--fa-hia.de");
}

TEST(DomainList, InvalidUtf8IsRejected) {
  EXPECT_EQ(reason_for("b\xFF"
                       "cher.de"),
            "not valid UTF-8");
  EXPECT_EQ(reason_for("\xC0\xAF.com"), "not valid UTF-8");  // overlong
}

TEST(DomainList, LabelLimits) {
  const std::string l63(63, 'a');
  const std::string l64(64, 'a');
  EXPECT_EQ(reason_for(l63 + ".com"), "<accepted>");
  EXPECT_EQ(reason_for(l64 + ".com"), "label longer than 63 bytes");
  // 253 bytes total is the limit.
  std::string n253 = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  ASSERT_EQ(n253.size(), 253u);
  EXPECT_EQ(reason_for(n253), "<accepted>");
  EXPECT_EQ(reason_for(n253 + "."), "<accepted>");  // trailing dot does not count
  EXPECT_EQ(reason_for("c" + n253), "name longer than 253 bytes");
  EXPECT_EQ(reason_for("a..com"), "empty label (leading dot or two dots in a row)");
  EXPECT_EQ(reason_for(".a.com"), "empty label (leading dot or two dots in a row)");
  EXPECT_EQ(reason_for("-a.com"), "label starts or ends with '-'");
  EXPECT_EQ(reason_for("a-.com"), "label starts or ends with '-'");
  EXPECT_EQ(reason_for("a-b.c-d.com"), "<accepted>");
  EXPECT_EQ(reason_for("_dmarc.a.com"), "<accepted>");  // Pi-hole allows '_'
  EXPECT_EQ(reason_for("a$b.com"), "character '$' not allowed in a domain name");
  EXPECT_THAT(reason_for("a\x01"
                         "b.com"),
              HasSubstr("byte 0x01"));
  EXPECT_THAT(reason_for("*.a.com"), HasSubstr("wildcards"));
}

TEST(DomainList, IpAddressAloneIsInvalid) {
  EXPECT_EQ(reason_for("1.2.3.4"), "an IP address, not a domain");
  EXPECT_EQ(reason_for("0.0.0.0"), "an IP address, not a domain");
  EXPECT_EQ(reason_for("::1"), "an IP address, not a domain");
}

TEST(DomainList, SingleLabelOnlyThroughAdblock) {
  EXPECT_THAT(reason_for("com"), HasSubstr("single label"));
  EXPECT_EQ(reason_for("||zip^"), "<accepted>");
}

TEST(DomainList, TextAfterPlainDomainIsInvalid) {
  EXPECT_THAT(reason_for("a.com b.com"), HasSubstr("unexpected text"));
}

// ------------------------------------------------------------ domains: hosts

TEST(DomainList, HostsLinesWithSeveralNamesAndAddresses) {
  const auto l = parse_domain_list(
      "0.0.0.0 a.com b.com # comment\n"
      "127.0.0.1\tc.com\n"
      "::1 d.com\n"
      ":: e.com\n"
      "0:0:0:0:0:0:0:0 f.com\n"
      "0.0.0.0 G.com.\n",
      "h");
  EXPECT_THAT(domains_of(l),
              ElementsAre("a.com", "b.com", "c.com", "d.com", "e.com", "f.com", "g.com"));
  EXPECT_EQ(l.diag.invalid, 0u);
  EXPECT_EQ(l.entries[1].line, 1u);
}

TEST(DomainList, HostsPlaceholderNamesAreSkippedNotInvalid) {
  const auto l = parse_domain_list(
      "127.0.0.1 localhost\n"
      "127.0.0.1 localhost.localdomain\n"
      "255.255.255.255 broadcasthost\n"
      "::1 ip6-localhost ip6-loopback\n"
      "fe80::1%lo0 x.com\n"
      "0.0.0.0 local\n"
      "0.0.0.0 0.0.0.0\n",
      "h");
  EXPECT_EQ(l.diag.invalid, 1u);  // "fe80::1%lo0" is not an address inet_pton reads
  EXPECT_EQ(l.diag.accepted, 0u);
  EXPECT_EQ(l.diag.skipped, 7u);
}

TEST(DomainList, HostsLineWithBadNameCountsOnlyThatName) {
  const auto l = parse_domain_list("0.0.0.0 good.com bad..com also.com\n", "h");
  EXPECT_THAT(domains_of(l), ElementsAre("good.com", "also.com"));
  EXPECT_EQ(l.diag.invalid, 1u);
}

// ------------------------------------------------------------ domains: AdBlock

TEST(DomainList, AdblockBlockAndAllow) {
  const auto l = parse_domain_list(
      "||ads.example.com^\n"
      "@@||ok.example.com^\n"
      "||imp.com^$important\n"
      "||tp.com^$third-party\n"
      "||both.com^$important,third-party\n"
      "||nocaret.com\n"
      "||pipe.com^|\n",
      "a");
  EXPECT_THAT(domains_of(l), ElementsAre("ads.example.com", "@ok.example.com", "imp.com", "tp.com",
                                         "both.com", "nocaret.com", "pipe.com"));
  EXPECT_TRUE(l.entries[1].allow);
  EXPECT_EQ(l.diag.invalid, 0u);
}

TEST(DomainList, AdblockRulesADnsListCannotApplyAreInvalid) {
  EXPECT_EQ(reason_for("||ex*ample.com^"), "wildcard rules cannot be applied to a DNS list");
  EXPECT_EQ(reason_for("||a.com/path"), "rule has a path; a DNS list matches names only");
  EXPECT_EQ(reason_for("||a.com:8080^"), "rule has a port; a DNS list matches names only");
  EXPECT_THAT(reason_for("||a.com^$dnstype=AAAA"), HasSubstr("'$dnstype=aaaa' is not supported"));
  EXPECT_THAT(reason_for("||a.com^$badfilter"), HasSubstr("'$badfilter'"));
  EXPECT_THAT(reason_for("||a.com^$script"), HasSubstr("'$script'"));
  EXPECT_EQ(reason_for("||a.com^$"), "empty AdBlock option after '$'");
  EXPECT_THAT(reason_for("|http://a.com/"), HasSubstr("must start with '||'"));
  EXPECT_THAT(reason_for("/ads[0-9]+/"), HasSubstr("character '/'"));
  EXPECT_THAT(reason_for("@@/re/"), HasSubstr("regex"));
  EXPECT_THAT(reason_for("||a^b.com^"), HasSubstr("separator"));
}

TEST(DomainList, CosmeticRulesAreSkipped) {
  const auto l = parse_domain_list(
      "example.com##.ad-banner\nexample.com#@#.ad\nexample.com#?#div:has(a)\n##.global\n", "a");
  EXPECT_TRUE(l.entries.empty());
  EXPECT_EQ(l.diag.skipped, 4u);
  EXPECT_EQ(l.diag.invalid, 0u);
}

TEST(DomainList, DuplicatesSameDomainAndFlagFirstKept) {
  const auto l = parse_domain_list(
      "a.com\n||a.com^\n0.0.0.0 a.com\nA.COM.\n@@||a.com^\n@@||a.com^\nb.com\n", "d");
  EXPECT_THAT(domains_of(l), ElementsAre("a.com", "@a.com", "b.com"));
  EXPECT_EQ(l.entries[0].line, 1u);
  EXPECT_EQ(l.entries[1].line, 5u);
  EXPECT_EQ(l.diag.accepted, 3u);
  EXPECT_EQ(l.diag.duplicate, 4u);
}

TEST(DomainList, FirstTenInvalidLinesReportedWithNumberTextReason) {
  std::string text;
  for (int i = 1; i <= 15; ++i) text += "bad" + std::to_string(i) + "..com\n";
  text += "good.com\n";
  const auto l = parse_domain_list(text, "list.txt");
  EXPECT_EQ(l.diag.invalid, 15u);
  ASSERT_EQ(l.diag.first_invalid.size(), ListDiagnostics::kMaxReportedInvalid);
  EXPECT_EQ(l.diag.first_invalid[0].line, 1u);
  EXPECT_EQ(l.diag.first_invalid[0].text, "bad1..com");
  EXPECT_EQ(l.diag.first_invalid[0].file, "list.txt");
  EXPECT_EQ(l.diag.first_invalid[9].line, 10u);
  EXPECT_EQ(l.diag.accepted, 1u);
}

TEST(DomainList, RejectedTextIsTruncatedTo200Bytes) {
  const auto l = parse_domain_list(std::string(300, 'x') + "$", "p");
  ASSERT_EQ(l.diag.first_invalid.size(), 1u);
  EXPECT_EQ(l.diag.first_invalid[0].text.size(), 200u);
}

TEST(DomainList, OverlongLineIsInvalidNotParsed) {
  const std::string text = "a.com\n" + std::string(70 * 1024, 'a') + "\nb.com\n";
  const auto l = parse_domain_list(text, "p");
  EXPECT_THAT(domains_of(l), ElementsAre("a.com", "b.com"));
  ASSERT_EQ(l.diag.invalid, 1u);
  EXPECT_EQ(l.diag.first_invalid[0].line, 2u);
  EXPECT_EQ(l.diag.first_invalid[0].reason, "line longer than 65536 bytes");
}

TEST(DomainList, NoTrailingNewlineAndEmptyInput) {
  EXPECT_THAT(domains_of(parse_domain_list("a.com", "p")), ElementsAre("a.com"));
  const auto empty = parse_domain_list("", "p");
  EXPECT_TRUE(empty.entries.empty());
  EXPECT_EQ(empty.diag.skipped + empty.diag.invalid, 0u);
}

TEST(DomainList, RandomBytesNeverCrash) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 200; ++round) {
    std::string s(rng() % 400, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    const auto l = parse_domain_list(s, "r");
    EXPECT_LE(l.diag.first_invalid.size(), ListDiagnostics::kMaxReportedInvalid);
  }
}

// ------------------------------------------------------------ URLs

TEST(UrlList, SchemePortUserinfoAndFragmentDropped) {
  const auto l = parse_url_list(
      "example.com/path/page.html\n"
      "http://Example.ORG/A/B\n"
      "https://x.example.net:8443/q?x=1#frag\n"
      "HTTPS://user:pw@bücher.de/\n"
      "plain.example\n"
      "1.2.3.4/img.jpg\n"
      "http://[2001:DB8::1]:80/v6\n",
      "u");
  ASSERT_EQ(l.entries.size(), 7u);
  EXPECT_EQ(l.entries[0].host, "example.com");
  EXPECT_EQ(l.entries[0].path_prefix, "/path/page.html");
  EXPECT_EQ(l.entries[1].host, "example.org");
  EXPECT_EQ(l.entries[1].path_prefix, "/A/B");  // case kept in the path
  EXPECT_EQ(l.entries[2].host, "x.example.net");
  EXPECT_EQ(l.entries[2].path_prefix, "/q?x=1");
  EXPECT_EQ(l.entries[3].host, "xn--bcher-kva.de");
  EXPECT_EQ(l.entries[3].path_prefix, "/");
  EXPECT_EQ(l.entries[4].path_prefix, "/");
  EXPECT_EQ(l.entries[5].host, "1.2.3.4");
  EXPECT_EQ(l.entries[6].host, "2001:db8::1");
  EXPECT_EQ(l.entries[6].path_prefix, "/v6");
  EXPECT_EQ(l.entries[6].line, 7u);
}

TEST(UrlList, CommentsDuplicatesAndInvalid) {
  const auto l = parse_url_list(
      "\xEF\xBB\xBF# header\r\n"
      "a.com/x # note\r\n"
      "http://a.com/x\r\n"
      "a.com/X\r\n"
      "ftp://a.com/x\r\n"
      "a.com:99999/x\r\n"
      "bad..com/x\r\n"
      "a.com/x extra\r\n"
      "://nohost\r\n",
      "u");
  EXPECT_EQ(l.diag.skipped, 1u);
  EXPECT_EQ(l.diag.accepted, 2u);
  EXPECT_EQ(l.diag.duplicate, 1u);
  EXPECT_EQ(l.diag.invalid, 5u);
  ASSERT_GE(l.diag.first_invalid.size(), 4u);
  EXPECT_THAT(l.diag.first_invalid[0].reason, HasSubstr("not http or https"));
  EXPECT_THAT(l.diag.first_invalid[1].reason, HasSubstr("port"));
  EXPECT_THAT(l.diag.first_invalid[2].reason, HasSubstr("empty label"));
  EXPECT_THAT(l.diag.first_invalid[3].reason, HasSubstr("unexpected text"));
  EXPECT_EQ(l.diag.first_invalid[3].line, 8u);
}

// ------------------------------------------------------------ regexes, keywords

TEST(RegexList, OnePatternPerLineNotCompiled) {
  const auto l =
      parse_regex_list("# c\n^ad[0-9]+\\.\n\n  (a|b)+  \n^ad[0-9]+\\.\n[unclosed\nx\xFFy\n", "r");
  ASSERT_EQ(l.entries.size(), 3u);
  EXPECT_EQ(l.entries[0].pattern, "^ad[0-9]+\\.");
  EXPECT_EQ(l.entries[1].pattern, "(a|b)+");
  EXPECT_EQ(l.entries[2].pattern, "[unclosed");  // Hyperscan reports it later
  EXPECT_EQ(l.entries[2].line, 6u);
  EXPECT_EQ(l.diag.duplicate, 1u);
  EXPECT_EQ(l.diag.invalid, 1u);
  EXPECT_EQ(l.diag.skipped, 2u);
}

TEST(KeywordList, Utf8AnyLanguageTrimmedInvalidRejected) {
  const auto l = parse_keyword_list(
      "\xEF\xBB\xBF  casino \r\n# comment\n\nазартные "
      "игры\n赌博\ncasino\nbad\xC3\n\xED\xA0\x80x\na\x01b\n",
      "k");
  ASSERT_EQ(l.entries.size(), 3u);
  EXPECT_EQ(l.entries[0].text, "casino");
  EXPECT_EQ(l.entries[1].text, "азартные игры");
  EXPECT_EQ(l.entries[2].text, "赌博");
  EXPECT_EQ(l.entries[2].line, 5u);
  EXPECT_EQ(l.diag.duplicate, 1u);
  EXPECT_EQ(l.diag.invalid, 3u);  // truncated sequence, surrogate, control char
  EXPECT_EQ(l.diag.first_invalid[0].reason, "keyword is not valid UTF-8");
  EXPECT_EQ(l.diag.first_invalid[1].reason, "keyword is not valid UTF-8");
  EXPECT_EQ(l.diag.skipped, 2u);
}

// ------------------------------------------------------------ e2guardian phrases

struct Files {
  std::map<std::string, std::string> files;
  FileReader reader() const {
    return [this](const std::string& p) -> std::optional<std::string> {
      auto it = files.find(p);
      if (it == files.end()) return std::nullopt;
      return it->second;
    };
  }
};

PhraseList load_one(const std::string& text) {
  Files f;
  f.files["/l/top"] = text;
  return load_phrase_list("/l/top", f.reader());
}

TEST(PhraseList, BannedWeightedAndNegative) {
  const auto l = load_one("<casino>\n<poker><40>\n<news><-20>\n< roulette ><+30>\n");
  ASSERT_EQ(l.entries.size(), 4u);
  EXPECT_TRUE(l.entries[0].banned);
  EXPECT_EQ(l.entries[0].weight, 0);
  EXPECT_EQ(l.entries[0].terms[0].text, "casino");
  EXPECT_FALSE(l.entries[1].banned);
  EXPECT_EQ(l.entries[1].weight, 40);
  EXPECT_EQ(l.entries[2].weight, -20);
  EXPECT_EQ(l.entries[3].weight, 30);
  EXPECT_EQ(l.entries[3].line, 4u);
  EXPECT_EQ(l.entries[3].file, "/l/top");
  EXPECT_TRUE(l.error.empty());
}

TEST(PhraseList, BoundaryForms) {
  const auto l = load_one("< word >\n< wor>\n<ord >\n<inside>\n< snake eyes >\n");
  ASSERT_EQ(l.entries.size(), 5u);
  EXPECT_EQ(l.entries[0].terms[0].boundary, PhraseBoundary::Whole);
  EXPECT_EQ(l.entries[0].terms[0].text, "word");
  EXPECT_EQ(l.entries[1].terms[0].boundary, PhraseBoundary::WordStart);
  EXPECT_EQ(l.entries[1].terms[0].text, "wor");
  EXPECT_EQ(l.entries[2].terms[0].boundary, PhraseBoundary::WordEnd);
  EXPECT_EQ(l.entries[2].terms[0].text, "ord");
  EXPECT_EQ(l.entries[3].terms[0].boundary, PhraseBoundary::None);
  EXPECT_EQ(l.entries[4].terms[0].text, "snake eyes");  // inner space kept
}

TEST(PhraseList, Combinations) {
  const auto l = load_one("< bet >,<poker><40>\n<a>,<b>,< c ><-5>\n<x>,<y>\n<p> , <q> <10>\n");
  ASSERT_EQ(l.entries.size(), 4u);
  ASSERT_EQ(l.entries[0].terms.size(), 2u);
  EXPECT_EQ(l.entries[0].terms[0].boundary, PhraseBoundary::Whole);
  EXPECT_EQ(l.entries[0].terms[1].text, "poker");
  EXPECT_EQ(l.entries[0].weight, 40);
  ASSERT_EQ(l.entries[1].terms.size(), 3u);
  EXPECT_EQ(l.entries[1].weight, -5);
  EXPECT_EQ(l.entries[1].terms[2].boundary, PhraseBoundary::Whole);
  EXPECT_TRUE(l.entries[2].banned);  // banned combination
  EXPECT_EQ(l.entries[2].terms.size(), 2u);
  EXPECT_EQ(l.entries[3].weight, 10);
}

TEST(PhraseList, CommentsCategoryAndTrailingComments) {
  const auto l = load_one(
      "\xEF\xBB\xBF#listcategory: \"Gambling\"\r\n# note\r\n\r\n<情色><40> "
      "#erotica\r\n<x><5>#c\r\n");
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_EQ(l.entries[0].terms[0].text, "情色");
  EXPECT_EQ(l.entries[0].list_category, "Gambling");
  EXPECT_EQ(l.entries[1].weight, 5);
  EXPECT_EQ(l.diag.skipped, 3u);
  EXPECT_EQ(l.diag.invalid, 0u);
}

TEST(PhraseList, MalformedLinesInvalidWithReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"<unclosed", "missing '>'"},
      {"<>", "empty phrase"},
      {"< >", "empty phrase"},
      {"<a><b>", "whole number"},
      {"<a><10%>", "percentage"},
      {"<a><0>", "weight 0"},
      {"<a><99999999999>", "out of range"},
      {"<a><10>x", "after the weight"},
      {"<a>junk", "unexpected text after '>'"},
      {"<a>,", "ends with ','"},
      {"<a<b>", "'<' inside"},
      {"plain words", "expected '<phrase>'"},
      {".Exclude<x>", "unknown directive"},
      {".Include<x", "missing '>'"},
      {".Include<>", "empty file name"},
      {"<bad\xFF>", "UTF-8"},
      {"<" + std::string(300, 'a') + ">", "longer than 255"},
  };
  for (const auto& [line, want] : cases) {
    const auto l = load_one("<ok>\n" + line + "\n");
    EXPECT_EQ(l.entries.size(), 1u) << line;
    ASSERT_EQ(l.diag.first_invalid.size(), 1u) << line;
    EXPECT_THAT(l.diag.first_invalid[0].reason, HasSubstr(want)) << line;
    EXPECT_EQ(l.diag.first_invalid[0].line, 2u);
    EXPECT_EQ(l.diag.first_invalid[0].file, "/l/top");
    EXPECT_TRUE(l.error.empty()) << line;
  }
}

TEST(PhraseList, IncludeRelativeAndAbsoluteWithFileAndLine) {
  Files f;
  f.files["/lists/weighted"] = "<top><10>\n.Include<sub/gambling>\n.include</abs/other>\n";
  f.files["/lists/sub/gambling"] = "#listcategory: \"Gambling\"\n< casino ><30>\nbroken\n";
  f.files["/abs/other"] = "<other>\n";
  const auto l = load_phrase_list("/lists/weighted", f.reader());
  EXPECT_TRUE(l.error.empty()) << l.error;
  ASSERT_EQ(l.entries.size(), 3u);
  EXPECT_EQ(l.entries[1].file, "/lists/sub/gambling");
  EXPECT_EQ(l.entries[1].line, 2u);
  EXPECT_EQ(l.entries[1].list_category, "Gambling");
  EXPECT_EQ(l.entries[0].list_category, "");
  EXPECT_EQ(l.entries[2].file, "/abs/other");
  EXPECT_EQ(l.diag.accepted, 3u);
  EXPECT_EQ(l.diag.invalid, 1u);  // included files add their counts
  ASSERT_EQ(l.diag.first_invalid.size(), 1u);
  EXPECT_EQ(l.diag.first_invalid[0].file, "/lists/sub/gambling");
  EXPECT_EQ(l.diag.first_invalid[0].line, 3u);
  EXPECT_EQ(l.diag.path, "/lists/weighted");
}

TEST(PhraseList, IncludeLoopIsFatalAndNamesTheFile) {
  Files f;
  f.files["/l/a"] = "<a>\n.Include<b>\n";
  f.files["/l/b"] = ".Include<./a>\n";
  const auto l = load_phrase_list("/l/a", f.reader());
  EXPECT_THAT(l.error, HasSubstr("include loop"));
  EXPECT_THAT(l.error, HasSubstr("/l/a"));
  EXPECT_THAT(l.error, HasSubstr("/l/b"));
  Files self;
  self.files["/l/s"] = ".Include</l/s>\n";
  EXPECT_THAT(load_phrase_list("/l/s", self.reader()).error, HasSubstr("include loop"));
}

TEST(PhraseList, IncludeDepthLimit) {
  Files f;
  for (int i = 0; i < 9; ++i) {
    f.files["/d/" + std::to_string(i)] =
        "<p" + std::to_string(i) + ">\n.Include<" + std::to_string(i + 1) + ">\n";
  }
  f.files["/d/9"] = "<p9>\n";
  // 0 includes 1 ... 8 includes 9: nine levels below the top is too deep.
  const auto deep = load_phrase_list("/d/0", f.reader());
  EXPECT_THAT(deep.error, HasSubstr("/d/9"));
  EXPECT_THAT(deep.error, HasSubstr("more than 8 deep"));
  // Eight levels below the top is allowed.
  f.files["/d/8"] = "<p8>\n";
  const auto ok = load_phrase_list("/d/0", f.reader());
  EXPECT_TRUE(ok.error.empty()) << ok.error;
  EXPECT_EQ(ok.entries.size(), 9u);
}

TEST(PhraseList, UnreadableFilesAreFatal) {
  Files f;
  f.files["/l/top"] = ".Include<missing>\n";
  const auto l = load_phrase_list("/l/top", f.reader());
  EXPECT_THAT(l.error, HasSubstr("/l/missing: cannot read"));
  EXPECT_THAT(l.error, HasSubstr("/l/top:1"));
  EXPECT_THAT(load_phrase_list("/nope", f.reader()).error, HasSubstr("/nope"));
}

TEST(PhraseList, DiamondIncludesAreNotLoops) {
  Files f;
  f.files["/l/top"] = ".Include<a>\n.Include<b>\n";
  f.files["/l/a"] = ".Include<common>\n";
  f.files["/l/b"] = ".Include<common>\n";
  f.files["/l/common"] = "<x>\n";
  const auto l = load_phrase_list("/l/top", f.reader());
  EXPECT_TRUE(l.error.empty()) << l.error;
  EXPECT_EQ(l.entries.size(), 2u);
}

TEST(PhraseList, IncludeFanOutIsBounded) {
  Files f;
  std::string fan;
  for (int i = 0; i < 8; ++i) fan += ".Include<n>\n";
  f.files["/l/top"] = ".Include<n>\n";
  f.files["/l/n"] = "<x>\n.Include<m>\n";
  f.files["/l/m"] = fan + "<y>\n";  // m includes n eight times, n includes m: a loop
  EXPECT_THAT(load_phrase_list("/l/top", f.reader()).error, HasSubstr("include loop"));
  // Without a loop, 8 includes per file over 8 levels would be 8^8 reads.
  Files g;
  for (int d = 0; d < 9; ++d) {
    std::string body = "<p>\n";
    if (d < 8) {
      for (int i = 0; i < 8; ++i) body += ".Include<" + std::to_string(d + 1) + ">\n";
    }
    g.files["/g/" + std::to_string(d)] = body;
  }
  const auto l = load_phrase_list("/g/0", g.reader());
  EXPECT_THAT(l.error, HasSubstr("more than 1000 files"));
}

// ------------------------------------------------------------ files, UT1

class ListFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil_lists_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) {
    const auto p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(ListFilesTest, ReadTextFile) {
  write("f", std::string("a\0b", 3));
  EXPECT_EQ(read_text_file((dir_ / "f").string()), std::string("a\0b", 3));
  EXPECT_FALSE(read_text_file((dir_ / "missing").string()).has_value());
  EXPECT_FALSE(read_text_file(dir_.string()).has_value());
}

TEST_F(ListFilesTest, PhraseListFromDisk) {
  write("phrases/weighted", ".Include<gambling/weighted>\n");
  write("phrases/gambling/weighted", "< casino ><30>\n");
  const auto l = load_phrase_list((dir_ / "phrases/weighted").string(), read_text_file);
  EXPECT_TRUE(l.error.empty()) << l.error;
  ASSERT_EQ(l.entries.size(), 1u);
  EXPECT_EQ(l.entries[0].weight, 30);
}

TEST_F(ListFilesTest, Ut1TreeSortedDomainsAndUrls) {
  write("gambling/domains", "casino.example\nbad..x\n");
  write("gambling/urls", "example.com/poker\n");
  write("adult/domains", "a.example\n");
  write("phishing/urls", "p.example/login\n");
  write("empty/usage", "black\n");  // no domains or urls: not a category
  write("README", "not a folder\n");
  std::string error;
  const auto tree = load_ut1_tree(dir_.string(), error);
  EXPECT_TRUE(error.empty()) << error;
  ASSERT_EQ(tree.size(), 3u);
  EXPECT_EQ(tree[0].folder, "adult");
  EXPECT_EQ(tree[1].folder, "gambling");
  EXPECT_EQ(tree[2].folder, "phishing");
  ASSERT_TRUE(tree[1].domains.has_value());
  EXPECT_EQ(tree[1].domains->entries.size(), 1u);
  EXPECT_EQ(tree[1].domains->diag.invalid, 1u);
  EXPECT_EQ(tree[1].domains->diag.path, (dir_ / "gambling/domains").string());
  ASSERT_TRUE(tree[1].urls.has_value());
  EXPECT_EQ(tree[1].urls->entries[0].path_prefix, "/poker");
  EXPECT_FALSE(tree[0].urls.has_value());
  EXPECT_FALSE(tree[2].domains.has_value());
}

TEST_F(ListFilesTest, Ut1TreeMissingDirIsAnError) {
  std::string error;
  const auto tree = load_ut1_tree((dir_ / "nope").string(), error);
  EXPECT_TRUE(tree.empty());
  EXPECT_THAT(error, HasSubstr("nope"));
}

}  // namespace
}  // namespace vigil::rules
