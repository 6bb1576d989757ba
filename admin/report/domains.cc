#include "admin/report/domains.h"

#include <arpa/inet.h>
#include <libpsl.h>

namespace vigil::report {
namespace {

bool is_ip_address(const std::string& s) {
  unsigned char buf[16];
  std::string bare = s;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  return inet_pton(AF_INET, bare.c_str(), buf) == 1 || inet_pton(AF_INET6, bare.c_str(), buf) == 1;
}

}  // namespace

RegistrableDomains::RegistrableDomains() {
  latest_ = psl_latest(nullptr);
  ctx_ = latest_ != nullptr ? latest_ : psl_builtin();
}

RegistrableDomains::~RegistrableDomains() { psl_free(latest_); }

std::string RegistrableDomains::of(std::string_view host) const {
  std::string name(host);
  while (!name.empty() && name.back() == '.') name.pop_back();
  for (char& ch : name) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  // libpsl reads a C string: a name with a NUL in it (hostile) is kept whole.
  if (name.empty() || ctx_ == nullptr || name.find('\0') != std::string::npos ||
      is_ip_address(name)) {
    return name;
  }
  const char* r = psl_registrable_domain(ctx_, name.c_str());
  return r != nullptr ? std::string(r) : name;
}

}  // namespace vigil::report
