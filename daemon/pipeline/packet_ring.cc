#include "daemon/pipeline/packet_ring.h"

#include <bit>
#include <cstring>

namespace vigil::daemon {

PacketRing::PacketRing(std::size_t capacity_bytes) {
  const std::size_t size = std::bit_ceil(std::max<std::size_t>(capacity_bytes, 64 * 1024));
  data_ = std::make_unique<unsigned char[]>(size);
  mask_ = size - 1;
}

bool PacketRing::push(std::uint32_t link, std::uint64_t ts_us, inspect::Bytes frame) noexcept {
  const std::size_t need = record_size(frame.size());
  const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
  const std::uint64_t head = head_.load(std::memory_order_acquire);
  const std::size_t at = static_cast<std::size_t>(tail) & mask_;
  const std::size_t to_end = capacity() - at;
  // A record never wraps: when it does not fit before the end, a wrap
  // marker fills the rest and the record starts at offset 0.
  const std::size_t total = need <= to_end ? need : to_end + need;
  if (capacity() - static_cast<std::size_t>(tail - head) < total) return false;
  std::uint64_t pos = tail;
  if (need > to_end) {
    const Header wrap{kWrap, 0, 0};
    std::memcpy(data_.get() + at, &wrap, sizeof wrap);  // to_end >= kAlign: records are aligned
    pos += to_end;
  }
  const std::size_t where = static_cast<std::size_t>(pos) & mask_;
  const Header h{static_cast<std::uint32_t>(frame.size()), link, ts_us};
  std::memcpy(data_.get() + where, &h, sizeof h);
  if (!frame.empty()) std::memcpy(data_.get() + where + sizeof h, frame.data(), frame.size());
  // seq_cst pairs with wait(): either the consumer sees this frame before
  // sleeping, or this thread sees it asleep and signals.
  tail_.store(pos + need, std::memory_order_seq_cst);
  if (consumer_asleep_.load(std::memory_order_seq_cst)) wake();
  return true;
}

bool PacketRing::try_push(std::uint32_t link, std::uint64_t ts_us, inspect::Bytes frame) noexcept {
  if (record_size(frame.size()) > capacity() / 4 || closed_.load(std::memory_order_relaxed)) {
    return false;
  }
  return push(link, ts_us, frame);
}

bool PacketRing::push_wait(std::uint32_t link, std::uint64_t ts_us, inspect::Bytes frame) noexcept {
  if (record_size(frame.size()) > capacity() / 4) return false;
  while (!closed_.load(std::memory_order_relaxed)) {
    if (push(link, ts_us, frame)) return true;
    std::unique_lock lock(mutex_);
    producer_waiting_.store(true, std::memory_order_seq_cst);
    // The consumer may have made room since push() looked: the short
    // timeout bounds that case instead of a second handshake.
    cv_.wait_for(lock, std::chrono::milliseconds(2));
    producer_waiting_.store(false, std::memory_order_seq_cst);
  }
  return false;
}

void PacketRing::close() noexcept {
  closed_.store(true, std::memory_order_release);
  wake();
}

void PacketRing::wake() noexcept {
  std::lock_guard lock(mutex_);
  cv_.notify_all();
}

void PacketRing::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  consumer_asleep_.store(true, std::memory_order_seq_cst);
  // A frame pushed before the flag was seen is caught by this check; one
  // pushed after it finds the flag set and signals under the same mutex.
  if (head_.load(std::memory_order_relaxed) == tail_.load(std::memory_order_seq_cst) &&
      !closed_.load(std::memory_order_acquire)) {
    cv_.wait_for(lock, timeout);
  }
  consumer_asleep_.store(false, std::memory_order_relaxed);
}

bool PacketRing::closed_and_empty() const noexcept {
  return closed_.load(std::memory_order_acquire) &&
         head_.load(std::memory_order_relaxed) == tail_.load(std::memory_order_acquire);
}

}  // namespace vigil::daemon
