// systemd/vigil.toml is generated from the declarations: it must be exactly
// what they generate now, and load cleanly.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "daemon/config/config.h"

namespace vigil::config {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "line N: committed ... / generated ..." for the first line that differs.
std::string first_difference(const std::string& committed, const std::string& generated) {
  std::istringstream a(committed);
  std::istringstream b(generated);
  std::string la;
  std::string lb;
  for (int n = 1;; ++n) {
    bool more_a = static_cast<bool>(std::getline(a, la));
    bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "only in line endings";
    if (!more_a || !more_b || la != lb) {
      return "line " + std::to_string(n) + ": committed \"" + (more_a ? la : "<end>") +
             "\", generated \"" + (more_b ? lb : "<end>") + "\"";
    }
  }
}

TEST(Example, CommittedFileIsWhatTheDeclarationsGenerate) {
  const std::string path = std::string(VIGIL_SOURCE_DIR) + "/systemd/vigil.toml";
  const std::string committed = read_file(path);
  const std::string generated = render_example();
  ASSERT_FALSE(committed.empty()) << path << " is missing or empty";
  EXPECT_TRUE(committed == generated)
      << path << " is out of date (" << first_difference(committed, generated)
      << "); regenerate it with: vigilctl config example > systemd/vigil.toml";
}

TEST(Example, CommittedFileLoadsCleanlyAsTheDefaults) {
  const std::string path = std::string(VIGIL_SOURCE_DIR) + "/systemd/vigil.toml";
  LoadResult r = load(path);
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(*r.config, Config());
}

TEST(Example, CommentedStyleSetsNothing) {
  LoadResult r = load_text(render_example(ExampleStyle::Commented), "example");
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  for (const KeyDecl& k : keys()) {
    EXPECT_EQ(r.config->origin(k.name).kind, Origin::Kind::Default) << k.name;
  }
}

TEST(Example, UncommentedStyleSetsEveryKeyToItsDefault) {
  LoadResult r = load_text(render_example(ExampleStyle::Set), "example");
  ASSERT_TRUE(r) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(*r.config, Config());
  for (const KeyDecl& k : keys()) {
    EXPECT_EQ(r.config->origin(k.name).kind, Origin::Kind::File) << k.name;
  }
}

TEST(Example, EveryKeyAppearsInItsSectionWithItsHelp) {
  const std::string text = render_example();
  for (const KeyDecl& k : keys()) {
    std::string section = "\n[" + std::string(k.name.substr(0, k.name.find('.'))) + "]\n";
    std::size_t section_at = text.find(section);
    ASSERT_NE(section_at, std::string::npos) << section;
    std::string line = "\n#" + std::string(k.name.substr(k.name.find('.') + 1)) + " = ";
    std::size_t at = text.find(line, section_at);
    ASSERT_NE(at, std::string::npos) << k.name;
    std::size_t next_section = text.find("\n[", section_at + 1);
    EXPECT_TRUE(next_section == std::string::npos || at < next_section) << k.name;
    // The first word of the help is in the comment just above.
    std::string first_word(k.help.substr(0, k.help.find(' ')));
    std::size_t help_at = text.rfind("# " + first_word, at);
    EXPECT_TRUE(help_at != std::string::npos && help_at > section_at) << k.name;
  }
}

TEST(Example, LinesFitAnEditorWindow) {
  std::istringstream in(render_example());
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    EXPECT_LE(line.size(), 100u) << "line " << n << ": " << line;
  }
}

}  // namespace
}  // namespace vigil::config
