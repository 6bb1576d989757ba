#include "inspect/http/content_decoder.h"

#include <brotli/decode.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace vigil::inspect {
namespace {

// Decoded output goes out in blocks of this size (on the stack).
constexpr std::size_t kBlock = std::size_t{16} << 10;
// Each allocation carries its size in front, for the budget when freed.
constexpr std::size_t kHeader = alignof(std::max_align_t);

void* budget_alloc(void* opaque, std::size_t size) noexcept {
  auto* budget = static_cast<HttpMemoryBudget*>(opaque);
  if (size > (std::size_t{1} << 40)) return nullptr;
  if (budget != nullptr && budget->used + size > budget->limit) return nullptr;
  void* p = std::malloc(size + kHeader);
  if (p == nullptr) return nullptr;
  std::memcpy(p, &size, sizeof size);
  if (budget != nullptr) budget->used += size;
  return static_cast<char*>(p) + kHeader;
}

void budget_free(void* opaque, void* address) noexcept {
  if (address == nullptr) return;
  void* p = static_cast<char*>(address) - kHeader;
  std::size_t size = 0;
  std::memcpy(&size, p, sizeof size);
  auto* budget = static_cast<HttpMemoryBudget*>(opaque);
  if (budget != nullptr) budget->used -= size;
  std::free(p);
}

voidpf zlib_alloc(voidpf opaque, uInt items, uInt size) {
  void* p = budget_alloc(opaque, std::size_t{items} * size);
  return p != nullptr ? p : Z_NULL;
}

void zlib_free(voidpf opaque, voidpf address) { budget_free(opaque, address); }

void* brotli_alloc(void* opaque, size_t size) { return budget_alloc(opaque, size); }

void brotli_free(void* opaque, void* address) { budget_free(opaque, address); }

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// RFC 1950 header: CM 8, window at most 32 KiB, check bits.
bool is_zlib_header(std::uint8_t cmf, std::uint8_t flg) noexcept {
  return (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

}  // namespace

ContentCoding content_coding_for(std::string_view value) noexcept {
  ContentCoding found = ContentCoding::Identity;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.empty() || iequals(item, "identity")) continue;
    ContentCoding c = ContentCoding::Unsupported;
    if (iequals(item, "gzip") || iequals(item, "x-gzip")) {
      c = ContentCoding::Gzip;
    } else if (iequals(item, "deflate")) {
      c = ContentCoding::Deflate;
    } else if (iequals(item, "br")) {
      c = ContentCoding::Brotli;
    }
    if (found != ContentCoding::Identity) return ContentCoding::Unsupported;
    found = c;
  }
  return found;
}

ContentDecoder::~ContentDecoder() { reset(); }

void ContentDecoder::reset() noexcept {
  if (zs_ != nullptr) {
    inflateEnd(zs_);
    budget_free(budget_, zs_);
    zs_ = nullptr;
  }
  if (br_ != nullptr) {
    BrotliDecoderDestroyInstance(br_);
    br_ = nullptr;
  }
  ended_ = failed_ = have_first_byte_ = false;
}

void ContentDecoder::start(ContentCoding coding, HttpMemoryBudget* budget) noexcept {
  reset();
  coding_ = coding;
  budget_ = budget;
}

ContentDecoder::Status ContentDecoder::decode(Bytes in, DecodeOutput& out) noexcept {
  if (failed_) return Status::Error;
  if (ended_) return Status::End;
  if (in.empty()) return Status::Ok;
  switch (coding_) {
    case ContentCoding::Identity:
      out.write(std::string_view(reinterpret_cast<const char*>(in.data()), in.size()));
      return Status::Ok;
    case ContentCoding::Gzip:
    case ContentCoding::Deflate:
      return inflate_some(in, out);
    case ContentCoding::Brotli:
      return brotli_some(in, out);
    case ContentCoding::Unsupported:
      break;
  }
  failed_ = true;
  return Status::Error;
}

