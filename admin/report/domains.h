#pragma once
// Registrable domains ("a.b.example.co.uk" -> "example.co.uk") from the
// Public Suffix List, through libpsl: the distribution's current list
// (/usr/share/publicsuffix, kept up to date by the publicsuffix package)
// when it can be read, else the copy built into libpsl.

#include <string>
#include <string_view>

struct psl_ctx_st;

namespace vigil::report {

class RegistrableDomains {
 public:
  RegistrableDomains();
  ~RegistrableDomains();
  RegistrableDomains(const RegistrableDomains&) = delete;
  RegistrableDomains& operator=(const RegistrableDomains&) = delete;

  // Lower-cased, without a trailing dot. A name that is an IP address, a
  // public suffix itself, or has no registrable part ("localhost") comes
  // back whole.
  std::string of(std::string_view host) const;

 private:
  psl_ctx_st* latest_ = nullptr;  // owned; null when the distribution's list is unreadable
  const psl_ctx_st* ctx_ = nullptr;
};

}  // namespace vigil::report
