#include "daemon/events/eve_writer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "inspect/eve_json.h"
#include "tests/unit/daemon/events/json_check.h"

namespace vigil::daemon {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class EveWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-eve-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/eve.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<EveWriter> open(std::size_t queue_bytes = 1u << 20,
                                  std::chrono::milliseconds sync = 0ms) {
    std::string error;
    auto w =
        EveWriter::open({.path = path_, .queue_bytes = queue_bytes, .sync_interval = sync}, error);
    EXPECT_NE(w, nullptr) << error;
    return w;
  }

  static std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t nl = text.find('\n', start);
      if (nl == std::string::npos) {
        out.push_back(text.substr(start) + "<no newline>");
        break;
      }
      out.push_back(text.substr(start, nl - start));
      start = nl + 1;
    }
    return out;
  }

  std::string dir_;
  std::string path_;
};

std::string event(int thread, int seq) {
  inspect::JsonObject o;
  o.num("t", std::int64_t{thread}).num("s", std::int64_t{seq});
  // Lengths from a few bytes to several pages, with characters that need
  // escaping, so a torn or interleaved line cannot pass as JSON.
  std::string pad(static_cast<std::size_t>((seq * 7919 + thread * 104729) % 9000), 'x');
  for (std::size_t i = 0; i < pad.size(); i += 97) pad[i] = "\"\\\n\t\x01\xc3"[i % 6];
  o.str("pad", pad);
  return o.text();
}

TEST_F(EveWriterTest, ConcurrentWritersGetWholeValidLines) {
  constexpr int kThreads = 8;
  constexpr int kLines = 1000;
  auto w = open(/*queue_bytes=*/256u << 20);
  w->start();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int s = 0; s < kLines; ++s) EXPECT_TRUE(w->write(event(t, s)));
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(w->flush(30s));
  const EveWriterStats st = w->stats();
  EXPECT_EQ(st.lines_accepted, std::uint64_t{kThreads * kLines});
  EXPECT_EQ(st.lines_written, st.lines_accepted);
  EXPECT_EQ(st.lines_dropped, 0U);
  EXPECT_EQ(st.write_errors, 0U);

  const std::vector<std::string> lines = lines_of(path_);
  ASSERT_EQ(lines.size(), std::size_t{kThreads * kLines});
  std::set<std::pair<int, int>> seen;
  std::vector<int> next(kThreads, 0);
  for (const std::string& line : lines) {
    ASSERT_TRUE(test::JsonCheck::valid(line)) << line.substr(0, 200);
    int t = -1;
    int s = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "{\"t\":%d,\"s\":%d,", &t, &s), 2) << line.substr(0, 80);
    ASSERT_TRUE(t >= 0 && t < kThreads);
    EXPECT_EQ(line, event(t, s));
    EXPECT_EQ(s, next[static_cast<std::size_t>(t)]++) << "one thread's lines keep their order";
    seen.insert({t, s});
  }
  EXPECT_EQ(seen.size(), lines.size());
}

TEST_F(EveWriterTest, TheFileIsCreated0640AndAppendedTo) {
  {
    std::ofstream(path_) << "{\"earlier\":1}\n";
    ::chmod(path_.c_str(), 0600);  // an existing file keeps its mode
  }
  {
    auto w = open();
    w->start();
    EXPECT_TRUE(w->write("{\"a\":1}"));
    ASSERT_TRUE(w->flush(5s));
  }
  EXPECT_EQ(lines_of(path_), (std::vector<std::string>{"{\"earlier\":1}", "{\"a\":1}"}));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);

  fs::remove(path_);
  const mode_t old = ::umask(022);
  {
    auto w = open();
    w->start();
    w->write("{}");
  }
  ::umask(old);
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640U);
  EXPECT_EQ(lines_of(path_), std::vector<std::string>{"{}"});
}

