#pragma once
// The console's own settings, kept in the store's settings table and set on
// the Settings page: the organisation, who the DSL and deputy are and how to
// reach them, and the Prevent contacts outside the organisation. The
// safeguarding pages read them for the emergency guidance and the referral
// (read_console_settings). A short declared list: nothing else is set here.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "store/reader.h"
#include "store/result.h"

namespace vigil::console::pages {

enum class SettingKind : unsigned char {
  Text,   // one line of text
  Phone,  // digits, spaces and + ( ) - . only
};

struct ConsoleSetting {
  std::string_view key;    // in the settings table
  std::string_view label;  // on the page
  std::string_view help;
  SettingKind kind = SettingKind::Text;
  std::size_t max_bytes = 200;
};

inline constexpr std::string_view kOrganisationName = "console.organisation_name";
inline constexpr std::string_view kDslName = "console.dsl_name";
inline constexpr std::string_view kDslPhone = "console.dsl_phone";
inline constexpr std::string_view kDeputyDslName = "console.deputy_dsl_name";
inline constexpr std::string_view kDeputyDslPhone = "console.deputy_dsl_phone";
inline constexpr std::string_view kLocalAuthorityPrevent =
    "console.local_authority_prevent_contact";
inline constexpr std::string_view kPolicePrevent = "console.police_prevent_contact";

// Every declared setting, in page order.
std::span<const ConsoleSetting> console_settings() noexcept;
const ConsoleSetting* find_console_setting(std::string_view key) noexcept;

// Why `value` cannot be stored for `setting` (too long, a control character,
// not UTF-8, not a phone number), nullopt when it can. Empty clears it.
std::optional<std::string> console_setting_problem(const ConsoleSetting& setting,
                                                   std::string_view value);

// Each declared key with its stored value ("" when not set).
store::Result<std::map<std::string, std::string, std::less<>>> read_console_settings(
    store::Reader& reader);

}  // namespace vigil::console::pages
