// vigilctl: the operator's command line.

#include <CLI/CLI.hpp>

#include "admin/vigilctl/check_command.h"
#include "admin/vigilctl/config_command.h"
#include "admin/vigilctl/ctl_command.h"
#include "admin/vigilctl/extract_command.h"
#include "admin/vigilctl/report_command.h"
#include "admin/vigilctl/rules_command.h"
#include "admin/vigilctl/store_command.h"
#include "admin/vigilctl/users_command.h"
#include "daemon/config/cli_options.h"

int main(int argc, char** argv) {
  CLI::App app{"vigilctl: Vigil's command line (extraction, rules, configuration, store, reports)"};
  app.require_subcommand(1);

  vigil::admin::ExtractOptions ex;
  CLI::App* extract =
      app.add_subcommand("extract", "Print the names seen in capture files (corpus TSV format)");
  extract->add_option("pcap", ex.pcaps, "Capture files (pcap or pcapng)");
  extract->add_option("-i,--interface", ex.interface, "Capture live from this interface");
  extract->add_option("--duration", ex.duration_s, "Live: stop after this many seconds")
      ->check(CLI::Range(0.0, 31'536'000.0));
  extract->add_option("--count", ex.max_packets, "Live: stop after this many packets");
  extract->add_option("--out-dir", ex.out_dir,
                      "Write <pcap file name>.tsv per capture into this folder instead of stdout");
  extract->add_flag("--eve", ex.eve, "Print EVE-style JSON lines instead of TSV");
  extract->add_option("--rules", ex.rules_dir,
                      "With --eve: match every observation against this rules tree and print "
                      "alert events for the hits");
  extract->add_option("--group", ex.group, "With --rules: the group whose policy applies");
  extract->add_flag("--stats", ex.stats, "Print the decode and extraction counters to stderr");
  extract->add_flag("!--no-classify", ex.classify, "Do not run nDPI classification");
  extract->add_option("--max-flows", ex.max_flows, "Flow table capacity")
      ->check(CLI::Range(std::uint64_t{16}, std::uint64_t{1} << 26));
  extract
      ->add_option("--max-flow-bytes", ex.max_flow_bytes,
                   "Bytes of each flow direction inspected for names")
      ->check(CLI::Range(std::uint64_t{1024}, std::uint64_t{1} << 40));
  extract
      ->add_option("--http-text-bytes", ex.http_text_bytes,
                   "Read up to this many bytes of text from each plain-HTTP page and form post "
                   "(0: none). Default: 65536 with --rules, which matches it; 0 otherwise")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));

  vigil::admin::RulesOptions ro;
  CLI::App* rules = app.add_subcommand("rules", "Check rule lists and explain decisions");
  rules->require_subcommand(1);
  CLI::App* check =
      rules->add_subcommand("check", "Load and compile a rules tree, print a summary");
  check
      ->add_option("--rules", ro.rules_dir,
                   "Rules tree (policy.toml and lists) or a UT1 category folder")
      ->required();
  CLI::App* test =
      rules->add_subcommand("test", "Explain the decision for host names, URLs or text");
  test->add_option("--rules", ro.rules_dir,
                   "Rules tree (policy.toml and lists) or a UT1 category folder")
      ->required();
  test->add_option("--group", ro.group,
                   "Group whose policy applies (default: the policy's default)");
  test->add_flag("--json", ro.json, "One JSON object per input");
  test->add_option("input", ro.inputs, "Host names, URLs or text")->required();

  vigil::config::CliOptions co;
  CLI::App* config = app.add_subcommand("config", "Show and check the configuration file");
  config->require_subcommand(1);
  CLI::App* config_example = config->add_subcommand(
      "example", "Print the commented example configuration (systemd/vigil.toml)");
  CLI::App* config_check =
      config->add_subcommand("check", "Load a configuration file and report every bad key");
  vigil::config::add_cli_options(*config_check, co, /*config_required=*/true);

  vigil::admin::StoreOptions so;
  CLI::App* store = app.add_subcommand("store", "Maintain the SQLite incident store");
  store->require_subcommand(1);
  CLI::App* store_init = store->add_subcommand("init", "Create a new store (newest schema, WAL)");
  CLI::App* store_migrate =
      store->add_subcommand("migrate", "Upgrade a store to the newest schema, keeping its data");
  CLI::App* store_check = store->add_subcommand(
      "check", "integrity_check, foreign keys, schema version and objects, WAL mode");
  CLI::App* store_backup =
      store->add_subcommand("backup", "Copy a live store with SQLite's online backup API");
  CLI::App* store_verify = store->add_subcommand(
      "verify-audit", "Walk the audit log's hash chain and name the first broken row");
  vigil::config::CliOptions store_config;
  for (CLI::App* sub : {store_init, store_migrate, store_check, store_backup, store_verify}) {
    CLI::Option* db = sub->add_option("--db", so.db, "The store file");
    CLI::Option* cfg =
        sub->add_option("--config", store_config.path, "Read the store file from store.path");
    sub->add_option("--set", store_config.overrides, "Override a configuration key")
        ->type_name("SECTION.KEY=VALUE");
    db->excludes(cfg);
  }
  store_backup->add_option("--out", so.out, "The copy to write (must not exist)")->required();

  vigil::admin::CtlOptions ctl;
  vigil::admin::CtlCommands ctl_commands = vigil::admin::add_ctl_commands(app, ctl);

  vigil::admin::CheckOptions check_options;
  CLI::App* self_check = vigil::admin::add_check_command(app, check_options);

  vigil::admin::UsersOptions users;
  vigil::admin::UsersCommands users_commands = vigil::admin::add_users_commands(app, users);

  vigil::admin::ReportOptions report_options;
  CLI::App* report_monthly = vigil::admin::add_report_commands(app, report_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (extract->parsed()) {
    if (!ex.rules_dir.empty() && !ex.eve) {
      std::fprintf(stderr, "vigilctl extract: --rules needs --eve\n");
      return 2;
    }
    if (ex.pcaps.empty() == ex.interface.empty()) {
      std::fprintf(stderr, "vigilctl extract: give capture files or --interface, not both\n");
      return 2;
    }
    if (ex.pcaps.size() > 1 && ex.out_dir.empty() && !ex.eve) {
      std::fprintf(stderr, "vigilctl extract: several captures need --out-dir\n");
      return 2;
    }
    return vigil::admin::run_extract(ex);
  }
  if (auto rc = vigil::admin::run_ctl_command(ctl_commands, ctl)) return *rc;
  if (auto rc = vigil::admin::run_check_command(self_check, check_options)) return *rc;
  if (auto rc = vigil::admin::run_users_command(users_commands, users)) return *rc;
  if (auto rc = vigil::admin::run_report_command(report_monthly, report_options)) return *rc;
  if (check->parsed()) return vigil::admin::run_rules_check(ro);
  if (test->parsed()) return vigil::admin::run_rules_test(ro);
  const bool store_command = store_init->parsed() || store_migrate->parsed() ||
                             store_check->parsed() || store_backup->parsed() ||
                             store_verify->parsed();
  if (store_command && so.db.empty() && store_config.path.empty()) {
    std::fprintf(stderr, "vigilctl store: give the store as --db FILE or --config FILE\n");
    return 2;
  }
  if (store_command && !store_config.path.empty()) {
    vigil::config::LoadResult loaded = vigil::config::load(store_config);
    if (!loaded) {
      for (const std::string& e : loaded.errors)
        std::fprintf(stderr, "vigilctl store: %s\n", e.c_str());
      return 2;
    }
    so.db = loaded.config->get_string("store.path");
  }
  if (store_init->parsed()) return vigil::admin::run_store_init(so);
  if (store_migrate->parsed()) return vigil::admin::run_store_migrate(so);
  if (store_check->parsed()) return vigil::admin::run_store_check(so);
  if (store_backup->parsed()) return vigil::admin::run_store_backup(so);
  if (store_verify->parsed()) return vigil::admin::run_store_verify_audit(so);
  if (config_example->parsed()) return vigil::admin::run_config_example();
  if (config_check->parsed()) return vigil::admin::run_config_check(co);
  return 0;
}