TEST_F(EveWriterTest, ReopenAfterRenameStartsANewFile) {
  auto w = open();
  w->start();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->write("{\"before\":" + std::to_string(i) + "}"));
  ASSERT_TRUE(w->flush(5s));
  fs::rename(path_, path_ + ".1");  // what logrotate does
  w->write("{\"late\":1}");         // between the rename and the HUP: still the old file
  std::string error;
  ASSERT_TRUE(w->reopen(error)) << error;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(w->write("{\"after\":" + std::to_string(i) + "}"));
  ASSERT_TRUE(w->flush(5s));
  const auto old_lines = lines_of(path_ + ".1");
  const auto new_lines = lines_of(path_);
  ASSERT_EQ(old_lines.size(), 11U);
  EXPECT_EQ(old_lines.front(), "{\"before\":0}");
  EXPECT_EQ(old_lines.back(), "{\"late\":1}");
  ASSERT_EQ(new_lines.size(), 5U);
  EXPECT_EQ(new_lines.front(), "{\"after\":0}");
  EXPECT_EQ(w->stats().reopens, 1U);
}

TEST_F(EveWriterTest, LinesQueuedBeforeReopenGoToTheOldFile) {
  auto w = open();
  for (int i = 0; i < 3; ++i) w->write("{\"old\":" + std::to_string(i) + "}");
  fs::rename(path_, path_ + ".1");
  std::string error;
  ASSERT_TRUE(w->reopen(error)) << error;
  for (int i = 0; i < 2; ++i) w->write("{\"new\":" + std::to_string(i) + "}");
  w->start();  // the writer sees both batches and the switch at once
  ASSERT_TRUE(w->flush(5s));
  EXPECT_EQ(lines_of(path_ + ".1"),
            (std::vector<std::string>{"{\"old\":0}", "{\"old\":1}", "{\"old\":2}"}));
  EXPECT_EQ(lines_of(path_), (std::vector<std::string>{"{\"new\":0}", "{\"new\":1}"}));
}

TEST_F(EveWriterTest, AFailedReopenKeepsTheCurrentFile) {
  auto w = open();
  w->start();
  std::string error;
  EXPECT_FALSE(w->reopen(dir_ + "/missing/eve.json", error));
  EXPECT_NE(error.find("missing/eve.json"), std::string::npos) << error;
  EXPECT_EQ(w->path(), path_);
  w->write("{\"still\":true}");
  ASSERT_TRUE(w->flush(5s));
  EXPECT_EQ(lines_of(path_), std::vector<std::string>{"{\"still\":true}"});
}

TEST_F(EveWriterTest, ReopenCanMoveToANewPath) {
  auto w = open();
  w->start();
  w->write("{\"n\":1}");
  std::string error;
  ASSERT_TRUE(w->reopen(dir_ + "/other.json", error)) << error;
  w->write("{\"n\":2}");
  ASSERT_TRUE(w->flush(5s));
  EXPECT_EQ(lines_of(path_), std::vector<std::string>{"{\"n\":1}"});
  EXPECT_EQ(lines_of(dir_ + "/other.json"), std::vector<std::string>{"{\"n\":2}"});
  EXPECT_EQ(w->path(), dir_ + "/other.json");
}

TEST_F(EveWriterTest, OverflowIsCountedNeverSilent) {
  auto w = open(/*queue_bytes=*/100);
  const std::string line(30, 'x');  // 31 bytes with its newline: three fit in 100
  EXPECT_TRUE(w->write(line));
  EXPECT_TRUE(w->write(line));
  EXPECT_TRUE(w->write(line));
  EXPECT_FALSE(w->write(line));
  EXPECT_FALSE(w->write(std::string(200, 'y')));  // larger than the whole queue
  EveWriterStats st = w->stats();
  EXPECT_EQ(st.lines_accepted, 3U);
  EXPECT_EQ(st.lines_dropped, 2U);
  w->start();
  ASSERT_TRUE(w->flush(5s));
  EXPECT_TRUE(w->write(line));  // room again once written
  ASSERT_TRUE(w->flush(5s));
  EXPECT_EQ(lines_of(path_).size(), 4U);
  st = w->stats();
  EXPECT_EQ(st.lines_written, 4U);
  EXPECT_EQ(st.lines_dropped, 2U);
}

