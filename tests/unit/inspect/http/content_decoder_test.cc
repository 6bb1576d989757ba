#include "inspect/http/content_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tests/unit/inspect/http/compress.h"

namespace vigil::inspect {
namespace {

struct Collect final : DecodeOutput {
  bool write(std::string_view block) override {
    out.append(block);
    ++blocks;
    return stop_after == 0 || out.size() < stop_after;
  }
  std::string out;
  std::size_t blocks = 0;
  std::size_t stop_after = 0;
};

Bytes bytes(std::string_view s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string page(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; s.size() < n; ++i) s += "<p>paragraph " + std::to_string(i) + "</p>\n";
  s.resize(n);
  return s;
}

// Decodes `in` fed in pieces of `step` bytes.
std::string decode(ContentCoding coding, const std::string& in, std::size_t step,
                   ContentDecoder::Status* last = nullptr, HttpMemoryBudget* budget = nullptr) {
  ContentDecoder d;
  d.start(coding, budget);
  Collect c;
  ContentDecoder::Status s = ContentDecoder::Status::Ok;
  for (std::size_t i = 0; i < in.size(); i += step) {
    s = d.decode(bytes(std::string_view(in).substr(i, step)), c);
    if (s == ContentDecoder::Status::Error || s == ContentDecoder::Status::NoMemory) break;
  }
  if (last != nullptr) *last = s;
  return c.out;
}

TEST(ContentDecoder, CodingNames) {
  EXPECT_EQ(content_coding_for(""), ContentCoding::Identity);
  EXPECT_EQ(content_coding_for("identity"), ContentCoding::Identity);
  EXPECT_EQ(content_coding_for("GZIP"), ContentCoding::Gzip);
  EXPECT_EQ(content_coding_for("x-gzip"), ContentCoding::Gzip);
  EXPECT_EQ(content_coding_for(" deflate "), ContentCoding::Deflate);
  EXPECT_EQ(content_coding_for("br"), ContentCoding::Brotli);
  EXPECT_EQ(content_coding_for("identity, br"), ContentCoding::Brotli);
  EXPECT_EQ(content_coding_for("gzip, br"), ContentCoding::Unsupported);
  EXPECT_EQ(content_coding_for("zstd"), ContentCoding::Unsupported);
  EXPECT_EQ(content_coding_for("compress"), ContentCoding::Unsupported);
}

TEST(ContentDecoder, GzipInAnyPieces) {
  const std::string text = page(100'000);
  const std::string z = test::gzip(text);
  for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{1460}, z.size()}) {
    ContentDecoder::Status s{};
    EXPECT_EQ(decode(ContentCoding::Gzip, z, step, &s), text) << step;
    EXPECT_EQ(s, ContentDecoder::Status::End);
  }
}

TEST(ContentDecoder, GzipMembersOneAfterTheOther) {
  const std::string z = test::gzip("first half, ") + test::gzip("second half");
  EXPECT_EQ(decode(ContentCoding::Gzip, z, z.size()), "first half, second half");
}

TEST(ContentDecoder, DeflateZlibWrappedAndRaw) {
  const std::string text = page(20'000);
  for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{500}}) {
    EXPECT_EQ(decode(ContentCoding::Deflate, test::zlib_deflate(text), step), text) << step;
    EXPECT_EQ(decode(ContentCoding::Deflate, test::raw_deflate(text), step), text) << step;
  }
}

TEST(ContentDecoder, Brotli) {
  const std::string text = page(200'000);
  const std::string b = test::brotli(text);
  for (std::size_t step : {std::size_t{1}, std::size_t{1460}, b.size()}) {
    ContentDecoder::Status s{};
    EXPECT_EQ(decode(ContentCoding::Brotli, b, step, &s), text) << step;
    EXPECT_EQ(s, ContentDecoder::Status::End);
  }
}

TEST(ContentDecoder, CorruptDataIsAnError) {
  std::string z = test::gzip(page(10'000));
  z[z.size() / 2] ^= 0x55;
  z[z.size() / 2 + 1] ^= 0x55;
  ContentDecoder::Status s{};
  decode(ContentCoding::Gzip, z, z.size(), &s);
  EXPECT_EQ(s, ContentDecoder::Status::Error);
  decode(ContentCoding::Brotli, "this is not brotli at all", 5, &s);
  EXPECT_EQ(s, ContentDecoder::Status::Error);
  decode(ContentCoding::Gzip, "\x1f\x8b garbage", 64, &s);
  EXPECT_EQ(s, ContentDecoder::Status::Error);
}

TEST(ContentDecoder, OutputCanStopTheDecoding) {
  const std::string z = test::gzip(std::string(10u << 20, 'a'));  // a 10 MiB bomb of 10 KB
  ContentDecoder d;
  d.start(ContentCoding::Gzip, nullptr);
  Collect c;
  c.stop_after = 40'000;
  EXPECT_EQ(d.decode(bytes(z), c), ContentDecoder::Status::Ok);
  EXPECT_LT(c.out.size(), 40'000u + 16'384u);
}

TEST(ContentDecoder, MemoryComesFromTheBudget) {
  HttpMemoryBudget budget;
  budget.limit = 1u << 30;
  const std::string text = page(50'000);
  {
    ContentDecoder d;
    d.start(ContentCoding::Brotli, &budget);
    Collect c;
    const std::string b = test::brotli(text, 5, 24);
    d.decode(bytes(std::string_view(b).substr(0, b.size() / 2)), c);
    EXPECT_GT(budget.used, 0u);
  }
  EXPECT_EQ(budget.used, 0u);  // all returned
  {
    ContentDecoder d;
    d.start(ContentCoding::Gzip, &budget);
    Collect c;
    d.decode(bytes(test::gzip(text)), c);
    EXPECT_EQ(c.out, text);
    d.reset();
    EXPECT_EQ(budget.used, 0u);
  }
  // A budget too small for zlib's window or brotli's ring buffer refuses them.
  budget.limit = 4096;
  ContentDecoder::Status s{};
  decode(ContentCoding::Gzip, test::gzip(text), 1000, &s, &budget);
  EXPECT_EQ(s, ContentDecoder::Status::NoMemory);
  decode(ContentCoding::Brotli, test::brotli(text), 1000, &s, &budget);
  EXPECT_EQ(s, ContentDecoder::Status::NoMemory);
  EXPECT_EQ(budget.used, 0u);
}

}  // namespace
}  // namespace vigil::inspect
