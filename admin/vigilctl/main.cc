// vigilctl: the operator's command line.

#include <CLI/CLI.hpp>

#include "admin/vigilctl/config_command.h"
#include "admin/vigilctl/extract_command.h"
#include "admin/vigilctl/rules_command.h"

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
  if (check->parsed()) return vigil::admin::run_rules_check(ro);
  if (test->parsed()) return vigil::admin::run_rules_test(ro);
  if (config_example->parsed()) return vigil::admin::run_config_example();
  if (config_check->parsed()) return vigil::admin::run_config_check(co);
  return 0;
}
