#pragma once
// Who may do what in the console. One table, used by the server (before a
// handler runs), by the pages (to show only what the user may use) and by
// the role-matrix tests. The roles (store::Role):
//   admin       the IT specialist: lists, people and devices, settings, users,
//               system health; sees counts, never who did what
//   dsl         the Designated Safeguarding Lead: everything safeguarding
//   deputy_dsl  the same as the DSL
//   reporter    any staff member: raises a concern, follows the ones they raised
//   auditor     directors and governors: reports, the decision and audit logs,
//               no identifiable learner detail

#include <string_view>

#include "store/types.h"

namespace vigil::console {

enum class Capability : unsigned char {
  ViewDashboard,    // the dashboard's counts and health
  ViewIncidents,    // incident lists and details (identifiable)
  TriageIncidents,  // dismiss, open a concern from, add to a concern
  ViewConcerns,     // every concern, its chronology and evidence
  ManageConcerns,   // move, assign, note, review dates, referral content
  ExportReferral,   // the printable referral and its JSON
  RaiseConcern,     // the staff form
  ViewOwnConcerns,  // status of the concerns this user raised
  ViewLists,        // lists with counts, sources and ages
  ManageLists,      // add/remove entries (with a reason), reload
  TestRules,        // "why was this blocked?"
  ManagePeople,     // people and devices, CSV import, attribution
  ManageUsers,
  ManageSettings,
  ViewHealth,        // capture drops, list freshness, disk
  ViewReports,       // aggregate reports
  ViewNamedReports,  // report sections that name people
  ViewDecisionLog,
  ViewAuditLog,  // who did what
  RecordChecks,  // the checks log (DfE Standard 2)
  ViewChecks,
};

bool allowed(store::Role role, Capability capability) noexcept;
std::string_view capability_name(Capability capability) noexcept;
inline constexpr int kCapabilityCount = static_cast<int>(Capability::ViewChecks) + 1;

}  // namespace vigil::console
