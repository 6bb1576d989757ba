#pragma once
// HTTP/1.x request scanning over one reassembled TCP direction (client to
// server). Finds every request head in the stream (pipelining, bodies by
// Content-Length or chunked coding, proxy absolute-form, CONNECT).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

// Field values are spelled as tshark 4.0 reports them (the corpus truth):
// a NUL ends a value, every byte >= 0x80 becomes U+FFFD, other bytes are kept.
struct HttpRequest {
  std::string method;
  std::string target;     // request-target exactly as on the request line; may be empty
  std::string version;    // e.g. "HTTP/1.1"; the rest of the line, may be empty
  std::string host;       // Host header: lowercased, port, brackets and trailing dot removed
  bool has_host = false;  // a Host header was paired with this request (host may be empty)
  std::string user_agent;
};

// Incremental scanner: feed contiguous client-to-server bytes in order; each
// request found is appended to `out`. It follows tshark 4.0's HTTP dissector,
// including where that one gives up: each feed() call is taken to be one TCP
// segment, and data that does not start a request (junk at a message start,
// a body of unknown length) is skipped to the end of the current segment, as
// tshark does, so parsing resumes at the next segment that starts with a
// request line. As in the corpus truth, the Host values of the messages
// completed in one feed() are paired in order with that call's request lines
// (normally each request gets its own Host). Requests are reported when the
// head is complete, or with `report_after_body` when the body is, as tshark
// does. Keeps at most `max_buffer` bytes of any one unfinished line. After a
// CONNECT head it stops looking (state Done, tunnel_offset()); a response-like
// message with no length in this direction also ends the scan (Done), since
// it runs to the end of the connection.
class HttpRequestScanner {
 public:
  // Head: at or inside a message head. Body, Chunk*: skipping a body.
  enum class State : std::uint8_t { Head, Body, ChunkSize, ChunkData, ChunkTrailer, Done };

  // With `report_after_body`, a request with a Content-Length or chunked
  // body is reported only once that body has been seen in full, which is
  // when tshark reports it (so a capture cut short in an upload has no
  // request for it); without it, at the end of the head, which is what a
  // filter wants.
  explicit HttpRequestScanner(std::size_t max_buffer = 16 * 1024,
                              bool report_after_body = false) noexcept;

  // Returns the number of malformed or non-HTTP stretches skipped in this
  // call (for counters).
  std::size_t feed(Bytes data, std::vector<HttpRequest>& out);

  // The stream has a gap (lost segment): resynchronise on the next segment
  // that starts a request.
  void on_gap() noexcept;
  // A gap of known size: a body being skipped absorbs it if it is longer.
  void on_gap(std::uint64_t missing_bytes) noexcept;

  [[nodiscard]] State state() const noexcept { return state_; }
  // True when Done was reached through a CONNECT request.
  [[nodiscard]] bool connect_seen() const noexcept { return connect_seen_; }
  // After the feed() call that reached Done through CONNECT: offset in that
  // call's data where the tunnel bytes begin (may equal data.size()).
  [[nodiscard]] std::size_t tunnel_offset() const noexcept { return tunnel_offset_; }
  // The proxy did not answer the CONNECT with 2xx, so no tunnel follows:
  // go on scanning as tshark does, starting with what followed the CONNECT
  // (and its body) in the same feed() call. Returns as feed() does.
  std::size_t resume_after_connect(std::vector<HttpRequest>& out);

 private:
  struct MessageState {
    int type = 0;  // 0 other, 1 request, 2 notification, 3 response
    int status = 0;
    bool poisoned = false;  // a line that is no header ended tshark's header parsing
    bool have_cl = false;
    std::uint64_t cl = 0;
    bool te = false;
    bool chunked = false;
    bool te_coding = false;  // a non-chunked coding was named (tshark stops at a second one)
    bool reasm_cl_found = false;
    std::int64_t reasm_cl = 0;
    bool reasm_chunked = false;
    bool connect = false;
    std::vector<HttpRequest> requests;
    std::vector<std::string> hosts;
    std::string user_agent;
  };

  // What one message contributes to tshark's per-frame field lists.
  struct Dissected {
    std::vector<HttpRequest> lines;  // request (and notification) lines
    std::vector<std::string> hosts;  // normalised Host values
    bool is_request = false;
  };

  std::size_t run(std::string_view view, std::size_t carried, std::size_t hint,
                  std::size_t& malformed);
  std::size_t start_message(std::string_view view, std::size_t pos, std::size_t carried,
                            bool& carry, std::size_t& malformed);
  std::size_t end_of_head(std::string_view view, std::size_t pos, std::size_t carried,
                          std::size_t& malformed);
  std::size_t continuation(std::string_view view, std::size_t pos, std::size_t carried,
                           std::size_t& malformed);
  std::size_t swallow(std::string_view view, std::size_t pos, std::size_t& malformed);
  std::size_t body_after_head(std::string_view view, std::size_t pos, std::size_t& malformed);
  std::size_t enter_tunnel(std::string_view view, std::size_t head_end, std::size_t next,
                           std::size_t carried);
  bool find_line(std::string_view view, std::size_t from, std::size_t& end,
                 std::size_t& next) const noexcept;
  void keep(std::string_view tail);
  void dissected(MessageState& m, bool hold);
  void add_to_frame(Dissected& d);
  void release();
  void flush_frame(std::vector<HttpRequest>& out);

  State state_ = State::Head;
  std::size_t max_buffer_;
  std::string pending_;  // bytes of an unfinished line (or first line), carried to the next feed
  std::uint64_t body_left_ = 0;
  bool resync_ = false;
  bool in_head_ = false;         // past the request line of the current message
  bool chunk_consumed_ = false;  // a chunk of the current body was read
  bool connect_seen_ = false;
  std::size_t scan_from_ = 0;  // where the line-end search resumes in pending_
  bool overlong_ = false;      // pending_ keeps only the start of an over-long line
  bool overlong_cr_ = false;   // ... whose last byte seen was CR
  std::size_t tunnel_offset_ = 0;
  std::string connect_tail_;  // bytes after a CONNECT, for resume_after_connect()
  State saved_state_ = State::Head;
  std::size_t hint_ = 0;  // scan_from_ of the carried line, for this feed()
  bool report_after_body_ = false;
  bool swallow_chunks_ = false;           // chunks tshark gathers but does not parse as such
  bool trailer_started_ = false;          // a line after the last chunk was read
  std::vector<Dissected> held_;           // waiting for their body (report_after_body_)
  std::vector<HttpRequest> frame_lines_;  // this feed()'s request lines, in order
  std::vector<std::string> frame_hosts_;  // this feed()'s Host values, in order
  bool frame_has_request_ = false;
  MessageState msg_;
};

// tshark 4.0's heuristic for HTTP over TCP on a port without a dissector:
// the segment's first line is complete, is not 8 bytes long, and starts or
// ends with "HTTP/1." (any case). Note it also accepts a status line.
bool looks_like_http_request(Bytes data) noexcept;

// Is `token` one of the request methods tshark 4.0 knows (case-sensitive,
// optional "M-" prefix)? Unknown tokens are not requests for tshark.
bool is_http_request_method(std::string_view token) noexcept;

// Normalises a Host header value as the corpus truth does: leading blanks
// and tabs dropped (tshark), ASCII lowercased, "[v6]:port" -> "v6", a single
// ":port" dropped, trailing dots dropped. Trailing whitespace is kept, as in
// tshark's value; policy code may want to trim it.
std::string normalise_http_host(std::string_view raw);

}  // namespace vigil::inspect
