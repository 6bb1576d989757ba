#include "daemon/config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace vigil::config {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::minutes;

LoadResult from(std::string_view toml, const std::vector<std::string>& sets = {}) {
  return load_text(toml, "vigil.toml", sets);
}

LoadResult with(const std::vector<std::string>& sets) { return load_defaults(sets); }

// The single error of a load that must fail with exactly one.
std::string only_error(const LoadResult& r) {
  EXPECT_FALSE(r) << "loaded, but an error was expected";
  EXPECT_EQ(r.errors.size(), 1u) << ::testing::PrintToString(r.errors);
  return r.errors.empty() ? std::string() : r.errors.front();
}

// ---- declarations ---------------------------------------------------------

TEST(Declarations, NamesAreUniqueWellFormedAndInADeclaredSection) {
  std::set<std::string_view> names;
  std::set<std::string_view> used_sections;
  for (const KeyDecl& k : keys()) {
    EXPECT_TRUE(names.insert(k.name).second) << "declared twice: " << k.name;
    std::size_t dot = k.name.find('.');
    ASSERT_NE(dot, std::string_view::npos) << k.name;
    EXPECT_EQ(k.name.find('.', dot + 1), std::string_view::npos) << k.name;
    for (char c : k.name) {
      EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '.')
          << k.name;
    }
    std::string_view section = k.name.substr(0, dot);
    bool declared = false;
    for (const SectionDecl& s : sections()) declared = declared || s.name == section;
    EXPECT_TRUE(declared) << k.name << ": section not in sections()";
    used_sections.insert(section);
    EXPECT_EQ(find_key(k.name), &k);
  }
  for (const SectionDecl& s : sections()) {
    EXPECT_TRUE(used_sections.count(s.name)) << "section without keys: " << s.name;
  }
  EXPECT_EQ(find_key("store.nope"), nullptr);
}

TEST(Declarations, EveryKeyIsDocumentedAndReadBySomeProgram) {
  for (const KeyDecl& k : keys()) {
    EXPECT_FALSE(k.help.empty()) << k.name;
    EXPECT_EQ(k.help.find('\n'), std::string_view::npos) << k.name;
    EXPECT_EQ(k.help.back(), '.') << k.name;
    EXPECT_NE(k.readers & kEveryProgram, 0) << k.name << ": no program reads it";
    if (k.type == Type::Int || k.type == Type::Duration) {
      EXPECT_LE(k.min, k.max) << k.name;
    }
    if (k.type == Type::Double) {
      EXPECT_LE(k.min_real, k.max_real) << k.name;
    }
    if (k.type == Type::Enum || k.type == Type::Url) {
      EXPECT_FALSE(k.choices.empty()) << k.name;
    }
  }
  for (const SectionDecl& s : sections()) EXPECT_FALSE(s.help.empty()) << s.name;
  for (const Requirement& r : requirements()) {
    EXPECT_NE(find_key(r.key), nullptr) << r.key;
    EXPECT_NE(find_key(r.needs), nullptr) << r.needs;
  }
}

TEST(Declarations, KeysTheInterfacesNameExist) {
  // DESIGN.md: the store file is store.path, the console address console.listen.
  for (const char* name : {"store.path", "console.listen", "control.socket", "metrics.listen",
                           "log.level", "rules.dir"}) {
    EXPECT_NE(find_key(name), nullptr) << name;
  }
}

// ---- defaults and getters --------------------------------------------------

