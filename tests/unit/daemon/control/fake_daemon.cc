// A stand-in for vigild in the vigilctl CLI test (tests/cli/ctl_cli.py): the
// real ControlServer with FakeHandler's canned answers, on the socket named
// on the command line, until SIGTERM or SIGINT.
//
// usage: fake_daemon SOCKET [--reload-fails]
// Prints "ready" on standard output once the socket accepts connections.

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "daemon/control/control_server.h"
#include "tests/unit/daemon/control/fake_handler.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fake_daemon SOCKET [--reload-fails]\n");
    return 2;
  }
  vigil::daemon::testing::FakeHandler handler;
  handler.reload_fails = argc > 2 && std::strcmp(argv[2], "--reload-fails") == 0;

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server's threads start

  std::string error;
  auto server = vigil::daemon::ControlServer::open(
      handler,
      {.socket_path = argv[1],
       .log =
           [](std::string_view line) {
             std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
           }},
      error);
  if (server == nullptr) {
    std::fprintf(stderr, "fake_daemon: %s\n", error.c_str());
    return 1;
  }
  server->start();
  std::printf("ready\n");
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  server->stop();
  return 0;
}
