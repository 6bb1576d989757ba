#pragma once
// RFC 5424 syslog messages for SIEM tools and the centre's log server, sent
// to the local syslog socket (/dev/log, a Unix datagram socket), or to a
// collector over UDP (RFC 5426) or TCP with octet-counting framing
// (RFC 6587 section 3.4.1: "LEN SP MSG").
//
// A message says what happened and where to look, never who: category,
// severity, action, the list and entry that matched, and a link to the
// console. No learner name or reference, no client address, no search terms
// or page text a learner typed or read.
//
// Structured data uses the SD-ID "vigil@32473". 32473 is the example
// Private Enterprise Number reserved for documentation by RFC 5612; Vigil
// has no PEN of its own. A deployment that registers one changes kSdId.
//
// SyslogSender formats in the caller's thread and queues; one sender thread
// does the I/O. send() never blocks on the network: a full queue drops the
// message and counts it.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rules/hit.h"

namespace vigil::daemon {

inline constexpr std::string_view kSdId = "vigil@32473";

enum class SyslogSeverity : std::uint8_t {
  Emergency = 0,
  Alert = 1,
  Critical = 2,
  Error = 3,
  Warning = 4,
  Notice = 5,
  Informational = 6,
  Debug = 7,
};

inline constexpr std::uint8_t kFacilityDaemon = 3;
inline constexpr std::uint8_t kFacilityLocal0 = 16;

struct SyslogParam {
  std::string name{};  // an SD-NAME: 1-32 printable ASCII, no '=', ' ', ']' or '"'
  std::string value{};
};

// One event. msgid says what kind: "alert" (a rule hit), "concern" (raised
// for the DSL), "alarm" (vigild's own health: drops, a failed reload).
struct SyslogEvent {
  std::uint64_t ts_us = 0;  // wall clock, microseconds since the Unix epoch
  SyslogSeverity severity = SyslogSeverity::Notice;
  std::string msgid{};
  std::vector<SyslogParam> params{};  // the kSdId element, in this order
  std::string msg{};                  // UTF-8 text
};

// The parts of the header that are the same for every message.
struct SyslogHeader {
  std::uint8_t facility = kFacilityDaemon;  // 0..23
  std::string hostname{};                   // "" : "-" (the NILVALUE)
  std::string app_name = "vigild";
  std::string procid{};  // "" : "-"
};

// The header for this process: facility, gethostname(), "vigild", getpid().
SyslogHeader local_syslog_header(std::uint8_t facility = kFacilityDaemon);

// One RFC 5424 message, without framing:
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [vigil@32473 k="v" ...] BOM MSG
// TIMESTAMP is UTC with microseconds ("2024-05-01T10:00:00.000000Z").
// Header fields keep printable ASCII only (anything else becomes '_') and
// are cut to their RFC lengths. Parameter values and MSG are made valid
// UTF-8 (a bad byte becomes U+FFFD) with control characters as '?', so a
// value cannot start a new log line; in values '"', '\' and ']' are escaped
// with a backslash, and each value is cut to 256 bytes first. MSG is cut at
// a character boundary so the message fits in `max_bytes` where the header
// and structured data allow.
std::string format_rfc5424(const SyslogEvent& event, const SyslogHeader& header,
                           std::size_t max_bytes = 2048);

// The syslog event for one rule hit: msgid "alert"; severity Critical for a
// danger hit, Warning for caution, Notice for advisory; parameters category,
// severity, action, verdict, kind, list, entry, line, statutory and, when
// `console_url` is set, console.
SyslogEvent syslog_alert(const rules::Decision& decision, const rules::Hit& hit,
                         std::uint64_t ts_us, std::string_view console_url);

// Where messages go.
struct SyslogTarget {
  enum class Transport : std::uint8_t { Unix, Udp, Tcp };
  Transport transport = Transport::Unix;
  std::string path = "/dev/log";  // Unix
  std::string host{};             // Udp, Tcp: a name or address (IPv6 without brackets)
  std::uint16_t port = 514;
};

// "udp://host:port", "tcp://host:port" (the port defaults to 514; IPv6 in
// brackets, "udp://[2001:db8::1]:514") or "unix:/path". nullopt with `error`
// set otherwise.
std::optional<SyslogTarget> parse_syslog_target(std::string_view text, std::string& error);

struct SyslogOptions {
  SyslogTarget target{};
  SyslogHeader header = local_syslog_header();
  std::size_t queue_messages = 4096;
  std::size_t max_message_bytes = 2048;  // RFC 5424 receivers must take 480, should take 2048
  std::chrono::milliseconds reconnect_min{500};  // back-off after a failed connect, doubling
  std::chrono::milliseconds reconnect_max{30'000};
  std::chrono::milliseconds io_timeout{2'000};     // TCP connect and a stalled send
  std::chrono::milliseconds drain_timeout{2'000};  // stop(): time to send what is queued
};

struct SyslogStats {
  std::uint64_t queued = 0;
  std::uint64_t sent = 0;
  std::uint64_t dropped_full = 0;           // the queue was full
  std::uint64_t dropped_undeliverable = 0;  // failed 3 times, too big, or left at stop()
  std::uint64_t connects = 0;
  std::uint64_t connect_failures = 0;
};

class SyslogSender {
 public:
  explicit SyslogSender(SyslogOptions options);
  ~SyslogSender();  // stop()
  SyslogSender(const SyslogSender&) = delete;
  SyslogSender& operator=(const SyslogSender&) = delete;

  void start();

  // From any thread: formats and queues. False when dropped (counted).
  bool send(const SyslogEvent& event);

  // Waits until every message queued before the call has been sent or
  // dropped. False on timeout, or when not started.
  bool flush(std::chrono::milliseconds timeout);

  // Sends what is queued for up to drain_timeout, then stops the thread and
  // closes the socket; what is left is counted as undeliverable. Idempotent.
  void stop();

  [[nodiscard]] SyslogStats stats() const;

 private:
  struct Pending {
    std::string frame;  // what goes on the wire (TCP: with its length prefix)
    int attempts = 0;
  };

  enum class Delivery : std::uint8_t {
    Sent,
    Retry,      // failed: reconnect and try again (at most kMaxAttempts in all)
    RetryFree,  // the connection had gone before the frame was tried
    Never,      // cannot ever be sent (too big for a datagram)
  };

  void run();
  bool stopping_now();
  bool connect_now();  // on failure, schedules the next attempt with back-off
  void disconnect();
  bool peer_closed() const;
  Delivery deliver(const std::string& frame);

  const SyslogOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable progress_;
  // Under mutex_:
  std::deque<Pending> queue_;
  std::uint64_t accepted_ = 0;
  std::uint64_t done_ = 0;  // sent or dropped after being queued
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  SyslogStats stats_;

  // The sender thread's own:
  int fd_ = -1;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_connect_{};
  std::thread thread_;
};

}  // namespace vigil::daemon
