#include <string>

#include "admin/console/pages/safeguarding.h"
#include "admin/console/pages/safeguarding_util.h"
#include "store/casework.h"

namespace vigil::console::pages {

store::Result<std::size_t> escalate_overdue_reviews(store::Casework& casework, store::TimeUs now) {
  store::Reader& reader = casework.reader();
  store::ConcernFilter overdue;
  overdue.review_due_before = now - 1;  // due strictly before now
  overdue.limit = 1000;
  auto concerns = reader.concerns(overdue);
  if (!concerns) return concerns.error();
  if (concerns->empty()) return std::size_t{0};

  auto users = reader.users();
  if (!users) return users.error();
  std::string deputies;
  for (const store::User& u : *users) {
    if (u.role != store::Role::DeputyDsl || u.disabled) continue;
    deputies += (deputies.empty() ? "" : ", ") + u.name;
  }

  std::size_t escalated = 0;
  for (const store::Concern& c : *concerns) {
    std::string text = "The review was due " + safeguarding::format_time(*c.review_due_us) +
                       " and has not been done. ";
    text += deputies.empty()
                ? "There is no deputy DSL user to pass it to: the DSL must review it now."
                : "Passed to the deputy DSL (" + deputies + ") to review now.";
    auto r = casework.escalate_review(safeguarding::kReviewTimerActor, c.id, now, text);
    if (!r) return r.error();
    if (*r) ++escalated;
  }
  return escalated;
}

}  // namespace vigil::console::pages
