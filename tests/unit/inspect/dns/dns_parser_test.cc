#include "inspect/dns/dns_parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace vigil::inspect {
namespace {

using Buf = std::vector<std::uint8_t>;

void put16(Buf& b, std::size_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void append(Buf& b, const Buf& more) { b.insert(b.end(), more.begin(), more.end()); }

Buf header(std::uint16_t flags, std::size_t qd, std::size_t an = 0, std::size_t ns = 0,
           std::size_t ar = 0) {
  Buf b;
  put16(b, 0xbeef);
  put16(b, flags);
  put16(b, qd);
  put16(b, an);
  put16(b, ns);
  put16(b, ar);
  return b;
}

// Uncompressed name from labels given as strings (bytes taken as is).
Buf name(std::initializer_list<std::string> labels) {
  Buf b;
  for (const std::string& l : labels) {
    b.push_back(static_cast<std::uint8_t>(l.size()));
    b.insert(b.end(), l.begin(), l.end());
  }
  b.push_back(0);
  return b;
}

Buf pointer(std::size_t offset) {
  return {static_cast<std::uint8_t>(0xc0 | (offset >> 8)), static_cast<std::uint8_t>(offset)};
}

Buf question(const Buf& qname, std::uint16_t type = 1) {
  Buf b = qname;
  put16(b, type);
  put16(b, 1);
  return b;
}

Buf record(const Buf& owner, std::uint16_t type, const Buf& rdata) {
  Buf b = owner;
  put16(b, type);
  put16(b, 1);
  put16(b, 0);
  put16(b, 60);
  put16(b, rdata.size());
  append(b, rdata);
  return b;
}

DnsParseResult parse(const Buf& b) { return parse_dns_message(Bytes(b.data(), b.size())); }

constexpr std::uint16_t kQuery = 0x0100;
constexpr std::uint16_t kResponse = 0x8180;

TEST(DnsParser, QueryNameIsLowercasedWithoutTrailingDot) {
  Buf m = header(kQuery, 1);
  append(m, question(name({"WWW", "Example", "COM"})));
  const DnsParseResult r = parse(m);
  EXPECT_EQ(r.error, DnsError::None);
  EXPECT_EQ(r.message.id, 0xbeef);
  EXPECT_FALSE(r.message.is_response);
  ASSERT_EQ(r.message.questions.size(), 1u);
  EXPECT_EQ(r.message.questions[0], "www.example.com");
}

TEST(DnsParser, EveryQuestionIsKept) {
  Buf m = header(kQuery, 3);
  append(m, question(name({"a", "example"})));
  append(m, question(name({"b", "example"})));
  append(m, question(name({"c", "example"})));
  const DnsParseResult r = parse(m);
  EXPECT_EQ(r.message.questions, (std::vector<std::string>{"a.example", "b.example", "c.example"}));
}

TEST(DnsParser, RootNameIsTsharksPlaceholderAndNotReportable) {
  Buf m = header(kQuery, 1);
  append(m, question(Buf{0}));
  const DnsParseResult r = parse(m);
  ASSERT_EQ(r.message.questions.size(), 1u);
  EXPECT_EQ(r.message.questions[0], "<root>");
  EXPECT_FALSE(is_reportable_dns_name(r.message.questions[0]));
  EXPECT_FALSE(is_reportable_dns_name(""));
  EXPECT_TRUE(is_reportable_dns_name("example.com"));
}

TEST(DnsParser, CompressionPointersBackAndForward) {
  Buf m = header(kQuery, 3);
  append(m, question(name({"www", "example", "com"})));  // name at 12
  // "mail" + pointer to "example.com" (offset 16)
  Buf q2 = {4, 'm', 'a', 'i', 'l'};
  append(q2, pointer(16));
  append(m, question(q2));
  // A forward pointer to a name placed after the question section.
  const std::size_t forward_at = m.size() + 2 + 4;
  append(m, question(pointer(forward_at)));
  append(m, name({"later", "example"}));
  const DnsParseResult r = parse(m);
  EXPECT_EQ(r.error, DnsError::None);
  EXPECT_EQ(r.message.questions,
            (std::vector<std::string>{"www.example.com", "mail.example.com", "later.example"}));
}

TEST(DnsParser, PointerLoopGivesTsharksPlaceholder) {
  Buf m = header(kQuery, 2);
  append(m, question(pointer(12)));  // points at itself
  Buf looping = {3, 'a', 'b', 'c'};
  append(looping, pointer(18));  // label then back to itself
  append(m, question(looping));
  const DnsParseResult r = parse(m);
  EXPECT_EQ(r.error, DnsError::None);
  EXPECT_EQ(r.message.questions,
            (std::vector<std::string>{"<name contains a pointer that loops>",
                                      "<name contains a pointer that loops>"}));
}

TEST(DnsParser, PointerOutOfRangeStopsButKeepsEarlierQuestions) {
  Buf m = header(kQuery, 2);
  append(m, question(name({"ok", "example"})));
  append(m, question(pointer(0x3ff)));
  const DnsParseResult r = parse(m);
  EXPECT_EQ(r.error, DnsError::PointerOutOfRange);
  EXPECT_EQ(r.message.questions, (std::vector<std::string>{"ok.example"}));
}

TEST(DnsParser, NameOverTsharksLimitIsPlaceholder) {
  const std::string l63(63, 'a');
  Buf m = header(kQuery, 2);
  append(m, question(name({l63, l63, l63, std::string(61, 'b')})));  // 253 characters
  append(m, question(name({l63, l63, l63, std::string(62, 'b')})));  // 254 characters
  const DnsParseResult r = parse(m);
  ASSERT_EQ(r.message.questions.size(), 2u);
  EXPECT_EQ(r.message.questions[0].size(), 253u);
  EXPECT_EQ(r.message.questions[1], "<name too long>");
}

TEST(DnsParser, TruncatedSecondQuestionKeepsTheFirst) {
  Buf m = header(kQuery, 2);
  append(m, question(name({"first", "example"})));
  append(m, Buf{6, 's', 'e', 'c'});
  const DnsParseResult r = parse(m);
  EXPECT_EQ(r.error, DnsError::TruncatedQuestion);
  EXPECT_EQ(r.message.questions, (std::vector<std::string>{"first.example"}));
}

TEST(DnsParser, QuestionWithoutTypeAndClassIsNotReported) {
  Buf m = header(kQuery, 1);
  append(m, name({"cut", "example"}));
  m.push_back(0);  // half of QTYPE
  const DnsParseResult r = parse(m);
  EXPECT_EQ(r.error, DnsError::TruncatedQuestion);
  EXPECT_TRUE(r.message.questions.empty());
}

TEST(DnsParser, ShortHeaderAndReservedLabelType) {
  const Buf shorty = {1, 2, 3};
  EXPECT_EQ(parse(shorty).error, DnsError::TruncatedHeader);

  Buf m = header(kQuery, 1);
  append(m, question(Buf{0x80, 'x', 0}));
  EXPECT_EQ(parse(m).error, DnsError::BadLabel);

  Buf ext = header(kQuery, 1);
  append(ext, question(Buf{3, 'a', 'b', 'c', 0x42, 0}));
  const DnsParseResult r = parse(ext);
  ASSERT_FALSE(r.message.questions.empty());
  EXPECT_EQ(r.message.questions[0], "<unknown extended label>");
}

TEST(DnsParser, OddBytesAreSpelledAsTsharkPrintsThem) {
  const auto fmt = [](const std::string& s) {
    return format_dns_label(Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  };
  EXPECT_EQ(fmt(std::string("a\0b", 3)), "a\\000b");
  EXPECT_EQ(fmt("\a\b\t\n\v\f\r\x1b\x7f"), "\\a\\b\\t\\n\\v\\f\\r\\033\\177");
  EXPECT_EQ(fmt("a.b\\c d\"e"), "a.b\\c d\"e");  // printable ASCII as is
  EXPECT_EQ(fmt("\xc3\xa4"), "\xc3\xa4");        // valid UTF-8 kept
  EXPECT_EQ(fmt("\xff"), "\xef\xbf\xbd");        // invalid byte: U+FFFD
  EXPECT_EQ(fmt("\xe2\x82"
                "a"),
            "\xef\xbf\xbd"
            "a");                                  // cut sequence: one U+FFFD
  EXPECT_EQ(fmt("\xc0\xaf"), "/");                 // overlong still decodes
  EXPECT_EQ(fmt("\xed\xa0\x80"), "\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(fmt("\xe2\x80\x8b"), "\\u200B");       // not printable: escaped
  EXPECT_EQ(fmt("\xf3\xa0\x80\x81"), "\\U000E0001");

  // Question names are the lowercased form, escapes included.
  Buf m = header(kQuery, 1);
  append(m, question(name({"A\xe2\x80\x8b"
                           "B",
                           std::string("x\0", 2)})));
  const DnsParseResult r = parse(m);
  ASSERT_EQ(r.message.questions.size(), 1u);
  EXPECT_EQ(r.message.questions[0], "a\\u200bb.x\\000");
}

TEST(DnsParser, LabelWithDotsLosesTrailingDots) {
  Buf m = header(kQuery, 1);
  append(m, question(name({"host", "a.."})));
  EXPECT_EQ(parse(m).message.questions[0], "host.a");
}

TEST(DnsParser, AddressRecordsFromEverySectionUntilAnUnreadableOne) {
  Buf m = header(kResponse, 1, 2, 1, 0);
  append(m, question(name({"www", "example", "com"})));
  append(m, record(pointer(12), 1, Buf{192, 0, 2, 1}));
  Buf v6(16, 0);
  v6[0] = 0x20;
  v6[1] = 0x01;
  v6[15] = 1;
  append(m, record(pointer(12), 28, v6));
  append(m, record(name({"ns", "example"}), 1, Buf{198, 51, 100, 7}));
  const DnsParseResult r = parse(m);
  EXPECT_EQ(r.error, DnsError::None);
  EXPECT_TRUE(r.message.is_response);
  ASSERT_EQ(r.message.answers.size(), 3u);
  EXPECT_EQ(r.message.answers[0].name, "www.example.com");
  EXPECT_EQ(r.message.answers[0].address.to_string(), "192.0.2.1");
  EXPECT_EQ(r.message.answers[1].address.to_string(), "2001::1");
  EXPECT_EQ(r.message.answers[2].section, DnsSection::Authority);
  EXPECT_EQ(r.message.answers[2].name, "ns.example");

  // A CNAME whose target name is broken ends tshark's dissection, so the
  // A record after it is not reported.
  Buf broken = header(kResponse, 1, 2);
  append(broken, question(name({"x", "example"})));
  append(broken, record(pointer(12), 5, pointer(0x3ff)));
  append(broken, record(pointer(12), 1, Buf{192, 0, 2, 2}));
  const DnsParseResult b = parse(broken);
  EXPECT_NE(b.error, DnsError::None);
  EXPECT_TRUE(b.message.answers.empty());
  EXPECT_EQ(b.message.questions, (std::vector<std::string>{"x.example"}));
}

TEST(DnsParser, AddressRecordLengthQuirks) {
  // RDLENGTH 0: skipped, parsing goes on. RDLENGTH 1 with the bytes there:
  // tshark still reads four bytes as the address.
  Buf m = header(kResponse, 1, 2);
  append(m, question(name({"q", "example"})));
  append(m, record(pointer(12), 1, Buf{}));
  append(m, record(pointer(12), 1, Buf{10}));
  append(m, Buf{0, 0, 7});
  const DnsParseResult r = parse(m);
  ASSERT_EQ(r.message.answers.size(), 1u);
  EXPECT_EQ(r.message.answers[0].address.to_string(), "10.0.0.7");

  Buf cut = header(kResponse, 1, 1);
  append(cut, question(name({"q", "example"})));
  append(cut, record(pointer(12), 28, Buf{1, 2, 3}));
  EXPECT_EQ(parse(cut).error, DnsError::TruncatedRecord);
  EXPECT_TRUE(parse(cut).message.answers.empty());
}

TEST(DnsParser, ForwardPointerChainsStayCheap) {
  // Many questions, each pointing into one long forward chain of pointers:
  // every name runs past the length limit, as in tcpdump's dns_fwdptr.pcap.
  const std::size_t questions = 2000;
  Buf m = header(kQuery, questions);
  const std::size_t chain_at = 12 + questions * 6;
  for (std::size_t i = 0; i < questions; ++i) append(m, question(pointer(chain_at)));
  for (std::size_t i = 0; i < 200; ++i) {
    append(m, Buf{5, 'l', 'a', 'b', 'e', 'l'});
    append(m, pointer(m.size() + 2));
  }
  m.push_back(0);
  const DnsParseResult r = parse(m);
  // The work bound: no real message has this many questions; the first 256
  // are read and reported, the rest of the message is not.
  EXPECT_EQ(r.error, DnsError::TooManyRecords);
  ASSERT_EQ(r.message.questions.size(), 256u);
  EXPECT_EQ(r.message.questions.front(), "<name too long>");
  EXPECT_EQ(r.message.questions.back(), "<name too long>");
}

TEST(DnsParser, RecordCountIsBounded) {
  // A response claiming 2000 answers, all present: reading stops at 1024 records.
  Buf m = header(kResponse, 1, 2000);
  append(m, question(name({"many", "example"})));
  for (int i = 0; i < 2000; ++i) {
    append(m, pointer(12));
    append(m, Buf{0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, static_cast<std::uint8_t>(i)});
  }
  const DnsParseResult r = parse(m);
  EXPECT_EQ(r.error, DnsError::TooManyRecords);
  EXPECT_EQ(r.message.questions.size(), 1u);
  EXPECT_EQ(r.message.answers.size(), 1024u);
}

TEST(DnsParser, HeuristicMatchesTsharksUdpTest) {
  Buf q = header(kQuery, 1);
  append(q, question(name({"a", "example"})));
  EXPECT_TRUE(looks_like_dns(Bytes(q.data(), q.size())));
  Buf two = header(kQuery, 2);
  append(two, question(name({"a"})));
  EXPECT_FALSE(looks_like_dns(Bytes(two.data(), two.size())));  // queries ask one question
  Buf resp = header(kResponse, 0, 100, 10, 10);
  resp.push_back(0);
  EXPECT_TRUE(looks_like_dns(Bytes(resp.data(), resp.size())));
  Buf many = header(kResponse, 1, 101);
  many.push_back(0);
  EXPECT_FALSE(looks_like_dns(Bytes(many.data(), many.size())));
  Buf notify = header(0x2000 | 0x0100, 1);
  notify.push_back(0);
  EXPECT_FALSE(looks_like_dns(Bytes(notify.data(), notify.size())));  // opcode 4
  const Buf bare = header(kQuery, 1);
  EXPECT_FALSE(looks_like_dns(Bytes(bare.data(), bare.size())));  // header only
}

TEST(DnsParser, ErrorNamesAreDistinct) {
  EXPECT_STREQ(dns_error_name(DnsError::None), "none");
  EXPECT_STRNE(dns_error_name(DnsError::PointerLoop), dns_error_name(DnsError::BadLabel));
}

}  // namespace
}  // namespace vigil::inspect
