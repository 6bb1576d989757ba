#pragma once
// The control socket: a Unix stream socket through which vigilctl and
// vigil-console ask vigild for status, stats, a reload or a rule test
// (protocol.h). One thread polls every client; handler calls run on it,
// except reload(), which runs on a second thread so that a rule compile does
// not hold up status requests. Access is the socket file's mode (0660: root,
// the daemon's user and the members of its group); each client's uid and pid
// (SO_PEERCRED) are logged with the reloads they ask for.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/control/handler.h"

namespace vigil::daemon {

struct ControlServerOptions {
  std::string socket_path{};  // its folder must exist
  std::size_t max_clients = 32;
  // A client that has not completed a request this long after connecting or
  // after its last response is disconnected.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
  // A client that does not take its response within this time is disconnected.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
  // One line per event worth keeping (stale socket replaced, reloads and who
  // asked, refused clients); called from the server's threads. May be empty.
  std::function<void(std::string_view)> log{};
};

struct ControlServerStats {
  std::uint64_t connections = 0;   // accepted
  std::uint64_t refused = 0;       // closed at once: max_clients reached
  std::uint64_t requests = 0;      // answered, well-formed or not
  std::uint64_t bad_requests = 0;  // unknown command, malformed or over-long line
  std::uint64_t timeouts = 0;      // idle or write timeout
  std::uint64_t clients = 0;       // connected now
};

class ControlServer {
 public:
  // Creates the socket with mode 0660, replacing a stale one (a socket file
  // nobody answers on). nullptr and a one-line `error` when the folder is
  // missing, the path is not a socket, another process answers on it, or a
  // system call fails.
  static std::unique_ptr<ControlServer> open(ControlHandler& handler, ControlServerOptions options,
                                             std::string& error);
  ~ControlServer();  // stop()
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  void start();
  // Disconnects every client, waits for a reload in progress to finish and
  // removes the socket file (if it is still ours). Idempotent.
  void stop();

  [[nodiscard]] ControlServerStats stats() const;
  [[nodiscard]] const std::string& path() const;

 private:
  struct Impl;
  explicit ControlServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::daemon
