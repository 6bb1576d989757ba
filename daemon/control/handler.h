#pragma once
// What the control socket and the metrics endpoint ask of the running
// daemon. vigild implements it; the servers in this folder only transport.
// Every method is called from the servers' own thread and must be
// thread-safe; none may block for long except reload(), which builds a rule
// snapshot off the packet path.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vigil::daemon {

// One Prometheus sample: name (vigil_...), optional labels, value.
struct MetricSample {
  std::string name;
  std::string help;                                         // one line, for the # HELP line
  std::string type;                                         // "counter" or "gauge"
  std::vector<std::pair<std::string, std::string>> labels;  // values escaped by the server
  double value = 0;
};

struct ReloadOutcome {
  bool ok = false;
  std::string message;  // "rules reloaded in 45 ms (generation 3)" or "file:line: what is wrong"
};

class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  // A JSON object: uptime, capture interfaces and drops, rules generation and
  // age, store spool and alarm, identity sources, version.
  virtual std::string status_json() = 0;
  // A JSON object of every counter (inspect, pipeline, store, notify).
  virtual std::string stats_json() = 0;
  // Reloads the rules tree (and identity sources); the running snapshot
  // stays when the new one fails.
  virtual ReloadOutcome reload() = 0;
  // Explains the decision for a host name, URL or text, for a group ("" =
  // default), as `vigilctl rules test --json` prints it (one JSON object).
  virtual std::string test_json(const std::string& input, const std::string& group) = 0;
  // Samples for /metrics.
  virtual std::vector<MetricSample> metrics() = 0;
};

}  // namespace vigil::daemon
