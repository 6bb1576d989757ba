#include "daemon/app/outputs.h"

#include <chrono>
#include <cstdio>

#include "daemon/events/eve_alert.h"
#include "daemon/events/eve_writer.h"
#include "daemon/events/syslog.h"
#include "daemon/notify/notifier.h"
#include "daemon/notify/setup.h"
#include "rules/taxonomy.h"

namespace vigil::daemon {

namespace {

std::uint64_t wall_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

StandardOutputs::~StandardOutputs() { stop(); }

std::unique_ptr<StandardOutputs> StandardOutputs::create(const config::Config& config,
                                                         std::string& error) {
  std::unique_ptr<StandardOutputs> o(new StandardOutputs());
  o->console_url_ = config.get_string("console.public_url");
  if (const std::string& path = config.get_string("events.eve_path"); !path.empty()) {
    EveWriterOptions opt;
    opt.path = path;
    o->eve_ = EveWriter::open(opt, error);
    if (!o->eve_) return nullptr;
    o->eve_->start();
  }
  if (config.get_bool("events.syslog")) {
    o->local_syslog_ = std::make_unique<SyslogSender>(SyslogOptions{});
    o->local_syslog_->start();
  }
  if (const std::string& remote = config.get_string("events.syslog_remote"); !remote.empty()) {
    std::string why;
    auto target = parse_syslog_target(remote, why);
    if (!target) {
      error = "events.syslog_remote: " + why;
      return nullptr;
    }
    SyslogOptions opt;
    opt.target = *target;
    o->remote_syslog_ = std::make_unique<SyslogSender>(opt);
    o->remote_syslog_->start();
  }
  notify::SetupResult setup = notify::setup_from_config(config);
  if (!setup) {
    error = "notify: " + setup.error;
    return nullptr;
  }
  for (const std::string& w : setup.setup->warnings) {
    std::fprintf(stderr, "vigild: notify: %s\n", w.c_str());
  }
  if (setup.setup->smtp || setup.setup->webhook) {
    o->notifier_ =
        std::make_unique<notify::Notifier>(setup.setup->dispatch, setup.setup->make_channels());
  }
  return o;
}

void StandardOutputs::eve(std::string line) {
  if (eve_) eve_->write(line);
}

void StandardOutputs::alert(const inspect::Observation& obs, const rules::Decision& decision,
                            const rules::Hit& hit) {
  if (eve_) eve_->write(to_eve_alert(obs, decision, hit));
  if (local_syslog_ || remote_syslog_) {
    const SyslogEvent e = syslog_alert(decision, hit, wall_us(), console_url_);
    if (local_syslog_) local_syslog_->send(e);
    if (remote_syslog_) remote_syslog_->send(e);
  }
}

void StandardOutputs::concern_opened(std::int64_t concern_id, const ConcernTrigger& trigger,
                                     bool under_18) {
  if (notifier_) {
    // The DSL gets a link to the concern; the subject (a person reference
    // or a device) is only the throttling key and is never rendered.
    const auto category = rules::parse_category(trigger.category);
    const auto severity = rules::parse_severity(trigger.severity);
    notifier_->post(
        notify::concern_raised(concern_id, category.value_or(rules::Category::Circumvention),
                               severity.value_or(rules::Severity::Caution), trigger.subject));
  }
  if (!local_syslog_ && !remote_syslog_) return;
  SyslogEvent e;
  e.ts_us = wall_us();
  e.severity = trigger.severity == "danger" ? SyslogSeverity::Critical : SyslogSeverity::Warning;
  e.msgid = "concern";
  e.params = {{"concern", std::to_string(concern_id)},
              {"category", trigger.category},
              {"severity", trigger.severity},
              {"under_18", under_18 ? "yes" : "no"}};
  if (!console_url_.empty()) {
    e.params.push_back({"console", console_url_ + "/concerns/" + std::to_string(concern_id)});
  }
  e.msg = "A safeguarding concern was raised for the DSL: " + trigger.why;
  if (local_syslog_) local_syslog_->send(e);
  if (remote_syslog_) remote_syslog_->send(e);
}

void StandardOutputs::alarm(const std::string& kind, const std::string& text) {
  std::fprintf(stderr, "vigild: alarm (%s): %s\n", kind.c_str(), text.c_str());
  if (notifier_) {
    if (kind == "rules") notifier_->post(notify::system_alarm(notify::Alarm::RulesReloadFailed));
    if (kind == "store") notifier_->post(notify::system_alarm(notify::Alarm::StoreSpooling));
    if (kind == "capture") notifier_->post(notify::system_alarm(notify::Alarm::CaptureStopped));
    if (kind == "capture_drops") {
      notifier_->post(notify::system_alarm(notify::Alarm::CaptureDropping));
    }
  }
  if (!local_syslog_ && !remote_syslog_) return;
  SyslogEvent e;
  e.ts_us = wall_us();
  e.severity = SyslogSeverity::Error;
  e.msgid = "alarm";
  e.params = {{"alarm", kind}};
  e.msg = text;
  if (local_syslog_) local_syslog_->send(e);
  if (remote_syslog_) remote_syslog_->send(e);
}

void StandardOutputs::reopen(const std::string& eve_path) {
  if (!eve_) {
    if (!eve_path.empty()) alarm("events", "events.eve_path was off at start: restart vigild");
    return;
  }
  std::string error;
  const bool ok = eve_path.empty() || eve_path == eve_->path() ? eve_->reopen(error)
                                                               : eve_->reopen(eve_path, error);
  if (!ok) alarm("events", error);
}

void StandardOutputs::stop() {
  if (notifier_) notifier_->stop();
  if (eve_) eve_->close();
  if (local_syslog_) local_syslog_->stop();
  if (remote_syslog_) remote_syslog_->stop();
}

}  // namespace vigil::daemon
