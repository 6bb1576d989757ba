// Throttling, the digest and retries, on an injected clock.

#include "daemon/notify/dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "tests/unit/daemon/notify/fake_channel.h"

namespace vigil::notify {
namespace {

using testing::FakeChannel;
using testing::FakeLog;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

using rules::Category;
using rules::Severity;

// 2025-06-03T05:00:00Z.
TimePoint june_3_5am() { return std::chrono::system_clock::from_time_t(1748926800); }

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    settings_.public_url = "https://vigil.centre.lan";
    settings_.digest_hour = 7;
  }

  // A dispatcher with one channel per name; the states stay reachable.
  std::unique_ptr<Dispatcher> make(const std::vector<std::string>& names = {"email"}) {
    std::vector<std::unique_ptr<Channel>> channels;
    states_.clear();
    for (const std::string& name : names) {
      auto ch = std::make_unique<FakeChannel>(name);
      states_.push_back(ch->state());
      channels.push_back(std::move(ch));
    }
    return std::make_unique<Dispatcher>(
        settings_, std::move(channels), [this] { return now_; }, log_.sink());
  }

  std::size_t delivered(std::size_t channel = 0) { return states_[channel]->delivered.size(); }
  const Message& last(std::size_t channel = 0) { return states_[channel]->delivered.back(); }

  TimePoint now_ = june_3_5am();
  DispatchSettings settings_;
  FakeLog log_;
  std::vector<std::shared_ptr<FakeChannel::State>> states_;
};

TEST_F(DispatcherTest, OneAlertPerPersonAndCategoryPerWindow) {
  auto d = make();
  d->accept(concern_raised(1, Category::Extremism, Severity::Danger, "person-a"));
  now_ += 5min;
  d->accept(concern_raised(2, Category::Extremism, Severity::Danger, "person-a"));  // held
  d->accept(concern_raised(3, Category::SelfHarm, Severity::Danger, "person-a"));  // other category
  d->accept(concern_raised(4, Category::Extremism, Severity::Danger, "person-b"));  // other person
  now_ += 4min + 59s;
  d->accept(concern_raised(5, Category::Extremism, Severity::Danger, "person-a"));  // held: 9:59
  now_ += 1s;
  d->accept(concern_raised(6, Category::Extremism, Severity::Danger, "person-a"));  // 10:00 later
  d->run();

  ASSERT_EQ(delivered(), 4u);
  std::vector<std::string> links;
  for (const Message& m : states_[0]->delivered)
    links.push_back(m.text.substr(0, m.text.find('\n')));
  EXPECT_THAT(links[0], HasSubstr("/concerns/1"));
  EXPECT_THAT(links[1], HasSubstr("/concerns/3"));
  EXPECT_THAT(links[2], HasSubstr("/concerns/4"));
  EXPECT_THAT(links[3], HasSubstr("/concerns/6"));
  const DispatchStats s = d->stats();
  EXPECT_EQ(s.accepted, 6u);
  EXPECT_EQ(s.sent, 4u);
  EXPECT_EQ(s.throttled, 2u);
}

TEST_F(DispatcherTest, TheWindowIsConfigurable) {
  settings_.throttle = 1min;
  auto d = make();
  d->accept(concern_raised(1, Category::Drugs, Severity::Caution, "p"));
  now_ += 1min;
  d->accept(concern_raised(2, Category::Drugs, Severity::Caution, "p"));
  d->run();
  EXPECT_EQ(delivered(), 2u);
}

TEST_F(DispatcherTest, OverdueReviewsAreThrottledApartFromNewConcerns) {
  auto d = make();
  d->accept(concern_raised(1, Category::Extremism, Severity::Danger, "p"));
  d->accept(review_overdue(1, Category::Extremism, Severity::Danger, "p"));
  d->accept(review_overdue(1, Category::Extremism, Severity::Danger, "p"));  // held
  d->run();
  EXPECT_EQ(delivered(), 2u);
  EXPECT_EQ(d->stats().throttled, 1u);
}

