#pragma once
// The fixed category taxonomy, severities and actions every list, group
// policy and Hit speaks in. It covers the UK Safer Internet Centre's
// "appropriate filtering" categories plus the statutory child-abuse list,
// circumvention and safe search.

#include <cstdint>
#include <optional>
#include <string_view>

namespace vigil::rules {

enum class Category : std::uint8_t {
  ChildAbuse,  // IWF URL list (statutory)
  Terrorism,   // CTIRU list (statutory) and terrorism lists
  Extremism,
  HateSpeech,
  Discrimination,
  Violence,
  SelfHarm,
  Drugs,
  Gambling,
  Pornography,
  MalwareHacking,
  Piracy,
  Circumvention,  // VPN, proxy, Tor, DoH/DoT providers
  SafeSearch,     // search engines' safe-search endpoints (enforcement)
  kCount
};

enum class Severity : std::uint8_t { Advisory, Caution, Danger };
enum class Action : std::uint8_t { Log, Alert, Block };

// snake_case names used in files and output: "hate_speech", "malware_hacking", ...
std::string_view category_name(Category c) noexcept;
std::string_view severity_name(Severity s) noexcept;
std::string_view action_name(Action a) noexcept;

// Accepts the snake_case name, '-' for '_', any case.
std::optional<Category> parse_category(std::string_view name) noexcept;
std::optional<Severity> parse_severity(std::string_view name) noexcept;
std::optional<Action> parse_action(std::string_view name) noexcept;

// UT1 / squidGuard folder names (e.g. "adult", "gambling", "drogue",
// "agressif", "malware", "warez", "vpn", "hacking") mapped to the taxonomy;
// nullopt for folders Vigil has no category for.
std::optional<Category> category_for_ut1_folder(std::string_view folder) noexcept;

// Defaults a category takes when a list does not say.
Severity default_severity(Category c) noexcept;
Action default_action(Category c) noexcept;

}  // namespace vigil::rules
