#include "daemon/control/control_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/control/protocol.h"
#include "tests/unit/daemon/control/fake_handler.h"
#include "tests/unit/daemon/control/socket_client.h"

namespace vigil::daemon {
namespace {

using namespace std::chrono_literals;
using testing::FakeHandler;
using testing::TempDir;
using testing::UnixClient;

constexpr std::string_view kStatusResult =
    R"({"version":"0.1.0-test","uptime_s":42,"rules":{"generation":3,"age_s":7},)"
    R"("capture":{"interfaces":["br-lan","wlan0"],"kernel_dropped":0},"store":{"spool":0}})";

std::string ok_line(std::string_view result) {
  return std::string(kOkResultPrefix) + std::string(result) + "}";
}

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  ControlServer& serve(ControlServerOptions options = {}) {
    if (options.socket_path.empty()) options.socket_path = socket_path();
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(line);
    };
    std::string error;
    server_ = ControlServer::open(handler_, std::move(options), error);
    EXPECT_NE(server_, nullptr) << error;
    if (server_ == nullptr) std::abort();
    server_->start();
    return *server_;
  }

  std::string socket_path() const { return dir_.file("control.sock"); }

  std::vector<std::string> log_lines() {
    std::lock_guard lock(log_mu_);
    return log_;
  }

  std::optional<std::string> ask(UnixClient& c, std::string_view request) {
    EXPECT_TRUE(c.send(request));
    return c.read_line();
  }

  TempDir dir_;
  FakeHandler handler_;
  std::unique_ptr<ControlServer> server_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(ControlServerTest, AnswersEveryCommandOnOneConnection) {
  serve();
  UnixClient c(socket_path());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(ask(c, "status\n"), ok_line(kStatusResult));
  EXPECT_EQ(
      ask(c, "stats\n"),
      ok_line(R"({"inspect":{"packets":1000,"decode.truncated_ipv4":2},"store":{"hits":5}})"));
  EXPECT_EQ(ask(c, "test - bad.example.com\n"),
            ok_line(R"({"input":"bad.example.com","group":"","action":"block"})"));
  EXPECT_EQ(ask(c, "test learners-16-18 how to  make\ta cake\n"),
            ok_line(R"({"input":"how to  make)"
                    "\t"
                    R"(a cake","group":"learners-16-18","action":"allow"})"));
  EXPECT_EQ(ask(c, "reload\n"), ok_line(R"j({"message":"rules reloaded (generation 1)"})j"));
  EXPECT_EQ(ask(c, "status\r\n"), ok_line(kStatusResult)) << "CR LF is accepted";
  EXPECT_EQ(handler_.status_calls, 2);
  EXPECT_EQ(handler_.stats_calls, 1);
  EXPECT_EQ(handler_.test_calls, 2);
  EXPECT_EQ(handler_.reload_calls, 1);
  ControlServerStats s = server_->stats();
  EXPECT_EQ(s.connections, 1u);
  EXPECT_EQ(s.requests, 6u);
  EXPECT_EQ(s.bad_requests, 0u);
}

TEST_F(ControlServerTest, FailedReloadIsAnErrorWithTheMessage) {
  serve();
  handler_.reload_fails = true;
  UnixClient c(socket_path());
  EXPECT_EQ(ask(c, "reload\n"), R"({"ok":false,"error":"rules/lists/extra.txt:3: bad pattern"})");
  // The connection stays usable.
  EXPECT_EQ(ask(c, "status\n"), ok_line(kStatusResult));
  bool logged = false;
  for (const std::string& line : log_lines()) {
    logged = logged || line.find("reload failed: rules/lists/extra.txt:3") != std::string::npos;
  }
  EXPECT_TRUE(logged);
}