TEST(Config, UnsetKeysTakeTheirDefaults) {
  const Config c;
  EXPECT_EQ(c.get_string("store.path"), "/var/lib/vigil/vigil.db");
  EXPECT_EQ(c.get_int("store.batch_max_hits"), 4096);
  EXPECT_EQ(c.get_duration("store.batch_max_delay"), milliseconds(200));
  EXPECT_EQ(c.get_duration("notify.throttle"), minutes(10));
  EXPECT_TRUE(c.get_bool("capture.promiscuous"));
  EXPECT_DOUBLE_EQ(c.get_double("capture.drop_alarm_percent"), 1.0);
  EXPECT_TRUE(c.get_strings("capture.interfaces").empty());
  EXPECT_EQ(c.get_string("log.level"), "info");
  EXPECT_EQ(c.get_address("console.listen"), (Address{"127.0.0.1", 8443}));
  EXPECT_EQ(c.get_address("metrics.listen"), (Address{"127.0.0.1", 9750}));
  EXPECT_EQ(c.get_string("notify.smtp_url"), "");
  EXPECT_EQ(c.origin("store.path").kind, Origin::Kind::Default);
  EXPECT_EQ(c.origin("store.path").describe(), "default");
  EXPECT_EQ(c.text("notify.throttle"), "\"10m\"");
  EXPECT_EQ(c.text("capture.interfaces"), "[]");
}

TEST(Config, EveryDefaultPassesItsOwnDeclaration) {
  // Config() aborts on a bad default; this also checks each renders and parses back.
  const Config c;
  for (const KeyDecl& k : keys()) {
    LoadResult r =
        from(std::string(k.name.substr(0, k.name.find('.'))).insert(0, "[") + "]\n" +
             std::string(k.name.substr(k.name.find('.') + 1)) + " = " + c.text(k.name) + "\n");
    ASSERT_TRUE(r) << k.name << ": " << ::testing::PrintToString(r.errors);
    EXPECT_EQ(r.config->value(k.name), c.value(k.name)) << k.name;
  }
}

using ConfigDeathTest = ::testing::Test;

TEST(ConfigDeathTest, UndeclaredKeyIsAProgrammingError) {
  const Config c;
  EXPECT_DEATH(c.get_int("store.no_such_key"), "\"store.no_such_key\" is not declared");
  EXPECT_DEATH(c.get_string("nope"), "not declared");
  EXPECT_DEATH(c.origin("store.pth"), "not declared");
}

TEST(ConfigDeathTest, GetterOfTheWrongTypeIsAProgrammingError) {
  const Config c;
  EXPECT_DEATH(c.get_int("store.path"), "get_int\\(\"store.path\"\\): the key is a path");
  EXPECT_DEATH(c.get_string("capture.workers"), "get_string");
  EXPECT_DEATH(c.get_bool("log.level"), "get_bool");
  EXPECT_DEATH(c.get_duration("store.batch_max_hits"), "get_duration");
  EXPECT_DEATH(c.get_strings("store.path"), "get_strings");
  EXPECT_DEATH(c.get_address("store.path"), "get_address");
}

// ---- loading a file --------------------------------------------------------

