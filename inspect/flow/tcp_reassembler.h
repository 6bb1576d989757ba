#pragma once
// Reassembly of one TCP direction into in-order data. In-order segments are
// passed straight through without copying; segments ahead of the expected
// sequence number are held (bounded) until the hole fills. Retransmitted
// bytes are trimmed: the first copy of a byte wins. When the held data passes
// its bound the hole is declared lost and the consumer is told of the gap.

#include <cstdint>
#include <vector>

#include "inspect/counters.h"
#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

// Receives reassembled data. `gap_before` is true when bytes were lost
// immediately before `data`.
class TcpStreamConsumer {
 public:
  virtual void on_stream_data(Bytes data, bool gap_before) noexcept = 0;

 protected:
  ~TcpStreamConsumer() = default;
};

class TcpReassembler {
 public:
  // Out-of-order bytes held by all the reassemblers of one worker, so that
  // many flows with holes cannot add up to more than `limit` bytes.
  struct SharedBudget {
    std::size_t used = 0;
    std::size_t limit = 64u << 20;
  };

  struct Limits {
    std::uint32_t window = 1u << 20;  // accept segments at most this far ahead
    std::size_t max_held_segments = 64;
    std::size_t max_held_bytes = 256 * 1024;
    SharedBudget* shared = nullptr;  // optional; must outlive the reassembler
  };

  TcpReassembler() = default;
  explicit TcpReassembler(Limits limits) : limits_(limits) {}
  ~TcpReassembler();
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;

  // Sets the limits before the first segment.
  void set_limits(const Limits& limits) noexcept { limits_ = limits; }

  // One TCP segment of this direction. SYN sets the initial sequence number;
  // without one the first segment seen starts the stream.
  void on_segment(std::uint32_t seq, std::uint8_t flags, Bytes payload, Counters& counters,
                  TcpStreamConsumer& consumer) noexcept;

  // End of the flow: hand over whatever is held, gaps and all.
  void flush(TcpStreamConsumer& consumer) noexcept;

  [[nodiscard]] bool started() const noexcept { return started_; }
  [[nodiscard]] std::uint64_t delivered_bytes() const noexcept { return delivered_; }
  [[nodiscard]] std::size_t held_bytes() const noexcept { return held_bytes_; }
  // Bytes lost in the last gap reported to the consumer (valid during its
  // on_stream_data call with gap_before set).
  [[nodiscard]] std::uint32_t last_gap_bytes() const noexcept { return last_gap_; }

  static constexpr std::uint8_t kFin = 0x01;
  static constexpr std::uint8_t kSyn = 0x02;
  static constexpr std::uint8_t kRst = 0x04;
  static constexpr std::uint8_t kAck = 0x10;

 private:
  struct Held {
    std::uint32_t seq;
    std::vector<std::uint8_t> data;
  };

  void deliver(std::uint32_t seq, Bytes payload, bool gap, TcpStreamConsumer& consumer) noexcept;
  void drain(TcpStreamConsumer& consumer) noexcept;
  void skip_hole(TcpStreamConsumer& consumer) noexcept;
  void release(std::size_t bytes) noexcept;

  Limits limits_;
  bool started_ = false;
  std::uint32_t next_seq_ = 0;
  std::uint64_t delivered_ = 0;
  std::vector<Held> held_;  // sorted by seq (relative to next_seq_)
  std::size_t held_bytes_ = 0;
  std::uint32_t last_gap_ = 0;
};

}  // namespace vigil::inspect
