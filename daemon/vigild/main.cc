// vigild: the packet-facing daemon. See daemon/README.md.
//
//   vigild --config FILE [--set section.key=value]... [--check-config]
//   vigild --config FILE --replay PCAP...   (packet time as the clock; exits when done)

#include <signal.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "daemon/app/daemon.h"
#include "daemon/app/identity_source.h"
#include "daemon/app/outputs.h"
#include "daemon/config/cli_options.h"
#include "daemon/control/control_server.h"
#include "daemon/control/metrics_server.h"
#include "daemon/events/syslog.h"
#include "daemon/notify/setup.h"
#include "daemon/pipeline/capture.h"
#include "daemon/service/service_notify.h"

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "vigild: %s\n", message.c_str());
  return 1;
}

int replay(const vigil::config::Config& config, const std::vector<std::string>& pcaps) {
  vigil::daemon::IdentitySource identity(config);
  std::string error;
  auto outputs = vigil::daemon::StandardOutputs::create(config, error);
  if (!outputs) return fail(error);
  auto daemon = vigil::daemon::Daemon::create(config, identity, outputs.get(), 1, error);
  if (!daemon) return fail(error);
  for (const std::string& e : identity.refresh(daemon->writer())) {
    std::fprintf(stderr, "vigild: identity: %s\n", e.c_str());
  }
  daemon->start();
  int status = 0;
  std::uint64_t packets = 0;
  for (const std::string& pcap : pcaps) {
    vigil::daemon::ReplayResult r = vigil::daemon::replay_file(pcap, daemon->pipeline());
    packets += r.packets;
    if (!r.ok) {
      std::fprintf(stderr, "vigild: %s\n", r.error.c_str());
      status = 1;
    }
  }
  daemon->stop();
  outputs->stop();
  const vigil::daemon::PipelineStats p = daemon->pipeline().stats();
  const vigil::daemon::DaemonStats d = daemon->stats();
  std::printf(
      "replayed %llu packets: %llu observations, %llu hits (%llu committed), %llu concerns "
      "opened, %llu linked\n",
      static_cast<unsigned long long>(packets), static_cast<unsigned long long>(p.observations),
      static_cast<unsigned long long>(d.hits_appended),
      static_cast<unsigned long long>(daemon->store_committed()),
      static_cast<unsigned long long>(d.concerns_opened),
      static_cast<unsigned long long>(d.concerns_linked));
  if (d.hits_refused > 0 || d.concern_errors > 0) {
    std::fprintf(stderr, "vigild: %llu hits refused by the store, %llu concern errors\n",
                 static_cast<unsigned long long>(d.hits_refused),
                 static_cast<unsigned long long>(d.concern_errors));
    status = 1;
  }
  return status;
}

