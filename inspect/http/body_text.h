#pragma once
// Readable text from HTTP bodies: HTML and XML with the markup removed,
// plain text, the string values of JSON, and the fields of URL-encoded
// forms; always valid UTF-8, whitespace collapsed to single spaces.
//
// Streaming: a body arrives in pieces of any size (TCP segments, blocks of
// decompressed output) and the state kept between pieces is a few dozen
// bytes, so nothing is buffered but the text itself, which stops at a cap.
// Hand-written rather than a DOM parser (see inspect/README.md): the text a
// reader sees needs only the tokenizer, not the tree.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::inspect {

enum class TextFormat : std::uint8_t {
  Html,   // text/html, application/xhtml+xml
  Xml,    // text/xml, application/xml, application/*+xml (RSS, Atom): CDATA is text
  Plain,  // text/plain
  Json,   // application/json, application/*+json: the string values (and keys)
  Form,   // application/x-www-form-urlencoded: "name=value" pairs, decoded
  Sniff,  // no Content-Type: HTML if the body starts like HTML, else nothing
};

// How bytes above 0x7f are read.
enum class TextCharset : std::uint8_t {
  Undeclared,   // UTF-8, and a byte that is not part of valid UTF-8 is read as windows-1252
  Utf8,         // UTF-8 (also US-ASCII's superset); invalid sequences become U+FFFD
  Windows1252,  // also ISO-8859-1 and US-ASCII labels, which browsers read as windows-1252
  Other,        // another declared charset: valid UTF-8 passes, anything else becomes U+FFFD
};

// A charset label (a Content-Type parameter or <meta charset>) as read here.
TextCharset charset_from_label(std::string_view label) noexcept;

// Reads a Content-Type value. Returns false when the body is not text that
// is worth reading (images, scripts, style sheets, binaries); an empty value
// gives TextFormat::Sniff. `charset` is Undeclared unless a charset
// parameter is present.
bool text_format_for(std::string_view content_type, TextFormat& format,
                     TextCharset& charset) noexcept;

class BodyText {
 public:
  // Starts a new body whose text may be at most `max_bytes` long in all.
  void start(TextFormat format, TextCharset charset, std::size_t max_bytes);

  // Reads the next piece of the body. Returns false once nothing more will
  // be written (the cap is reached, or the body is not text after all).
  bool feed(std::string_view data);

  // End of the body: a half-read character reference, percent escape or
  // UTF-8 sequence is written out as what it is.
  void finish();

  // The text written since start() or the last take(). Taking it does not
  // reset the cap, which counts all text written for this body.
  [[nodiscard]] const std::string& text() const noexcept { return out_; }
  std::string take();

  [[nodiscard]] bool full() const noexcept { return full_; }
  [[nodiscard]] bool stopped() const noexcept { return full_ || stopped_; }
  // Bytes of text written for this body, taken or not.
  [[nodiscard]] std::size_t written() const noexcept { return written_; }
  [[nodiscard]] TextCharset charset() const noexcept { return charset_; }

 private:
  enum class State : std::uint8_t {
    Data,
    TagOpen,
    EndTagOpen,
    TagName,
    Attrs,
    AttrName,
    AfterAttrName,
    BeforeAttrValue,
    AttrValueDq,
    AttrValueSq,
    AttrValueUnq,
    MarkupDecl,
    Comment,
    BogusComment,
    Cdata,
    RawText,
    RcData,
    Entity,
    JsonOutside,
    JsonString,
    JsonEscape,
    JsonUnicode,
    FormData,
    FormPercent,
  };

  std::size_t feed_html(const char* p, std::size_t n, std::size_t i);
  std::size_t feed_json(const char* p, std::size_t n, std::size_t i);
  std::size_t feed_form(const char* p, std::size_t n, std::size_t i);
  bool sniff(std::string_view& data);

  // Markup events.
  void tag_name_done();
  void attr_done();
  void tag_done();
  void entity_done(char terminator, bool& consume);
  void end_tag_match_failed();

  // The writer: raw body bytes, decoded code points and word breaks.
  void text(const char* p, std::size_t n);
  std::size_t run(const char* p, std::size_t n, const std::array<std::uint8_t, 256>& cls);
  void byte(std::uint8_t b);
  void code_point(std::uint32_t cp);
  void literal(std::string_view ascii);
  void brk();
  void flush_partial();
  void append(const char* s, std::size_t n);
  void cap_reached();

  std::string out_;
  std::size_t max_ = 0;
  std::size_t written_ = 0;
  bool full_ = false;
  bool stopped_ = false;
  bool space_ = false;  // whitespace or a break is due before the next character
  TextFormat format_ = TextFormat::Plain;
  TextCharset charset_ = TextCharset::Undeclared;
  bool charset_declared_ = false;  // by the Content-Type: <meta> does not override it
  std::uint64_t fed_ = 0;          // body bytes read (a <meta> charset counts near the top only)

  // UTF-8 sequence in progress.
  std::uint8_t partial_[4] = {};
  std::uint8_t partial_len_ = 0;
  std::uint8_t partial_need_ = 0;

  // Markup.
  State state_ = State::Data;
  State return_state_ = State::Data;  // after a character reference
  bool end_tag_ = false;
  bool is_meta_ = false;  // the tag being read is <meta>: its attributes are looked at
  std::uint8_t tag_kind_ = 0;
  char tag_[16] = {};
  std::uint8_t tag_len_ = 0;  // past sizeof(tag_): a name no rule cares about
  char attr_[16] = {};
  std::uint8_t attr_len_ = 0;
  char value_[64] = {};
  std::uint8_t value_len_ = 0;
  char meta_charset_[32] = {};
  std::uint8_t meta_charset_len_ = 0;
  char raw_end_[16] = {};  // the element whose end tag closes RawText / RcData
  std::uint8_t raw_end_len_ = 0;
  std::uint8_t raw_match_ = 0;  // bytes of "</name" matched so far
  std::uint8_t dashes_ = 0;     // comment: '-' just seen; CDATA: ']' just seen
  char decl_[8] = {};           // after "<!": the bytes deciding what follows
  std::uint8_t decl_len_ = 0;
  char ent_[33] = {};  // character reference name or digits
  std::uint8_t ent_len_ = 0;
  std::uint32_t hex_ = 0;  // JSON \u digits
  std::uint8_t hex_len_ = 0;
  std::uint32_t high_surrogate_ = 0;
  char sniff_[16] = {};
  std::uint8_t sniff_len_ = 0;
};

}  // namespace vigil::inspect
