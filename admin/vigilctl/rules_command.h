#pragma once
// `vigilctl rules check|test`: validate a rules tree, and explain the
// decision for host names, URLs or text.

#include <string>
#include <vector>

namespace vigil::admin {

struct RulesOptions {
  std::string rules_dir;
  std::string group;  // "" = the policy's default group
  bool json = false;
  std::vector<std::string> inputs;
};

// Exit status: 0 when the tree loads and compiles (invalid lines in lists
// are printed as file:line warnings and counted), 1 with "file:line: message".
int run_rules_check(const RulesOptions& options);
int run_rules_test(const RulesOptions& options);

}  // namespace vigil::admin