TEST_F(ControlServerTest, UnknownAndMalformedRequestsGetAnErrorAndTheConnectionGoesOn) {
  serve();
  UnixClient c(socket_path());
  struct Case {
    std::string request;
    std::string error_part;
  };
  const std::vector<Case> cases = {
      {"hello\n", R"(unknown command \"hello\")"},
      {"STATUS\n", R"(unknown command \"STATUS\")"},
      {"\n", "empty request"},
      {"status now\n", "status takes no arguments"},
      {"reload \n", "reload takes no arguments"},
      {"test\n", "expected test GROUP INPUT"},
      {"test -\n", "expected test GROUP INPUT"},
      {"test - \n", "no INPUT"},
      {"test  x\n", "expected test GROUP INPUT"},
      {std::string("test - a\x01") + "b\n", "control character in INPUT"},
      {"test " + std::string(65, 'g') + " x\n", "group name longer than 64"},
      {std::string("stat\0us\n", 8), R"(unknown command \"stat\u0000us\")"},
  };
  for (const Case& k : cases) {
    std::optional<std::string> got = ask(c, k.request);
    ASSERT_TRUE(got) << k.request;
    EXPECT_TRUE(got->starts_with(R"({"ok":false,"error":")")) << *got;
    EXPECT_NE(got->find(k.error_part), std::string::npos) << *got << " for " << k.request;
  }
  EXPECT_EQ(ask(c, "status\n"), ok_line(kStatusResult));
  EXPECT_EQ(server_->stats().bad_requests, cases.size());
  EXPECT_EQ(handler_.test_calls, 0);
}

TEST_F(ControlServerTest, LongestLineIsAcceptedOneMoreByteIsRefusedAndCloses) {
  serve();
  const std::string head = "test - ";
  std::string longest = head + std::string(kMaxRequestLine - head.size() - 1, 'x') + "\n";
  ASSERT_EQ(longest.size(), kMaxRequestLine);
  UnixClient c(socket_path());
  std::optional<std::string> got = ask(c, longest);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->starts_with(kOkResultPrefix)) << got->substr(0, 80);

  std::string too_long = head + std::string(kMaxRequestLine - head.size(), 'x') + "\n";
  EXPECT_EQ(ask(c, too_long), R"({"ok":false,"error":"request line longer than 4096 bytes"})");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(handler_.test_calls, 1);

  // A line that never ends, much longer than the limit: refused at 4096 bytes.
  UnixClient d(socket_path());
  d.send(std::string(20000, 'a'));
  EXPECT_EQ(d.read_line(), R"({"ok":false,"error":"request line longer than 4096 bytes"})");
  EXPECT_TRUE(d.wait_closed());
}

TEST_F(ControlServerTest, PipelinedRequestsAreAnsweredInOrder) {
  serve();
  UnixClient c(socket_path());
  ASSERT_TRUE(c.send("status\nbogus\ntest - a\nstats\n"));
  EXPECT_EQ(c.read_line(), ok_line(kStatusResult));
  EXPECT_TRUE(c.read_line()->starts_with(R"({"ok":false)"));
  EXPECT_EQ(c.read_line(), ok_line(R"({"input":"a","group":"","action":"allow"})"));
  EXPECT_TRUE(c.read_line()->starts_with(kOkResultPrefix));
}

TEST_F(ControlServerTest, ARequestSentOneByteAtATime) {
  serve();
  UnixClient c(socket_path());
  for (char ch : std::string("test staff bad words\n")) {
    ASSERT_TRUE(c.send(std::string_view(&ch, 1)));
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(c.read_line(), ok_line(R"({"input":"bad words","group":"staff","action":"block"})"));
}

TEST_F(ControlServerTest, HalfClosedClientStillGetsItsAnswers) {
  serve();
  UnixClient c(socket_path());
  ASSERT_TRUE(c.send("status\nstatus\nstat"));  // the unfinished last line is no request
  c.shutdown_write();
  EXPECT_EQ(c.read_line(), ok_line(kStatusResult));
  EXPECT_EQ(c.read_line(), ok_line(kStatusResult));
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(handler_.status_calls, 2);
}

TEST_F(ControlServerTest, ManyClientsAtOnce) {
  serve({.max_clients = 40});
  constexpr int kClients = 32;
  std::vector<std::unique_ptr<UnixClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<UnixClient>(socket_path()));
    ASSERT_TRUE(clients.back()->connected());
  }
  // Every client sends before any reads.
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(clients[i]->send("test - client" + std::to_string(i) + "\n"));
  }
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(clients[i]->read_line(), ok_line(R"({"input":"client)" + std::to_string(i) +
                                               R"(","group":"","action":"allow"})"));
  }
  // And from threads of their own.
  std::vector<std::thread> threads;
  std::atomic<int> answered{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      UnixClient c(socket_path());
      for (int k = 0; k < 20; ++k) {
        c.send("status\n");
        if (c.read_line() == ok_line(kStatusResult)) ++answered;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered, 160);
}

