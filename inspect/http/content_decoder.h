#pragma once
// Content-Encoding of HTTP bodies: gzip, deflate (zlib-wrapped or raw, as
// servers send both under that name) and brotli, decoded as the body
// arrives. Decoder state comes out of a memory budget shared by all the
// flows of one Inspector: a brotli stream may ask for a 16 MiB window, and
// many flows mid-response must not add up to more than the budget.
//
// Bounding the output (decompression bombs) is the caller's: every block of
// output goes through its DecodeOutput, which can stop the decoding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "inspect/util/byte_reader.h"

struct BrotliDecoderStateStruct;
struct z_stream_s;

namespace vigil::inspect {

enum class ContentCoding : std::uint8_t { Identity, Gzip, Deflate, Brotli, Unsupported };

// Reads a Content-Encoding value (a list; "identity" entries are ignored).
// Stacked codings ("gzip, br") are Unsupported: servers do not send them to
// browsers.
ContentCoding content_coding_for(std::string_view value) noexcept;

// Memory for decoder state and held text, across one Inspector's flows.
struct HttpMemoryBudget {
  std::size_t used = 0;
  std::size_t limit = 32u << 20;
};

class DecodeOutput {
 public:
  // One block of decoded bytes. Returning false stops the decoding.
  virtual bool write(std::string_view block) = 0;

 protected:
  ~DecodeOutput() = default;
};

class ContentDecoder {
 public:
  enum class Status : std::uint8_t {
    Ok,        // all input used (or the output asked to stop)
    End,       // the compressed stream ended; later input is ignored
    Error,     // corrupt data
    NoMemory,  // the budget refused the decoder's state
  };

  ContentDecoder() = default;
  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Prepares for one body; state is allocated on the first input. `budget`
  // must outlive the decoder (nullptr: no bound).
  void start(ContentCoding coding, HttpMemoryBudget* budget) noexcept;

  Status decode(Bytes in, DecodeOutput& out) noexcept;

  // Frees the decoder state (also done by start() and the destructor).
  void reset() noexcept;

  [[nodiscard]] ContentCoding coding() const noexcept { return coding_; }

 private:
  Status inflate_some(Bytes in, DecodeOutput& out) noexcept;
  Status brotli_some(Bytes in, DecodeOutput& out) noexcept;

  ContentCoding coding_ = ContentCoding::Identity;
  HttpMemoryBudget* budget_ = nullptr;
  z_stream_s* zs_ = nullptr;
  BrotliDecoderStateStruct* br_ = nullptr;
  bool ended_ = false;
  bool failed_ = false;
  std::uint8_t first_byte_ = 0;  // deflate: a lone first byte, kept to tell zlib from raw
  bool have_first_byte_ = false;
};

}  // namespace vigil::inspect
