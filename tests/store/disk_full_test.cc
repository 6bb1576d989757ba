// Full disk: the store lives on a small tmpfs mounted in a private mount
// namespace (needs root; otherwise the test reports itself skipped with exit
// status 77). The disk is filled until SQLite gets SQLITE_FULL; the writer
// must raise the disk-full alarm, keep accepting hits into its spool up to
// the bound, count every hit over the bound exactly, commit nothing while
// the disk is full, and drain everything it accepted once space is freed.
//
// usage: store_disk_full_test

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "store/maintenance.h"
#include "store/reader.h"
#include "store/writer.h"
#include "tests/unit/store/store_test_util.h"

namespace {

using namespace vigil::store;
using Clock = std::chrono::steady_clock;

int failures = 0;
#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                          \
    }                                                                      \
  } while (0)

constexpr int kSkip = 77;

HitRecord hit(std::uint64_t flow) {
  HitRecord h = testing::make_hit(testing::kNow + static_cast<TimeUs>(flow),
                                  "10.3.0." + std::to_string(flow % 50));
  h.flow_id = flow;
  // About 1 KB a hit, so the database outgrows the space left quickly.
  h.value = "full-" + std::to_string(flow) + "." + std::string(1000, 'p') + ".example";
  return h;
}

// Writes until the file system says ENOSPC; returns the bytes written.
long long fill(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return -1;
  std::setvbuf(f, nullptr, _IONBF, 0);
  std::vector<char> block(std::size_t{64} * 1024, 'f');
  long long total = 0;
  for (std::size_t size = block.size(); size >= 512; size /= 2) {
    while (std::fwrite(block.data(), 1, size, f) == size) total += static_cast<long long>(size);
    std::clearerr(f);
  }
  std::fclose(f);
  return total;
}

}  // namespace

int main() {
  if (::geteuid() != 0) {
    std::printf("skipped: mounting a tmpfs needs root\n");
    return kSkip;
  }
  if (::unshare(CLONE_NEWNS) != 0 ||
      ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    std::printf("skipped: no private mount namespace (%s)\n", std::strerror(errno));
    return kSkip;
  }
  testing::TempDir dir;
  const std::string mnt = dir.path().string();
  if (::mount("vigil-store-test", mnt.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
              "size=16m,mode=0700") != 0) {
    std::printf("skipped: cannot mount a tmpfs (%s)\n", std::strerror(errno));
    return kSkip;
  }
  const std::string db = mnt + "/vigil.db";
  const std::string filler = mnt + "/filler";

  WriterOptions o;
  o.path = db;
  o.batch_max = 200;
  o.batch_delay = std::chrono::milliseconds(5);
  o.busy_timeout = std::chrono::milliseconds(100);
  o.retry_min = std::chrono::milliseconds(10);
  o.retry_max = std::chrono::milliseconds(100);
  o.spool_capacity = 2'000;
  std::uint64_t flow = 0;
  std::uint64_t accepted = 0;
  std::uint64_t dropped = 0;
  std::uint64_t last = 0;
  std::uint64_t committed_when_full = 0;
  double recover_ms = 0;
  long long filled = 0;
  {
    auto w = Writer::open(o);
    if (!w.ok()) {
      std::fprintf(stderr, "FAIL open: %s\n", w.error().message.c_str());
      return 1;
    }
    Writer& writer = **w;
    auto add = [&] {
      AppendResult r = writer.append(hit(++flow));
      if (r.status == AppendStatus::Accepted) {
        ++accepted;
        last = r.ticket;
      } else if (r.status == AppendStatus::DroppedOverBound) {
        ++dropped;
      }
    };
    for (int i = 0; i < 300; ++i) add();
    CHECK(writer.wait_acked(last, std::chrono::seconds(10)));

    filled = fill(filler);
    CHECK(filled > 0);
    // Keep writing until SQLite cannot grow the WAL any more.
    const auto t0 = Clock::now();
    while (writer.stats().alarm != Alarm::DiskFull &&
           Clock::now() - t0 < std::chrono::seconds(30)) {
      add();
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    WriterStats at_full = writer.stats();
    CHECK(at_full.alarm == Alarm::DiskFull);
    committed_when_full = at_full.committed;
    // More than the spool holds arrives while the disk stays full.
    for (int i = 0; i < 5'000; ++i) add();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    WriterStats full = writer.stats();
    CHECK(full.alarm == Alarm::DiskFull);
    CHECK(full.committed == committed_when_full);
    CHECK(full.spool_depth == o.spool_capacity);
    CHECK(full.dropped_over_bound == dropped);
    CHECK(full.accepted == accepted);
    CHECK(accepted + dropped == flow);
    CHECK(dropped > 0);
    std::printf("disk full: %s\n", full.last_error.c_str());

    // Space comes back: everything accepted commits.
    std::remove(filler.c_str());
    const auto t_free = Clock::now();
    CHECK(writer.wait_acked(last, std::chrono::seconds(60)));
    recover_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_free).count();
    WriterStats after = writer.stats();
    if (after.alarm != Alarm::None) std::printf("still failing: %s\n", after.last_error.c_str());
    CHECK(after.alarm == Alarm::None);
    CHECK(after.committed == accepted);
    CHECK(after.spool_depth == 0);
    writer.stop();
    std::printf(
        "disk full: tmpfs of 16 MiB, filler %lld bytes; alarm after %llu committed hits; %llu "
        "hits offered, %llu accepted and all committed after space was freed (%.0f ms), %llu "
        "over the spool bound of %zu counted exactly; %llu failed commit attempts\n",
        filled, static_cast<unsigned long long>(committed_when_full),
        static_cast<unsigned long long>(flow), static_cast<unsigned long long>(accepted),
        recover_ms, static_cast<unsigned long long>(dropped), o.spool_capacity,
        static_cast<unsigned long long>(after.retries));
  }
  auto reader = Reader::open({db});
  CHECK(reader.ok());
  if (reader.ok()) {
    auto n = (*reader)->count_hits();
    CHECK(n.ok() && *n == static_cast<std::int64_t>(accepted));
  }
  auto check = check_store(db);
  CHECK(check.ok() && check->problems.empty());
  ::umount2(mnt.c_str(), MNT_DETACH);
  if (failures != 0) std::fprintf(stderr, "%d checks failed\n", failures);
  return failures == 0 ? 0 : 1;
}
