// Fuzz target for the text normaliser and search-term extraction: the input
// is text (any bytes) for normalise() and each step, and a request target for
// extract_search_term() against a host taken from the first line.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rules/normalize/normalizer.h"
#include "rules/normalize/search_terms.h"

namespace {

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80           ? 1
                    : (b >> 5) == 0x6  ? 2
                    : (b >> 4) == 0xE  ? 3
                    : (b >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const vigil::rules::Normalizer normalizer;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  const std::string out = normalizer.normalise(in);
  // Output is always well-formed UTF-8, and normalising it again must not
  // fail (the chain need not be idempotent in general, only well-behaved).
  if (!valid_utf8(out)) std::abort();
  (void)normalizer.normalise(out);
  if (!valid_utf8(normalizer.fold(in))) std::abort();
  if (!valid_utf8(normalizer.unconfuse(in))) std::abort();
  (void)vigil::rules::Normalizer::unleet(in);
  if (!valid_utf8(vigil::rules::Normalizer::join_spaced_letters(in))) std::abort();
  (void)vigil::rules::percent_decode(in, true);

  const auto nl = in.find('\n');
  const std::string_view host =
      nl == std::string_view::npos ? std::string_view{} : in.substr(0, nl);
  const std::string_view target = nl == std::string_view::npos ? in : in.substr(nl + 1);
  if (auto t =
          vigil::rules::extract_search_term(host, target, vigil::rules::default_search_engines())) {
    if (t->terms.empty() || t->engine.empty()) std::abort();
    (void)normalizer.normalise(t->terms);
  }
  return 0;
}
