#pragma once
// The dashboard's system health block: what the store records (the rule
// set vigild loaded last), the free space of the store's folder, and, when
// its control socket answers within a short time, vigild's own status
// (capture and queue drops, the store writer's alarm). Shown to the roles
// with Capability::ViewHealth.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "admin/console/pages/pages.h"
#include "admin/console/pages/safeguarding_json.h"
#include "store/types.h"

namespace vigil::inspect {
class JsonObject;
}
namespace vigil::store {
class Reader;
}

namespace vigil::console::pages::safeguarding {

// How long the dashboard waits for vigild before saying it is not reachable.
inline constexpr std::chrono::milliseconds kVigildTimeout{750};

struct Health {
  std::optional<store::RuleSetRecord> rules;  // the last load the store recorded
  std::string rules_error;                    // reading it failed
  bool disk_known = false;
  std::uint64_t disk_free_bytes = 0;
  std::uint64_t disk_total_bytes = 0;
  std::string disk_error;
  bool vigild_reachable = false;
  std::string vigild_error;  // why not, in words
  VigildStatus vigild;
  std::uint64_t capture_drops = 0;    // kernel, interface and queue drops since vigild started
  std::vector<std::string> problems;  // plain sentences, most urgent first
};

Health gather_health(store::Reader& reader, const PagesOptions& options, store::TimeUs now);
std::string health_html(const Health& health, store::TimeUs now);
inspect::JsonObject health_json(const Health& health);

// Sends `status` on vigild's control socket and returns the answer line,
// or nullopt with `error` saying plainly why vigild could not be asked.
std::optional<std::string> ask_vigild_status(const std::string& socket_path,
                                             std::chrono::milliseconds timeout, std::string& error);

}  // namespace vigil::console::pages::safeguarding