ContentDecoder::Status ContentDecoder::inflate_some(Bytes in, DecodeOutput& out) noexcept {
  if (zs_ == nullptr) {
    int window = 15 + 32;  // gzip, or zlib under the gzip name: zlib tells them apart
    if (coding_ == ContentCoding::Deflate) {
      // "deflate" is zlib-wrapped by the standard and raw from some servers.
      if (!have_first_byte_ && in.size() < 2) {
        first_byte_ = in[0];
        have_first_byte_ = true;
        return Status::Ok;
      }
      const std::uint8_t b0 = have_first_byte_ ? first_byte_ : in[0];
      const std::uint8_t b1 = have_first_byte_ ? in[0] : in[1];
      window = is_zlib_header(b0, b1) ? 15 : -15;
    }
    void* mem = budget_alloc(budget_, sizeof(z_stream));
    if (mem == nullptr) {
      failed_ = true;
      return Status::NoMemory;
    }
    zs_ = new (mem) z_stream{};
    zs_->zalloc = zlib_alloc;
    zs_->zfree = zlib_free;
    zs_->opaque = budget_;
    if (inflateInit2(zs_, window) != Z_OK) {
      budget_free(budget_, zs_);
      zs_ = nullptr;
      failed_ = true;
      return Status::NoMemory;
    }
    if (have_first_byte_) {
      have_first_byte_ = false;
      const Status s = inflate_some(Bytes(&first_byte_, 1), out);
      if (s != Status::Ok) return s;
    }
  }
  char block[kBlock];
  zs_->next_in = const_cast<Bytef*>(in.data());
  zs_->avail_in = static_cast<uInt>(in.size());
  for (;;) {
    zs_->next_out = reinterpret_cast<Bytef*>(block);
    zs_->avail_out = kBlock;
    const int rc = inflate(zs_, Z_NO_FLUSH);
    const std::size_t got = kBlock - zs_->avail_out;
    if (got > 0 && !out.write(std::string_view(block, got))) return Status::Ok;
    if (rc == Z_STREAM_END) {
      // gzip allows several members one after the other.
      if (coding_ == ContentCoding::Gzip && zs_->avail_in >= 2 && zs_->next_in[0] == 0x1f &&
          zs_->next_in[1] == 0x8b && inflateReset(zs_) == Z_OK) {
        continue;
      }
      ended_ = true;
      return Status::End;
    }
    if (rc == Z_MEM_ERROR) {
      failed_ = true;
      return Status::NoMemory;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      failed_ = true;
      return Status::Error;
    }
    if (zs_->avail_in == 0 && zs_->avail_out != 0) return Status::Ok;
    if (rc == Z_BUF_ERROR && got == 0) return Status::Ok;
  }
}

ContentDecoder::Status ContentDecoder::brotli_some(Bytes in, DecodeOutput& out) noexcept {
  if (br_ == nullptr) {
    br_ = BrotliDecoderCreateInstance(brotli_alloc, brotli_free, budget_);
    if (br_ == nullptr) {
      failed_ = true;
      return Status::NoMemory;
    }
  }
  char block[kBlock];
  const std::uint8_t* next_in = in.data();
  std::size_t avail_in = in.size();
  for (;;) {
    auto* next_out = reinterpret_cast<std::uint8_t*>(block);
    std::size_t avail_out = kBlock;
    const BrotliDecoderResult r =
        BrotliDecoderDecompressStream(br_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    const std::size_t got = kBlock - avail_out;
    if (got > 0 && !out.write(std::string_view(block, got))) return Status::Ok;
    switch (r) {
      case BROTLI_DECODER_RESULT_SUCCESS:
        ended_ = true;
        return Status::End;
      case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
        return Status::Ok;
      case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
        continue;
      case BROTLI_DECODER_RESULT_ERROR:
        break;
    }
    failed_ = true;
    const int code = BrotliDecoderGetErrorCode(br_);
    return (code <= BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES &&
            code >= BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES)
               ? Status::NoMemory
               : Status::Error;
  }
}

}  // namespace vigil::inspect
