#pragma once
// `--config FILE` and `--set section.key=value` the same way in every program
// (header-only: the programs link CLI11 themselves).

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "daemon/config/config.h"

namespace vigil::config {

struct CliOptions {
  std::string path;                    // --config; "" = defaults only
  std::vector<std::string> overrides;  // --set, in command-line order
};

inline void add_cli_options(CLI::App& app, CliOptions& options, bool config_required) {
  CLI::Option* file =
      app.add_option("--config", options.path, "Configuration file (like /etc/vigil/vigil.toml)");
  if (config_required) file->required();
  app.add_option("--set", options.overrides,
                 "Override one configuration key, like --set store.path=/tmp/vigil.db "
                 "(repeatable; `vigilctl config example` lists the keys)")
      ->type_name("SECTION.KEY=VALUE")
      ->allow_extra_args(false);
}

inline LoadResult load(const CliOptions& options) {
  return options.path.empty() ? load_defaults(options.overrides)
                              : load(options.path, options.overrides);
}

}  // namespace vigil::config
