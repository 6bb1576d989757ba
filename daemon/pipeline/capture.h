#pragma once
// The producers that feed a Pipeline: one thread per live interface
// (libpcap, immediate mode, kernel buffer sized by configuration), or a
// capture file replayed on the caller's thread with packet time as the
// clock. Live capture never waits for a worker: a full queue is a counted
// drop, next to the kernel's own drop counts from pcap_stats.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/pipeline/pipeline.h"

namespace vigil::daemon {

struct CaptureOptions {
  std::vector<std::string> interfaces;
  int snaplen = 65535;
  int buffer_bytes = 32 << 20;
  bool promiscuous = true;
  // Block mode (libpcap's TPACKET_V3): frames are handed over when a block
  // fills or after this long. Zero: immediate mode (TPACKET_V2, fixed slots).
  std::chrono::milliseconds block_timeout{10};
};

struct InterfaceStats {
  std::string name;
  std::uint64_t frames = 0;             // read from libpcap
  std::uint64_t queue_drops = 0;        // refused by a full worker queue
  std::uint64_t kernel_received = 0;    // pcap_stats: ps_recv
  std::uint64_t kernel_dropped = 0;     // pcap_stats: ps_drop
  std::uint64_t interface_dropped = 0;  // pcap_stats: ps_ifdrop
  bool running = false;
  std::string error;  // why it stopped, when it did
};

class LiveCapture {
 public:
  // Opens every interface (the Pipeline must have one producer per
  // interface, in this order). nullptr with `error` naming the interface
  // when one cannot be opened.
  static std::unique_ptr<LiveCapture> open(const CaptureOptions& options, Pipeline& pipeline,
                                           std::string& error);
  ~LiveCapture();  // stop()
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  void start();
  void stop();
  [[nodiscard]] std::vector<InterfaceStats> stats() const;

 private:
  struct Source;
  explicit LiveCapture(Pipeline& pipeline);
  Pipeline& pipeline_;
  std::vector<std::unique_ptr<Source>> sources_;
  std::atomic<bool> stop_{false};
};

struct ReplayResult {
  bool ok = false;
  std::string error;  // unreadable file, or a read error part-way (packets before it were used)
  std::uint64_t packets = 0;
  std::uint64_t first_ts_us = 0;
  std::uint64_t last_ts_us = 0;
};

// Feeds one capture file to producer 0 of `pipeline`, waiting for room
// rather than dropping. Does not finish() the pipeline.
ReplayResult replay_file(const std::string& path, Pipeline& pipeline);

}  // namespace vigil::daemon
