#pragma once
// Text normalisation before keyword matching, so that the same word matches
// however it is dressed up: case folding and Unicode NFKC (ICU),
// confusable letters mapped to their Latin look-alike (Cyrillic "а" -> "a",
// Greek "ο" -> "o"), leetspeak digits and symbols ("3xtr3m1st" ->
// "extremist", "$" -> "s", "@" -> "a"), and separators between single
// letters removed ("b.o.m.b", "b o m b", "b-o-m-b" -> "bomb").
//
// A Normalizer is immutable after construction and safe to share between
// threads; normalise() allocates.

#include <memory>
#include <string>
#include <string_view>

namespace vigil::rules {

class Normalizer {
 public:
  Normalizer();
  ~Normalizer();
  Normalizer(const Normalizer&) = delete;
  Normalizer& operator=(const Normalizer&) = delete;

  // All steps. Invalid UTF-8 bytes become U+FFFD first. The result is UTF-8.
  [[nodiscard]] std::string normalise(std::string_view text) const;

  // The individual steps, for tests and for lists that ask for less.
  [[nodiscard]] std::string fold(std::string_view text) const;       // NFKC + case fold
  [[nodiscard]] std::string unconfuse(std::string_view text) const;  // look-alikes to Latin
  [[nodiscard]] static std::string unleet(std::string_view text);    // ASCII leetspeak
  [[nodiscard]] static std::string join_spaced_letters(std::string_view text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-decoding of a URL component ('+' as space when `plus_is_space`);
// invalid escapes are kept as written.
std::string percent_decode(std::string_view s, bool plus_is_space);

}  // namespace vigil::rules
