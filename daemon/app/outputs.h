#pragma once
// The daemon's outputs as configured: the EVE JSON-lines file
// (events.eve_path), RFC 5424 syslog (events.syslog, events.syslog_remote),
// and the DSL's notifications. Each part is optional; each has its own
// bounded queue and thread, so a worker never waits on a disk or a network.

#include <memory>
#include <string>

#include "daemon/app/daemon.h"
#include "daemon/config/config.h"

namespace vigil::daemon {

class EveWriter;
class SyslogSender;
}  // namespace vigil::daemon
namespace vigil::notify {
class Notifier;
}
namespace vigil::daemon {

class StandardOutputs final : public DaemonOutputs {
 public:
  // nullptr with `error` (one line) when a configured output cannot start
  // (an unwritable EVE path, a malformed syslog target, an unreadable SMTP
  // password file). Notifications go out only when notify.smtp_url or
  // notify.webhook_url is set.
  static std::unique_ptr<StandardOutputs> create(const config::Config& config, std::string& error);
  ~StandardOutputs() override;

  [[nodiscard]] bool eve_enabled() const override { return eve_ != nullptr; }
  void eve(std::string line) override;
  void alert(const inspect::Observation& obs, const rules::Decision& decision,
             const rules::Hit& hit) override;
  void concern_opened(std::int64_t concern_id, const ConcernTrigger& trigger,
                      bool under_18) override;
  void alarm(const std::string& kind, const std::string& text) override;

  // After SIGHUP: the EVE file is opened again (logrotate moved it), at
  // `eve_path` when events.eve_path changed.
  void reopen(const std::string& eve_path);
  // Sends what is queued and stops the threads.
  void stop();

 private:
  StandardOutputs() = default;
  std::string console_url_;
  std::unique_ptr<EveWriter> eve_;
  std::unique_ptr<SyslogSender> local_syslog_;
  std::unique_ptr<SyslogSender> remote_syslog_;
  std::unique_ptr<notify::Notifier> notifier_;
};

}  // namespace vigil::daemon