TEST_F(DispatcherTest, AlarmsAreThrottledPerAlarmKind) {
  auto d = make();
  Notification a = system_alarm(Alarm::CaptureStopped);
  a.person_key = "ignored";  // alarms are not about a person
  d->accept(a);
  now_ += 1min;
  d->accept(system_alarm(Alarm::CaptureStopped));
  d->accept(system_alarm(Alarm::StoreFailed));
  now_ += 1min;
  d->accept(system_alarm(Alarm::CaptureStopped));
  d->run();
  ASSERT_EQ(delivered(), 2u);
  EXPECT_EQ(states_[0]->delivered[0].subject, "Vigil alarm: packet capture stopped");
  EXPECT_EQ(states_[0]->delivered[1].subject, "Vigil alarm: incident store failed");
  EXPECT_EQ(d->stats().throttled, 2u);
}

TEST_F(DispatcherTest, DigestAtTheConfiguredHourFoldsInWhatWasHeldBack) {
  auto d = make();
  EXPECT_EQ(d->next_digest(), june_3_5am() + 2h);
  d->accept(concern_raised(1, Category::Extremism, Severity::Danger, "Jane Doe"));
  d->accept(concern_raised(2, Category::Extremism, Severity::Danger, "Jane Doe"));
  d->accept(concern_raised(3, Category::Extremism, Severity::Danger, "Jane Doe"));
  d->accept(system_alarm(Alarm::StatutoryListStale));
  d->note_dropped(3);
  now_ += 1h + 59min + 59s;
  d->run();
  EXPECT_EQ(delivered(), 2u);  // no digest yet
  EXPECT_EQ(d->next_due(), june_3_5am() + 2h);

  now_ += 1s;  // 07:00:00
  d->run();
  ASSERT_EQ(delivered(), 3u);
  const Message& digest = last();
  EXPECT_EQ(digest.kind, Kind::DailyDigest);
  EXPECT_EQ(digest.subject, "Vigil: daily summary for Tue 03 Jun 2025");
  EXPECT_THAT(digest.text, HasSubstr("from 05:00 on Tue 03 Jun 2025 to 07:00 on Tue 03 Jun 2025"));
  EXPECT_THAT(digest.text, HasSubstr("New concerns alerted: 1 (extremism 1)\n"));
  EXPECT_THAT(digest.text, HasSubstr("New concerns held back by the alert limit: 2 (extremism 2)"));
  EXPECT_THAT(digest.text, HasSubstr("System alarms: 1 (statutory_list_stale 1)\n"));
  EXPECT_THAT(digest.text, HasSubstr("Alerts dropped (queue full): 3\n"));
  EXPECT_THAT(digest.text, Not(HasSubstr("Jane")));
  EXPECT_THAT(digest.json, Not(HasSubstr("Jane")));
  EXPECT_EQ(d->next_digest(), june_3_5am() + 26h);
  EXPECT_EQ(d->stats().digests, 1u);

  // The next day starts from zero.
  now_ = june_3_5am() + 26h;
  d->run();
  ASSERT_EQ(delivered(), 4u);
  EXPECT_THAT(last().text, HasSubstr("New concerns alerted: none\n"));
  EXPECT_THAT(last().text, HasSubstr("held back by the alert limit: none\n"));
  EXPECT_THAT(last().text, HasSubstr("Alerts dropped (queue full): 0\n"));
}

TEST_F(DispatcherTest, OneDigestAfterALongSleep) {
  auto d = make();
  now_ += 72h;
  d->run();
  d->run();
  EXPECT_EQ(delivered(), 1u);
  EXPECT_EQ(d->next_digest(), june_3_5am() + 72h + 2h);
}

TEST_F(DispatcherTest, DigestHourFollowsLocalTimeAcrossDaylightSaving) {
  setenv("TZ", "Europe/London", 1);
  tzset();
  // 00:30 GMT on Sunday 30 March 2025; clocks go forward at 01:00.
  const TimePoint before = std::chrono::system_clock::from_time_t(1743294600);
  // 07:00 BST is 06:00 UTC.
  EXPECT_EQ(next_local_hour(before, 7), std::chrono::system_clock::from_time_t(1743314400));
  EXPECT_EQ(next_local_hour(before, 0), std::chrono::system_clock::from_time_t(1743375600));
}