TEST_F(EveWriterTest, ALineWithANewlineOrNothingIsRejected) {
  auto w = open();
  w->start();
  EXPECT_FALSE(w->write("{\"a\":\n1}"));
  EXPECT_FALSE(w->write(""));
  EXPECT_TRUE(w->write("{\"a\":1}"));
  ASSERT_TRUE(w->flush(5s));
  EXPECT_EQ(w->stats().lines_rejected, 2U);
  EXPECT_EQ(lines_of(path_), std::vector<std::string>{"{\"a\":1}"});
}

TEST_F(EveWriterTest, OnlyARegularFileOpens) {
  std::string error;
  EXPECT_EQ(EveWriter::open({.path = dir_ + "/no/such/dir/eve.json"}, error), nullptr);
  EXPECT_NE(error.find("no/such/dir/eve.json"), std::string::npos) << error;
  error.clear();
  EXPECT_EQ(EveWriter::open({.path = dir_}, error), nullptr);
  EXPECT_FALSE(error.empty());
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  error.clear();
  EXPECT_EQ(EveWriter::open({.path = fifo}, error), nullptr);  // and does not hang
  EXPECT_FALSE(error.empty());
}

TEST_F(EveWriterTest, CloseWritesWhatWasQueuedEvenIfNeverStarted) {
  auto w = open();
  w->write("{\"a\":1}");
  w->write("{\"a\":2}");
  w->close();
  EXPECT_FALSE(w->write("{\"a\":3}"));
  EXPECT_EQ(lines_of(path_), (std::vector<std::string>{"{\"a\":1}", "{\"a\":2}"}));
  EXPECT_EQ(w->stats().lines_written, 2U);
  EXPECT_GE(w->stats().syncs, 1U);  // close() syncs
}

TEST_F(EveWriterTest, WithASyncIntervalDataIsSynced) {
  auto w = open(1u << 20, /*sync=*/5ms);
  w->start();
  w->write("{\"a\":1}");
  ASSERT_TRUE(w->flush(5s));
  for (int i = 0; i < 500 && w->stats().syncs == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_GE(w->stats().syncs, 1U);
}

TEST_F(EveWriterTest, WithoutASyncIntervalNothingIsSyncedUntilClose) {
  auto w = open();
  w->start();
  w->write("{\"a\":1}");
  ASSERT_TRUE(w->flush(5s));
  EXPECT_EQ(w->stats().syncs, 0U);
  w->close();
  EXPECT_EQ(w->stats().syncs, 1U);
}

// A write that fails part-way (here the file size limit, as a full disk
// would) loses the lines from the one it stopped in, counts them, and the
// next line starts on a fresh line. Run in a child: the limit is per process.
TEST_F(EveWriterTest, AFailedWriteIsCountedAndTheNextLineStartsFresh) {
  const std::string a(40, 'a');
  const std::string b(40, 'b');
  const std::string c(40, 'c');
  const std::string d(40, 'd');
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // write(2) then fails with EFBIG instead
    rlimit lim{};
    ::getrlimit(RLIMIT_FSIZE, &lim);
    const rlimit saved = lim;
    std::string error;
    auto w = EveWriter::open({.path = path_}, error);
    if (!w) ::_exit(10);
    w->start();
    lim.rlim_cur = 100;  // room for a, b and 18 bytes of c
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(11);
    w->write(a);
    w->write(b);
    if (!w->flush(5s)) ::_exit(12);
    w->write(c);
    if (!w->flush(5s)) ::_exit(13);
    ::setrlimit(RLIMIT_FSIZE, &saved);
    w->write(d);
    if (!w->flush(5s)) ::_exit(14);
    const EveWriterStats st = w->stats();
    w.reset();
    if (st.write_errors != 1) ::_exit(15);
    if (st.lines_lost != 1) ::_exit(16);
    if (st.lines_written != 3) ::_exit(17);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the _exit codes in the child";
  EXPECT_EQ(lines_of(path_), (std::vector<std::string>{a, b, c.substr(0, 18), d}));
}

}  // namespace
}  // namespace vigil::daemon
