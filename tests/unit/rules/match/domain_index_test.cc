#include "rules/match/domain_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::uint32_t> match(const DomainIndex& idx, std::string_view host) {
  std::vector<std::uint32_t> out;
  idx.match(host, out);
  return out;
}

TEST(DomainIndex, MatchesAtLabelBoundariesOnly) {
  DomainIndex idx;
  idx.add("example.com", 1);
  idx.build();
  EXPECT_THAT(match(idx, "example.com"), ElementsAre(1U));
  EXPECT_THAT(match(idx, "a.example.com"), ElementsAre(1U));
  EXPECT_THAT(match(idx, "x.y.z.example.com"), ElementsAre(1U));
  EXPECT_THAT(match(idx, "badexample.com"), IsEmpty());
  EXPECT_THAT(match(idx, "example.com.evil.net"), IsEmpty());
  EXPECT_THAT(match(idx, "example.co"), IsEmpty());
  EXPECT_THAT(match(idx, "xample.com"), IsEmpty());
  EXPECT_THAT(match(idx, "com"), IsEmpty());
  EXPECT_THAT(match(idx, "example.comx"), IsEmpty());
  EXPECT_THAT(match(idx, ""), IsEmpty());
  EXPECT_THAT(match(idx, "."), IsEmpty());
}

TEST(DomainIndex, TrailingDotIsIgnored) {
  DomainIndex idx;
  idx.add("example.com", 1);
  idx.build();
  EXPECT_THAT(match(idx, "example.com."), ElementsAre(1U));
  EXPECT_THAT(match(idx, "www.example.com."), ElementsAre(1U));
  EXPECT_THAT(match(idx, "example.com.."), IsEmpty());
}

TEST(DomainIndex, EmptyLabelsAreBoundariesButNeverPartOfARule) {
  DomainIndex idx;
  idx.add("example.com", 1);
  idx.build();
  EXPECT_THAT(match(idx, ".example.com"), ElementsAre(1U));
  EXPECT_THAT(match(idx, "a..example.com"), ElementsAre(1U));
  EXPECT_THAT(match(idx, "example..com"), IsEmpty());
}

TEST(DomainIndex, SingleLabelRuleMatchesTheWholeTld) {
  DomainIndex idx;
  idx.add("com", 7);
  idx.add("bet", 8);
  idx.build();
  EXPECT_THAT(match(idx, "com"), ElementsAre(7U));
  EXPECT_THAT(match(idx, "anything.com"), ElementsAre(7U));
  EXPECT_THAT(match(idx, "x.bet"), ElementsAre(8U));
  EXPECT_THAT(match(idx, "com.net"), IsEmpty());
  EXPECT_THAT(match(idx, "dotcom"), IsEmpty());
}

TEST(DomainIndex, MostSpecificFirstAndEveryRulePerDomainInAddOrder) {
  DomainIndex idx;
  idx.add("com", 1);
  idx.add("example.com", 2);
  idx.add("a.example.com", 3);
  idx.add("example.com", 4);
  idx.add("b.a.example.com", 5);
  idx.add("example.com", 2);  // the same rule listed twice stays listed twice
  idx.build();
  EXPECT_EQ(idx.size(), 4U);
  EXPECT_THAT(match(idx, "b.a.example.com"), ElementsAre(5U, 3U, 2U, 4U, 2U, 1U));
  EXPECT_THAT(match(idx, "z.a.example.com"), ElementsAre(3U, 2U, 4U, 2U, 1U));
  EXPECT_THAT(match(idx, "example.com"), ElementsAre(2U, 4U, 2U, 1U));
}

TEST(DomainIndex, AppendsToOutWithoutClearingIt) {
  DomainIndex idx;
  idx.add("example.com", 1);
  idx.build();
  std::vector<std::uint32_t> out{42};
  idx.match("www.example.com", out);
  EXPECT_THAT(out, ElementsAre(42U, 1U));
}

TEST(DomainIndex, LargeRuleIdsSurvive) {
  DomainIndex idx;
  idx.add("example.com", 0xFFFFFFFFU);
  idx.add("example.org", 0x80000000U);
  idx.add("example.net", 0);
  idx.build();
  EXPECT_THAT(match(idx, "example.com"), ElementsAre(0xFFFFFFFFU));
  EXPECT_THAT(match(idx, "example.org"), ElementsAre(0x80000000U));
  EXPECT_THAT(match(idx, "example.net"), ElementsAre(0U));
}

