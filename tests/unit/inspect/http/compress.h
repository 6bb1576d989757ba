#pragma once
// Test helpers: compress a string as a server would (gzip, zlib-wrapped
// deflate, raw deflate, brotli), with the encoders of zlib and libbrotlienc.

#include <brotli/encode.h>
#include <zlib.h>

#include <string>
#include <string_view>

namespace vigil::inspect::test {

// window_bits: 31 gzip, 15 zlib, -15 raw deflate.
inline std::string deflate_with(std::string_view in, int window_bits, int level = 6) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(out.size() - zs.avail_out);
  deflateEnd(&zs);
  return out;
}

inline std::string gzip(std::string_view in) { return deflate_with(in, 31); }
inline std::string zlib_deflate(std::string_view in) { return deflate_with(in, 15); }
inline std::string raw_deflate(std::string_view in) { return deflate_with(in, -15); }

inline std::string brotli(std::string_view in, int quality = 5, int lgwin = 22) {
  std::string out(BrotliEncoderMaxCompressedSize(in.size()) + 64, '\0');
  std::size_t size = out.size();
  if (!BrotliEncoderCompress(quality, lgwin, BROTLI_MODE_TEXT, in.size(),
                             reinterpret_cast<const std::uint8_t*>(in.data()), &size,
                             reinterpret_cast<std::uint8_t*>(out.data()))) {
    return {};
  }
  out.resize(size);
  return out;
}

}  // namespace vigil::inspect::test