TEST(Load, FileValuesReplaceDefaultsAndSayWhereTheyCameFrom) {
  LoadResult r = from(R"(# comment
[store]
path = "/srv/vigil.db"
busy_timeout = "45s"

[capture]
interfaces = ["br-lan", "wlan0"]
workers = 4
drop_alarm_percent = 2

[notify]
smtp_url = "smtps://mail.example.org:465"
from = "vigil@example.org"
to = ["dsl@example.org", "deputy@example.org"]

[metrics]
listen = ""
)");
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  const Config& c = *r.config;
  EXPECT_EQ(c.get_string("store.path"), "/srv/vigil.db");
  EXPECT_EQ(c.get_duration("store.busy_timeout"), milliseconds(45'000));
  EXPECT_EQ(c.text("store.busy_timeout"), "\"45s\"");
  EXPECT_EQ(c.get_strings("capture.interfaces"), (std::vector<std::string>{"br-lan", "wlan0"}));
  EXPECT_EQ(c.get_int("capture.workers"), 4);
  EXPECT_DOUBLE_EQ(c.get_double("capture.drop_alarm_percent"), 2.0);
  EXPECT_EQ(c.get_strings("notify.to").size(), 2u);
  EXPECT_EQ(c.get_address("metrics.listen"), std::nullopt);
  EXPECT_EQ(c.origin("store.path").describe(), "vigil.toml:3");
  EXPECT_EQ(c.origin("capture.workers").describe(), "vigil.toml:8");
  EXPECT_EQ(c.origin("store.batch_max_hits").kind, Origin::Kind::Default);
  EXPECT_EQ(c.get_int("store.batch_max_hits"), 4096);
}

TEST(Load, DottedKeysAndInlineTablesAreTheSameKeys) {
  LoadResult r = from("store.path = \"/a.db\"\nlog = { level = \"debug\" }\n");
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.config->get_string("store.path"), "/a.db");
  EXPECT_EQ(r.config->get_string("log.level"), "debug");
}

TEST(Load, UnknownKeySuggestsTheClosestDeclaredKey) {
  EXPECT_EQ(only_error(from("[store]\npth = \"/x.db\"\n")),
            "vigil.toml:2: store.pth: unknown key (did you mean store.path?)");
  EXPECT_EQ(only_error(from("[capture]\ninterface = [\"eth0\"]\n")),
            "vigil.toml:2: capture.interface: unknown key (did you mean capture.interfaces?)");
}

TEST(Load, UnknownKeyFarFromAnyDeclaredKeyHasNoSuggestion) {
  EXPECT_EQ(only_error(from("[store]\ncolour = \"blue\"\n")),
            "vigil.toml:2: store.colour: unknown key");
}

TEST(Load, KeyWithAUnitSuffixSuggestsTheDurationKey) {
  EXPECT_EQ(only_error(from("[store]\n\nbusy_timeout_ms = 5000\n")),
            "vigil.toml:3: store.busy_timeout_ms: unknown key (did you mean store.busy_timeout?)");
}

TEST(Load, KeyInTheWrongSectionSuggestsWhereItBelongs) {
  EXPECT_EQ(only_error(from("[store]\nlevel = \"debug\"\n")),
            "vigil.toml:2: store.level: unknown key (did you mean log.level?)");
  EXPECT_EQ(only_error(from("level = \"debug\"\n")),
            "vigil.toml:1: level: unknown key (did you mean log.level?)");
  EXPECT_EQ(only_error(from("listen = \"127.0.0.1:1\"\n")),
            "vigil.toml:1: listen: unknown key (did you mean metrics.listen or console.listen?)");
}

TEST(Load, UnknownSectionSuggestsTheClosestSection) {
  EXPECT_EQ(only_error(from("\n[stor]\npath = \"/x.db\"\n")),
            "vigil.toml:2: stor: unknown section (did you mean store?)");
  EXPECT_EQ(only_error(from("[smtp]\nurl = \"smtps://x\"\n")),
            "vigil.toml:1: smtp: unknown section");
}

TEST(Load, SectionThatIsNotATable) {
  EXPECT_EQ(only_error(from("store = 5\n")),
            "vigil.toml:1: store: expected a table [store], got 5");
  EXPECT_EQ(only_error(from("[[store]]\npath = \"a\"\n")),
            "vigil.toml:1: store: expected a table [store], got an array");
}

TEST(Load, WrongTypeNamesTheKeyTheExpectationAndTheValue) {
  EXPECT_EQ(only_error(from("[capture]\nworkers = \"abc\"\n")),
            "vigil.toml:2: capture.workers: expected integer 0..256, got \"abc\"");
  EXPECT_EQ(only_error(from("[capture]\nworkers = 2.5\n")),
            "vigil.toml:2: capture.workers: expected integer 0..256, got 2.5");
  EXPECT_EQ(only_error(from("[capture]\npromiscuous = \"yes\"\n")),
            "vigil.toml:2: capture.promiscuous: expected true or false, got \"yes\"");
  EXPECT_EQ(only_error(from("[store]\npath = 7\n")),
            "vigil.toml:2: store.path: expected a path, got 7");
  EXPECT_EQ(only_error(from("[store]\npath = [\"a\"]\n")),
            "vigil.toml:2: store.path: expected a path, got an array");
  EXPECT_EQ(only_error(from("[capture]\ninterfaces = \"eth0\"\n")),
            "vigil.toml:2: capture.interfaces: expected a list of names without spaces (like "
            "[\"eth0\"]), got \"eth0\"");
  EXPECT_EQ(only_error(from("[capture]\ninterfaces = [\"eth0\", 1]\n")),
            "vigil.toml:2: capture.interfaces[1]: expected a name without spaces, got 1");
  EXPECT_EQ(only_error(from("[capture]\ninterfaces = [\"eth0 eth1\"]\n")),
            "vigil.toml:2: capture.interfaces[0]: expected a name without spaces, got \"eth0 "
            "eth1\"");
}

TEST(Load, OutOfRange) {
  EXPECT_EQ(only_error(from("[capture]\nworkers = 1000\n")),
            "vigil.toml:2: capture.workers: expected integer 0..256, got 1000");
  EXPECT_EQ(only_error(from("[capture]\nworkers = -1\n")),
            "vigil.toml:2: capture.workers: expected integer 0..256, got -1");
  EXPECT_EQ(only_error(from("[capture]\ndrop_alarm_percent = 150\n")),
            "vigil.toml:2: capture.drop_alarm_percent: expected number 0.0..100.0, got 150");
  EXPECT_EQ(only_error(from("[capture]\ndrop_alarm_percent = nan\n")),
            "vigil.toml:2: capture.drop_alarm_percent: expected number 0.0..100.0, got nan");
  LoadResult edge = from("[capture]\nworkers = 256\ndrop_alarm_percent = 0\n");
  ASSERT_TRUE(edge) << ::testing::PrintToString(edge.errors);
  EXPECT_EQ(edge.config->get_int("capture.workers"), 256);
}

TEST(Load, BadEnumValueListsTheChoices) {
  EXPECT_EQ(only_error(from("[log]\nlevel = \"verbose\"\n")),
            "vigil.toml:2: log.level: expected one of trace, debug, info, warn, error, got "
            "\"verbose\"");
  EXPECT_EQ(only_error(from("[log]\nlevel = \"\"\n")),
            "vigil.toml:2: log.level: expected one of trace, debug, info, warn, error, got \"\"");
}

TEST(Load, Durations) {
  const std::string expected =
      "expected duration 1m..1d (like \"90s\", \"10m\" or \"1h30m\"), got ";
  EXPECT_EQ(only_error(from("[notify]\nthrottle = 10\n")),
            "vigil.toml:2: notify.throttle: " + expected + "10");
  EXPECT_EQ(only_error(from("[notify]\nthrottle = \"10 minutes\"\n")),
            "vigil.toml:2: notify.throttle: " + expected + "\"10 minutes\"");
  EXPECT_EQ(only_error(from("[notify]\nthrottle = \"30s\"\n")),
            "vigil.toml:2: notify.throttle: " + expected + "\"30s\"");
  EXPECT_EQ(only_error(from("[notify]\nthrottle = \"99999999999999999999d\"\n")),
            "vigil.toml:2: notify.throttle: " + expected + "\"99999999999999999999d\"");
  EXPECT_FALSE(from("[notify]\nthrottle = \"m\"\n"));
  EXPECT_FALSE(from("[notify]\nthrottle = \"\"\n"));
  LoadResult r = from("[notify]\nthrottle = \"1h30m\"\n[store]\nbatch_max_delay = \"250ms\"\n");
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.config->get_duration("notify.throttle"), minutes(90));
  EXPECT_EQ(r.config->text("notify.throttle"), "\"90m\"");
  EXPECT_EQ(r.config->get_duration("store.batch_max_delay"), milliseconds(250));
  EXPECT_EQ(r.config->text("store.batch_max_delay"), "\"250ms\"");
}

