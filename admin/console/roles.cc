#include "admin/console/roles.h"

#include <array>

namespace vigil::console {
namespace {

using store::Role;

struct Row {
  Capability capability;
  std::string_view name;
  bool admin, dsl, deputy, reporter, auditor;
};

// clang-format off
constexpr std::array<Row, kCapabilityCount> kMatrix{{
    //                                            admin  dsl    deputy reporter auditor
    {Capability::ViewDashboard,   "view_dashboard",    true,  true,  true,  false,   true},
    {Capability::ViewIncidents,   "view_incidents",    false, true,  true,  false,   false},
    {Capability::TriageIncidents, "triage_incidents",  false, true,  true,  false,   false},
    {Capability::ViewConcerns,    "view_concerns",     false, true,  true,  false,   false},
    {Capability::ManageConcerns,  "manage_concerns",   false, true,  true,  false,   false},
    {Capability::ExportReferral,  "export_referral",   false, true,  true,  false,   false},
    {Capability::RaiseConcern,    "raise_concern",     true,  true,  true,  true,    false},
    {Capability::ViewOwnConcerns, "view_own_concerns", true,  true,  true,  true,    false},
    {Capability::ViewLists,       "view_lists",        true,  true,  true,  false,   true},
    {Capability::ManageLists,     "manage_lists",      true,  false, false, false,   false},
    {Capability::TestRules,       "test_rules",        true,  true,  true,  false,   false},
    {Capability::ManagePeople,    "manage_people",     true,  false, false, false,   false},
    {Capability::ManageUsers,     "manage_users",      true,  false, false, false,   false},
    {Capability::ManageSettings,  "manage_settings",   true,  false, false, false,   false},
    {Capability::ViewHealth,      "view_health",       true,  true,  true,  false,   false},
    {Capability::ViewReports,     "view_reports",      true,  true,  true,  false,   true},
    {Capability::ViewNamedReports,"view_named_reports",false, true,  true,  false,   false},
    {Capability::ViewDecisionLog, "view_decision_log", true,  true,  true,  false,   true},
    {Capability::ViewAuditLog,    "view_audit_log",    false, true,  true,  false,   true},
    {Capability::RecordChecks,    "record_checks",     true,  true,  true,  false,   false},
    {Capability::ViewChecks,      "view_checks",       true,  true,  true,  false,   true},
}};
// clang-format on

constexpr bool matrix_in_order() {
  for (std::size_t i = 0; i < kMatrix.size(); ++i)
    if (static_cast<std::size_t>(kMatrix[i].capability) != i) return false;
  return true;
}
static_assert(matrix_in_order(), "kMatrix rows must follow the Capability order");

}  // namespace

bool allowed(Role role, Capability capability) noexcept {
  const auto i = static_cast<std::size_t>(capability);
  if (i >= kMatrix.size()) return false;
  const Row& row = kMatrix[i];
  switch (role) {
    case Role::Admin:
      return row.admin;
    case Role::Dsl:
      return row.dsl;
    case Role::DeputyDsl:
      return row.deputy;
    case Role::Reporter:
      return row.reporter;
    case Role::Auditor:
      return row.auditor;
  }
  return false;
}

std::string_view capability_name(Capability capability) noexcept {
  const auto i = static_cast<std::size_t>(capability);
  return i < kMatrix.size() ? kMatrix[i].name : std::string_view{"unknown"};
}

}  // namespace vigil::console
