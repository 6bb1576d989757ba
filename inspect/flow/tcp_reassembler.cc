#include "inspect/flow/tcp_reassembler.h"

#include <algorithm>

namespace vigil::inspect {
namespace {

// Signed distance from b to a in sequence space (RFC 1982 style).
std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) noexcept {
  return static_cast<std::int32_t>(a - b);
}

}  // namespace

void TcpReassembler::on_segment(std::uint32_t seq, std::uint8_t flags, Bytes payload,
                                Counters& counters, TcpStreamConsumer& consumer) noexcept {
  if (flags & kSyn) {
    if (!started_) {
      started_ = true;
      next_seq_ = seq + 1;
    }
    seq += 1;  // data on a SYN (TCP Fast Open) follows the SYN's sequence number
  }
  if (payload.empty()) return;
  if (!started_) {
    started_ = true;
    next_seq_ = seq;
  }

  std::int32_t rel = seq_diff(seq, next_seq_);
  if (rel <= 0) {
    auto behind = static_cast<std::uint64_t>(-static_cast<std::int64_t>(rel));
    if (behind >= payload.size()) {
      counters.bump(Counter::TcpRetransmission);
      return;
    }
    if (behind > 0) counters.bump(Counter::TcpRetransmission);
    deliver(next_seq_, payload.subspan(behind), false, consumer);
    drain(consumer);
    return;
  }

  if (static_cast<std::uint32_t>(rel) > limits_.window) {
    counters.bump(Counter::TcpOutOfWindow);
    return;
  }
  counters.bump(Counter::TcpOutOfOrder);
  auto pos = std::find_if(held_.begin(), held_.end(),
                          [&](const Held& h) { return seq_diff(h.seq, seq) > 0; });
  held_.insert(pos, Held{seq, std::vector<std::uint8_t>(payload.begin(), payload.end())});
  held_bytes_ += payload.size();
  if (limits_.shared != nullptr) limits_.shared->used += payload.size();
  bool over_shared = limits_.shared != nullptr && limits_.shared->used > limits_.shared->limit;
  if (over_shared) counters.bump(Counter::TcpHeldBudgetExceeded);
  if (held_.size() > limits_.max_held_segments || held_bytes_ > limits_.max_held_bytes ||
      over_shared) {
    counters.bump(Counter::TcpGap);
    skip_hole(consumer);
    // Over the worker's budget, give up on this direction's other holes too.
    if (over_shared) flush(consumer);
  }
}

TcpReassembler::~TcpReassembler() { release(held_bytes_); }

void TcpReassembler::release(std::size_t bytes) noexcept {
  if (limits_.shared != nullptr) limits_.shared->used -= bytes;
}

void TcpReassembler::deliver(std::uint32_t seq, Bytes payload, bool gap,
                             TcpStreamConsumer& consumer) noexcept {
  if (gap) {
    const std::int32_t lost = seq_diff(seq, next_seq_);
    last_gap_ = lost > 0 ? static_cast<std::uint32_t>(lost) : 0;
  }
  next_seq_ = seq + static_cast<std::uint32_t>(payload.size());
  delivered_ += payload.size();
  consumer.on_stream_data(payload, gap);
}

void TcpReassembler::drain(TcpStreamConsumer& consumer) noexcept {
  while (!held_.empty()) {
    Held& h = held_.front();
    std::int32_t rel = seq_diff(h.seq, next_seq_);
    if (rel > 0) break;
    auto behind = static_cast<std::uint64_t>(-static_cast<std::int64_t>(rel));
    if (behind < h.data.size()) {
      Bytes rest = Bytes(h.data).subspan(behind);
      // `rest` points into `h`, which is erased after delivery.
      deliver(next_seq_, rest, false, consumer);
    }
    held_bytes_ -= h.data.size();
    release(h.data.size());
    held_.erase(held_.begin());
  }
}

void TcpReassembler::skip_hole(TcpStreamConsumer& consumer) noexcept {
  if (held_.empty()) return;
  Held first = std::move(held_.front());
  held_.erase(held_.begin());
  held_bytes_ -= first.data.size();
  release(first.data.size());
  deliver(first.seq, first.data, true, consumer);
  drain(consumer);
}

void TcpReassembler::flush(TcpStreamConsumer& consumer) noexcept {
  while (!held_.empty()) skip_hole(consumer);
}

}  // namespace vigil::inspect
