#pragma once
// The EVE "alert" event for one rule hit: the observation's own members
// (addresses in the packet's direction, and its dns/tls/quic/http object)
// with event_type "alert" and an "alert" object that explains the decision.

#include <string>

#include "inspect/observation.h"
#include "rules/hit.h"

namespace vigil::daemon {

std::string to_eve_alert(const inspect::Observation& obs, const rules::Decision& decision,
                         const rules::Hit& hit);

}  // namespace vigil::daemon
