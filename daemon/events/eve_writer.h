#pragma once
// An append-only file of EVE JSON lines (inspect/eve_json.h, eve_alert.h),
// written by one thread for all workers.
//
// Workers call write() with a finished line; it is appended to an in-memory
// batch under a short lock and never waits for the disk. The batch is
// bounded (queue_bytes, reserved up front so write() does not allocate): a
// line that does not fit is dropped and counted. The writer thread swaps the
// batch out and writes it with write(2) on a descriptor opened
// O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, mode 0640. A single thread appends, so
// lines never interleave; a line is torn only when a write fails part-way
// (disk full), and the next line then starts on a fresh line.
//
// Durability: lines reach the page cache when their batch is written (within
// milliseconds); with sync_interval > 0 the writer also calls fdatasync(2) at
// most that often while there is unsynced data, and always on close(). The
// default is no fdatasync: the EVE file is a copy for SIEM tools, the
// incident store is the record (and syncs its own writes).
//
// Log rotation: rename the file, then make vigild call reopen() (SIGHUP or
// `vigilctl reload`). reopen() opens the path again in the caller's thread,
// so an unwritable path is reported at once and the old file stays in use;
// lines accepted after the call go to the new file.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace vigil::daemon {

struct EveWriterOptions {
  std::string path{};
  std::size_t queue_bytes = 8u << 20;          // lines waiting for the writer thread
  std::chrono::milliseconds sync_interval{0};  // 0: no fdatasync until close()
};

struct EveWriterStats {
  std::uint64_t lines_accepted = 0;
  std::uint64_t lines_written = 0;
  std::uint64_t lines_dropped = 0;   // the queue was full
  std::uint64_t lines_rejected = 0;  // empty, or held a newline (a bug upstream)
  std::uint64_t lines_lost = 0;      // in a write that failed (disk full, I/O error)
  std::uint64_t write_errors = 0;
  std::uint64_t reopens = 0;
  std::uint64_t syncs = 0;
};

class EveWriter {
 public:
  // Opens (or creates, 0640) the file; nullptr with `error` set ("cannot
  // open EVE file PATH: reason") when it cannot. The writer thread starts
  // with start(); lines written before it wait in the queue.
  static std::unique_ptr<EveWriter> open(const EveWriterOptions& options, std::string& error);
  ~EveWriter();  // close()
  EveWriter(const EveWriter&) = delete;
  EveWriter& operator=(const EveWriter&) = delete;

  void start();

  // From any thread. One event without its newline. False when the line was
  // dropped (queue full) or rejected; both are counted.
  bool write(std::string_view line) noexcept;

  // Opens the path again (after a rename by logrotate), or a new path (a
  // changed events.eve_path). On failure `error` is set and the current file
  // stays in use.
  bool reopen(std::string& error);
  bool reopen(const std::string& path, std::string& error);

  // Waits until every line accepted before the call has been written (or
  // lost to a write error). False on timeout, or when not started.
  bool flush(std::chrono::milliseconds timeout);

  // Writes what is queued, fdatasync()s, stops the thread and closes the
  // file. Idempotent; write() afterwards drops.
  void close();

  [[nodiscard]] EveWriterStats stats() const;
  [[nodiscard]] std::string path() const;

 private:
  struct Outcome {  // one writer cycle, added to stats_ under the lock
    std::uint64_t written = 0;
    std::uint64_t lost = 0;
    std::uint64_t errors = 0;
    std::uint64_t syncs = 0;
  };

  EveWriter(const EveWriterOptions& options, int fd);
  void run();
  void write_batch(std::string_view data, std::uint64_t lines, Outcome& out);

  const std::size_t capacity_;
  const std::chrono::milliseconds sync_interval_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the writer: lines, a new file, or stop
  std::condition_variable written_;  // flush(): progress
  // Under mutex_:
  std::string path_;
  std::string pending_;  // lines waiting, each ending in '\n'
  std::uint64_t pending_lines_ = 0;
  int next_fd_ = -1;                // a reopened file for the writer to switch to
  std::size_t switch_at_ = 0;       // ... after this many bytes of pending_
  std::uint64_t switch_lines_ = 0;  // (these lines)
  std::uint64_t done_lines_ = 0;    // written or lost
  bool started_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  EveWriterStats stats_;

  // The writer thread's own (or close()'s after the thread has gone):
  int fd_ = -1;
  std::string batch_;  // swapped with pending_
  bool torn_ = false;  // the last write ended inside a line
  bool unsynced_ = false;
  std::chrono::steady_clock::time_point last_sync_{};
  std::thread thread_;
};

}  // namespace vigil::daemon
