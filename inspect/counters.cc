#include "inspect/counters.h"

namespace vigil::inspect {

std::string_view counter_name(Counter c) noexcept {
  switch (c) {
#define VIGIL_COUNTER_NAME(id, name) \
  case Counter::id:                  \
    return name;
    VIGIL_INSPECT_COUNTERS(VIGIL_COUNTER_NAME)
#undef VIGIL_COUNTER_NAME
    case Counter::kCount:
      break;
  }
  return "unknown";
}

}  // namespace vigil::inspect
