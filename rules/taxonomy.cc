#include "rules/taxonomy.h"

#include <array>
#include <string>

namespace vigil::rules {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(Category::kCount)> kCategoryNames =
    {"child_abuse",     "terrorism", "extremism",     "hate_speech", "discrimination",
     "violence",        "self_harm", "drugs",         "gambling",    "pornography",
     "malware_hacking", "piracy",    "circumvention", "safe_search"};

// Lowercase, '-' and ' ' as '_': the spelling used to look names up.
std::string canonical(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '-' || c == ' ') c = '_';
    out.push_back(c);
  }
  return out;
}

struct Ut1Name {
  std::string_view folder;
  Category category;
};

// UT1 (Université Toulouse Capitole) and squidGuard folder names that map
// onto the taxonomy. Folders not listed (e.g. "shopping", "press") are not
// loaded by category: Vigil has no policy for them.
constexpr Ut1Name kUt1[] = {
    {"adult", Category::Pornography},
    {"porn", Category::Pornography},
    {"mixed_adult", Category::Pornography},
    {"sexual_education", Category::Pornography},
    {"gambling", Category::Gambling},
    {"drogue", Category::Drugs},
    {"drugs", Category::Drugs},
    {"agressif", Category::Violence},
    {"aggressive", Category::Violence},
    {"violence", Category::Violence},
    {"hacking", Category::MalwareHacking},
    {"malware", Category::MalwareHacking},
    {"phishing", Category::MalwareHacking},
    {"cryptojacking", Category::MalwareHacking},
    {"ddos", Category::MalwareHacking},
    {"stalkerware", Category::MalwareHacking},
    {"warez", Category::Piracy},
    {"vpn", Category::Circumvention},
    {"redirector", Category::Circumvention},
    {"strict_redirector", Category::Circumvention},
    {"doh", Category::Circumvention},
    {"proxy", Category::Circumvention},
    {"sect", Category::Extremism},
    {"extremism", Category::Extremism},
    {"hate", Category::HateSpeech},
    {"racism", Category::Discrimination},
    {"suicide", Category::SelfHarm},
    {"self_harm", Category::SelfHarm},
};

}  // namespace

std::string_view category_name(Category c) noexcept {
  auto i = static_cast<std::size_t>(c);
  return i < kCategoryNames.size() ? kCategoryNames[i] : "unknown";
}

std::string_view severity_name(Severity s) noexcept {
  switch (s) {
    case Severity::Advisory:
      return "advisory";
    case Severity::Caution:
      return "caution";
    case Severity::Danger:
      return "danger";
  }
  return "unknown";
}

std::string_view action_name(Action a) noexcept {
  switch (a) {
    case Action::Log:
      return "log";
    case Action::Alert:
      return "alert";
    case Action::Block:
      return "block";
  }
  return "unknown";
}

std::optional<Category> parse_category(std::string_view name) noexcept {
  std::string c = canonical(name);
  for (std::size_t i = 0; i < kCategoryNames.size(); ++i) {
    if (kCategoryNames[i] == c) return static_cast<Category>(i);
  }
  return std::nullopt;
}

std::optional<Severity> parse_severity(std::string_view name) noexcept {
  std::string c = canonical(name);
  for (Severity s : {Severity::Advisory, Severity::Caution, Severity::Danger}) {
    if (severity_name(s) == c) return s;
  }
  return std::nullopt;
}

std::optional<Action> parse_action(std::string_view name) noexcept {
  std::string c = canonical(name);
  for (Action a : {Action::Log, Action::Alert, Action::Block}) {
    if (action_name(a) == c) return a;
  }
  return std::nullopt;
}

std::optional<Category> category_for_ut1_folder(std::string_view folder) noexcept {
  std::string c = canonical(folder);
  for (const Ut1Name& n : kUt1) {
    if (n.folder == c) return n.category;
  }
  return parse_category(c);
}

Severity default_severity(Category c) noexcept {
  switch (c) {
    case Category::ChildAbuse:
    case Category::Terrorism:
    case Category::Extremism:
    case Category::SelfHarm:
      return Severity::Danger;
    case Category::HateSpeech:
    case Category::Discrimination:
    case Category::Violence:
    case Category::Drugs:
    case Category::Pornography:
    case Category::MalwareHacking:
    case Category::Circumvention:
      return Severity::Caution;
    case Category::Gambling:
    case Category::Piracy:
    case Category::SafeSearch:
    case Category::kCount:
      break;
  }
  return Severity::Advisory;
}

Action default_action(Category c) noexcept {
  switch (c) {
    case Category::ChildAbuse:
    case Category::Terrorism:
    case Category::Pornography:
    case Category::MalwareHacking:
    case Category::Gambling:
      return Action::Block;
    case Category::Extremism:
    case Category::HateSpeech:
    case Category::Discrimination:
    case Category::Violence:
    case Category::SelfHarm:
    case Category::Drugs:
    case Category::Circumvention:
      return Action::Alert;
    case Category::Piracy:
    case Category::SafeSearch:
    case Category::kCount:
      break;
  }
  return Action::Log;
}

}  // namespace vigil::rules
