#include "inspect/flow/flow_table.h"

namespace vigil::inspect {

const char* evict_reason_name(EvictReason r) noexcept {
  switch (r) {
    case EvictReason::Idle:
      return "idle";
    case EvictReason::Closed:
      return "closed";
    case EvictReason::Cap:
      return "cap";
    case EvictReason::Shutdown:
      return "shutdown";
  }
  return "unknown";
}

}  // namespace vigil::inspect
