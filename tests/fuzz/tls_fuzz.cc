// Fuzz target for the TLS ClientHello parser: the input is a TCP byte
// stream from a record boundary, also tried as bare handshake data and as
// the prefixes the pipeline would hand over while segments arrive.

#include <cstddef>
#include <cstdint>

#include "inspect/tls/client_hello.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using vigil::inspect::Bytes;
  using vigil::inspect::ClientHello;
  const Bytes in(data, size);
  ClientHello hello;
  vigil::inspect::looks_like_client_hello_record(in);
  vigil::inspect::parse_client_hello_records(in, hello);
  vigil::inspect::parse_client_hello_handshake(in, hello);
  for (std::size_t cut : {size / 3, size / 2, size - size / 8}) {
    if (cut < size) vigil::inspect::parse_client_hello_records(in.first(cut), hello);
  }
  return 0;
}
