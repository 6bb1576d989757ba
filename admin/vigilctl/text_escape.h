#pragma once
// Attacker-chosen text (names, URLs, list lines) printed to a terminal or a
// TSV file: control bytes are written as \ooo octal, as the corpus truth
// (tshark) writes them, so a hostile value cannot add a column or a row or
// move the cursor. Other bytes pass unchanged.

#include <cstdio>
#include <string>
#include <string_view>

namespace vigil::admin {

inline std::string escape_control_bytes(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace vigil::admin
