#include "daemon/pipeline/capture.h"

#include <chrono>

#include "inspect/capture/pcap_source.h"
#include "inspect/decode/decoder.h"

namespace vigil::daemon {

struct LiveCapture::Source {
  std::string name;
  std::size_t producer = 0;
  std::unique_ptr<inspect::PcapSource> pcap;
  std::thread thread;
  std::atomic<std::uint64_t> frames{0};
  std::atomic<std::uint64_t> queue_drops{0};
  std::atomic<bool> running{false};
  // pcap_stats() is read by the capture thread itself (the handle is not
  // shared), about once a second, and kept here for stats().
  std::atomic<std::uint64_t> kernel_received{0};
  std::atomic<std::uint64_t> kernel_dropped{0};
  std::atomic<std::uint64_t> interface_dropped{0};
  mutable std::mutex mutex;  // error
  std::string error;

  void read_kernel_stats() {
    if (auto k = pcap->stats()) {
      kernel_received.store(k->received, std::memory_order_relaxed);
      kernel_dropped.store(k->dropped_kernel, std::memory_order_relaxed);
      interface_dropped.store(k->dropped_interface, std::memory_order_relaxed);
    }
  }
};

LiveCapture::LiveCapture(Pipeline& pipeline) : pipeline_(pipeline) {}

LiveCapture::~LiveCapture() { stop(); }

std::unique_ptr<LiveCapture> LiveCapture::open(const CaptureOptions& options, Pipeline& pipeline,
                                               std::string& error) {
  std::unique_ptr<LiveCapture> c(new LiveCapture(pipeline));
  inspect::PcapSource::LiveOptions live;
  live.snaplen = options.snaplen;
  live.buffer_bytes = options.buffer_bytes;
  live.promiscuous = options.promiscuous;
  live.immediate = options.block_timeout.count() == 0;
  live.timeout_ms = live.immediate ? 100 : static_cast<int>(options.block_timeout.count());
  for (std::size_t i = 0; i < options.interfaces.size(); ++i) {
    auto s = std::make_unique<Source>();
    s->name = options.interfaces[i];
    s->producer = i;
    std::string why;
    s->pcap = inspect::PcapSource::open_live(s->name, live, why);
    if (!s->pcap) {
      error = "capture: " + s->name + ": " + why;
      return nullptr;
    }
    const int dlt = s->pcap->datalink();
    if (!inspect::Decoder::supports(static_cast<std::uint32_t>(dlt))) {
      error = "capture: " + s->name + ": link type " + std::to_string(dlt) + " is not decoded";
      return nullptr;
    }
    c->sources_.push_back(std::move(s));
  }
  return c;
}

void LiveCapture::start() {
  for (auto& sp : sources_) {
    Source* s = sp.get();
    s->running.store(true);
    s->thread = std::thread([this, s] {
      const auto link = static_cast<std::uint32_t>(s->pcap->datalink());
      inspect::CapturedPacket pkt;
      auto next_stats = std::chrono::steady_clock::now();
      while (!stop_.load(std::memory_order_relaxed)) {
        const auto r = s->pcap->next(pkt);
        if (const auto now = std::chrono::steady_clock::now(); now >= next_stats) {
          s->read_kernel_stats();
          next_stats = now + std::chrono::seconds(1);
        }
        if (r == inspect::PcapSource::Next::Timeout) continue;
        if (r != inspect::PcapSource::Next::Packet) {
          if (r == inspect::PcapSource::Next::Error && !stop_.load()) {
            std::lock_guard lock(s->mutex);
            s->error = s->pcap->last_error();
          }
          break;
        }
        s->frames.fetch_add(1, std::memory_order_relaxed);
        if (!pipeline_.offer(s->producer, link, pkt.ts_us, pkt.frame)) {
          s->queue_drops.fetch_add(1, std::memory_order_relaxed);
        }
      }
      s->read_kernel_stats();
      s->running.store(false);
    });
  }
}

void LiveCapture::stop() {
  stop_.store(true);
  for (auto& s : sources_) {
    if (s->pcap) s->pcap->break_loop();
  }
  for (auto& s : sources_) {
    if (s->thread.joinable()) s->thread.join();
  }
}

std::vector<InterfaceStats> LiveCapture::stats() const {
  std::vector<InterfaceStats> out;
  for (const auto& s : sources_) {
    InterfaceStats st;
    st.name = s->name;
    st.frames = s->frames.load(std::memory_order_relaxed);
    st.queue_drops = s->queue_drops.load(std::memory_order_relaxed);
    st.running = s->running.load();
    st.kernel_received = s->kernel_received.load(std::memory_order_relaxed);
    st.kernel_dropped = s->kernel_dropped.load(std::memory_order_relaxed);
    st.interface_dropped = s->interface_dropped.load(std::memory_order_relaxed);
    std::lock_guard lock(s->mutex);
    st.error = s->error;
    out.push_back(std::move(st));
  }
  return out;
}

ReplayResult replay_file(const std::string& path, Pipeline& pipeline) {
  ReplayResult r;
  auto source = inspect::PcapSource::open_file(path, r.error);
  if (!source) {
    r.error = path + ": " + r.error;
    return r;
  }
  const int dlt = source->datalink();
  if (!inspect::Decoder::supports(static_cast<std::uint32_t>(dlt))) {
    r.error = path + ": link type " + std::to_string(dlt) + " is not decoded";
    return r;
  }
  const auto link = static_cast<std::uint32_t>(dlt);
  inspect::CapturedPacket pkt;
  for (;;) {
    const auto n = source->next(pkt);
    if (n != inspect::PcapSource::Next::Packet) {
      if (n == inspect::PcapSource::Next::Error) {
        // A capture cut short: what was read is used, and the caller is told.
        r.error = path + ": " + source->last_error() + " (after " + std::to_string(r.packets) +
                  " packets)";
      }
      break;
    }
    if (r.packets == 0) r.first_ts_us = pkt.ts_us;
    r.last_ts_us = pkt.ts_us;
    ++r.packets;
    pipeline.offer_wait(0, link, pkt.ts_us, pkt.frame);
  }
  r.ok = r.error.empty();
  return r;
}

}  // namespace vigil::daemon
