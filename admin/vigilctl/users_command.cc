#include "admin/vigilctl/users_command.h"

#include <pwd.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "admin/console/password.h"
#include "admin/vigilctl/text_escape.h"
#include "store/casework.h"
#include "store/credentials.h"

namespace vigil::admin {
namespace {

int fail(const char* command, const std::string& message) {
  std::fprintf(stderr, "vigilctl users %s: %s\n", command, escape_control_bytes(message).c_str());
  return 1;
}

// "vigilctl (root)": who made the change, for the audit log.
std::string actor() {
  const passwd* pw = ::getpwuid(::geteuid());
  return std::string("vigilctl (") + (pw != nullptr ? pw->pw_name : std::to_string(::geteuid())) +
         ")";
}

// The store file from the configuration, or an exit status after saying why.
std::optional<std::string> store_path(const char* command, const UsersOptions& o, int& status) {
  config::LoadResult loaded = config::load(o.config);
  if (!loaded) {
    status = fail(command, loaded.errors.front());
    return std::nullopt;
  }
  std::string path = loaded.config->get_string("store.path");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    status = fail(command, "store.path " + path +
                               " does not exist: create it with `vigilctl store init` first");
    return std::nullopt;
  }
  return path;
}

// One line of standard input without its line ending; on a terminal,
// prompted for without echo. nullopt at end of input.
std::optional<std::string> read_line(const std::string& prompt) {
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  termios saved{};
  if (tty) {
    std::fprintf(stderr, "%s", prompt.c_str());
    std::fflush(stderr);
    if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fprintf(stderr, "\n");
  }
  if (!got && line.empty()) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string utc_date(store::TimeUs us) {
  const std::time_t t = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

int run_add(const UsersOptions& o) {
  const auto role = store::parse_role(o.role);
  if (!role) {
    return fail("add",
                "unknown role \"" + o.role + "\": use admin, dsl, deputy_dsl, reporter or auditor");
  }
  int status = 0;
  const auto path = store_path("add", o, status);
  if (!path) return status;
  auto cw = store::Casework::open({.path = *path});
  if (!cw) return fail("add", cw.error().message);
  if (auto existing = (*cw)->reader().user(o.name); existing && existing->has_value()) {
    return fail("add", "user " + o.name + " already exists");
  }
  const auto password = read_line("Password for " + o.name + ": ");
  if (!password) return fail("add", "no password on standard input (one line)");
  if (auto problem = console::password_problem(*password, o.name)) {
    return fail("add", "password refused: " + *problem);
  }
  if (::isatty(STDIN_FILENO) == 1) {
    const auto again = read_line("The same password again: ");
    if (!again || *again != *password) return fail("add", "the two passwords are not the same");
  }
  const auto hash = console::hash_password(*password);
  if (!hash) return fail("add", "cannot hash the password (out of memory?)");
  auto id = (*cw)->add_user(actor(), o.name, *role, *hash);
  if (!id) return fail("add", id.error().message);
  std::printf("added user %s (%s), id %lld\n", escape_control_bytes(o.name).c_str(),
              std::string(store::role_name(*role)).c_str(), static_cast<long long>(*id));
  return 0;
}

int run_list(const UsersOptions& o) {
  int status = 0;
  const auto path = store_path("list", o, status);
  if (!path) return status;
  auto reader = store::Reader::open({.path = *path});
  if (!reader) return fail("list", reader.error().message);
  auto users = (*reader)->users();
  if (!users) return fail("list", users.error().message);
  auto creds = store::CredentialStore::open({.path = *path});
  if (!creds) return fail("list", creds.error().message);
  std::printf("%-24s %-11s %-9s %-9s %s\n", "NAME", "ROLE", "STATE", "TWO-STEP", "CREATED (UTC)");
  for (const store::User& u : *users) {
    auto c = (*creds)->by_id(u.id);
    const bool totp = c && c->has_value() && (*c)->totp_enabled;
    std::printf("%-24s %-11s %-9s %-9s %s\n", escape_control_bytes(u.name).c_str(),
                std::string(store::role_name(u.role)).c_str(), u.disabled ? "disabled" : "enabled",
                totp ? "on" : "off", utc_date(u.created_us).c_str());
  }
  return 0;
}

int run_set_disabled(const UsersOptions& o, bool disabled) {
  const char* command = disabled ? "disable" : "enable";
  int status = 0;
  const auto path = store_path(command, o, status);
  if (!path) return status;
  auto cw = store::Casework::open({.path = *path});
  if (!cw) return fail(command, cw.error().message);
  if (auto s = (*cw)->set_user_disabled(actor(), o.name, disabled); !s) {
    return fail(command, s.error().message);
  }
  std::printf("%s user %s\n", disabled ? "disabled" : "enabled",
              escape_control_bytes(o.name).c_str());
  return 0;
}

}  // namespace

UsersCommands add_users_commands(CLI::App& app, UsersOptions& o) {
  UsersCommands c;
  c.users = app.add_subcommand("users", "Console accounts: add, list, disable, enable");
  c.users->require_subcommand(1);
  c.add = c.users->add_subcommand("add",
                                  "Add a console user; the password is one line on standard input");
  c.list = c.users->add_subcommand("list", "List console users, their roles and state");
  c.disable = c.users->add_subcommand(
      "disable", "Stop a user signing in (their console sessions end at their next request)");
  c.enable = c.users->add_subcommand("enable", "Let a disabled user sign in again");
  for (CLI::App* sub : {c.add, c.list, c.disable, c.enable}) {
    config::add_cli_options(*sub, o.config, /*config_required=*/false);
  }
  for (CLI::App* sub : {c.add, c.disable, c.enable}) {
    sub->add_option("--name", o.name, "The user name (1..64 of A-Z a-z 0-9 . _ - @)")->required();
  }
  c.add->add_option("--role", o.role, "admin, dsl, deputy_dsl, reporter or auditor")->required();
  return c;
}

std::optional<int> run_users_command(const UsersCommands& c, const UsersOptions& o) {
  if (c.add->parsed()) return run_add(o);
  if (c.list->parsed()) return run_list(o);
  if (c.disable->parsed()) return run_set_disabled(o, true);
  if (c.enable->parsed()) return run_set_disabled(o, false);
  return std::nullopt;
}

}  // namespace vigil::admin
