#pragma once
// A Channel for tests: records what it was given and answers from a script.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/notify/channel.h"

namespace vigil::notify::testing {

struct FakeLog {
  std::vector<std::pair<LogLevel, std::string>> lines;
  LogSink sink() {
    return [this](LogLevel level, std::string_view line) { lines.emplace_back(level, line); };
  }
  std::size_t count(LogLevel level) const {
    std::size_t n = 0;
    for (const auto& l : lines) n += l.first == level ? 1 : 0;
    return n;
  }
};

class FakeChannel final : public Channel {
 public:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Message> delivered;
    std::size_t attempts = 0;
    std::deque<Outcome> script;  // answers in order; Delivered once empty
    bool block = false;          // deliver() waits until unblocked or aborted
  };

  explicit FakeChannel(std::string name, std::shared_ptr<State> state = std::make_shared<State>())
      : name_(std::move(name)), state_(std::move(state)) {}

  std::shared_ptr<State> state() const { return state_; }
  std::string_view name() const noexcept override { return name_; }

  Delivery deliver(const Message& message, std::stop_token abort) override {
    std::unique_lock lock(state_->mu);
    ++state_->attempts;
    state_->cv.notify_all();
    while (state_->block && !abort.stop_requested()) {
      state_->cv.wait_for(lock, std::chrono::milliseconds(5));
    }
    if (abort.stop_requested()) return {Outcome::Retry, name_ + ": stopped"};
    Outcome o = Outcome::Delivered;
    if (!state_->script.empty()) {
      o = state_->script.front();
      state_->script.pop_front();
    }
    if (o == Outcome::Delivered) {
      state_->delivered.push_back(message);
      state_->cv.notify_all();
      return {o, {}};
    }
    return {o, name_ + ": scripted failure"};
  }

 private:
  std::string name_;
  std::shared_ptr<State> state_;
};

}  // namespace vigil::notify::testing
