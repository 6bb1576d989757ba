#include "inspect/decode/fragment_table.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace vigil::inspect {

namespace {

constexpr std::size_t kIpv4HeaderChecksumOffset = 10;

std::uint64_t load_u64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void store_be16(std::uint8_t* p, std::size_t v) noexcept {
  p[0] = static_cast<std::uint8_t>((v >> 8) & 0xff);
  p[1] = static_cast<std::uint8_t>(v & 0xff);
}

std::uint16_t ipv4_header_checksum(const std::uint8_t* h, std::size_t len) noexcept {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += load_be16(h + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

// A per-table seed keeps crafted keys from all landing in one bucket.
std::uint64_t random_seed() {
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) | rd();
}

}  // namespace

std::size_t FragmentTable::KeyHash::operator()(const FragmentKey& k) const noexcept {
  std::uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL;
  auto mix = [&h](std::uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
  };
  mix(load_u64(k.src.data()));
  mix(load_u64(k.src.data() + 8));
  mix(load_u64(k.dst.data()));
  mix(load_u64(k.dst.data() + 8));
  mix((std::uint64_t{k.id} << 16) | (std::uint64_t{k.proto} << 8) | (k.v6 ? 1U : 0U));
  return static_cast<std::size_t>(h);
}

FragmentTable::FragmentTable(Counters& counters, Limits limits)
    : counters_(counters), limits_(limits), sets_(16, KeyHash{random_seed()}) {}

bool FragmentTable::expired(const Set& s, std::uint64_t now_us) const noexcept {
  // Packet time may step backwards (merged captures); such sets wait.
  return now_us > s.created_us && now_us - s.created_us > limits_.timeout_us;
}

void FragmentTable::erase(Map::iterator it) noexcept {
  buffered_ -= it->second.data.size() + it->second.header.size();
  order_.erase(it->second.order);
  sets_.erase(it);
}

void FragmentTable::evict_oldest() noexcept {
  if (order_.empty()) return;
  auto it = sets_.find(order_.front());
  if (it != sets_.end()) erase(it);
}

void FragmentTable::expire(std::uint64_t now_us) noexcept {
  while (!order_.empty()) {
    auto it = sets_.find(order_.front());
    if (it == sets_.end() || !expired(it->second, now_us)) return;
    counters_.bump(Counter::FragmentTimeout);
    erase(it);
  }
}

bool FragmentTable::fill(Set& s, std::uint32_t offset, Bytes data) noexcept {
  if (data.empty()) return false;
  const std::uint32_t begin = offset;
  const std::uint32_t end = offset + static_cast<std::uint32_t>(data.size());
  auto copy = [&](std::uint32_t from, std::uint32_t to) {
    std::memcpy(s.data.data() + from, data.data() + (from - begin), to - from);
  };
  auto& have = s.have;
  std::size_t i = 0;
  while (i < have.size() && have[i].second < begin) ++i;
  const std::size_t first = i;
  bool overlap = false;
  std::uint32_t cursor = begin;
  std::uint32_t merged_begin = begin;
  std::uint32_t merged_end = end;
  // Ranges overlapping or touching [begin, end): fill the holes between them.
  while (i < have.size() && have[i].first <= end) {
    const auto [held_begin, held_end] = have[i];
    if (held_begin > cursor) copy(cursor, held_begin);
    if (held_begin < end && held_end > begin) overlap = true;
    cursor = std::max(cursor, held_end);
    merged_begin = std::min(merged_begin, held_begin);
    merged_end = std::max(merged_end, held_end);
    ++i;
  }
  if (cursor < end) copy(cursor, end);
  have.erase(have.begin() + static_cast<std::ptrdiff_t>(first),
             have.begin() + static_cast<std::ptrdiff_t>(i));
  have.insert(have.begin() + static_cast<std::ptrdiff_t>(first), {merged_begin, merged_end});
  return overlap;
}

void FragmentTable::build(const Set& s, bool v6, std::vector<std::uint8_t>& out) noexcept {
  out.clear();
  out.reserve(s.header.size() + s.end);
  out.insert(out.end(), s.header.begin(), s.header.end());
  out.insert(out.end(), s.data.begin(), s.data.begin() + s.end);
  if (v6) {
    if (s.next_header_offset < out.size()) out[s.next_header_offset] = s.next_header;
    store_be16(out.data() + 4, out.size() - 40);
  } else {
    store_be16(out.data() + 2, out.size());
    out[6] &= 0x40;  // keep DF, clear MF and the offset
    out[7] = 0;
    out[kIpv4HeaderChecksumOffset] = 0;
    out[kIpv4HeaderChecksumOffset + 1] = 0;
    store_be16(out.data() + kIpv4HeaderChecksumOffset,
               ipv4_header_checksum(out.data(), s.header.size()));
  }
}

FragmentTable::Result FragmentTable::add(const FragmentPiece& piece, std::uint64_t now_us,
                                         std::vector<std::uint8_t>& datagram) noexcept {
  const std::uint64_t end = std::uint64_t{piece.offset} + piece.data.size();
  // IPv4 total length and IPv6 payload length are 16-bit fields.
  const std::uint64_t max_total = piece.key.v6 ? 65535 + 40 : 65535;
  auto it = sets_.find(piece.key);
  if (it != sets_.end() && expired(it->second, now_us)) {
    counters_.bump(Counter::FragmentTimeout);
    erase(it);
    it = sets_.end();
  }
  if (end + piece.header.size() > max_total ||
      end + piece.header.size() > limits_.max_datagram_bytes) {
    // Ping of death: whatever was gathered for this datagram is useless now.
    counters_.bump(Counter::FragmentTooBig);
    if (it != sets_.end()) erase(it);
    return Result::Dropped;
  }
  if (piece.more && piece.data.size() % 8 != 0) {
    counters_.bump(Counter::FragmentInvalid);
    return Result::Dropped;
  }
  if (it == sets_.end()) {
    if (limits_.max_sets == 0) {
      counters_.bump(Counter::FragmentTableFull);
      return Result::Dropped;
    }
    while (sets_.size() >= limits_.max_sets) {
      counters_.bump(Counter::FragmentTableFull);
      evict_oldest();
    }
    order_.push_back(piece.key);
    it = sets_.try_emplace(piece.key).first;
    it->second.created_us = now_us;
    it->second.order = std::prev(order_.end());
  }
  Set& s = it->second;
  const auto end32 = static_cast<std::uint32_t>(end);

  // The last fragment fixes the length; fragments that disagree with it are
  // refused rather than allowed to move the end of what was already inspected.
  if (!piece.more) {
    const bool conflict =
        s.end_known ? s.end != end32 : (!s.have.empty() && s.have.back().second > end32);
    if (conflict) {
      counters_.bump(Counter::FragmentInvalid);
      return Result::Dropped;
    }
    s.end_known = true;
    s.end = end32;
  } else if (s.end_known && end32 > s.end) {
    counters_.bump(Counter::FragmentInvalid);
    return Result::Dropped;
  }

  if (end32 > s.data.size()) {
    const std::size_t grow = end32 - s.data.size();
    while (buffered_ + grow > limits_.max_buffered_bytes && !order_.empty() &&
           !(order_.front() == piece.key)) {
      counters_.bump(Counter::FragmentTableFull);
      evict_oldest();
    }
    if (buffered_ + grow > limits_.max_buffered_bytes) {
      counters_.bump(Counter::FragmentTableFull);
      return Result::Dropped;
    }
    s.data.resize(end32);
    buffered_ += grow;
  }

  bool overlap = fill(s, piece.offset, piece.data);
  if (piece.offset == 0) {
    if (s.header.empty()) {
      s.header.assign(piece.header.begin(), piece.header.end());
      buffered_ += s.header.size();
      s.next_header_offset = piece.next_header_offset;
      s.next_header = piece.next_header;
    } else {
      overlap = true;
    }
  }
  if (overlap) counters_.bump(Counter::FragmentOverlap);

  const bool whole =
      s.end == 0 || (s.have.size() == 1 && s.have[0].first == 0 && s.have[0].second == s.end);
  if (!s.end_known || s.header.empty() || !whole) return Result::Stored;
  // The decoder hands in whole fixed headers; this only guards the rewrite.
  if (s.header.size() < (piece.key.v6 ? 40U : 20U)) {
    counters_.bump(Counter::FragmentInvalid);
    erase(it);
    return Result::Dropped;
  }
  if (s.header.size() + s.end > max_total || s.header.size() + s.end > limits_.max_datagram_bytes) {
    counters_.bump(Counter::FragmentTooBig);
    erase(it);
    return Result::Dropped;
  }
  build(s, piece.key.v6, datagram);
  erase(it);
  counters_.bump(Counter::Reassembled);
  return Result::Complete;
}

}  // namespace vigil::inspect
