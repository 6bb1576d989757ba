#include "rules/taxonomy.h"

#include <gtest/gtest.h>

namespace vigil::rules {
namespace {

TEST(Taxonomy, EveryCategoryNameRoundTrips) {
  for (std::size_t i = 0; i < static_cast<std::size_t>(Category::kCount); ++i) {
    auto c = static_cast<Category>(i);
    auto parsed = parse_category(category_name(c));
    ASSERT_TRUE(parsed.has_value()) << category_name(c);
    EXPECT_EQ(*parsed, c);
  }
}

TEST(Taxonomy, NamesAcceptDashesSpacesAndCase) {
  EXPECT_EQ(parse_category("Hate-Speech"), Category::HateSpeech);
  EXPECT_EQ(parse_category("self harm"), Category::SelfHarm);
  EXPECT_FALSE(parse_category("shopping").has_value());
  EXPECT_EQ(parse_severity("DANGER"), Severity::Danger);
  EXPECT_EQ(parse_action("Block"), Action::Block);
  EXPECT_FALSE(parse_action("allow").has_value());
}

TEST(Taxonomy, Ut1FoldersMapOntoTheTaxonomy) {
  EXPECT_EQ(category_for_ut1_folder("adult"), Category::Pornography);
  EXPECT_EQ(category_for_ut1_folder("drogue"), Category::Drugs);
  EXPECT_EQ(category_for_ut1_folder("warez"), Category::Piracy);
  EXPECT_EQ(category_for_ut1_folder("gambling"), Category::Gambling);
  EXPECT_FALSE(category_for_ut1_folder("shopping").has_value());
}

TEST(Taxonomy, StatutoryCategoriesDefaultToDangerAndBlock) {
  EXPECT_EQ(default_severity(Category::ChildAbuse), Severity::Danger);
  EXPECT_EQ(default_action(Category::ChildAbuse), Action::Block);
  EXPECT_EQ(default_severity(Category::Terrorism), Severity::Danger);
  EXPECT_EQ(default_action(Category::Terrorism), Action::Block);
  EXPECT_EQ(default_action(Category::Extremism), Action::Alert);
}

}  // namespace
}  // namespace vigil::rules
