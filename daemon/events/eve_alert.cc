#include "daemon/events/eve_alert.h"

#include "inspect/eve_json.h"

namespace vigil::daemon {

std::string to_eve_alert(const inspect::Observation& obs, const rules::Decision& decision,
                         const rules::Hit& hit) {
  inspect::JsonObject event;
  inspect::append_eve_observation(event, obs, "alert");
  inspect::JsonObject alert;
  alert.str("action", hit.allowed ? "allowed" : rules::action_name(hit.action))
      .str("verdict", rules::verdict_name(decision.verdict))
      .str("category", rules::category_name(hit.category))
      .str("severity", rules::severity_name(hit.severity))
      .str("kind", rules::hit_kind_name(hit.kind))
      .str("observation", inspect::kind_name(hit.observation))
      .boolean("statutory", hit.statutory)
      .str("signature", hit.list + ": " + hit.entry)
      .str("list", hit.list)
      .num("line", std::uint64_t{hit.line});
  if (hit.weight != 0) {
    alert.num("weight", std::int64_t{hit.weight});
    alert.num("phrase_score", std::int64_t{decision.phrase_score});
  }
  if (!hit.search_term.empty()) alert.str("search_term", hit.search_term);
  alert.str("reason", hit.reason);
  event.object("alert", alert);
  return event.text();
}

}  // namespace vigil::daemon
