// The sender thread and its bounded queue.

#include "daemon/notify/notifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "tests/unit/daemon/notify/fake_channel.h"

namespace vigil::notify {
namespace {

using testing::FakeChannel;
using namespace std::chrono_literals;
using rules::Category;
using rules::Severity;

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

Notification concern(int id) {
  return concern_raised(id, Category::Extremism, Severity::Danger, "person-" + std::to_string(id));
}

class NotifierTest : public ::testing::Test {
 protected:
  std::unique_ptr<Notifier> make(NotifierOptions options = {}) {
    auto ch = std::make_unique<FakeChannel>("email");
    state_ = ch->state();
    std::vector<std::unique_ptr<Channel>> channels;
    channels.push_back(std::move(ch));
    options.log = [this](LogLevel, std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(line);
    };
    return std::make_unique<Notifier>(settings_, std::move(channels), std::move(options));
  }
  std::size_t delivered() {
    std::lock_guard lock(state_->mu);
    return state_->delivered.size();
  }
  std::size_t attempts() {
    std::lock_guard lock(state_->mu);
    return state_->attempts;
  }
  void set_block(bool block) {
    std::lock_guard lock(state_->mu);
    state_->block = block;
  }

  DispatchSettings settings_;
  std::shared_ptr<FakeChannel::State> state_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(NotifierTest, DeliversOnItsOwnThread) {
  auto n = make();
  EXPECT_TRUE(n->post(concern(1)));
  ASSERT_TRUE(eventually([&] { return delivered() == 1; }));
  ASSERT_TRUE(eventually([&] { return n->stats().dispatch.channels[0].delivered == 1; }));
  const NotifierStats s = n->stats();
  EXPECT_EQ(s.posted, 1u);
  EXPECT_EQ(s.dispatch.sent, 1u);
  n->stop();
  EXPECT_EQ(n->stats().lost_at_stop, 0u);
}

// The packet path must never wait on the network: with the channel stuck in
// a delivery, post() still returns at once, and refuses (counted) when the
// queue is full.
TEST_F(NotifierTest, PostNeverWaitsAndOverflowIsCounted) {
  NotifierOptions o;
  o.queue_capacity = 2;
  auto n = make(o);
  set_block(true);
  ASSERT_TRUE(n->post(concern(1)));
  ASSERT_TRUE(eventually([&] { return attempts() == 1; }));  // the thread is now stuck
  EXPECT_TRUE(n->post(concern(2)));
  EXPECT_TRUE(n->post(concern(3)));
  EXPECT_FALSE(n->post(concern(4)));
  EXPECT_FALSE(n->post(concern(5)));
  NotifierStats s = n->stats();
  EXPECT_EQ(s.posted, 3u);
  EXPECT_EQ(s.queue_overflow, 2u);
  EXPECT_EQ(s.queue_depth, 2u);
  EXPECT_EQ(s.queue_high_water, 2u);

  set_block(false);
  ASSERT_TRUE(eventually([&] { return delivered() == 3; }));
  // The overflow reaches the digest's count.
  ASSERT_TRUE(eventually([&] { return n->stats().dispatch.dropped == 2; }));
}

TEST_F(NotifierTest, InvalidNotificationsAreRefused) {
  auto n = make();
  Notification bad = concern(1);
  bad.console_path = "/concerns/1?learner=Jane+Doe";
  EXPECT_FALSE(n->post(bad));
  EXPECT_EQ(n->stats().invalid, 1u);
  EXPECT_EQ(n->stats().posted, 0u);
}

TEST_F(NotifierTest, StopDeliversWhatIsWaitingThenRefuses) {
  auto n = make();
  set_block(true);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(n->post(concern(i)));
  std::thread unblock([&] {
    std::this_thread::sleep_for(20ms);
    set_block(false);
  });
  n->stop(5s);
  unblock.join();
  EXPECT_EQ(delivered(), 3u);
  EXPECT_FALSE(n->post(concern(4)));
  const NotifierStats s = n->stats();
  EXPECT_EQ(s.after_stop, 1u);
  EXPECT_EQ(s.lost_at_stop, 0u);
  n->stop();  // idempotent
}

TEST_F(NotifierTest, StopAbortsADeliveryStuckPastTheDrainTime) {
  auto n = make();
  set_block(true);
  ASSERT_TRUE(n->post(concern(1)));
  ASSERT_TRUE(n->post(concern(2)));
  ASSERT_TRUE(eventually([&] { return attempts() == 1; }));
  n->stop(30ms);
  EXPECT_EQ(delivered(), 0u);
  const NotifierStats s = n->stats();
  EXPECT_EQ(s.lost_at_stop, 2u);
  EXPECT_EQ(s.dispatch.channels[0].failed_attempts, 0u);  // stopping is not the receiver's fault
}

TEST_F(NotifierTest, StopDoesNotSitOutABackOffLongerThanTheDrain) {
  settings_.retry_min = 1h;
  auto n = make();
  state_->script = {Outcome::Retry};
  ASSERT_TRUE(n->post(concern(1)));
  ASSERT_TRUE(eventually([&] { return n->stats().dispatch.channels[0].failed_attempts == 1; }));
  const auto start = std::chrono::steady_clock::now();
  n->stop(10s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(n->stats().lost_at_stop, 1u);
  std::lock_guard lock(log_mu_);
  ASSERT_EQ(log_.size(), 1u);  // one warning for the streak
  EXPECT_THAT(log_[0], ::testing::HasSubstr("email delivery failing"));
}

TEST_F(NotifierTest, RetriesOnTheSenderThread) {
  settings_.retry_min = 10ms;
  auto n = make();
  state_->script = {Outcome::Retry, Outcome::Retry};
  ASSERT_TRUE(n->post(concern(1)));
  ASSERT_TRUE(eventually([&] { return delivered() == 1; }));
  EXPECT_EQ(attempts(), 3u);
}

TEST_F(NotifierTest, ReconfigureSwapsChannelsKeepingWhatWaits) {
  settings_.retry_min = 1h;
  auto n = make();
  state_->script = {Outcome::Retry};
  ASSERT_TRUE(n->post(concern(1)));
  ASSERT_TRUE(eventually([&] { return n->stats().dispatch.channels[0].failed_attempts == 1; }));

  auto fixed = std::make_unique<FakeChannel>("email");
  auto fixed_state = fixed->state();
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::move(fixed));
  n->reconfigure(settings_, std::move(channels));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(fixed_state->mu);
    return fixed_state->delivered.size() == 1;
  }));
}

}  // namespace
}  // namespace vigil::notify