TEST(Load, Addresses) {
  const std::string expected =
      "expected host:port (like \"127.0.0.1:8443\" or \"[::1]:8443\"), or \"\" for none, got ";
  EXPECT_EQ(only_error(from("[metrics]\nlisten = \"localhost\"\n")),
            "vigil.toml:2: metrics.listen: " + expected + "\"localhost\"");
  EXPECT_EQ(only_error(from("[metrics]\nlisten = \"::1:9750\"\n")),
            "vigil.toml:2: metrics.listen: " + expected + "\"::1:9750\"");
  EXPECT_FALSE(from("[metrics]\nlisten = \"127.0.0.1:70000\"\n"));
  EXPECT_FALSE(from("[metrics]\nlisten = \"999.0.0.1:80\"\n"));
  EXPECT_EQ(only_error(from("[console]\nlisten = \"\"\n")),
            "vigil.toml:2: console.listen: expected host:port (like \"127.0.0.1:8443\" or "
            "\"[::1]:8443\"), got \"\"");
  LoadResult r = from("[metrics]\nlisten = \"[::1]:0\"\n[console]\nlisten = \"vigil.lan:443\"\n");
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.config->get_address("metrics.listen"), (Address{"::1", 0}));
  EXPECT_EQ(r.config->get_address("console.listen"), (Address{"vigil.lan", 443}));
}

