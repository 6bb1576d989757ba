#include "inspect/capture/pcap_source.h"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vigil::inspect {
namespace {

constexpr std::size_t kFileBufferBytes = 1 << 20;

pcap_t* as_pcap(void* p) { return static_cast<pcap_t*>(p); }

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

std::unique_ptr<PcapSource> PcapSource::open_file(const std::string& path, std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  // libpcap reads files through stdio; with the default 4 KiB buffer the
  // read system calls cost more than decoding. Give the stream a larger one.
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    error = std::strerror(errno);
    return nullptr;
  }
  auto buffer = std::make_unique<char[]>(kFileBufferBytes);
  std::setvbuf(file, buffer.get(), _IOFBF, kFileBufferBytes);
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (p == nullptr) {
    std::fclose(file);
    error = one_line(errbuf);
    return nullptr;
  }
  auto source = std::unique_ptr<PcapSource>(new PcapSource(p));
  source->file_buffer_ = std::move(buffer);
  return source;
}

std::unique_ptr<PcapSource> PcapSource::open_live(const std::string& interface,
                                                  const LiveOptions& options, std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(interface.c_str(), errbuf);
  if (p == nullptr) {
    error = one_line(errbuf);
    return nullptr;
  }
  pcap_set_snaplen(p, options.snaplen);
  pcap_set_promisc(p, options.promiscuous ? 1 : 0);
  pcap_set_timeout(p, options.timeout_ms);
  pcap_set_buffer_size(p, options.buffer_bytes);
  pcap_set_immediate_mode(p, options.immediate ? 1 : 0);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);
  int rc = pcap_activate(p);
  if (rc < 0) {
    error = interface + ": " + one_line(pcap_geterr(p));
    if (error == interface + ": ") error = interface + ": " + pcap_statustostr(rc);
    pcap_close(p);
    return nullptr;
  }
  return std::unique_ptr<PcapSource>(new PcapSource(p));
}

PcapSource::~PcapSource() { pcap_close(as_pcap(handle_)); }

int PcapSource::datalink() const noexcept { return pcap_datalink(as_pcap(handle_)); }

PcapSource::Next PcapSource::next(CapturedPacket& out) noexcept {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(as_pcap(handle_), &hdr, &data);
  if (rc == 1) {
    out.frame = Bytes(data, hdr->caplen);
    out.ts_us = static_cast<std::uint64_t>(hdr->ts.tv_sec) * 1'000'000u +
                static_cast<std::uint64_t>(hdr->ts.tv_usec);
    out.wire_length = hdr->len;
    return Next::Packet;
  }
  if (rc == 0) return Next::Timeout;
  if (rc == PCAP_ERROR_BREAK) return Next::End;
  return Next::Error;
}

std::string PcapSource::last_error() const { return one_line(pcap_geterr(as_pcap(handle_))); }

std::optional<CaptureStats> PcapSource::stats() const noexcept {
  pcap_stat st{};
  if (pcap_stats(as_pcap(handle_), &st) != 0) return std::nullopt;
  return CaptureStats{st.ps_recv, st.ps_drop, st.ps_ifdrop};
}

void PcapSource::break_loop() noexcept { pcap_breakloop(as_pcap(handle_)); }

}  // namespace vigil::inspect
