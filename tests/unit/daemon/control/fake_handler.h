#pragma once
// A ControlHandler with canned answers for the control and metrics tests and
// for fake_daemon (the vigilctl CLI test). Its reload can be held until the
// test lets it go, to show that a long reload blocks no one else.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "daemon/control/handler.h"

namespace vigil::daemon::testing {

// JSON string literal for the simple ASCII test inputs (quotes and backslashes escaped).
inline std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class FakeHandler : public ControlHandler {
 public:
  std::string status_json() override {
    ++status_calls;
    return R"({"version":"0.1.0-test","uptime_s":42,"rules":{"generation":3,"age_s":7},)"
           R"("capture":{"interfaces":["br-lan","wlan0"],"kernel_dropped":0},"store":{"spool":0}})";
  }
  std::string stats_json() override {
    ++stats_calls;
    std::lock_guard lock(mu_);
    return stats_;
  }
  ReloadOutcome reload() override {
    std::unique_lock lock(mu_);
    ++reload_calls;
    ++reloads_started_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return !hold_reload_; });
    if (reload_fails) return {.ok = false, .message = "rules/lists/extra.txt:3: bad pattern"};
    return {.ok = true,
            .message = "rules reloaded (generation " + std::to_string(reload_calls) + ")"};
  }
  std::string test_json(const std::string& input, const std::string& group) override {
    ++test_calls;
    bool block = input.find("bad") != std::string::npos;
    return "{\"input\":" + json_quote(input) + ",\"group\":" + json_quote(group) +
           ",\"action\":\"" + (block ? "block" : "allow") + "\"}";
  }
  std::vector<MetricSample> metrics() override {
    std::lock_guard lock(mu_);
    return samples_;
  }

  void set_stats(std::string json) {
    std::lock_guard lock(mu_);
    stats_ = std::move(json);
  }
  void set_samples(std::vector<MetricSample> samples) {
    std::lock_guard lock(mu_);
    samples_ = std::move(samples);
  }
  void hold_reloads() {
    std::lock_guard lock(mu_);
    hold_reload_ = true;
  }
  void release_reloads() {
    {
      std::lock_guard lock(mu_);
      hold_reload_ = false;
    }
    cv_.notify_all();
  }
  // Waits until `n` reloads have started.
  void wait_reloads_started(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return reloads_started_ >= n; });
  }

  std::atomic<int> status_calls{0};
  std::atomic<int> stats_calls{0};
  std::atomic<int> test_calls{0};
  std::atomic<int> reload_calls{0};
  std::atomic<bool> reload_fails{false};

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_reload_ = false;
  int reloads_started_ = 0;
  std::string stats_ =
      R"({"inspect":{"packets":1000,"decode.truncated_ipv4":2},"store":{"hits":5}})";
  std::vector<MetricSample> samples_;
};

}  // namespace vigil::daemon::testing
