#pragma once
// A single-producer, single-consumer ring of captured frames: one per
// (capture thread, worker) pair, so neither side ever takes a lock on the
// packet path. Frames are copied in (the capture library reuses its buffer)
// as variable-length records; a full ring refuses the frame and the
// producer counts the drop. The consumer sleeps on a condition variable
// only after finding the ring empty, and the producer signals only when
// the consumer says it is asleep.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>

#include "inspect/util/byte_reader.h"

namespace vigil::daemon {

class PacketRing {
 public:
  // `capacity_bytes` is rounded up to a power of two (at least 64 KiB).
  explicit PacketRing(std::size_t capacity_bytes);
  PacketRing(const PacketRing&) = delete;
  PacketRing& operator=(const PacketRing&) = delete;

  // Producer. False when the ring has no room (the caller counts a drop) or
  // the frame is larger than a quarter of the ring.
  bool try_push(std::uint32_t link, std::uint64_t ts_us, inspect::Bytes frame) noexcept;
  // Producer (replaying a capture, where nothing may be dropped): waits for
  // room. False only for a frame that can never fit, or after close().
  bool push_wait(std::uint32_t link, std::uint64_t ts_us, inspect::Bytes frame) noexcept;
  // Producer: no more frames will come.
  void close() noexcept;

  // Consumer: hands up to `max` frames to fn(link, ts_us, frame) (the
  // bytes are valid during the call) and returns how many.
  template <class Fn>
  std::size_t pop(Fn&& fn, std::size_t max);
  // Consumer: sleeps until a frame arrives, the ring is closed, or `timeout`.
  void wait(std::chrono::milliseconds timeout);
  [[nodiscard]] bool closed_and_empty() const noexcept;

  [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }

 private:
  struct Header {
    std::uint32_t size;  // frame bytes; kWrap: skip to the ring's start
    std::uint32_t link;
    std::uint64_t ts_us;
  };
  static constexpr std::uint32_t kWrap = 0xFFFFFFFFU;
  static constexpr std::size_t kAlign = sizeof(Header);  // a wrap marker always fits

  static std::size_t record_size(std::size_t frame) noexcept {
    return (sizeof(Header) + frame + kAlign - 1) & ~(kAlign - 1);
  }
  bool push(std::uint32_t link, std::uint64_t ts_us, inspect::Bytes frame) noexcept;
  void wake() noexcept;

  std::unique_ptr<unsigned char[]> data_;
  std::size_t mask_ = 0;
  alignas(64) std::atomic<std::uint64_t> head_{0};  // consumer position
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // producer position
  std::atomic<bool> closed_{false};
  std::atomic<bool> consumer_asleep_{false};
  std::atomic<bool> producer_waiting_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
};

template <class Fn>
std::size_t PacketRing::pop(Fn&& fn, std::size_t max) {
  std::uint64_t head = head_.load(std::memory_order_relaxed);
  const std::uint64_t tail = tail_.load(std::memory_order_seq_cst);
  std::size_t n = 0;
  while (head != tail && n < max) {
    Header h;
    const std::size_t at = static_cast<std::size_t>(head) & mask_;
    std::memcpy(&h, data_.get() + at, sizeof h);
    if (h.size == kWrap) {
      head += capacity() - at;
      continue;
    }
    fn(h.link, h.ts_us, inspect::Bytes(data_.get() + at + sizeof h, h.size));
    head += record_size(h.size);
    ++n;
  }
  head_.store(head, std::memory_order_seq_cst);
  if (n > 0 && producer_waiting_.load(std::memory_order_seq_cst)) wake();
  return n;
}

}  // namespace vigil::daemon
