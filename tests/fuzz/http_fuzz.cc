// Fuzz target for the HTTP/1.x request scanner: the input is a client byte
// stream, fed as TCP segments cut at points derived from the data, once in
// each reporting mode, with a gap or a refused CONNECT now and then.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "inspect/http/http_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using vigil::inspect::Bytes;
  using vigil::inspect::HttpRequest;
  using vigil::inspect::HttpRequestScanner;
  const Bytes in(data, size);
  vigil::inspect::looks_like_http_request(in);
  if (size == 0) return 0;
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < 6 && i < size; ++i)
    cuts.push_back((data[i] * 131u + i * 977u) % size);
  std::sort(cuts.begin(), cuts.end());
  cuts.push_back(size);
  std::vector<HttpRequest> out;
  for (bool after_body : {false, true}) {
    HttpRequestScanner sc(64 + data[0] * 4, after_body);
    std::size_t from = 0;
    std::size_t step = 0;
    for (std::size_t cut : cuts) {
      if (cut <= from) continue;
      sc.feed(in.subspan(from, cut - from), out);
      if (sc.state() == HttpRequestScanner::State::Done && sc.connect_seen() && (step & 1)) {
        sc.resume_after_connect(out);
      }
      if ((data[step % size] & 0x1f) == 3) sc.on_gap();
      if ((data[step % size] & 0x1f) == 5) sc.on_gap(data[step % size]);
      from = cut;
      ++step;
    }
    if (from < size) sc.feed(in.subspan(from), out);
  }
  // Small inputs also one byte at a time.
  if (size <= 512) {
    HttpRequestScanner sc(64);
    for (std::size_t i = 0; i < size; ++i) sc.feed(in.subspan(i, 1), out);
  }
  for (const HttpRequest& r : out) vigil::inspect::normalise_http_host(r.host);
  vigil::inspect::normalise_http_host(
      std::string_view(reinterpret_cast<const char*>(data), size < 256 ? size : 256));
  return 0;
}