TEST(ParseAddress, Shapes) {
  EXPECT_EQ(parse_address("127.0.0.1:9750"), (Address{"127.0.0.1", 9750}));
  EXPECT_EQ(parse_address("[fe80::1]:65535"), (Address{"fe80::1", 65535}));
  EXPECT_EQ(parse_address("0.0.0.0:0"), (Address{"0.0.0.0", 0}));
  for (const char* bad : {"", ":80", "host:", "host:-1", "host:65536", "host:8o", "[::1]",
                          "[::1]80", "[nope]:80", "a b:80", "1.2.3:80", "::1"}) {
    EXPECT_EQ(parse_address(bad), std::nullopt) << bad;
  }
}

TEST(Load, UrlsAndEmailAddresses) {
  EXPECT_EQ(
      only_error(from("[notify]\nwebhook_url = \"ftp://x\"\n")),
      "vigil.toml:2: notify.webhook_url: expected a URL starting https:// or http://, or \"\" "
      "for none, got \"ftp://x\"");
  EXPECT_FALSE(from("[notify]\nwebhook_url = \"https://\"\n"));
  EXPECT_FALSE(from("[notify]\nwebhook_url = \"https://exa mple.org/\"\n"));
  EXPECT_EQ(only_error(from("[notify]\nsmtp_url = \"smtps://m\"\nfrom = \"v@x\"\n"
                            "to = [\"dsl@example.org\", \"deputy\"]\n")),
            "vigil.toml:4: notify.to[1]: expected an email address, got \"deputy\"");
  EXPECT_EQ(only_error(from("[notify]\nfrom = \"Vigil <v@x>\"\n")),
            "vigil.toml:2: notify.from: expected an email address, or \"\" for none, got \"Vigil "
            "<v@x>\"");
}

TEST(Load, ControlCharactersInStringsAreRefusedAndShownEscaped) {
  EXPECT_EQ(only_error(from("[notify]\nsmtp_user = \"a\\nb\"\n")),
            "vigil.toml:2: notify.smtp_user: expected a string without control characters, got "
            "\"a\\nb\"");
}

TEST(Load, EmptyPathIsRefusedUnlessTheFeatureCanBeOff) {
  EXPECT_EQ(only_error(from("[store]\npath = \"\"\n")),
            "vigil.toml:2: store.path: expected a path, got \"\"");
  EXPECT_TRUE(from("[identity]\ndnsmasq_leases = \"\"\n"));
}

TEST(Load, RequirementsBetweenKeys) {
  LoadResult r = from("[notify]\nsmtp_url = \"smtps://mail.example.org\"\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.errors, (std::vector<std::string>{
                          "vigil.toml:2: notify.smtp_url: is set, so notify.from must be set too "
                          "(alerts need a sender)",
                          "vigil.toml:2: notify.smtp_url: is set, so notify.to must be set too "
                          "(alerts need the DSL's address)"}));
  EXPECT_EQ(only_error(from("", {"reports.monthly_recipients=gov@example.org"})),
            "--set: reports.monthly_recipients: is set, so notify.smtp_url must be set too "
            "(report notices are sent by email)");
  EXPECT_TRUE(from("[notify]\nsmtp_url = \"smtp://m\"\nfrom = \"v@x\"\nto = [\"d@x\"]\n"));
}

