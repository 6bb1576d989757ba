// The example configuration, rendered from the declarations: what
// systemd/vigil.toml holds and `vigilctl config example` prints.

#include <algorithm>
#include <string>

#include "daemon/config/config.h"
#include "daemon/config/values.h"

namespace vigil::config {
namespace {

constexpr std::size_t kWidth = 80;

// `text` as "# " comment lines no wider than kWidth.
void comment(std::string& out, std::string_view text) {
  std::string line = "#";
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t space = text.find(' ', pos);
    std::string_view word =
        text.substr(pos, space == std::string_view::npos ? text.npos : space - pos);
    if (line.size() > 1 && line.size() + 1 + word.size() > kWidth) {
      out += line + "\n";
      line = "#";
    }
    line += " ";
    line += word;
    if (space == std::string_view::npos) break;
    pos = space + 1;
  }
  out += line + "\n";
}

std::string readers_text(std::uint8_t readers) {
  std::string out;
  auto add = [&](std::uint8_t bit, const char* name) {
    if ((readers & bit) == 0) return;
    if (!out.empty()) out += ", ";
    out += name;
  };
  add(kVigild, "vigild");
  add(kConsole, "vigil-console");
  add(kVigilctl, "vigilctl");
  return out;
}

// Paragraphs of the file's opening comment.
constexpr std::string_view kPreamble =
    "Vigil configuration: one file read by vigild, vigil-console and vigilctl, installed as "
    "/etc/vigil/vigil.toml.\n"
    "Every key is listed at its default, commented out; remove the \"#\" to change one. Any "
    "key can also be set for one run with --set section.key=value. A key that takes effect on "
    "restart is read when a program starts; one that takes effect on reload also changes on "
    "`systemctl reload vigild` or `vigilctl reload`. Durations are written like \"90s\", "
    "\"10m\", \"1h30m\" or \"7d\".\n"
    "Check a file with `vigilctl config check --config FILE` (or vigild --check-config). This "
    "file is generated from Vigil's key declarations by `vigilctl config example`.";

}  // namespace

std::string render_example(ExampleStyle style) {
  const Config defaults;
  std::string out;
  for (std::size_t pos = 0; pos < kPreamble.size();) {
    std::size_t end = std::min(kPreamble.find('\n', pos), kPreamble.size());
    if (pos > 0) out += "#\n";
    comment(out, kPreamble.substr(pos, end - pos));
    pos = end + 1;
  }
  for (const SectionDecl& section : sections()) {
    out += "\n";
    comment(out, section.help);
    out += "[" + std::string(section.name) + "]\n";
    for (const KeyDecl& decl : keys()) {
      std::string_view name = decl.name;
      if (name.substr(0, name.find('.')) != section.name) continue;
      out += "\n";
      comment(out, decl.help);
      comment(out, "Value: " + detail::expectation(decl, false, false) + ". Takes effect on " +
                       (decl.apply == Apply::Startup ? "restart" : "reload") + ". Read by " +
                       readers_text(decl.readers) + ".");
      if (style == ExampleStyle::Commented) out += "#";
      out += std::string(name.substr(name.find('.') + 1)) + " = " + defaults.text(name) + "\n";
    }
  }
  return out;
}

}  // namespace vigil::config
