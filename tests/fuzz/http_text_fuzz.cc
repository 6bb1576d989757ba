// Fuzz target for plain-HTTP page text: the HTTP/1.x message scanner, the
// content decoders (gzip, deflate, brotli) and the text extractor (HTML, XML,
// JSON, forms, charsets), alone and together in HttpTextCollector.
//
// The first byte chooses what is fuzzed and with which bounds:
//   bits 0-1: 0 text extractor, 1 decoder + HTML text, 2-3 a whole connection
//   bits 2-7: the cap on text, the memory budget, the segment cuts.
// A connection input is "CLIENT\0\0\0\0SERVER"; without the separator it is
// all server bytes, answering requests made up from the first byte (HEAD
// among them). Every text handed over is checked: valid UTF-8, no control
// characters, whitespace collapsed, within its cap; all memory given back.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/counters.h"
#include "inspect/http/body_text.h"
#include "inspect/http/content_decoder.h"
#include "inspect/http/http_text.h"

namespace {

using vigil::inspect::Bytes;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_text(std::string_view s, std::size_t cap) {
  check(s.size() <= cap);
  if (s.empty()) return;
  check(s.front() != ' ' && s.back() != ' ');
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    check(b >= 0x20 && b != 0x7F);
    if (b == ' ') check(i + 1 < s.size() && s[i + 1] != ' ');
    std::size_t n = 1;
    std::uint32_t cp = b;
    if (b >= 0x80) {
      if ((b >> 5) == 6) {
        n = 2;
        cp = b & 0x1F;
      } else if ((b >> 4) == 14) {
        n = 3;
        cp = b & 0x0F;
      } else if ((b >> 3) == 30) {
        n = 4;
        cp = b & 0x07;
      } else {
        check(false);
      }
      check(i + n <= s.size());
      for (std::size_t k = 1; k < n; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        check((c & 0xC0) == 0x80);
        cp = (cp << 6) | (c & 0x3F);
      }
      const std::uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
      check(cp >= min && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF));
    }
    i += n;
  }
}

// Cut points derived from the data, as the other targets do.
std::vector<std::size_t> cuts(const std::uint8_t* data, std::size_t size, unsigned salt) {
  std::vector<std::size_t> c;
  if (size == 0) return c;
  for (std::size_t i = 0; i < 8 && i < size; ++i) {
    c.push_back((data[i] * 131u + i * 977u + salt * 31u) % size);
  }
  std::sort(c.begin(), c.end());
  c.push_back(size);
  return c;
}

void fuzz_text(std::uint8_t flags, Bytes in) {
  using vigil::inspect::BodyText;
  using vigil::inspect::TextCharset;
  using vigil::inspect::TextFormat;
  const std::string_view all(reinterpret_cast<const char*>(in.data()), in.size());
  const std::size_t cap = 16 + flags * 64u;
  for (auto format : {TextFormat::Html, TextFormat::Xml, TextFormat::Plain, TextFormat::Json,
                      TextFormat::Form, TextFormat::Sniff}) {
    const auto charset = static_cast<TextCharset>((flags + static_cast<unsigned>(format)) % 4);
    BodyText t;
    t.start(format, charset, cap);
    std::size_t from = 0;
    for (std::size_t cut : cuts(in.data(), in.size(), static_cast<unsigned>(format))) {
      if (cut <= from) continue;
      t.feed(all.substr(from, cut - from));
      if ((cut & 7) == 3) check_text(t.take(), cap);
      from = cut;
    }
    t.finish();
    check(t.written() <= cap);
    check_text(t.text(), cap);
  }
  vigil::inspect::TextFormat f{};
  vigil::inspect::TextCharset c{};
  vigil::inspect::text_format_for(all.substr(0, 64), f, c);
  vigil::inspect::charset_from_label(all.substr(0, 32));
}

struct ToText final : vigil::inspect::DecodeOutput {
  bool write(std::string_view block) override {
    total += block.size();
    text.feed(block);
    return total < (256u << 10);
  }
  vigil::inspect::BodyText text;
  std::size_t total = 0;
};

