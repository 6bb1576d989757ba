#include "rules/lists/list_text.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace vigil::rules {
namespace lists_internal {

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned lo = 0x80;
    unsigned hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (n - i < len) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

void reject(ListDiagnostics& diag, std::uint32_t line, std::string_view text, std::string reason,
            const std::string& file) {
  ++diag.invalid;
  if (diag.first_invalid.size() >= ListDiagnostics::kMaxReportedInvalid) return;
  constexpr std::size_t kMaxText = 200;
  if (text.size() > kMaxText) {
    std::size_t cut = kMaxText;
    // Do not split a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  RejectedLine r;
  r.line = line;
  r.text = std::string(text);
  r.reason = std::move(reason);
  r.file = file.empty() ? diag.path : file;
  diag.first_invalid.push_back(std::move(r));
}

}  // namespace lists_internal

std::optional<std::string> read_text_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return out;
}

}  // namespace vigil::rules
