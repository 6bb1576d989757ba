#pragma once
// `vigilctl config example|check`: print the commented example configuration
// generated from the key declarations, and validate a configuration file.

#include "daemon/config/cli_options.h"

namespace vigil::admin {

// Prints the example (systemd/vigil.toml) to standard output. Exit status 0.
int run_config_example();

// Loads the file with its overrides. Exit status 0 with one "ok" line on
// standard output; 1 with one line per error on standard error
// ("vigilctl config: file:line: section.key: what was expected, got what").
int run_config_check(const config::CliOptions& options);

}  // namespace vigil::admin