TEST_F(DispatcherTest, RetriesWithDoublingBackoffAndLogsOncePerStreak) {
  settings_.retry_min = 5s;
  settings_.retry_max = 15s;
  auto d = make();
  states_[0]->script = {Outcome::Retry, Outcome::Retry, Outcome::Retry, Outcome::Retry};
  d->accept(concern_raised(1, Category::Extremism, Severity::Danger, "a"));
  d->accept(concern_raised(2, Category::Extremism, Severity::Danger, "b"));
  d->run();
  EXPECT_EQ(states_[0]->attempts, 1u);
  EXPECT_EQ(d->next_due(), now_ + 5s);
  d->run();  // not due yet
  EXPECT_EQ(states_[0]->attempts, 1u);
  now_ += 5s;
  d->run();
  EXPECT_EQ(states_[0]->attempts, 2u);
  EXPECT_EQ(d->next_due(), now_ + 10s);
  now_ += 10s;
  d->run();
  EXPECT_EQ(d->next_due(), now_ + 15s);  // capped at retry_max
  now_ += 15s;
  d->run();
  EXPECT_EQ(d->next_due(), now_ + 15s);
  EXPECT_EQ(delivered(), 0u);
  EXPECT_TRUE(d->stats().channels[0].failing);
  EXPECT_EQ(d->stats().channels[0].backlog, 2u);

  now_ += 15s;
  d->run();  // the script is spent: both go out in order
  ASSERT_EQ(delivered(), 2u);
  EXPECT_THAT(states_[0]->delivered[0].text, HasSubstr("/concerns/1"));
  EXPECT_TRUE(d->idle());

  const ChannelStats s = d->stats().channels[0];
  EXPECT_EQ(s.failed_attempts, 4u);
  EXPECT_EQ(s.delivered, 2u);
  EXPECT_EQ(s.failure_streaks, 1u);
  EXPECT_FALSE(s.failing);
  EXPECT_EQ(s.last_error, "email: scripted failure");
  ASSERT_EQ(log_.count(LogLevel::Warning), 1u);
  EXPECT_THAT(log_.lines[0].second, HasSubstr("email delivery failing: email: scripted failure"));
  ASSERT_EQ(log_.count(LogLevel::Info), 1u);
  EXPECT_EQ(log_.lines[1].second, "email delivering again after 4 failed attempts");

  // A new streak is logged again; the back-off starts over.
  states_[0]->script = {Outcome::Retry};
  d->accept(concern_raised(3, Category::Extremism, Severity::Danger, "c"));
  d->run();
  EXPECT_EQ(d->next_due(), now_ + 5s);
  EXPECT_EQ(log_.count(LogLevel::Warning), 2u);
}

TEST_F(DispatcherTest, RejectedMessagesAreDroppedNotRetried) {
  auto d = make();
  states_[0]->script = {Outcome::Rejected};
  d->accept(concern_raised(1, Category::Extremism, Severity::Danger, "a"));
  d->accept(concern_raised(2, Category::Extremism, Severity::Danger, "b"));
  d->run();
  EXPECT_EQ(states_[0]->attempts, 2u);
  ASSERT_EQ(delivered(), 1u);
  EXPECT_THAT(last().text, HasSubstr("/concerns/2"));
  EXPECT_EQ(d->stats().channels[0].rejected, 1u);
  EXPECT_EQ(log_.count(LogLevel::Warning), 1u);
  EXPECT_THAT(log_.lines[0].second, HasSubstr("refused and is dropped"));

  now_ = june_3_5am() + 2h;
  d->run();
  EXPECT_THAT(last().text, HasSubstr("Alerts not delivered: email 1\n"));
}

