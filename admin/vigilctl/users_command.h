#pragma once
// `vigilctl users add|list|disable|enable`: the console's accounts, for the
// first admin (before anyone can sign in to the console) and for scripts.
// The store is store.path from --config FILE and --set overrides.
//
//   vigilctl users add --config FILE --name NAME --role ROLE   (password: one line on stdin)
//   vigilctl users list --config FILE
//   vigilctl users disable --config FILE --name NAME
//
// The password is read from standard input, never from the command line
// (where `ps` and the shell history would show it); on a terminal it is
// asked for twice without echo. It must pass the console's own rules
// (admin/console/password.h) and is hashed with Argon2id at the default
// cost. Each change is audited as the store's Casework does, naming
// "vigilctl (<login>)" as the actor.
//
// Exit status: 0 on success; 1 with one line on standard error for a bad
// role or name, an unacceptable password, an existing user, a missing,
// unreadable or unwritable store, or a bad configuration.

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "daemon/config/cli_options.h"

namespace vigil::admin {

struct UsersOptions {
  config::CliOptions config;  // --config, --set
  std::string name;           // add, disable, enable
  std::string role;           // add
};

struct UsersCommands {
  CLI::App* users = nullptr;
  CLI::App* add = nullptr;
  CLI::App* list = nullptr;
  CLI::App* disable = nullptr;
  CLI::App* enable = nullptr;
};

UsersCommands add_users_commands(CLI::App& app, UsersOptions& options);

// Runs whichever was parsed: its exit status, or nullopt when none was.
std::optional<int> run_users_command(const UsersCommands& commands, const UsersOptions& options);

}  // namespace vigil::admin
