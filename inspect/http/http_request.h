#pragma once
// HTTP/1.x request scanning over one reassembled TCP direction (client to
// server). Finds every request head in the stream (pipelining, bodies by
// Content-Length or chunked coding, proxy absolute-form, CONNECT).

#include <cstdint>
#include <string>
#include <vector>

#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

struct HttpRequest {
  std::string method;
  std::string target;  // request-target exactly as on the request line
  std::string version; // e.g. "HTTP/1.1"
  std::string host;    // Host header: lowercased, port, brackets and trailing dot removed
  bool has_host = false;
  std::string user_agent;
};

// Incremental scanner: feed contiguous client-to-server bytes in order; each
// complete request head found is appended to `out`. Keeps at most
// `max_buffer` bytes of an unfinished head; after a CONNECT that succeeds or
// an unparseable stream it stops looking (state Done).
class HttpRequestScanner {
 public:
  enum class State : std::uint8_t { Head, Body, ChunkSize, ChunkData, ChunkTrailer, Done };

  explicit HttpRequestScanner(std::size_t max_buffer = 16 * 1024) noexcept;

  // Returns the number of malformed heads skipped in this call (for counters).
  std::size_t feed(Bytes data, std::vector<HttpRequest>& out);

  // The stream has a gap (lost segment): resynchronise on the next request line.
  void on_gap() noexcept;

  [[nodiscard]] State state() const noexcept { return state_; }

 private:
  State state_ = State::Head;
  std::size_t max_buffer_;
  std::string pending_;  // bytes of an unfinished head or chunk-size line
  std::uint64_t body_left_ = 0;
  bool resync_ = false;
};

// Does this look like the start of an HTTP/1.x request line ("GET /", ...)?
bool looks_like_http_request(Bytes data) noexcept;

// Normalises a Host header value: trim, lowercase, strip port, IPv6 brackets and trailing dot.
std::string normalise_http_host(std::string_view raw);

}  // namespace vigil::inspect
