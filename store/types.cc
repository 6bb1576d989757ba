#include "store/types.h"

#include <array>
#include <utility>

namespace vigil::store {
namespace {

template <class E, std::size_t N>
std::optional<E> parse_name(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, E e) {
  auto i = static_cast<std::size_t>(e);
  return i < N ? names[i] : std::string_view("?");
}

constexpr std::array<std::string_view, 3> kPrivacy{"full", "hide_names", "hide_clients"};
constexpr std::array<std::string_view, 3> kIncidentStatus{"new", "dismissed", "linked"};
constexpr std::array<std::string_view, 7> kConcernState{
    "raised",    "under_review", "no_further_action", "internal_support", "referred",
    "emergency", "closed"};
constexpr std::array<std::string_view, 5> kRole{"admin", "dsl", "deputy_dsl", "reporter",
                                                "auditor"};

}  // namespace

int severity_rank(std::string_view severity) noexcept {
  if (severity == "advisory") return 0;
  if (severity == "caution") return 1;
  if (severity == "danger") return 2;
  return -1;
}

std::int32_t default_hit_points(std::string_view severity) noexcept {
  switch (severity_rank(severity)) {
    case 2:
      return 20;
    case 1:
      return 5;
    default:
      return 1;
  }
}

std::string_view activity_privacy_name(ActivityPrivacy p) noexcept { return name_of(kPrivacy, p); }
std::optional<ActivityPrivacy> parse_activity_privacy(std::string_view s) noexcept {
  return parse_name<ActivityPrivacy>(kPrivacy, s);
}

std::string_view incident_status_name(IncidentStatus s) noexcept {
  return name_of(kIncidentStatus, s);
}
std::optional<IncidentStatus> parse_incident_status(std::string_view s) noexcept {
  return parse_name<IncidentStatus>(kIncidentStatus, s);
}

std::string_view concern_state_name(ConcernState s) noexcept { return name_of(kConcernState, s); }
std::optional<ConcernState> parse_concern_state(std::string_view s) noexcept {
  return parse_name<ConcernState>(kConcernState, s);
}

bool concern_transition_allowed(ConcernState from, ConcernState to) noexcept {
  using S = ConcernState;
  static constexpr std::pair<S, S> kAllowed[] = {
      {S::Raised, S::UnderReview},
      {S::Raised, S::Emergency},
      {S::UnderReview, S::NoFurtherAction},
      {S::UnderReview, S::InternalSupport},
      {S::UnderReview, S::Referred},
      {S::UnderReview, S::Emergency},
      {S::NoFurtherAction, S::UnderReview},  // new information
      {S::NoFurtherAction, S::Closed},
      {S::InternalSupport, S::UnderReview},  // re-evaluated at the review date
      {S::InternalSupport, S::Referred},
      {S::InternalSupport, S::Emergency},
      {S::InternalSupport, S::Closed},
      {S::Referred, S::InternalSupport},  // support continues alongside Prevent/Channel
      {S::Referred, S::Closed},
      {S::Emergency, S::Referred},
      {S::Emergency, S::InternalSupport},
      {S::Emergency, S::Closed},
      {S::Closed, S::UnderReview},  // reopened, with a note saying why
  };
  for (const auto& [f, t] : kAllowed) {
    if (f == from && t == to) return true;
  }
  return false;
}

std::string_view role_name(Role r) noexcept { return name_of(kRole, r); }
std::optional<Role> parse_role(std::string_view s) noexcept { return parse_name<Role>(kRole, s); }

}  // namespace vigil::store
