#pragma once
// `vigilctl check`: the DfE filtering standard's self-test of the running
// appliance, asked of vigild over its control socket and recorded as one row
// of the checks log. It checks that vigild answers; that every configured
// capture interface is running; that no frame was dropped (kernel or worker
// queue) in the last 5 minutes; that the statutory slots (IWF, CTIRU) are
// declared, and loaded when they hold entries; and that each test name is
// flagged with its expected category by the live rules.
//
// Exit status: 0 every check passed; 1 some failed; 2 a bad command line
// or configuration, or the result could not be recorded.

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/cli_options.h"

namespace vigil::admin {

struct CheckOptions {
  config::CliOptions config;       // --config (required), --set
  std::vector<std::string> names;  // --name NAME=EXPECTED_CATEGORY
  std::string by;                  // --by; "" = the Unix user name
  double timeout_s = 0;            // --timeout; 0 = 10 s
};

// Adds `check` to vigilctl's command line, filling `options`.
CLI::App* add_check_command(CLI::App& app, CheckOptions& options);

// Runs it when it was parsed: its exit status, or nullopt when it was not.
std::optional<int> run_check_command(const CLI::App* check, const CheckOptions& options);

}  // namespace vigil::admin