TEST_F(ControlServerTest, ClientsOverTheLimitAreRefusedWithAnError) {
  serve({.max_clients = 2});
  UnixClient a(socket_path());
  UnixClient b(socket_path());
  ASSERT_EQ(ask(a, "status\n"), ok_line(kStatusResult));  // both accepted by now
  ASSERT_EQ(ask(b, "status\n"), ok_line(kStatusResult));
  UnixClient c(socket_path());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.read_line(),
            R"({"ok":false,"error":"vigild: too many control clients (2); try again"})");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(server_->stats().refused, 1u);
  // A place frees up when a client leaves.
  a.shutdown_write();
  ASSERT_TRUE(a.wait_closed());
  for (int attempt = 0; attempt < 100 && server_->stats().clients != 1; ++attempt) {
    std::this_thread::sleep_for(10ms);
  }
  UnixClient d(socket_path());
  EXPECT_EQ(ask(d, "status\n"), ok_line(kStatusResult));
}

TEST_F(ControlServerTest, SilentAndSlowClientsDoNotBlockOthersAndAreTimedOut) {
  serve({.idle_timeout = 1500ms});
  UnixClient silent(socket_path());
  UnixClient partial(socket_path());
  ASSERT_TRUE(partial.send("stat"));
  auto start = std::chrono::steady_clock::now();
  UnixClient other(socket_path());
  EXPECT_EQ(ask(other, "status\n"), ok_line(kStatusResult));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);  // not after the timeouts

  EXPECT_TRUE(silent.wait_closed(5s));
  EXPECT_TRUE(partial.wait_closed(5s));
  EXPECT_GE(server_->stats().timeouts, 2u);
}

TEST_F(ControlServerTest, AClientThatDoesNotReadItsAnswerIsDropped) {
  // An answer far larger than the socket buffers, never read.
  handler_.set_stats(R"({"big":")" + std::string(8 << 20, 'x') + R"("})");
  serve({.write_timeout = 300ms});
  UnixClient hog(socket_path());
  ASSERT_TRUE(hog.send("stats\n"));
  std::this_thread::sleep_for(50ms);
  UnixClient other(socket_path());
  EXPECT_EQ(ask(other, "status\n"), ok_line(kStatusResult));
  for (int attempt = 0; attempt < 300 && server_->stats().timeouts == 0; ++attempt) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(server_->stats().timeouts, 1u);
}

TEST_F(ControlServerTest, ALongReloadDoesNotHoldUpStatusAndConcurrentReloadsAreQueued) {
  serve();
  handler_.hold_reloads();
  UnixClient first(socket_path());
  ASSERT_TRUE(first.send("reload\n"));
  handler_.wait_reloads_started(1);
  UnixClient second(socket_path());
  ASSERT_TRUE(second.send("reload\n"));  // asked while the first runs: needs a run of its own
  UnixClient watcher(socket_path());
  EXPECT_EQ(ask(watcher, "status\n"), ok_line(kStatusResult));
  EXPECT_EQ(first.read_line(50ms), std::nullopt);

  handler_.release_reloads();
  EXPECT_EQ(first.read_line(), ok_line(R"j({"message":"rules reloaded (generation 1)"})j"));
  EXPECT_EQ(second.read_line(), ok_line(R"j({"message":"rules reloaded (generation 2)"})j"));
  EXPECT_EQ(handler_.reload_calls, 2);
  // Both connections take further requests.
  EXPECT_EQ(ask(first, "status\n"), ok_line(kStatusResult));
}

