#include "admin/vigilctl/config_command.h"

#include <cstdio>
#include <string>

#include "daemon/config/config.h"

namespace vigil::admin {

int run_config_example() {
  const std::string text = config::render_example();
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

int run_config_check(const config::CliOptions& options) {
  config::LoadResult result = config::load(options);
  if (!result) {
    for (const std::string& e : result.errors)
      std::fprintf(stderr, "vigilctl config: %s\n", e.c_str());
    return 1;
  }
  std::size_t from_file = 0;
  for (const config::KeyDecl& k : config::keys()) {
    if (result.config->origin(k.name).kind == config::Origin::Kind::File) ++from_file;
  }
  std::printf("%s: ok (%zu of %zu keys set in the file, %zu --set)\n", options.path.c_str(),
              from_file, config::keys().size(), options.overrides.size());
  return 0;
}

}  // namespace vigil::admin