TEST(Load, EveryErrorIsReportedInFileOrder) {
  LoadResult r = from("[capture]\nworkers = \"x\"\nsnaplen = 1\n[store]\npth = \"a\"\n");
  ASSERT_FALSE(r);
  ASSERT_EQ(r.errors.size(), 3u) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.errors[0].rfind("vigil.toml:2: capture.workers:", 0), 0u) << r.errors[0];
  EXPECT_EQ(r.errors[1].rfind("vigil.toml:3: capture.snaplen:", 0), 0u) << r.errors[1];
  EXPECT_EQ(r.errors[2].rfind("vigil.toml:5: store.pth:", 0), 0u) << r.errors[2];
}

TEST(Load, DuplicateKeyIsATomlErrorWithItsLine) {
  std::string e = only_error(from("[store]\npath = \"/a.db\"\npath = \"/b.db\"\n"));
  EXPECT_EQ(e.rfind("vigil.toml:3: invalid TOML: ", 0), 0u) << e;
  EXPECT_NE(e.find("path"), std::string::npos) << e;
  e = only_error(from("[store]\npath = \"/a.db\"\n[capture]\n[store]\n"));
  EXPECT_EQ(e.rfind("vigil.toml:4: invalid TOML: ", 0), 0u) << e;
}

TEST(Load, SyntaxErrorIsOneLineWithItsLine) {
  std::string e = only_error(from("[log]\nlevel = \"info\"\n\n[store\npath = 1\n"));
  EXPECT_EQ(e.rfind("vigil.toml:4: invalid TOML: ", 0), 0u) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

// ---- overrides -------------------------------------------------------------

TEST(Overrides, BeatTheFileAndLaterOnesWin) {
  LoadResult r = from("[store]\npath = \"/file.db\"\n",
                      {"store.path=/first.db", "store.path=/second.db", "capture.workers=2"});
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.config->get_string("store.path"), "/second.db");
  EXPECT_EQ(r.config->origin("store.path").describe(), "--set");
  EXPECT_EQ(r.config->get_int("capture.workers"), 2);
}

