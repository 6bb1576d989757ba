#include "inspect/http/body_text.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace vigil::inspect {
namespace {

std::string extract(std::string_view body, TextFormat format = TextFormat::Html,
                    TextCharset charset = TextCharset::Undeclared, std::size_t max = 1 << 16) {
  BodyText t;
  t.start(format, charset, max);
  t.feed(body);
  t.finish();
  return t.take();
}

// The same body fed one byte at a time gives the same text: no state is
// lost between pieces.
std::string extract_bytewise(std::string_view body, TextFormat format = TextFormat::Html,
                             TextCharset charset = TextCharset::Undeclared) {
  BodyText t;
  t.start(format, charset, 1 << 16);
  for (char c : body) t.feed(std::string_view(&c, 1));
  t.finish();
  return t.take();
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

const std::string kPage =
    "<!DOCTYPE html>\n<html><head><title>Join &amp; Learn</title>\n"
    "<meta charset=\"utf-8\">\n"
    "<style>body { color: red; } /* <p>not text</p> */</style>\n"
    "<script type=\"text/javascript\">var x = \"<b>hidden</b>\"; if (a < b) {}</script>\n"
    "<noscript><img src=x alt=\"no script\">Enable JavaScript</noscript>\n"
    "</head><body>\n"
    "<!-- a comment with <p>markup</p> -->\n"
    "<h1>Welcome</h1><p>First&nbsp;paragraph with <b>bold</b>w<i>ord</i>s.</p>\n"
    "<ul><li>one</li><li>two</li></ul>\n"
    "<a href=\"/x?a=1&amp;b=2\" title='q > r'>a link</a>\n"
    "</body></html>\n";

TEST(BodyText, HtmlKeepsVisibleTextAndTitle) {
  EXPECT_EQ(extract(kPage), "Join & Learn Welcome First paragraph with boldwords. one two a link");
}

TEST(BodyText, HtmlSplitAnywhereGivesTheSameText) {
  EXPECT_EQ(extract_bytewise(kPage), extract(kPage));
}

TEST(BodyText, ScriptAndStyleEndOnlyAtTheirOwnEndTag) {
  EXPECT_EQ(extract("a<script>document.write('</p>'); x = '</scrip'; </script >b"), "a b");
  EXPECT_EQ(extract("a<SCRIPT>if (x</SCRIPT>b"), "a b");
  EXPECT_EQ(extract("<style>p{}</styles></style>c"), "c");
  // Attributes with '>' inside quotes do not end the tag.
  EXPECT_EQ(extract("<div data-x=\"a>b\" id='c>d'>text</div>"), "text");
  // A script never closed hides the rest.
  EXPECT_EQ(extract("before<script>var a = 1;"), "before");
}

TEST(BodyText, TitleAndTextareaAreTextWithoutTags) {
  EXPECT_EQ(extract("<title>a <b>c</title>d"), "a <b>c d");
  EXPECT_EQ(extract("<textarea>x &lt; y</textarea>"), "x < y");
  EXPECT_EQ(extract("<title>a </tit le></title>"), "a </tit le>");
}

TEST(BodyText, Comments) {
  EXPECT_EQ(extract("a<!-- x -->b"), "ab");
  EXPECT_EQ(extract("a<!-->b"), "ab");
  EXPECT_EQ(extract("a<!--->b"), "ab");
  EXPECT_EQ(extract("a<!-- x --!>b"), "ab");
  EXPECT_EQ(extract("a<!-- -- -> still --->b"), "ab");
  EXPECT_EQ(extract("a<!DOCTYPE html>b<?xml version=\"1.0\"?>c"), "abc");
  EXPECT_EQ(extract("a<!-- never closed"), "a");
}

TEST(BodyText, LessThanThatOpensNoTag) {
  EXPECT_EQ(extract("if a < b and c<3 then"), "if a < b and c<3 then");
  EXPECT_EQ(extract("x </ y> z"), "x z");
  EXPECT_EQ(extract("end<"), "end<");
}

TEST(BodyText, NamedAndNumericCharacterReferences) {
  EXPECT_EQ(extract("caf&eacute; &copy; &lt;tag&gt; &quot;q&quot; &apos;s&apos;"),
            "café © <tag> \"q\" 's'");
  EXPECT_EQ(extract("&#72;&#x69;&#X21; &#8364;"), "Hi! €");
  EXPECT_EQ(extract("&#150; &#x80;"), "– €");  // windows-1252 remapping
  EXPECT_EQ(extract("&#0; &#xD800; &#x110000; &#99999999999;"),
            "\xEF\xBF\xBD \xEF\xBF\xBD "
            "\xEF\xBF\xBD \xEF\xBF\xBD");
  EXPECT_EQ(extract("&amp &lt3 &copy2024"), "& <3 ©2024");  // legacy forms without ';'
  EXPECT_EQ(extract("&unknown; &hellip &; & x &#; &#x;"), "&unknown; &hellip &; & x &#; &#x;");
  EXPECT_EQ(extract("a&shy;b c&#x200B;d"), "ab cd");  // invisible separators dropped
  EXPECT_EQ(extract("&AMP;"), "&AMP;");
}

TEST(BodyText, WhitespaceCollapsesAndBlocksBreakWords) {
  EXPECT_EQ(extract("  a \t\r\n b  "), "a b");
  EXPECT_EQ(extract("<td>one</td><td>two</td>"), "one two");
  EXPECT_EQ(extract("line<br>next"), "line next");
  EXPECT_EQ(extract("un<span>broken</span>"), "unbroken");
  EXPECT_EQ(extract("a&nbsp;&nbsp;b"), "a b");
  EXPECT_EQ(extract("a\xC2\xA0 b\xE3\x80\x80"
                    "c"),
            "a b c");  // NBSP, ideographic space
}

TEST(BodyText, Utf8PassesAndInvalidSequencesBecomeReplacement) {
  EXPECT_EQ(
      extract("na\xC3\xAFve \xE2\x82\xAC \xF0\x9F\x98\x80", TextFormat::Plain, TextCharset::Utf8),
      "na\xC3\xAFve \xE2\x82\xAC \xF0\x9F\x98\x80");
  // Stray continuation, overlong, surrogate, cut sequence, out of range.
  const std::string bad = "a\x80 b\xC0\xAF c\xED\xA0\x80 d\xE2\x82 e\xF5\x80\x80\x80 f\xF0\x9F";
  const std::string got = extract(bad, TextFormat::Plain, TextCharset::Utf8);
  EXPECT_TRUE(valid_utf8(got)) << got;
  EXPECT_EQ(got.substr(0, 4), "a\xEF\xBF\xBD");
  EXPECT_NE(got.find("d\xEF\xBF\xBD e"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.size() - 4), "f\xEF\xBF\xBD");
  EXPECT_EQ(extract_bytewise(bad, TextFormat::Plain, TextCharset::Utf8), got);
  // Another declared charset: its bytes are not converted, but the result is valid UTF-8.
  const std::string sjis = extract("\x82\xa0\x82\xa2 ok", TextFormat::Plain, TextCharset::Other);
  EXPECT_TRUE(valid_utf8(sjis));
  EXPECT_NE(sjis.find("ok"), std::string::npos);
}

TEST(BodyText, Latin1AndWindows1252BecomeUtf8) {
  EXPECT_EQ(extract("caf\xE9 \x93quoted\x94 \x80"
                    "5",
                    TextFormat::Plain, TextCharset::Windows1252),
            "café “quoted” €5");
  EXPECT_EQ(charset_from_label("ISO-8859-1"), TextCharset::Windows1252);
  EXPECT_EQ(charset_from_label("\"latin1\""), TextCharset::Windows1252);
  EXPECT_EQ(charset_from_label("us-ascii"), TextCharset::Windows1252);
  EXPECT_EQ(charset_from_label("UTF8"), TextCharset::Utf8);
  EXPECT_EQ(charset_from_label("shift_jis"), TextCharset::Other);
  EXPECT_EQ(charset_from_label(""), TextCharset::Undeclared);
}

TEST(BodyText, UndeclaredReadsInvalidUtf8AsWindows1252) {
  EXPECT_EQ(extract("caf\xC3\xA9 and caf\xE9", TextFormat::Plain), "café and café");
}

TEST(BodyText, MetaCharsetAppliesWhenTheHeaderSaidNothing) {
  EXPECT_EQ(extract("<meta charset=windows-1252><p>caf\xE9</p>"), "café");
  EXPECT_EQ(extract("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">"
                    "<p>na\xEFve</p>"),
            "naïve");
  EXPECT_EQ(extract("<meta charset='utf-8'><p>caf\xE9</p>"), "caf\xEF\xBF\xBD");
  // The Content-Type's charset wins over <meta>.
  EXPECT_EQ(
      extract("<meta charset=windows-1252><p>caf\xC3\xA9</p>", TextFormat::Html, TextCharset::Utf8),
      "café");
  // A byte order mark wins over both.
  EXPECT_EQ(extract("\xEF\xBB\xBF<p>caf\xC3\xA9</p>", TextFormat::Html, TextCharset::Windows1252),
            "café");
}

TEST(BodyText, Utf16IsNotRead) {
  EXPECT_EQ(extract(std::string("\xFF\xFEh\0i\0", 6), TextFormat::Plain), "");
}

TEST(BodyText, NeverEmitsControlCharacters) {
  const std::string got = extract(std::string("a\0b\x01\x7F"
                                              "c&#1;d",
                                              11),
                                  TextFormat::Html);
  EXPECT_EQ(got, "a b c d");
}

TEST(BodyText, CapStopsAtACharacterBoundary) {
  BodyText t;
  t.start(TextFormat::Plain, TextCharset::Utf8, 10);
  EXPECT_FALSE(t.feed("abcdefgh \xE2\x82\xAC more"));
  EXPECT_TRUE(t.full());
  EXPECT_EQ(t.take(), "abcdefgh");  // the space and euro would not fit
  EXPECT_FALSE(t.feed("x"));
}

TEST(BodyText, CapKeepsWholeWordsOnly) {
  BodyText t;
  t.start(TextFormat::Plain, TextCharset::Utf8, 12);
  t.feed("assassinate");
  EXPECT_EQ(t.take(), "assassinate");
  t.start(TextFormat::Plain, TextCharset::Utf8, 12);
  t.feed("one two assass");
  t.feed("inate");
  EXPECT_EQ(t.take(), "one two");
  EXPECT_EQ(t.written(), 7u);
}

TEST(BodyText, CapCutsALongSpanOfWordsAtAWord) {
  EXPECT_EQ(extract("one two three four", TextFormat::Plain, TextCharset::Utf8, 10), "one two");
  EXPECT_EQ(extract("one two three", TextFormat::Plain, TextCharset::Utf8, 7), "one two");
  EXPECT_EQ(extract("<p>ab</p><p>one two three</p>", TextFormat::Html, TextCharset::Utf8, 9),
            "ab one");
}

TEST(BodyText, TakeHandsOverPiecesWithinOneCap) {
  BodyText t;
  t.start(TextFormat::Plain, TextCharset::Utf8, 12);
  t.feed("hello world");
  EXPECT_EQ(t.take(), "hello world");
  t.feed(" again");
  EXPECT_EQ(t.take(), "");  // " a" would pass the 12-byte cap
  EXPECT_TRUE(t.full());
}

TEST(BodyText, JsonStringValues) {
  const std::string body =
      R"({"query":"how to \"join\"","n":3,"items":["caf\u00e9","\ud83d\ude00 x","a\nb"],)"
      R"("bad":"\udc00z","esc":"\/path\\"})";
  EXPECT_EQ(extract(body, TextFormat::Json),
            "query how to \"join\" n items café 😀 x a b bad \xEF\xBF\xBDz esc /path\\");
  EXPECT_EQ(extract_bytewise(body, TextFormat::Json), extract(body, TextFormat::Json));
}

TEST(BodyText, UrlEncodedForm) {
  EXPECT_EQ(extract("q=how+to+join%3F&lang=en&msg=caf%C3%A9%20now&bad=%zz%4", TextFormat::Form),
            "q=how to join? lang=en msg=café now bad=%zz%4");
  EXPECT_EQ(extract_bytewise("q=a%2Bb&x=%e9t%E9", TextFormat::Form), "q=a+b x=été");
}

TEST(BodyText, XmlKeepsCdataAsText) {
  EXPECT_EQ(extract("<rss><item><title><![CDATA[Breaking <news>]]></title>"
                    "<description>a &amp; b</description></item></rss>",
                    TextFormat::Xml),
            "Breaking <news> a & b");
  // In HTML a CDATA section is a bogus comment.
  EXPECT_EQ(extract("a<![CDATA[x]]>b", TextFormat::Html), "ab");
}

TEST(BodyText, SniffsUnlabelledHtmlOnly) {
  EXPECT_EQ(extract("  <!doctype html><p>hello</p>", TextFormat::Sniff), "hello");
  EXPECT_EQ(extract_bytewise("\n<HTML><body>hi there</body></html>", TextFormat::Sniff),
            "hi there");
  EXPECT_EQ(extract("<p>short</p>", TextFormat::Sniff), "short");
  EXPECT_EQ(extract("GIF89a....", TextFormat::Sniff), "");
  EXPECT_EQ(extract("<svg xmlns=...>", TextFormat::Sniff), "");
}

TEST(BodyText, ContentTypes) {
  TextFormat f{};
  TextCharset c{};
  ASSERT_TRUE(text_format_for("text/html; charset=ISO-8859-1", f, c));
  EXPECT_EQ(f, TextFormat::Html);
  EXPECT_EQ(c, TextCharset::Windows1252);
  ASSERT_TRUE(text_format_for("Text/Plain", f, c));
  EXPECT_EQ(f, TextFormat::Plain);
  EXPECT_EQ(c, TextCharset::Undeclared);
  ASSERT_TRUE(text_format_for("application/json;charset=\"utf-8\"", f, c));
  EXPECT_EQ(f, TextFormat::Json);
  EXPECT_EQ(c, TextCharset::Utf8);
  ASSERT_TRUE(text_format_for("application/rss+xml", f, c));
  EXPECT_EQ(f, TextFormat::Xml);
  ASSERT_TRUE(text_format_for("application/ld+json", f, c));
  EXPECT_EQ(f, TextFormat::Json);
  ASSERT_TRUE(text_format_for("", f, c));
  EXPECT_EQ(f, TextFormat::Sniff);
  EXPECT_FALSE(text_format_for("image/svg+xml", f, c));
  EXPECT_FALSE(text_format_for("text/css", f, c));
  EXPECT_FALSE(text_format_for("application/javascript", f, c));
  EXPECT_FALSE(text_format_for("image/png", f, c));
  EXPECT_FALSE(text_format_for("application/octet-stream", f, c));
}

}  // namespace
}  // namespace vigil::inspect
