#include "daemon/events/eve_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vigil::daemon {
namespace {

// O_NONBLOCK so a FIFO at the path cannot hang the caller; it is refused
// below anyway (only a regular file is an append-only log).
int open_file(const std::string& path, std::string& error) {
  if (path.empty()) {
    error = "cannot open EVE file: no path";
    return -1;
  }
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0640);
  if (fd < 0) {
    error = "cannot open EVE file " + path + ": " + std::strerror(errno);
    return -1;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    error = "cannot open EVE file " + path + ": not a regular file";
    return -1;
  }
  return fd;
}

std::uint64_t count_lines(std::string_view s) {
  return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

std::unique_ptr<EveWriter> EveWriter::open(const EveWriterOptions& options, std::string& error) {
  const int fd = open_file(options.path, error);
  if (fd < 0) return nullptr;
  return std::unique_ptr<EveWriter>(new EveWriter(options, fd));
}

EveWriter::EveWriter(const EveWriterOptions& options, int fd)
    : capacity_(std::max<std::size_t>(options.queue_bytes, 1)),
      sync_interval_(options.sync_interval),
      path_(options.path),
      fd_(fd) {
  // Both buffers are reserved once: write() appends within capacity and the
  // writer swaps them, so neither ever reallocates.
  pending_.reserve(capacity_);
  batch_.reserve(capacity_);
}

EveWriter::~EveWriter() { close(); }

void EveWriter::start() {
  std::lock_guard lock(mutex_);
  if (started_ || closed_) return;
  started_ = true;
  last_sync_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { run(); });
}

bool EveWriter::write(std::string_view line) noexcept {
  const bool bad = line.empty() || line.find('\n') != std::string_view::npos;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (bad) {
      ++stats_.lines_rejected;
      return false;
    }
    if (stopping_ || closed_ || pending_.size() + line.size() + 1 > capacity_) {
      ++stats_.lines_dropped;
      return false;
    }
    wake = pending_.empty();
    pending_.append(line);
    pending_ += '\n';
    ++pending_lines_;
    ++stats_.lines_accepted;
  }
  if (wake) wake_.notify_one();
  return true;
}

bool EveWriter::reopen(std::string& error) { return reopen(path(), error); }

bool EveWriter::reopen(const std::string& path, std::string& error) {
  const int fd = open_file(path, error);
  if (fd < 0) return false;
  int unused = -1;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || stopping_) {
      unused = fd;
    } else {
      // A second reopen before the writer switched: the first new file is
      // never written, and everything queued so far goes to the old one.
      unused = next_fd_;
      next_fd_ = fd;
      switch_at_ = pending_.size();
      switch_lines_ = pending_lines_;
      path_ = path;
    }
  }
  if (unused >= 0) ::close(unused);
  if (unused == fd) {
    error = "cannot reopen EVE file " + path + ": the writer is closed";
    return false;
  }
  wake_.notify_one();
  return true;
}

bool EveWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!started_ || closed_) return false;
  const std::uint64_t target = stats_.lines_accepted;
  return written_.wait_for(lock, timeout, [&] { return done_lines_ >= target; });
}

void EveWriter::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (!started_) {  // lines queued before start() are still written
      started_ = true;
      thread_ = std::thread([this] { run(); });
    }
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  if (fd_ >= 0) {
    if (::fdatasync(fd_) == 0) ++stats_.syncs;
    ::close(fd_);
    fd_ = -1;
  }
  closed_ = true;
}

EveWriterStats EveWriter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::string EveWriter::path() const {
  std::lock_guard lock(mutex_);
  return path_;
}

void EveWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto ready = [&] { return stopping_ || !pending_.empty() || next_fd_ >= 0; };
    if (unsynced_ && sync_interval_.count() > 0) {
      wake_.wait_until(lock, last_sync_ + sync_interval_, ready);
    } else {
      wake_.wait(lock, ready);
    }
    batch_.swap(pending_);
    const std::uint64_t lines = pending_lines_;
    pending_lines_ = 0;
    const int new_fd = next_fd_;
    const std::size_t switch_at = switch_at_;
    const std::uint64_t switch_lines = switch_lines_;
    next_fd_ = -1;
    const bool reopened = new_fd >= 0;
    if (reopened) ++stats_.reopens;
    lock.unlock();

    // Lines queued before reopen() belong to the old file.
    Outcome out;
    std::string_view rest(batch_);
    if (reopened) {
      write_batch(rest.substr(0, switch_at), switch_lines, out);
      rest.remove_prefix(switch_at);
      if (unsynced_ && ::fdatasync(fd_) == 0) ++out.syncs;
      ::close(fd_);
      fd_ = new_fd;
      torn_ = false;
      unsynced_ = false;
    }
    write_batch(rest, lines - (reopened ? switch_lines : 0), out);
    batch_.clear();
    const auto now = std::chrono::steady_clock::now();
    if (unsynced_ && sync_interval_.count() > 0 && now - last_sync_ >= sync_interval_) {
      if (::fdatasync(fd_) == 0) ++out.syncs;
      unsynced_ = false;
      last_sync_ = now;
    }

    lock.lock();
    stats_.lines_written += out.written;
    stats_.lines_lost += out.lost;
    stats_.write_errors += out.errors;
    stats_.syncs += out.syncs;
    done_lines_ += lines;
    written_.notify_all();
    if (stopping_ && pending_.empty() && next_fd_ < 0) break;
  }
}

void EveWriter::write_batch(std::string_view data, std::uint64_t lines, Outcome& out) {
  if (data.empty()) return;
  // After a write that failed inside a line, start on a fresh line so only
  // that one line is damaged.
  if (torn_) {
    for (;;) {
      const ssize_t n = ::write(fd_, "\n", 1);
      if (n < 0 && errno == EINTR) continue;
      if (n == 1) torn_ = false;
      break;
    }
    if (torn_) {
      ++out.errors;
      out.lost += lines;
      return;
    }
  }
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  if (off > 0) unsynced_ = true;
  if (off == data.size()) {
    out.written += lines;
    return;
  }
  // Lines from the one the write stopped in onwards are lost.
  ++out.errors;
  const std::uint64_t complete = count_lines(data.substr(0, off));
  out.written += complete;
  out.lost += lines - complete;
  torn_ = off > 0 && data[off - 1] != '\n';
}

}  // namespace vigil::daemon