TEST(Overrides, ValuesAreParsedByTheDeclaredType) {
  LoadResult r = with({"capture.promiscuous=false", "inspect.max_flows=262_144",
                       "capture.drop_alarm_percent=0.5", "notify.throttle=5m", "log.level=debug",
                       "metrics.listen=", "notify.webhook_url=https://hooks.example.org/x?a=b&c=d",
                       "identity.people_csv=/etc/vigil/people.csv"});
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  const Config& c = *r.config;
  EXPECT_FALSE(c.get_bool("capture.promiscuous"));
  EXPECT_EQ(c.get_int("inspect.max_flows"), 262'144);
  EXPECT_DOUBLE_EQ(c.get_double("capture.drop_alarm_percent"), 0.5);
  EXPECT_EQ(c.get_duration("notify.throttle"), minutes(5));
  EXPECT_EQ(c.get_string("log.level"), "debug");
  EXPECT_EQ(c.get_address("metrics.listen"), std::nullopt);
  EXPECT_EQ(c.get_string("notify.webhook_url"), "https://hooks.example.org/x?a=b&c=d");
}

TEST(Overrides, Lists) {
  auto interfaces = [](const std::string& set) {
    LoadResult r = with({set});
    EXPECT_TRUE(r) << set << ": " << ::testing::PrintToString(r.errors);
    return r ? r.config->get_strings("capture.interfaces") : std::vector<std::string>{"?"};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(interfaces("capture.interfaces=eth0"), (V{"eth0"}));
  EXPECT_EQ(interfaces("capture.interfaces=eth0, eth1"), (V{"eth0", "eth1"}));
  EXPECT_EQ(interfaces("capture.interfaces=[\"br-lan\", \"wlan0\"]"), (V{"br-lan", "wlan0"}));
  EXPECT_EQ(interfaces("capture.interfaces="), V{});
  EXPECT_EQ(only_error(with({"capture.interfaces=eth0,,eth1"})),
            "--set: capture.interfaces[1]: expected a name without spaces, got \"\"");
  EXPECT_EQ(only_error(with({"capture.interfaces=[1]"})),
            "--set: capture.interfaces[0]: expected a name without spaces, got 1");
  EXPECT_EQ(only_error(with({"capture.interfaces=[\"eth0\""})),
            "--set: capture.interfaces: expected a list of names without spaces (like "
            "[\"eth0\"]), got \"[\\\"eth0\\\"\"");
  EXPECT_EQ(only_error(with({"capture.interfaces=[\"a\"]\nx = 1"})),
            "--set: capture.interfaces: expected a list of names without spaces (like "
            "[\"eth0\"]), got \"[\\\"a\\\"]\\nx = 1\"");
}

TEST(Overrides, BadSyntaxNamesTheOverride) {
  EXPECT_EQ(only_error(with({"store.path"})), "--set: \"store.path\": expected section.key=value");
  EXPECT_EQ(only_error(with({"=/x.db"})), "--set: \"=/x.db\": expected section.key=value");
  EXPECT_EQ(only_error(with({""})), "--set: \"\": expected section.key=value");
}

TEST(Overrides, UnknownKeySuggests) {
  EXPECT_EQ(only_error(with({"stor.path=/x.db"})),
            "--set: stor.path: unknown key (did you mean store.path?)");
  EXPECT_EQ(only_error(with({"path=/x.db"})),
            "--set: path: unknown key (did you mean store.path?)");
  EXPECT_EQ(only_error(with({"store.path =/x.db"})),
            "--set: store.path : unknown key (did you mean store.path?)");
}

TEST(Overrides, WrongTypeNamesTheOverride) {
  EXPECT_EQ(only_error(with({"capture.workers=abc"})),
            "--set: capture.workers: expected integer 0..256, got \"abc\"");
  EXPECT_EQ(only_error(with({"capture.workers=1000"})),
            "--set: capture.workers: expected integer 0..256, got \"1000\"");
  EXPECT_FALSE(with({"capture.workers=+-1"}));
  EXPECT_FALSE(with({"capture.workers=1__0"}));
  EXPECT_FALSE(with({"capture.drop_alarm_percent=+-1"}));
  EXPECT_TRUE(with({"capture.workers=+1"}));
  EXPECT_EQ(only_error(with({"capture.workers=_1"})),
            "--set: capture.workers: expected integer 0..256, got \"_1\"");
  EXPECT_EQ(only_error(with({"capture.promiscuous=yes"})),
            "--set: capture.promiscuous: expected true or false, got \"yes\"");
  EXPECT_EQ(only_error(with({"capture.drop_alarm_percent=inf"})),
            "--set: capture.drop_alarm_percent: expected number 0.0..100.0, got \"inf\"");
  EXPECT_EQ(only_error(with({"log.level=loud"})),
            "--set: log.level: expected one of trace, debug, info, warn, error, got \"loud\"");
  EXPECT_EQ(only_error(with({"notify.throttle=10"})),
            "--set: notify.throttle: expected duration 1m..1d (like \"90s\", \"10m\" or "
            "\"1h30m\"), got \"10\"");
}

TEST(Overrides, ApplyEvenWhenTheFileHasErrorsAndAllAreReported) {
  LoadResult r = from("[store]\npth = \"a\"\n", {"capture.workers=x"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.errors.size(), 2u) << ::testing::PrintToString(r.errors);
}

// ---- reading files ---------------------------------------------------------

class LoadFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vigil-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_ / "locked.toml", fs::perms::owner_all, ec);
    fs::remove_all(dir_);
  }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

TEST_F(LoadFile, ErrorsNameTheFileAndLine) {
  std::string path = write("vigil.toml", "[log]\nlevel = \"info\"\n[store]\npth = \"/x\"\n");
  EXPECT_EQ(only_error(load(path)), path + ":4: store.pth: unknown key (did you mean store.path?)");
  path = write("good.toml", "[store]\npath = \"/srv/v.db\"\n");
  LoadResult r = load(path, std::vector<std::string>{"log.level=warn"});
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.config->origin("store.path").describe(), path + ":2");
  EXPECT_EQ(r.config->get_string("log.level"), "warn");
}

