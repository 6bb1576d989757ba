#pragma once
// What the console server uses of the safeguarding pages besides their
// routes (pages.h): the review timer its housekeeping runs.

#include <cstddef>

#include "store/result.h"
#include "store/types.h"

namespace vigil::store {
class Casework;
}

namespace vigil::console::pages {

// Escalates every open concern whose review date is before `now` to the
// deputy DSL: one 'escalated' event in its chronology (naming the enabled
// deputy DSL users) and one concern.escalate audit row per review date, so
// calling it again, from any thread or process, adds nothing until a new
// review date passes. Overdue concerns head the dashboard of the DSL and
// deputy DSL. Returns how many concerns it escalated now.
store::Result<std::size_t> escalate_overdue_reviews(store::Casework& casework, store::TimeUs now);

}  // namespace vigil::console::pages