TEST_F(ControlServerTest, StopDuringAReloadWaitsForIt) {
  serve();
  handler_.hold_reloads();
  UnixClient c(socket_path());
  ASSERT_TRUE(c.send("reload\n"));
  handler_.wait_reloads_started(1);
  std::thread releaser([&] {
    std::this_thread::sleep_for(100ms);
    handler_.release_reloads();
  });
  server_->stop();
  releaser.join();
  EXPECT_TRUE(c.wait_closed(1s));
  EXPECT_EQ(handler_.reload_calls, 1);
}

TEST_F(ControlServerTest, TheReloadLogNamesTheAskingUid) {
  serve();
  UnixClient c(socket_path());
  ASSERT_TRUE(ask(c, "reload\n"));
  std::string wanted = "control: reload asked by uid " + std::to_string(::getuid()) + " (pid " +
                       std::to_string(::getpid()) + ")";
  std::vector<std::string> lines = log_lines();
  EXPECT_NE(std::find(lines.begin(), lines.end(), wanted), lines.end());
}

TEST_F(ControlServerTest, SocketHasMode0660AndIsRemovedOnStop) {
  serve();
  struct stat st {};
  ASSERT_EQ(::lstat(socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  UnixClient c(socket_path());
  ASSERT_TRUE(ask(c, "status\n"));
  server_->stop();
  EXPECT_TRUE(c.wait_closed(1s));
  EXPECT_NE(::lstat(socket_path().c_str(), &st), 0);
  server_->stop();  // idempotent
}

// Leaves a socket file behind with nobody listening, as a killed vigild does.
void make_stale_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
}

TEST_F(ControlServerTest, AStaleSocketIsReplaced) {
  make_stale_socket(socket_path());
  ASSERT_NE(UnixClient(socket_path()).connect_errno(), 0);
  serve();
  UnixClient c(socket_path());
  EXPECT_EQ(ask(c, "status\n"), ok_line(kStatusResult));
  std::vector<std::string> lines = log_lines();
  EXPECT_NE(
      std::find(lines.begin(), lines.end(), "control: replaced the stale socket " + socket_path()),
      lines.end());
}

TEST_F(ControlServerTest, ALiveSocketIsNotTakenOver) {
  serve();
  FakeHandler other;
  std::string error;
  EXPECT_EQ(ControlServer::open(other, {.socket_path = socket_path()}, error), nullptr);
  EXPECT_EQ(error, "control socket " + socket_path() +
                       ": another process answers on it (is vigild running?)");
  UnixClient c(socket_path());
  EXPECT_EQ(ask(c, "status\n"), ok_line(kStatusResult));  // the first still serves
}

TEST_F(ControlServerTest, AFileThatIsNotASocketIsLeftAlone) {
  { std::ofstream(socket_path()) << "precious\n"; }
  std::string error;
  EXPECT_EQ(ControlServer::open(handler_, {.socket_path = socket_path()}, error), nullptr);
  EXPECT_EQ(error,
            "control socket " + socket_path() + ": exists and is not a socket (not replacing it)");
  std::ifstream in(socket_path());
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "precious");
}

TEST_F(ControlServerTest, AMissingFolderOrOverlongPathIsAnError) {
  std::string error;
  std::string path = dir_.file("no-such-folder/control.sock");
  EXPECT_EQ(ControlServer::open(handler_, {.socket_path = path}, error), nullptr);
  EXPECT_EQ(error, "control socket " + path + ": folder " + dir_.file("no-such-folder") +
                       " does not exist");
  path = dir_.file(std::string(120, 'n'));
  EXPECT_EQ(ControlServer::open(handler_, {.socket_path = path}, error), nullptr);
  EXPECT_NE(error.find("path longer than 107 bytes"), std::string::npos) << error;
}

TEST_F(ControlServerTest, StopWithoutStartRemovesTheSocket) {
  std::string error;
  auto server = ControlServer::open(handler_, {.socket_path = socket_path()}, error);
  ASSERT_NE(server, nullptr) << error;
  EXPECT_TRUE(std::filesystem::exists(socket_path()));
  server.reset();
  EXPECT_FALSE(std::filesystem::exists(socket_path()));
}

}  // namespace
}  // namespace vigil::daemon