TEST_F(LoadFile, MissingFileIsOneLine) {
  std::string path = (dir_ / "absent.toml").string();
  EXPECT_EQ(only_error(load(path)), path + ": cannot read: No such file or directory");
}

TEST_F(LoadFile, DirectoryIsOneLine) {
  EXPECT_EQ(only_error(load(dir_.string())), dir_.string() + ": cannot read: Is a directory");
}

TEST_F(LoadFile, UnreadableFileIsOneLine) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  std::string path = write("locked.toml", "[store]\n");
  fs::permissions(path, fs::perms::none);
  EXPECT_EQ(only_error(load(path)), path + ": cannot read: Permission denied");
}

TEST_F(LoadFile, HugeFileIsRefused) {
  std::string path = write("big.toml", std::string(2 << 20, '#'));
  EXPECT_EQ(only_error(load(path)), path + ": larger than 1 MiB, not a configuration file");
}

TEST_F(LoadFile, BinaryFileIsATomlError) {
  std::string path = write("bin.toml", std::string("\x7f"
                                                   "ELF\x02\x01\x01\0\0\0",
                                                   10));
  std::string e = only_error(load(path));
  EXPECT_EQ(e.rfind(path + ":1: invalid TOML: ", 0), 0u) << e;
}

TEST_F(LoadFile, EmptyFileIsAllDefaults) {
  LoadResult r = load(write("empty.toml", ""));
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(*r.config, Config());
}

// ---- restart or reload -----------------------------------------------------

TEST(Diff, IdenticalConfigsHaveNoChanges) {
  EXPECT_TRUE(diff(Config(), Config()).empty());
  LoadResult r = with({"store.path=/var/lib/vigil/vigil.db"});  // the default, set
  ASSERT_TRUE(r);
  EXPECT_TRUE(diff(Config(), *r.config).empty());
}

TEST(Diff, StartupKeysNeedARestartReloadableKeysDoNot) {
  LoadResult r =
      with({"store.path=/srv/v.db", "notify.throttle=5m", "capture.workers=2", "log.level=debug"});
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  ConfigDiff d = diff(Config(), *r.config);
  ASSERT_EQ(d.restart.size(), 2u);
  EXPECT_EQ(d.restart[0].key, "store.path");
  EXPECT_EQ(d.restart[0].before, "\"/var/lib/vigil/vigil.db\"");
  EXPECT_EQ(d.restart[0].after, "\"/srv/v.db\"");
  EXPECT_EQ(d.restart[1].key, "capture.workers");
  ASSERT_EQ(d.reload.size(), 2u);
  EXPECT_EQ(d.reload[0].key, "log.level");
  EXPECT_EQ(d.reload[1].key, "notify.throttle");
  EXPECT_EQ(d.reload[1].before, "\"10m\"");
  EXPECT_EQ(d.reload[1].after, "\"5m\"");
}

TEST(Diff, OnlyKeysTheAskingProgramReadsCount) {
  LoadResult r = with({"console.listen=127.0.0.1:9443", "capture.snaplen=1500"});
  ASSERT_TRUE(r);
  ConfigDiff for_vigild = diff(Config(), *r.config, kVigild);
  ASSERT_EQ(for_vigild.restart.size(), 1u);
  EXPECT_EQ(for_vigild.restart[0].key, "capture.snaplen");
  ConfigDiff for_console = diff(Config(), *r.config, kConsole);
  ASSERT_EQ(for_console.restart.size(), 1u);
  EXPECT_EQ(for_console.restart[0].key, "console.listen");
  EXPECT_TRUE(for_console.reload.empty());
}

}  // namespace
}  // namespace vigil::config
