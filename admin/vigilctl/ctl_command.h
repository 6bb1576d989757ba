#pragma once
// `vigilctl status|stats|reload|test`: ask the running vigild through its
// control socket (daemon/control/protocol.h). The socket is --socket PATH,
// or control.socket from --config FILE and --set overrides (its default
// when neither is given).
//
// Exit status: 0 on success; 1 when vigild answers with an error (a reload
// that failed, an input it refused); 2 for a bad command line or
// configuration; 3 when vigild cannot be reached (not running, no socket,
// permission denied, no answer in time). Every failure is one line on
// standard error.

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/cli_options.h"
#include "daemon/control/protocol.h"

namespace vigil::admin {

struct CtlOptions {
  std::string socket;               // --socket; "" = control.socket from the configuration
  config::CliOptions config;        // --config, --set
  double timeout_s = 0;             // --timeout; 0 = 10 s, reload 600 s
  bool json = false;                // status --json: the JSON only, no summary
  std::string group;                // test --group; "" = the policy's default group
  std::vector<std::string> inputs;  // test
};

struct CtlCommands {
  CLI::App* status = nullptr;
  CLI::App* stats = nullptr;
  CLI::App* reload = nullptr;
  CLI::App* test = nullptr;
};

// Adds the four subcommands to vigilctl's command line, filling `options`.
CtlCommands add_ctl_commands(CLI::App& app, CtlOptions& options);

// One answer of vigild's: its result object as JSON text, or its error.
struct CtlAnswer {
  bool ok = false;
  std::string text;
};

// For other commands (vigilctl check): sends `requests` in order on one
// connection to `socket`. 0 with one answer per request, or an exit status
// (2 a request that cannot be written, 3 vigild unreachable or not
// answering) after printing why as "vigilctl COMMAND: ..." on stderr.
int ctl_exchange(const char* command, const std::string& socket, double timeout_s,
                 const std::vector<daemon::Request>& requests, std::vector<CtlAnswer>& answers);

// Runs whichever of them was parsed: its exit status, or nullopt when none was.
std::optional<int> run_ctl_command(const CtlCommands& commands, const CtlOptions& options);

}  // namespace vigil::admin