int live(const vigil::config::Config& config, const vigil::config::CliOptions& cli) {
  vigil::daemon::CaptureOptions capture;
  capture.interfaces = config.get_strings("capture.interfaces");
  if (capture.interfaces.empty()) {
    return fail("capture.interfaces is empty: name the interface(s) learners' traffic crosses");
  }
  capture.buffer_bytes = static_cast<int>(config.get_int("capture.buffer_mb") << 20);
  capture.snaplen = static_cast<int>(config.get_int("capture.snaplen"));
  capture.promiscuous = config.get_bool("capture.promiscuous");
  capture.block_timeout = config.get_duration("capture.block_timeout");

  // Signals are taken synchronously by this thread; every other thread
  // inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  vigil::daemon::IdentitySource identity(config);
  std::string error;
  auto outputs = vigil::daemon::StandardOutputs::create(config, error);
  if (!outputs) return fail(error);
  auto daemon = vigil::daemon::Daemon::create(config, identity, outputs.get(),
                                              capture.interfaces.size(), error);
  if (!daemon) return fail(error);
  // A broken source keeps failing at each refresh: say so when its error
  // first appears or changes, not every 5 s.
  std::set<std::string> identity_errors;
  auto refresh_identity = [&] {
    std::set<std::string> now;
    for (const std::string& e : identity.refresh(daemon->writer())) {
      if (identity_errors.count(e) == 0) outputs->alarm("identity", e);
      now.insert(e);
    }
    identity_errors = std::move(now);
  };
  refresh_identity();
  auto live_capture = vigil::daemon::LiveCapture::open(capture, daemon->pipeline(), error);
  if (!live_capture) return fail(error);
  daemon->set_capture(live_capture.get());
  std::mutex identity_mutex;  // refreshed from this thread and from control-socket reloads
  daemon->set_reload_hook([&] {
    // The configuration file is read again: reloadable keys apply now, the
    // others are named as needing a restart; a bad file keeps the running one.
    vigil::config::LoadResult fresh = vigil::config::load(cli);
    if (!fresh) {
      outputs->alarm("config", "configuration not reloaded: " + fresh.errors.front());
    } else {
      const vigil::config::ConfigDiff d =
          vigil::config::diff(config, *fresh.config, vigil::config::kVigild);
      for (const vigil::config::Change& c : d.restart) {
        std::fprintf(stderr, "vigild: %.*s changed: takes effect at the next restart\n",
                     static_cast<int>(c.key.size()), c.key.data());
      }
      daemon->apply_config(*fresh.config);
      identity.set_sources(*fresh.config);
    }
    const vigil::config::Config now = fresh ? *fresh.config : config;
    std::lock_guard lock(identity_mutex);
    outputs->reopen(now.get_string("events.eve_path"));
    refresh_identity();
  });

  vigil::daemon::ControlServerOptions control_options;
  control_options.socket_path = config.get_string("control.socket");
  control_options.log = [](std::string_view line) {
    std::fprintf(stderr, "vigild: control: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  auto control = vigil::daemon::ControlServer::open(*daemon, control_options, error);
  if (!control) return fail(error);
  std::unique_ptr<vigil::daemon::MetricsServer> metrics;
  if (auto address = config.get_address("metrics.listen")) {
    vigil::daemon::MetricsServerOptions m;
    m.host = address->host;
    m.port = address->port;
    metrics = vigil::daemon::MetricsServer::open(*daemon, m, error);
    if (!metrics) return fail(error);
  }
  daemon->start();
  live_capture->start();
  control->start();
  if (metrics) metrics->start();

  // systemd: ready once capturing; the watchdog is fed only while every
  // worker makes progress or has nothing to do.
  vigil::daemon::StallDetector stalls;
  vigil::daemon::Daemon* d = daemon.get();
  vigil::daemon::WatchdogPinger watchdog(vigil::daemon::watchdog_interval(), [d, &stalls] {
    const vigil::daemon::PipelineStats p = d->pipeline().stats();
    std::vector<vigil::daemon::WorkerProgress> now;
    for (std::size_t i = 0; i < p.worker_processed.size(); ++i) {
      now.push_back({p.worker_processed[i], p.worker_pending[i]});
    }
    return stalls.alive(now);
  });
  watchdog.start();
  const std::string ready = "capturing on " + std::to_string(capture.interfaces.size()) +
                            " interface(s) with " + std::to_string(daemon->pipeline().workers()) +
                            " workers";
  vigil::daemon::notify_ready(ready);
  std::fprintf(stderr, "vigild: %s\n", ready.c_str());
  auto next_refresh = std::chrono::steady_clock::now();
  for (;;) {
    timespec tick{1, 0};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    daemon->health_check();
    daemon->housekeeping(std::chrono::steady_clock::now());
    if (const auto now = std::chrono::steady_clock::now(); now >= next_refresh) {
      std::lock_guard lock(identity_mutex);
      refresh_identity();  // leases change all day: re-read what changed
      next_refresh = now + std::chrono::seconds(5);
    }
    if (sig == SIGHUP) {
      vigil::daemon::notify_reloading("reloading rules");
      const vigil::daemon::ReloadOutcome r = daemon->reload();
      std::fprintf(stderr, "vigild: %s\n", r.message.c_str());
      vigil::daemon::notify_ready(r.ok ? ready : ready + "; last reload failed: " + r.message);
      continue;
    }
    if (sig == SIGINT || sig == SIGTERM) break;
  }
  vigil::daemon::notify_stopping();
  if (metrics) metrics->stop();
  control->stop();
  watchdog.stop();
  live_capture->stop();
  daemon->stop();
  outputs->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vigild: Vigil's filtering and monitoring daemon"};
  vigil::config::CliOptions options;
  vigil::config::add_cli_options(app, options, /*config_required=*/true);
  bool check_config = false;
  std::vector<std::string> pcaps;
  app.add_flag("--check-config", check_config, "Validate the configuration and exit");
  app.add_option("--replay", pcaps,
                 "Run the pipeline on capture files (packet time as the clock), write to the "
                 "store and exit")
      ->type_name("PCAP");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  vigil::config::LoadResult loaded = vigil::config::load(options);
  if (!loaded) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "vigild: %s\n", e.c_str());
    return 1;
  }
  if (check_config) {
    // Beyond the declared types: what only the parts themselves can judge.
    int bad = 0;
    const vigil::config::Config& c = *loaded.config;
    if (const std::string& remote = c.get_string("events.syslog_remote"); !remote.empty()) {
      std::string why;
      if (!vigil::daemon::parse_syslog_target(remote, why)) {
        std::fprintf(stderr, "vigild: events.syslog_remote: %s\n", why.c_str());
        ++bad;
      }
    }
    if (vigil::notify::SetupResult n = vigil::notify::setup_from_config(c); !n) {
      std::fprintf(stderr, "vigild: notify: %s\n", n.error.c_str());
      ++bad;
    }
    if (bad > 0) return 1;
    std::printf("vigild: %s: configuration is valid\n", options.path.c_str());
    return 0;
  }
  if (!pcaps.empty()) return replay(*loaded.config, pcaps);
  return live(*loaded.config, options);
}
