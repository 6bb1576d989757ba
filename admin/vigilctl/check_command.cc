#include "admin/vigilctl/check_command.h"

#include <pwd.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <string_view>

#include "admin/vigilctl/ctl_command.h"
#include "admin/vigilctl/text_escape.h"
#include "daemon/config/config.h"
#include "daemon/control/protocol.h"
#include "rules/policy/policy.h"
#include "rules/taxonomy.h"
#include "store/casework.h"
#include "store/report_queries.h"

namespace vigil::admin {
namespace {

namespace json = boost::json;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr std::int64_t kDropWindowUs = 5 * 60'000'000LL;

struct TestName {
  std::string name;
  std::string category;
};

struct CheckLine {
  std::string what;
  bool pass = false;
  std::string why;
};

void usage_error(const std::string& message) {
  std::fprintf(stderr, "vigilctl check: %s\n", escape_control_bytes(message).c_str());
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string unix_user() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "uid " + std::to_string(::geteuid());
}

std::int64_t json_int(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

// The entries of a statutory slot's file: its lines that are neither blank
// nor comments. nullopt when the file cannot be read.
std::optional<std::vector<std::string>> slot_entries(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    const auto e = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(b, e - b + 1));
  }
  return out;
}

// The input that should hit a slot's entry when asked of vigild.
std::string probe_for(const rules::ListSpec& list, const std::string& entry) {
  if (list.format == rules::ListFormat::Urls && entry.find("://") == std::string::npos) {
    return "http://" + entry;
  }
  return entry;
}

struct SlotProbe {
  std::string what;
  std::string input;  // "" = nothing to ask vigild
  std::optional<CheckLine> settled;
};

// One check per statutory slot, from the rules tree vigild is configured with.
std::vector<SlotProbe> statutory_checks(const std::string& rules_dir) {
  std::vector<SlotProbe> out;
  std::string error;
  std::optional<rules::Policy> policy = rules::load_policy(rules_dir, error);
  const std::pair<rules::StatutorySlot, const char*> slots[] = {
      {rules::StatutorySlot::Iwf, "IWF"}, {rules::StatutorySlot::Ctiru, "CTIRU"}};
  for (const auto& [slot, label] : slots) {
    SlotProbe p;
    p.what = std::string("statutory slot ") + label;
    if (!policy) {
      p.settled = CheckLine{p.what, false, "the rules tree does not load: " + error};
      out.push_back(std::move(p));
      continue;
    }
    const rules::ListSpec* spec = nullptr;
    for (const rules::ListSpec& l : policy->lists) {
      if (l.statutory == slot) spec = &l;
    }
    if (spec == nullptr) {
      p.settled = CheckLine{p.what, false,
                            "not declared in " + rules_dir + "/policy.toml ([[statutory]] slot)"};
    } else if (auto entries = slot_entries(spec->path); !entries) {
      p.settled = CheckLine{p.what, false, "declared, but " + spec->path + " cannot be read"};
    } else if (entries->empty()) {
      p.settled = CheckLine{p.what, true, "present, empty: no licence configured"};
    } else {
      p.what += " (" + std::to_string(entries->size()) + " entries)";
      p.input = probe_for(*spec, entries->front());
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Frames and drops per interface over the last 5 minutes, from the store's
// capture_health rows and vigild's counters now. Without rows (vigild not
// yet sampled, or the store unreadable) the counters since vigild started.
struct DropWindow {
  std::map<std::string, store::CaptureHealthSummary> per_interface;
  std::string source;
};

DropWindow drops_last_minutes(const std::string& db, const json::array& interfaces) {
  DropWindow out;
  const std::int64_t now = now_us();
  const store::ReportRange window{now - kDropWindowUs, now + 1};
  std::map<std::string, std::vector<store::CaptureHealthSample>> rows;
  std::string store_problem;
  auto q = store::ReportQueries::open({db});
  if (!q) {
    store_problem = q.error().message;
  } else if (auto s = (*q)->scan_capture_health(
                 window,
                 [&](const store::CaptureHealthSample& r) { rows[r.interface].push_back(r); });
             !s) {
    store_problem = s.error().message;
  }
  for (const json::value& v : interfaces) {
    if (!v.is_object()) continue;
    const json::object& i = v.as_object();
    const json::value* name = i.if_contains("name");
    if (name == nullptr || !name->is_string()) continue;
    const std::string n(name->as_string());
    const store::CaptureHealthSample live{now,
                                          n,
                                          true,
                                          json_int(i, "frames"),
                                          json_int(i, "kernel_dropped"),
                                          json_int(i, "queue_drops"),
                                          0};
    store::CaptureHealthSummary s;
    if (auto it = rows.find(n); it != rows.end()) {
      store::CaptureHealthTally t(window);
      for (const store::CaptureHealthSample& r : it->second) t.add(r);
      t.add(live);
      s = t.finish();
    } else {
      s.frames = live.frames;
      s.kernel_drops = live.kernel_drops;
      s.queue_drops = live.queue_drops;
    }
    out.per_interface[n] = s;
  }
  out.source = rows.empty() ? "vigild's counters since it started (no capture_health rows in the "
                              "last 5 minutes" +
                                  (store_problem.empty() ? std::string(")")
                                                         : "; store: " + store_problem + ")")
                            : "capture_health rows of the last 5 minutes and vigild's counters now";
  return out;
}

// A test answer's verdict on `name`: flagged with `category`, or why not.
CheckLine name_check(const TestName& t, const CtlAnswer& a) {
  CheckLine line{"name " + t.name + " flagged " + t.category, false, {}};
  if (!a.ok) {
    line.why = "vigild refused the test: " + a.text;
    return line;
  }
  json::error_code ec;
  json::value v = json::parse(a.text, ec);
  if (ec || !v.is_object()) {
    line.why = "vigild's answer is not a decision";
    return line;
  }
  const json::object& d = v.as_object();
  std::string seen;
  const json::value* hits = d.if_contains("hits");
  if (hits != nullptr && hits->is_array()) {
    for (const json::value& h : hits->as_array()) {
      if (!h.is_object()) continue;
      const json::object& ho = h.as_object();
      const json::value* cat = ho.if_contains("category");
      const json::value* list = ho.if_contains("list");
      const json::value* allowed = ho.if_contains("allowed");
      const std::string c = cat != nullptr && cat->is_string() ? std::string(cat->as_string()) : "";
      const std::string l =
          list != nullptr && list->is_string() ? std::string(list->as_string()) : "";
      const bool was_allowed = allowed != nullptr && allowed->is_bool() && allowed->as_bool();
      if (c == t.category && !was_allowed) {
        const json::value* verdict = d.if_contains("verdict");
        line.pass = true;
        line.why = "hit on list \"" + l + "\"" +
                   (verdict != nullptr && verdict->is_string()
                        ? ", verdict " + std::string(verdict->as_string())
                        : std::string());
        return line;
      }
      if (!seen.empty()) seen += ", ";
      seen += c + (was_allowed ? " (allowed)" : "") + " from \"" + l + "\"";
    }
  }
  line.why = seen.empty() ? "no list matches it" : "matched only " + seen;
  return line;
}

int run_check(const CheckOptions& options) {
  config::LoadResult loaded = config::load(options.config);
  if (!loaded) {
    for (const std::string& e : loaded.errors) usage_error(e);
    return kExitUsage;
  }
  const config::Config& cfg = *loaded.config;
  std::vector<TestName> names;
  for (const std::string& n : options.names) {
    const auto eq = n.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == n.size()) {
      usage_error("--name " + n + ": expected NAME=EXPECTED_CATEGORY");
      return kExitUsage;
    }
    TestName t{n.substr(0, eq), n.substr(eq + 1)};
    if (!rules::parse_category(t.category)) {
      usage_error("--name " + n + ": no category \"" + t.category + "\"");
      return kExitUsage;
    }
    names.push_back(std::move(t));
  }
  // The rules tree declares no test entries of its own (rules/README.md):
  // the names to test come from the command line.
  if (names.empty()) {
    usage_error(
        "give at least one --name NAME=EXPECTED_CATEGORY (the rules tree declares no "
        "test names)");
    return kExitUsage;
  }
  const std::string actor = options.by.empty() ? unix_user() : options.by;
  const std::string socket = cfg.get_string("control.socket");
  std::vector<SlotProbe> slots = statutory_checks(cfg.get_string("rules.dir"));

  std::vector<daemon::Request> requests{{.command = daemon::Command::Status}};
  for (const TestName& t : names) {
    requests.push_back({.command = daemon::Command::Test, .group = {}, .input = t.name});
  }
  for (const SlotProbe& s : slots) {
    if (!s.input.empty()) {
      requests.push_back({.command = daemon::Command::Test, .group = {}, .input = s.input});
    }
  }
  std::vector<CtlAnswer> answers;
  const int rc = ctl_exchange("check", socket, options.timeout_s, requests, answers);
  if (rc == kExitUsage) return kExitUsage;

  std::vector<CheckLine> lines;
  const bool reachable = rc == 0 && answers.size() == requests.size() && answers[0].ok;
  lines.push_back({"vigild reachable", reachable,
                   reachable ? "answered on " + socket
                             : "no answer on control socket " + socket + " (see above)"});
  json::object status;
  if (reachable) {
    json::error_code ec;
    json::value v = json::parse(answers[0].text, ec);
    if (!ec && v.is_object()) status = v.as_object();
  }
  const json::value* ifs_value = status.if_contains("interfaces");
  const json::array no_interfaces;
  const json::array& ifs =
      ifs_value != nullptr && ifs_value->is_array() ? ifs_value->as_array() : no_interfaces;

  // Capture interfaces.
  const std::vector<std::string>& configured = cfg.get_strings("capture.interfaces");
  if (configured.empty()) {
    lines.push_back({"capture interfaces", false, "capture.interfaces is empty"});
  }
  for (const std::string& want : configured) {
    CheckLine l{"interface " + want + " running", false, {}};
    if (!reachable) {
      l.why = "not checked: vigild unreachable";
    } else if (ifs_value == nullptr) {
      l.why = "vigild reports no live capture (replay mode?)";
    } else {
      l.why = "vigild does not capture on it";
      for (const json::value& v : ifs) {
        if (!v.is_object()) continue;
        const json::object& i = v.as_object();
        const json::value* n = i.if_contains("name");
        if (n == nullptr || !n->is_string() || n->as_string() != want) continue;
        const json::value* run = i.if_contains("running");
        l.pass = run != nullptr && run->is_bool() && run->as_bool();
        const json::value* err = i.if_contains("error");
        l.why = l.pass ? std::to_string(json_int(i, "frames")) + " frames read"
                       : "stopped" + (err != nullptr && err->is_string()
                                          ? ": " + std::string(err->as_string())
                                          : std::string());
      }
    }
    lines.push_back(std::move(l));
  }

  // Drops.
  if (reachable && ifs_value != nullptr) {
    const DropWindow w = drops_last_minutes(cfg.get_string("store.path"), ifs);
    for (const auto& [name, s] : w.per_interface) {
      const bool none = s.kernel_drops == 0 && s.queue_drops == 0;
      lines.push_back({"no drops on " + name + " in the last 5 minutes", none,
                       std::to_string(s.kernel_drops) + " kernel and " +
                           std::to_string(s.queue_drops) + " queue drops of " +
                           std::to_string(s.frames) + " frames (" + w.source + ")"});
    }
  } else {
    lines.push_back(
        {"no drops in the last 5 minutes", false,
         reachable ? "vigild reports no live capture" : "not checked: vigild unreachable"});
  }

  // Statutory slots, then the test names, in the order asked.
  std::size_t next = 1 + names.size();
  std::vector<CheckLine> slot_lines;
  for (SlotProbe& s : slots) {
    if (s.settled) {
      slot_lines.push_back(*s.settled);
      continue;
    }
    CheckLine l{s.what + " loaded", false, {}};
    if (!reachable) {
      l.why = "not checked: vigild unreachable";
    } else {
      const CtlAnswer& a = answers[next];
      json::error_code ec;
      json::value v = a.ok ? json::parse(a.text, ec) : json::value();
      l.why = "vigild does not block its first entry (" + s.input + "): reload vigild";
      if (a.ok && !ec && v.is_object()) {
        const json::value* hits = v.as_object().if_contains("hits");
        if (hits != nullptr && hits->is_array()) {
          for (const json::value& h : hits->as_array()) {
            const json::value* st =
                h.is_object() ? h.as_object().if_contains("statutory") : nullptr;
            if (st != nullptr && st->is_bool() && st->as_bool()) {
              l.pass = true;
              l.why = "its first entry is blocked by vigild";
            }
          }
        }
      }
    }
    ++next;
    slot_lines.push_back(std::move(l));
  }
  lines.insert(lines.end(), slot_lines.begin(), slot_lines.end());
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!reachable) {
      lines.push_back({"name " + names[i].name + " flagged " + names[i].category, false,
                       "not checked: vigild unreachable"});
    } else {
      lines.push_back(name_check(names[i], answers[1 + i]));
    }
  }

  std::size_t passed = 0;
  std::string what;
  std::string failing;
  for (const CheckLine& l : lines) {
    std::printf("%s  %s: %s\n", l.pass ? "PASS" : "FAIL", escape_control_bytes(l.what).c_str(),
                escape_control_bytes(l.why).c_str());
    passed += l.pass ? 1 : 0;
    what += (what.empty() ? "" : "; ") + l.what;
    if (!l.pass) failing += (failing.empty() ? "" : "; ") + l.what + ": " + l.why;
  }
  const std::size_t failed = lines.size() - passed;
  std::printf("%zu of %zu checks passed\n", passed, lines.size());
  std::fflush(stdout);

  store::CheckEntry entry;
  entry.what = "vigilctl check (" + std::to_string(passed) + " of " + std::to_string(lines.size()) +
               " passed, " + std::to_string(failed) + " failed): " + what;
  entry.result = failed == 0 ? "pass" : "fail";
  entry.action = failed == 0 ? "none" : "failing: " + failing;
  auto cw = store::Casework::open({.path = cfg.get_string("store.path")});
  if (!cw) {
    usage_error("the result was not recorded in the checks log: " + cw.error().message);
    return kExitUsage;
  }
  if (auto id = (*cw)->record_check(actor, entry); !id) {
    usage_error("the result was not recorded in the checks log: " + id.error().message);
    return kExitUsage;
  }
  return failed == 0 ? 0 : kExitFailed;
}

}  // namespace

CLI::App* add_check_command(CLI::App& app, CheckOptions& options) {
  CLI::App* check = app.add_subcommand(
      "check",
      "Self-test the running appliance (DfE filtering standard) and record it in the checks log");
  config::add_cli_options(*check, options.config, /*config_required=*/true);
  check
      ->add_option("--name", options.names,
                   "A name the live rules must flag, with its category (repeatable)")
      ->type_name("NAME=EXPECTED_CATEGORY");
  check->add_option("--by", options.by, "Who ran the check (default: the Unix user name)");
  check->add_option("--timeout", options.timeout_s, "Seconds to wait for vigild (default 10)")
      ->check(CLI::Range(0.001, 86400.0));
  return check;
}

std::optional<int> run_check_command(const CLI::App* check, const CheckOptions& options) {
  if (check == nullptr || !check->parsed()) return std::nullopt;
  return run_check(options);
}

}  // namespace vigil::admin
