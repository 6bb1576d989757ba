#pragma once
// daemon/config: the one TOML configuration shared by vigild, vigil-console
// and vigilctl.
//
// Every key is declared once, in keys.cc: name, type, range, default, help,
// whether a change needs a restart, and which programs read it. The
// declarations drive loading and validation, `--set section.key=value`
// overrides, the restart-or-reload decision and the example file
// systemd/vigil.toml. Expected failures (a bad file, a bad override) come back
// as one-line messages and no exception escapes; asking a Config for a key
// that is not declared, or with the getter of another type, is a programming
// error and aborts.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vigil::config {

enum class Type : std::uint8_t {
  Bool,
  Int,       // range [min, max]
  Double,    // range [min_real, max_real]
  Duration,  // "250ms", "90s", "10m", "1h30m", "7d"; range [min, max] in milliseconds
  String,
  Path,
  Enum,     // one of `choices`
  Address,  // host:port, IPv6 in brackets; port 0 lets the kernel choose (tests)
  Url,      // scheme one of `choices`
  Email,
  StringList,  // names without spaces, like interface names
  EmailList,
};

// When a changed value takes effect.
enum class Apply : std::uint8_t {
  Startup,  // read once at start: a change needs a restart
  Reload,   // applied on reload (SIGHUP, `vigilctl reload`, the console)
};

// Which programs read a key (a bit set, for the example file and diff()).
inline constexpr std::uint8_t kVigild = 1;
inline constexpr std::uint8_t kConsole = 2;
inline constexpr std::uint8_t kVigilctl = 4;
inline constexpr std::uint8_t kEveryProgram = kVigild | kConsole | kVigilctl;

struct SectionDecl {
  std::string_view name;
  std::string_view help;  // one line
};

struct KeyDecl {
  std::string_view name{};  // "section.key"
  Type type = Type::String;
  std::string_view fallback;  // the default, written as for --set
  std::int64_t min = 0;       // Int; Duration in milliseconds
  std::int64_t max = 0;
  double min_real = 0;  // Double
  double max_real = 0;
  std::span<const std::string_view> choices{};  // Enum: values; Url: schemes
  bool optional = false;  // Path, String, Address, Url, Email: "" (off) is allowed
  Apply apply = Apply::Startup;
  std::uint8_t readers = 0;  // kVigild | kConsole | kVigilctl
  std::string_view help{};   // one line
};

// The declarations, in the order of the example file.
std::span<const SectionDecl> sections() noexcept;
std::span<const KeyDecl> keys() noexcept;
const KeyDecl* find_key(std::string_view name) noexcept;  // nullptr when not declared

// "If `key` is set (not empty, not false), `needs` must be set too."
struct Requirement {
  std::string_view key;
  std::string_view needs;
  std::string_view why;
};
std::span<const Requirement> requirements() noexcept;

// A listening or connecting address; host without brackets.
struct Address {
  std::string host;
  std::uint16_t port = 0;
  friend bool operator==(const Address&, const Address&) = default;
};
std::optional<Address> parse_address(std::string_view text);

// Where a key's value came from.
struct Origin {
  enum class Kind : std::uint8_t { Default, File, Override };
  Kind kind = Kind::Default;
  std::string file;  // Kind::File
  std::uint32_t line = 0;
  std::string describe() const;  // "default", "/etc/vigil/vigil.toml:12", "--set"
};

// Bool; Int and Duration (ms); Double; String, Path, Enum, Address, Url,
// Email; StringList and EmailList.
using Value = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>>;

// A complete configuration: every declared key has a value, its default
// unless the file or an override set it. A cheap, immutable value once loaded.
class Config {
 public:
  Config();  // every key at its default

  bool get_bool(std::string_view key) const;
  std::int64_t get_int(std::string_view key) const;
  double get_double(std::string_view key) const;
  std::chrono::milliseconds get_duration(std::string_view key) const;
  // String, Path, Enum, Address, Url and Email keys; "" when an optional key is off.
  const std::string& get_string(std::string_view key) const;
  // StringList and EmailList keys.
  const std::vector<std::string>& get_strings(std::string_view key) const;
  // Address keys; nullopt when an optional address is off ("").
  std::optional<Address> get_address(std::string_view key) const;

  const Value& value(std::string_view key) const;
  const Origin& origin(std::string_view key) const;
  std::string text(std::string_view key) const;  // the value in TOML syntax

  friend bool operator==(const Config& a, const Config& b) { return a.values_ == b.values_; }

 private:
  friend class Loader;
  std::vector<Value> values_;  // parallel to keys()
  std::vector<Origin> origins_;
};

struct LoadResult {
  std::optional<Config> config;  // set when there were no errors
  // One line each, "where: section.key: what was expected, got what", where
  // `where` is "file:line", "file" or "--set"; the first is the one to show
  // when only one line fits.
  std::vector<std::string> errors;
  explicit operator bool() const noexcept { return config.has_value(); }
};

// Reads a TOML file, then applies the `--set` overrides ("section.key=value",
// the value written as for its type: 42, true, 10m, eth0,eth1 or
// ["eth0","eth1"], a string without quotes).
LoadResult load(const std::string& path, std::span<const std::string> overrides = {});
// The same from text already in memory; `source` names it in messages.
LoadResult load_text(std::string_view text, std::string_view source,
                     std::span<const std::string> overrides = {});
// Defaults and overrides only, for programs run without --config.
LoadResult load_defaults(std::span<const std::string> overrides = {});

struct Change {
  std::string_view key;
  std::string before;  // TOML syntax
  std::string after;
};
struct ConfigDiff {
  std::vector<Change> restart;  // startup-only keys: take effect at the next start
  std::vector<Change> reload;   // reloadable keys: a reload applies them
  bool empty() const noexcept { return restart.empty() && reload.empty(); }
};
// What changed between the running configuration and a newly loaded one,
// counting only keys read by one of `readers`.
ConfigDiff diff(const Config& running, const Config& loaded, std::uint8_t readers = kEveryProgram);

enum class ExampleStyle : std::uint8_t {
  Commented,  // every key commented out at its default (systemd/vigil.toml)
  Set,        // every key set to its default
};
// A fully commented example file generated from the declarations.
std::string render_example(ExampleStyle style = ExampleStyle::Commented);

}  // namespace vigil::config