TEST_F(DispatcherTest, ChannelsFailIndependently) {
  auto d = make({"email", "webhook"});
  states_[0]->script = {Outcome::Retry};
  d->accept(concern_raised(1, Category::Extremism, Severity::Danger, "a"));
  d->run();
  EXPECT_EQ(delivered(0), 0u);
  EXPECT_EQ(delivered(1), 1u);
  now_ += 5s;
  d->run();
  EXPECT_EQ(delivered(0), 1u);
  EXPECT_EQ(states_[0]->delivered[0].id, states_[1]->delivered[0].id);  // the same alert
}

TEST_F(DispatcherTest, BacklogIsBoundedAndOverflowCounted) {
  settings_.backlog_capacity = 2;
  auto d = make();
  states_[0]->script = {Outcome::Retry};
  for (int i = 0; i < 4; ++i) {
    d->accept(concern_raised(i, Category::Extremism, Severity::Danger, "p" + std::to_string(i)));
  }
  EXPECT_EQ(d->stats().channels[0].backlog_overflow, 2u);
  d->run();
  now_ += 5s;
  d->run();
  EXPECT_EQ(delivered(), 2u);
}

TEST_F(DispatcherTest, GivesUpOnMessagesOlderThanTheLimit) {
  settings_.give_up_after = 1h;
  settings_.retry_max = 2h;
  auto d = make();
  states_[0]->script = {Outcome::Retry, Outcome::Retry};
  d->accept(concern_raised(1, Category::Extremism, Severity::Danger, "a"));
  d->run();
  now_ += 61min;
  d->run();
  EXPECT_EQ(delivered(), 0u);
  EXPECT_EQ(d->stats().channels[0].abandoned, 1u);
  EXPECT_TRUE(d->idle());
}

TEST_F(DispatcherTest, ReconfigureKeepsTheBacklogOfAChannelWithTheSameName) {
  auto d = make({"email", "webhook"});
  states_[0]->script = {Outcome::Retry};
  states_[1]->script = {Outcome::Retry};
  d->accept(concern_raised(1, Category::Extremism, Severity::Danger, "a"));
  d->run();
  EXPECT_EQ(d->stats().channels[0].backlog, 1u);

  auto fixed = std::make_unique<FakeChannel>("email");
  auto fixed_state = fixed->state();
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::move(fixed));  // the webhook is no longer configured
  DispatchSettings changed = settings_;
  changed.digest_hour = 6;
  d->reconfigure(changed, std::move(channels));
  EXPECT_EQ(d->next_digest(), june_3_5am() + 1h);
  d->run();  // tried at once, not after the old back-off
  ASSERT_EQ(fixed_state->delivered.size(), 1u);
  const DispatchStats s = d->stats();
  ASSERT_EQ(s.channels.size(), 1u);
  EXPECT_EQ(s.channels[0].delivered, 1u);
  EXPECT_EQ(s.channels[0].failed_attempts, 1u);  // the history came along

  now_ = june_3_5am() + 1h;
  d->run();
  EXPECT_THAT(fixed_state->delivered.back().text, HasSubstr("Alerts not delivered: webhook 1\n"));
}

TEST_F(DispatcherTest, WithoutChannelsItSaysSoOnce) {
  auto d = make({});
  EXPECT_EQ(log_.count(LogLevel::Warning), 1u);
  d->accept(concern_raised(1, Category::Extremism, Severity::Danger, "a"));
  d->run();
  EXPECT_TRUE(d->idle());
  EXPECT_EQ(d->stats().sent, 1u);
}

TEST_F(DispatcherTest, AnAbortStopsDeliveryWithoutCountingAFailure) {
  auto d = make();
  d->accept(concern_raised(1, Category::Extremism, Severity::Danger, "a"));
  std::stop_source stop;
  stop.request_stop();
  d->run(stop.get_token());
  EXPECT_EQ(states_[0]->attempts, 0u);
  EXPECT_EQ(d->abandon_backlog(), 1u);
  EXPECT_EQ(d->stats().channels[0].failed_attempts, 0u);
}

}  // namespace
}  // namespace vigil::notify
