#include "daemon/app/concern_rules.h"

#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

constexpr std::uint64_t kMinute = 60'000'000;

HitFacts hit(std::string subject, std::string category, std::string severity, std::uint64_t ts) {
  HitFacts h;
  h.subject = std::move(subject);
  h.category = std::move(category);
  h.severity = std::move(severity);
  h.ts_us = ts;
  return h;
}

TEST(ConcernRules, ADangerHitRaisesAConcernAtOnceAndOnlyOncePerWindow) {
  ConcernRules rules({std::chrono::hours(1), 3, 1000});
  auto t = rules.on_hit(hit("L001", "extremism", "danger", 10 * kMinute));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->subject, "L001");
  EXPECT_EQ(t->category, "extremism");
  EXPECT_EQ(t->severity, "danger");
  EXPECT_NE(t->why.find("danger-severity extremism"), std::string::npos);
  // Later hits within the window are linked to the open concern.
  auto held = rules.on_hit(hit("L001", "extremism", "danger", 30 * kMinute));
  ASSERT_TRUE(held);
  EXPECT_TRUE(held->link_only);
  EXPECT_EQ(rules.held_back(), 1U);
  // Another category, or another person, is a concern of its own.
  EXPECT_TRUE(rules.on_hit(hit("L001", "terrorism", "danger", 31 * kMinute)));
  EXPECT_TRUE(rules.on_hit(hit("L002", "extremism", "danger", 31 * kMinute)));
  // After the window, a new concern.
  EXPECT_TRUE(rules.on_hit(hit("L001", "extremism", "danger", 71 * kMinute)));
  EXPECT_EQ(rules.triggers(), 4U);
}

TEST(ConcernRules, AConcernThatCouldNotBeStoredIsRaisedAgain) {
  ConcernRules rules({std::chrono::hours(1), 3, 1000});
  auto t = rules.on_hit(hit("L001", "extremism", "danger", kMinute));
  ASSERT_TRUE(t);
  rules.release(*t);  // e.g. the store refused the hit
  auto again = rules.on_hit(hit("L001", "extremism", "danger", 2 * kMinute));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->link_only);
}

TEST(ConcernRules, CautionAdvisoryAndAllowedHitsRaiseNothing) {
  ConcernRules rules({std::chrono::hours(1), 3, 1000});
  EXPECT_FALSE(rules.on_hit(hit("L001", "drugs", "caution", kMinute)));
  EXPECT_FALSE(rules.on_hit(hit("L001", "gambling", "advisory", kMinute)));
  HitFacts allowed = hit("L001", "extremism", "danger", kMinute);
  allowed.allowed = true;
  EXPECT_FALSE(rules.on_hit(allowed));
  EXPECT_EQ(rules.triggers(), 0U);
}

TEST(ConcernRules, WeightedPhrasesAddUpPerPersonToTheGroupLimit) {
  ConcernRules rules({std::chrono::hours(1), 3, 1000});
  auto phrase = [](std::string who, int weight, std::uint64_t ts) {
    HitFacts h = hit(std::move(who), "violence", "caution", ts);
    h.phrase_weight = weight;
    h.phrase_limit = 100;
    return h;
  };
  EXPECT_FALSE(rules.on_hit(phrase("L001", 40, 1 * kMinute)));
  EXPECT_FALSE(rules.on_hit(phrase("L002", 90, 2 * kMinute)));  // someone else's score
  EXPECT_FALSE(rules.on_hit(phrase("L001", 40, 3 * kMinute)));
  auto t = rules.on_hit(phrase("L001", 30, 4 * kMinute));  // 110 >= 100
  ASSERT_TRUE(t);
  EXPECT_NE(t->why.find("reached 110 (limit 100)"), std::string::npos) << t->why;
  // A negative weight lowers the sum; a new window starts from zero.
  EXPECT_FALSE(rules.on_hit(phrase("L002", -50, 5 * kMinute)));
  EXPECT_FALSE(rules.on_hit(phrase("L002", 50, 6 * kMinute)));  // 90 - 50 + 50 = 90
  EXPECT_FALSE(rules.on_hit(phrase("L003", 60, 0)));
  EXPECT_FALSE(rules.on_hit(phrase("L003", 60, 61 * kMinute)));  // window passed: 60 alone
}

TEST(ConcernRules, RepeatedCircumventionRaisesAConcern) {
  ConcernRules rules({std::chrono::hours(1), 3, 1000});
  auto circ = [](std::uint64_t ts) {
    HitFacts h = hit("device:10.0.0.7", "circumvention", "caution", ts);
    h.circumvention = true;
    return h;
  };
  EXPECT_FALSE(rules.on_hit(circ(1 * kMinute)));
  EXPECT_FALSE(rules.on_hit(circ(2 * kMinute)));
  auto t = rules.on_hit(circ(3 * kMinute));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->category, "circumvention");
  EXPECT_EQ(t->severity, "caution");
  EXPECT_NE(t->why.find("3 circumvention attempts"), std::string::npos);
}

TEST(ConcernRules, TrackedPeopleAreBounded) {
  ConcernRules rules({std::chrono::hours(1), 3, 100});
  for (int i = 0; i < 1000; ++i) {
    (void)rules.on_hit(
        hit("L" + std::to_string(i), "extremism", "danger", static_cast<std::uint64_t>(i) * 1000));
  }
  EXPECT_LE(rules.subjects(), 100U);
  EXPECT_EQ(rules.triggers(), 1000U);
}

}  // namespace
}  // namespace vigil::daemon
