// The crash test's child: appends hits at a steady rate (default 1,000/s)
// through the store writer and prints every acknowledged hit as
// "ack <hit id> <flow id>" the moment its COMMIT has returned, and every
// committed audit row as "audit <row id>". A second connection writes an
// audit row every 20 ms meanwhile, so the writer also meets lock
// contention. It runs until killed (or for --seconds, as a safety net).
//
// usage: store_crash_child DB RUN [--rate N] [--seconds S]

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "store/casework.h"
#include "store/writer.h"

namespace {

// One write(2) per batch: a line is either wholly in the pipe or not at all
// once the process is killed (a pipe write of up to PIPE_BUF bytes is atomic,
// and the reader ignores a final line without its newline).
void write_all(const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n <= 0) std::_Exit(3);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: store_crash_child DB RUN [--rate N] [--seconds S]\n");
    return 2;
  }
  const std::string db = argv[1];
  const long run = std::strtol(argv[2], nullptr, 10);
  long rate = 1000;
  long seconds = 120;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rate") == 0) rate = std::strtol(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::strtol(argv[i + 1], nullptr, 10);
  }
  if (rate <= 0 || rate > 1'000'000 || seconds <= 0) return 2;

  vigil::store::WriterOptions o;
  o.path = db;
  o.batch_delay = std::chrono::milliseconds(10);
  o.busy_timeout = std::chrono::milliseconds(200);
  auto writer = vigil::store::Writer::open(o, [](std::span<const vigil::store::Ack> acks) {
    std::string out;
    out.reserve(acks.size() * 40);
    for (const auto& a : acks) {
      out += "ack " + std::to_string(a.hit_id) + " " + std::to_string(a.ticket) + "\n";
    }
    write_all(out);
  });
  if (!writer.ok()) {
    std::fprintf(stderr, "store_crash_child: %s\n", writer.error().message.c_str());
    return 1;
  }
  auto cw = vigil::store::Casework::open({db, std::chrono::milliseconds(2'000)});
  if (!cw.ok()) {
    std::fprintf(stderr, "store_crash_child: %s\n", cw.error().message.c_str());
    return 1;
  }
  write_all("ready\n");

  std::thread auditor([&] {
    for (long i = 0;; ++i) {
      auto id = (*cw)->audit("crash_test", "test.tick", "store", run, std::to_string(i));
      if (id.ok()) write_all("audit " + std::to_string(*id) + "\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  auditor.detach();

  // The hit's ticket within this run is its flow id's low part, so the
  // parent can check each acknowledged row holds the hit it was given.
  const auto start = std::chrono::steady_clock::now();
  const auto period = std::chrono::nanoseconds(1'000'000'000 / rate);
  auto next = start;
  for (long n = 1;; ++n) {
    vigil::store::HitRecord h;
    h.ts_us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    h.client_ip = "10.9." + std::to_string(n % 200) + "." + std::to_string(run % 250);
    h.kind = "domain";
    h.observation = "dns";
    h.value = "crash-" + std::to_string(run) + "-" + std::to_string(n) + ".example";
    h.list = "crash";
    h.entry = "example";
    h.category = n % 3 == 0 ? "gambling" : "extremism";
    h.severity = n % 5 == 0 ? "danger" : "caution";
    h.action = "alert";
    h.flow_id = static_cast<std::uint64_t>(run) * 10'000'000ULL + static_cast<std::uint64_t>(n);
    auto r = (*writer)->append(std::move(h));
    if (r.status != vigil::store::AppendStatus::Accepted ||
        r.ticket != static_cast<std::uint64_t>(n)) {
      std::fprintf(stderr, "store_crash_child: append %ld: %s\n", n,
                   std::string(vigil::store::append_status_name(r.status)).c_str());
      std::_Exit(4);
    }
    next += period;
    std::this_thread::sleep_until(next);
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(seconds)) break;
  }
  (*writer)->stop();
  std::_Exit(0);
}
