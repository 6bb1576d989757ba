#pragma once
// The pipeline's view of daemon/identity: an Attributor (leases, the
// neighbour table, the people CSV) answering "who is this client?", and
// the refresh that re-reads its sources and copies the people into the
// store so incidents and reports can name them.

#include <memory>
#include <string>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/identity/attributor.h"
#include "daemon/pipeline/pipeline.h"

namespace vigil::store {
class Writer;
}

namespace vigil::daemon {

class IdentitySource final : public AttributionSource {
 public:
  explicit IdentitySource(const config::Config& config);

  Attribution attribute(const inspect::IpAddress& client, std::uint64_t ts_us) const override;

  // Re-reads changed sources. When the people CSV was read afresh, each
  // person is upserted into the store (as learner, or staff for the group
  // named "staff"). Returns one line per source that failed (the previous
  // data stays in use).
  std::vector<std::string> refresh(store::Writer* writer);

  // New source paths from a re-read configuration; read afresh next refresh.
  void set_sources(const config::Config& config) {
    attributor_.set_sources(identity::sources_from_config(config));
  }

  [[nodiscard]] identity::AttributionCounters counters() const { return attributor_.counters(); }

 private:
  identity::Attributor attributor_;
};

}  // namespace vigil::daemon