void fuzz_decoder(std::uint8_t flags, Bytes in) {
  using vigil::inspect::ContentCoding;
  using vigil::inspect::ContentDecoder;
  vigil::inspect::HttpMemoryBudget budget;
  budget.limit = (flags & 4) ? (1u << 20) : (32u << 20);
  for (auto coding : {ContentCoding::Gzip, ContentCoding::Deflate, ContentCoding::Brotli}) {
    {
      ContentDecoder d;
      d.start(coding, &budget);
      ToText out;
      out.text.start(vigil::inspect::TextFormat::Html, vigil::inspect::TextCharset::Undeclared,
                     4096);
      std::size_t from = 0;
      for (std::size_t cut : cuts(in.data(), in.size(), static_cast<unsigned>(coding))) {
        if (cut <= from) continue;
        const ContentDecoder::Status s = d.decode(in.subspan(from, cut - from), out);
        from = cut;
        if (s == ContentDecoder::Status::Error || s == ContentDecoder::Status::NoMemory) break;
      }
      out.text.finish();
      check_text(out.text.text(), 4096);
    }
    check(budget.used == 0);
  }
  vigil::inspect::content_coding_for(std::string_view(reinterpret_cast<const char*>(in.data()),
                                                      std::min<std::size_t>(in.size(), 64)));
}

void fuzz_connection(std::uint8_t flags, Bytes in) {
  using vigil::inspect::HttpText;
  using vigil::inspect::HttpTextCollector;
  const std::string_view all(reinterpret_cast<const char*>(in.data()), in.size());
  std::string client;
  std::string_view server = all;
  const std::size_t sep = all.find(std::string_view("\0\0\0\0", 4));
  if (sep != std::string_view::npos) {
    client.assign(all.substr(0, sep));
    server = all.substr(sep + 4);
  } else {
    static constexpr const char* kMethods[4] = {"GET", "HEAD", "POST", "GET"};
    for (int i = 0; i < 8; ++i) {
      client += kMethods[(flags >> (i % 4 * 2)) & 3];
      client += " /p" + std::to_string(i) + " HTTP/1.1\r\nHost: fuzz.example\r\n";
      client += (i == 2 && (flags & 0x80)) ? "Content-Type: application/x-www-form-urlencoded\r\n"
                                             "Content-Length: 9\r\n\r\nq=a%20b+c"
                                           : "\r\n";
    }
  }
  vigil::inspect::HttpTextLimits limits;
  limits.max_text_bytes = 32 + (flags >> 2) * 97u;
  limits.max_decoded_bytes = (flags & 0x10) ? 2048 : (1u << 20);
  limits.max_ratio = 1 + (flags & 0x0F) * 8u;
  vigil::inspect::HttpMemoryBudget budget;
  const std::size_t budgets[4] = {512, 48u << 10, 1u << 20, 32u << 20};
  budget.limit = budgets[(flags >> 5) & 3];
  vigil::inspect::Counters counters;
  std::vector<HttpText> out;
  {
    HttpTextCollector c(limits, budget, counters);
    const Bytes cb(reinterpret_cast<const std::uint8_t*>(client.data()), client.size());
    const Bytes sb(reinterpret_cast<const std::uint8_t*>(server.data()), server.size());
    // The client's requests in two pieces, then the server's bytes in
    // segments, sometimes with a gap (bytes dropped) or a second request batch.
    c.on_client_data(cb.subspan(0, cb.size() / 2), false, 0, out);
    c.on_client_data(cb.subspan(cb.size() / 2), false, 0, out);
    std::size_t from = 0;
    for (std::size_t cut : cuts(sb.data(), sb.size(), flags)) {
      if (cut <= from) continue;
      const std::uint8_t pick = sb[from];
      if ((pick & 0x1F) == 7 && cut - from > 4) {
        // Lose the first bytes of this segment.
        const std::size_t lost = 1 + pick % (cut - from - 1);
        c.on_server_data(sb.subspan(from + lost, cut - from - lost), true, (pick & 0x20) ? lost : 0,
                         out);
      } else {
        c.on_server_data(sb.subspan(from, cut - from), false, 0, out);
      }
      if ((pick & 0x1F) == 9) c.on_client_data(cb, (pick & 0x40) != 0, 0, out);
      from = cut;
    }
    c.finish(out);
  }
  check(budget.used == 0);
  for (const HttpText& t : out) check_text(t.text, limits.max_text_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  const Bytes in(data + 1, size - 1);
  switch (flags & 3) {
    case 0:
      fuzz_text(flags, in);
      break;
    case 1:
      fuzz_decoder(flags, in);
      break;
    default:
      fuzz_connection(flags, in);
      break;
  }
  return 0;
}
