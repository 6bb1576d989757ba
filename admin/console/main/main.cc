// vigil-console: the admin web console and JSON API over HTTPS. See
// admin/console/README.md.
//
//   vigil-console --config FILE [--set section.key=value]...

#include <signal.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "admin/console/pages/pages.h"
#include "admin/console/pages/safeguarding.h"
#include "admin/console/server/server.h"
#include "daemon/config/cli_options.h"
#include "store/casework.h"

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "vigil-console: %s\n", message.c_str());
  return 1;
}

vigil::console::TotpMode totp_mode(const std::string& text) {
  if (text == "off") return vigil::console::TotpMode::Off;
  if (text == "required") return vigil::console::TotpMode::Required;
  return vigil::console::TotpMode::Optional;
}

std::vector<vigil::console::Route> routes(const vigil::config::Config& config,
                                          const std::string& config_path) {
  vigil::console::pages::PagesOptions o;
  o.reports_dir = config.get_string("reports.dir");
  o.config = &config;  // main's, for the life of the server
  o.config_source = config_path;
  o.store_path = config.get_string("store.path");
  o.rules_dir = config.get_string("rules.dir");
  o.control_socket = config.get_string("control.socket");
  o.public_url = config.get_string("console.public_url");
  return vigil::console::pages::make_routes(o);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vigil-console: Vigil's admin web console (HTTPS)"};
  vigil::config::CliOptions cli;
  vigil::config::add_cli_options(app, cli, /*config_required=*/true);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  vigil::config::LoadResult loaded = vigil::config::load(cli);
  if (!loaded) {
    for (const std::string& e : loaded.errors)
      std::fprintf(stderr, "vigil-console: %s\n", e.c_str());
    return 1;
  }
  const vigil::config::Config& config = *loaded.config;

  // Signals are taken by this thread; the server's threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  vigil::console::ServerOptions o;
  o.store_path = config.get_string("store.path");
  std::error_code ec;
  if (!std::filesystem::exists(o.store_path, ec)) {
    return fail(
        "store.path " + o.store_path + " does not exist: create it with `vigilctl store init " +
        (cli.path.empty() ? std::string("--db ") + o.store_path : "--config " + cli.path) + "`");
  }
  const auto listen = config.get_address("console.listen");
  if (!listen) return fail("console.listen is empty: give the console an address");
  o.host = listen->host;
  o.port = listen->port;
  o.cert_path = config.get_string("console.tls_cert");
  o.key_path = config.get_string("console.tls_key");
  o.public_url = config.get_string("console.public_url");
  o.session_idle = config.get_duration("console.session_idle");
  o.totp = totp_mode(config.get_string("console.totp"));

  std::string error;
  auto server = vigil::console::ConsoleServer::open(o, routes(config, cli.path), error);
  if (!server) return fail(error);
  server->start();
  const bool v6 = o.host.find(':') != std::string::npos;
  std::fprintf(stderr, "vigil-console: serving https://%s%s%s:%u/\n", v6 ? "[" : "", o.host.c_str(),
               v6 ? "]" : "", static_cast<unsigned>(server->port()));
  // The main thread waits for a signal and, every kHousekeeping, runs the
  // review timer: concerns whose review date passed are escalated to the
  // deputy DSL (once per review date; escalate_overdue_reviews is idempotent).
  auto casework = vigil::store::Casework::open({o.store_path});
  if (!casework) return fail("store " + o.store_path + ": " + casework.error().message);
  constexpr int kHousekeepingSeconds = 60;
  auto housekeeping = [&] {
    const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto n = vigil::console::pages::escalate_overdue_reviews(**casework, now);
    if (!n) {
      std::fprintf(stderr, "vigil-console: review timer: %s\n", n.error().message.c_str());
    } else if (*n > 0) {
      std::fprintf(stderr, "vigil-console: %zu overdue review(s) escalated to the deputy DSL\n",
                   *n);
    }
  };
  housekeeping();
  for (;;) {
    const timespec wait{kHousekeepingSeconds, 0};
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig < 0) {
      if (errno == EAGAIN) housekeeping();
      continue;
    }
    if (sig == SIGHUP) {
      std::fprintf(stderr,
                   "vigil-console: the console reads its configuration at start: restart it to "
                   "apply changes\n");
      continue;
    }
    break;
  }
  server->stop();
  std::fprintf(stderr, "vigil-console: stopped\n");
  return 0;
}
