#pragma once
// Explaining a decision for a typed input, shared by `vigilctl rules test`
// (offline) and the daemon's control socket (`vigilctl test`, live rules):
// the input is read as a host name, a URL (the host, the URL, and its search
// term if it is a search) or free text, and the strongest decision is
// reported with every hit of all of them.

#include <string>

#include "rules/hit.h"
#include "rules/snapshot.h"

namespace vigil::rules {

Decision explain(const RuleSnapshot& snapshot, RuleSnapshot::Scratch& scratch,
                 const std::string& input, const std::string& group);

// One JSON object: input, verdict, reason, hits (kind, category, severity,
// action, list, file, entry, line, statutory, allow_entry, allowed, weight,
// search_term, reason). Every string escaped.
std::string decision_json(const std::string& input, const Decision& decision);

}  // namespace vigil::rules
