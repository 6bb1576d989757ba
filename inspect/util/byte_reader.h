#pragma once
// Bounds-checked big-endian reader over borrowed packet bytes. Every read
// either succeeds completely or leaves the reader where it was and returns
// false; nothing here trusts a length field.

#include <cstddef>
#include <cstdint>
#include <span>

namespace vigil::inspect {

using Bytes = std::span<const std::uint8_t>;

class ByteReader {
 public:
  explicit ByteReader(Bytes data) noexcept : data_(data) {}

  [[nodiscard]] std::size_t offset() const noexcept { return pos_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] bool empty() const noexcept { return pos_ >= data_.size(); }
  [[nodiscard]] Bytes rest() const noexcept { return data_.subspan(pos_); }
  [[nodiscard]] Bytes whole() const noexcept { return data_; }

  bool skip(std::size_t n) noexcept {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }
  bool seek(std::size_t absolute) noexcept {
    if (absolute > data_.size()) return false;
    pos_ = absolute;
    return true;
  }
  bool read_u8(std::uint8_t& v) noexcept {
    if (remaining() < 1) return false;
    v = data_[pos_++];
    return true;
  }
  bool read_u16(std::uint16_t& v) noexcept {
    if (remaining() < 2) return false;
    v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool read_u24(std::uint32_t& v) noexcept {
    if (remaining() < 3) return false;
    v = (std::uint32_t{data_[pos_]} << 16) | (std::uint32_t{data_[pos_ + 1]} << 8) |
        data_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  bool read_u32(std::uint32_t& v) noexcept {
    if (remaining() < 4) return false;
    v = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
        (std::uint32_t{data_[pos_ + 2]} << 8) | data_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool read_bytes(std::size_t n, Bytes& out) noexcept {
    if (n > remaining()) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  Bytes data_;
  std::size_t pos_ = 0;
};

// A QUIC variable-length integer (RFC 9000 section 16): the top two bits of
// the first byte give the length (1, 2, 4 or 8 bytes).
inline bool read_quic_varint(ByteReader& r, std::uint64_t& v) noexcept {
  std::uint8_t first = 0;
  if (!r.read_u8(first)) return false;
  const std::size_t extra = (std::size_t{1} << (first >> 6)) - 1;
  Bytes rest;
  if (!r.read_bytes(extra, rest)) return false;
  v = first & 0x3f;
  for (std::uint8_t b : rest) v = (v << 8) | b;
  return true;
}

// Reads big-endian integers at an absolute offset, for headers read in place.
// The caller checks the size first; these assert nothing and never throw.
inline std::uint16_t load_be16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

}  // namespace vigil::inspect
