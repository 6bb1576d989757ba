#pragma once
// Packet sources through libpcap: capture files (pcap and pcapng, any link
// type libpcap reads) and live interfaces. Runs on the thread that reads it.
// Errors are returned as one line a person can act on, never thrown.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

struct CapturedPacket {
  Bytes frame;  // valid until the next call to next()
  std::uint64_t ts_us = 0;
  std::uint32_t wire_length = 0;
};

struct CaptureStats {
  std::uint64_t received = 0;
  std::uint64_t dropped_kernel = 0;     // ps_drop
  std::uint64_t dropped_interface = 0;  // ps_ifdrop
};

class PcapSource {
 public:
  struct LiveOptions {
    int snaplen = 65535;
    int buffer_bytes = 32 * 1024 * 1024;
    bool promiscuous = true;
    bool immediate = true;
    int timeout_ms = 100;
  };

  enum class Next : std::uint8_t { Packet, Timeout, End, Error };

  // Opens a capture file. On failure returns nullptr and sets `error`.
  static std::unique_ptr<PcapSource> open_file(const std::string& path, std::string& error);
  static std::unique_ptr<PcapSource> open_live(const std::string& interface,
                                               const LiveOptions& options, std::string& error);

  ~PcapSource();
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;

  // pcap_datalink() of the source: a DLT_ value.
  [[nodiscard]] int datalink() const noexcept;
  Next next(CapturedPacket& out) noexcept;
  [[nodiscard]] std::string last_error() const;
  [[nodiscard]] std::optional<CaptureStats> stats() const noexcept;
  void break_loop() noexcept;

 private:
  explicit PcapSource(void* handle) : handle_(handle) {}
  void* handle_;                         // pcap_t*
  std::unique_ptr<char[]> file_buffer_;  // stdio buffer of a capture file; outlives handle_
};

}  // namespace vigil::inspect
