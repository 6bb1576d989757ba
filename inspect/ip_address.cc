#include "inspect/ip_address.h"

#include <arpa/inet.h>

namespace vigil::inspect {

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v6) {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  } else {
    inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

}  // namespace vigil::inspect