TEST(DomainIndex, LongLabelsAndLongHosts) {
  const std::string label63(63, 'a');
  const std::string rule = label63 + "." + label63 + ".com";
  DomainIndex idx;
  idx.add(rule, 1);
  idx.add("short.com", 2);
  idx.build();
  EXPECT_THAT(match(idx, rule), ElementsAre(1U));
  EXPECT_THAT(match(idx, "x." + rule), ElementsAre(1U));
  EXPECT_THAT(match(idx, std::string(62, 'a') + "." + label63 + ".com"), IsEmpty());
  // Longer than any DNS name: the tail still matches at a label boundary.
  const std::string huge(400, 'b');
  EXPECT_THAT(match(idx, huge + ".short.com"), ElementsAre(2U));
  EXPECT_THAT(match(idx, huge + "short.com"), IsEmpty());
  std::string dots(300, '.');
  EXPECT_THAT(match(idx, dots + "short.com"), ElementsAre(2U));
  EXPECT_THAT(match(idx, dots), IsEmpty());
  // 253 chars exactly: a whole-host rule of maximal length.
  std::string max_rule;
  while (max_rule.size() + 2 <= 253) max_rule += "a.";
  max_rule.resize(253, 'a');
  if (max_rule.back() == '.') max_rule.back() = 'b';
  DomainIndex big;
  big.add(max_rule, 9);
  big.build();
  EXPECT_THAT(match(big, max_rule), ElementsAre(9U));
  EXPECT_THAT(match(big, "c." + max_rule), ElementsAre(9U));
  EXPECT_THAT(match(big, "c" + max_rule), IsEmpty());
}

TEST(DomainIndex, EmptyIndexMatchesNothing) {
  DomainIndex idx;
  idx.build();
  EXPECT_THAT(match(idx, "example.com"), IsEmpty());
  DomainIndex unbuilt;
  EXPECT_THAT(match(unbuilt, "example.com"), IsEmpty());
  EXPECT_EQ(unbuilt.size(), 0U);
}

TEST(DomainIndex, MovesKeepTheIndex) {
  DomainIndex idx;
  idx.add("example.com", 1);
  idx.build();
  DomainIndex moved(std::move(idx));
  EXPECT_THAT(match(moved, "a.example.com"), ElementsAre(1U));
  DomainIndex assigned;
  assigned = std::move(moved);
  EXPECT_THAT(match(assigned, "a.example.com"), ElementsAre(1U));
}

// Property: agrees with a label-by-label walk through std::multimap on hosts
// built from rule domains, their subdomains, look-alikes and noise.
std::string random_label(std::mt19937_64& rng, int max_len) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
  std::uniform_int_distribution<int> len(1, max_len);
  std::uniform_int_distribution<int> ch(0, sizeof(kChars) - 2);
  std::string s(static_cast<std::size_t>(len(rng)), 'a');
  for (char& c : s) c = kChars[ch(rng)];
  return s;
}

std::vector<std::uint32_t> reference(const std::multimap<std::string, std::uint32_t>& rules,
                                     std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < host.size(); ++i) {
    if (i != 0 && host[i - 1] != '.') continue;
    auto [lo, hi] = rules.equal_range(std::string(host.substr(i)));
    for (auto it = lo; it != hi; ++it) out.push_back(it->second);
  }
  return out;
}

TEST(DomainIndex, AgreesWithAReferenceOnAMillionRandomDomains) {
  std::mt19937_64 rng(20240611);
  const std::vector<std::string> tlds{"com", "net", "org", "uk", "co.uk", "bet", "io"};
  std::multimap<std::string, std::uint32_t> rules;  // insertion order kept per key
  std::vector<std::string> domains;
  DomainIndex idx;
  std::uniform_int_distribution<int> labels(0, 3);
  for (std::uint32_t id = 0; id < 1'000'000; ++id) {
    std::string d;
    if (id > 0 && id % 97 == 0) {
      d = domains[rng() % domains.size()];  // a second rule for a domain
    } else if (id > 0 && id % 13 == 0) {
      d = random_label(rng, 6) + "." + domains[rng() % domains.size()];  // nested rules
    } else {
      d = random_label(rng, 12);
      for (int k = labels(rng); k > 0; --k) d += "." + random_label(rng, 4);
      d += "." + tlds[rng() % tlds.size()];
    }
    if (d.size() > 253) continue;
    idx.add(d, id);
    rules.emplace(d, id);
    domains.push_back(d);
  }
  idx.build();

  std::vector<std::uint32_t> got;
  std::size_t hits = 0;
  for (int i = 0; i < 300'000; ++i) {
    const std::string& base = domains[rng() % domains.size()];
    std::string host;
    switch (i % 6) {
      case 0:
        host = base;
        break;
      case 1:
        host = random_label(rng, 8) + "." + base;
        break;
      case 2:
        host = random_label(rng, 3) + base;
        break;  // badexample.com
      case 3:
        host = base + "." + tlds[rng() % tlds.size()];
        break;  // example.com.evil.net
      case 4:
        host = base.substr(1 + rng() % (base.size() - 1));
        break;
      default:
        host = random_label(rng, 10) + "." + tlds[rng() % tlds.size()] + ".";
        break;
    }
    got.clear();
    idx.match(host, got);
    const auto want = reference(rules, host);
    ASSERT_EQ(got, want) << host;
    hits += want.empty() ? 0 : 1;
  }
  EXPECT_GT(hits, 100'000U);  // the property exercised both outcomes
  EXPECT_LT(hits, 290'000U);
}

}  // namespace
}  // namespace vigil::rules
