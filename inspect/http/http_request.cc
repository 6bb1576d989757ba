#include "inspect/http/http_request.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstring>

// The rules here are tshark 4.0's (packet-http.c, req_resp_hdrs.c), checked
// against tshark on crafted streams, because the corpus truth is what tshark
// reports. Where tshark's answer depends on TCP segment boundaries, one
// feed() call stands for one segment.

namespace vigil::inspect {
namespace {

enum MessageType : int { kOther = 0, kRequest = 1, kNotification = 2, kResponse = 3 };

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD

// Request methods tshark recognises (is_http_request_or_reply). NOTIFY,
// SUBSCRIBE and UNSUBSCRIBE are "notifications" there, never requests.
// clang-format off
constexpr std::array<std::string_view, 39> kRequestMethods = {
    "GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE", "MKCOL",
    "TRACE", "PATCH", "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE",
    "BDELETE", "CONNECT", "OPTIONS", "CHECKIN", "PROPFIND", "CHECKOUT", "CCM_POST", "PROPPATCH",
    "BPROPFIND", "BPROPPATCH", "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "RPC_CONNECT",
    "RPC_IN_DATA", "RPC_OUT_DATA", "VERSION-CONTROL", "BASELINE-CONTROL", "SSTP_DUPLEX_POST"};
// clang-format on

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool c_isspace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// A value as a C string: tshark's copies end at the first NUL.
std::string_view c_string(std::string_view s) noexcept {
  const std::size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

// tshark's ENC_ASCII string: NUL ends it, bytes >= 0x80 become U+FFFD.
std::string ascii_field(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char ch : c_string(raw)) {
    if (static_cast<unsigned char>(ch) >= 0x80) {
      out += kReplacement;
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// tvb_find_line_end(): a line ends at LF, CRLF or a lone CR. With
// `desegment`, a CR as the last byte (an LF may follow) or no line end at all
// means "need more"; without it, the line runs to the end of the data.
bool find_line_end(std::string_view v, std::size_t from, bool desegment, std::size_t& end,
                   std::size_t& next) noexcept {
  const std::size_t i = v.find_first_of("\r\n", from);
  if (i == std::string_view::npos) {
    if (desegment) return false;
    end = next = v.size();
    return true;
  }
  end = i;
  if (v[i] == '\n') {
    next = i + 1;
  } else if (i + 1 < v.size()) {
    next = v[i + 1] == '\n' ? i + 2 : i + 1;
  } else {
    if (desegment) return false;
    next = i + 1;
  }
  return true;
}

int classify_line(std::string_view line) noexcept {
  std::string_view d = line;
  if (starts_with(d, "M-")) d.remove_prefix(2);  // RFC 2774 mandatory prefix
  if (starts_with(d, "HTTP/") || starts_with(d, "ICY")) return kResponse;
  const std::size_t space = d.find(' ');
  const std::string_view token = space == std::string_view::npos ? d : d.substr(0, space);
  for (std::string_view m : kRequestMethods) {
    if (token == m) return kRequest;
  }
  if (token == "NOTIFY" || token == "SUBSCRIBE" || token == "UNSUBSCRIBE") return kNotification;
  return kOther;
}

// get_token_len(): a token ends at a blank; blanks after it are skipped.
std::size_t token_len(std::string_view s, std::size_t from, std::size_t& next) noexcept {
  std::size_t i = from;
  while (i < s.size() && s[i] != ' ' && s[i] != '\r' && s[i] != '\n') ++i;
  const std::size_t len = i - from;
  while (i < s.size() && s[i] == ' ') ++i;
  next = i;
  return len;
}

// basic_request_dissector(): method, then URI, then the rest is the version.
void parse_request_line(std::string_view line, std::vector<HttpRequest>& requests, bool& connect) {
  std::size_t next = 0;
  const std::size_t method_len = token_len(line, 0, next);
  if (method_len == 0) return;
  if (next > 2 && line[next - 1] == ' ' && line[next - 2] == ' ') --next;  // empty URI
  std::size_t after_uri = 0;
  const std::size_t uri_len = token_len(line, next, after_uri);
  HttpRequest r;
  r.method = ascii_field(line.substr(0, method_len));
  r.target = ascii_field(line.substr(next, uri_len));
  r.version = ascii_field(line.substr(after_uri));
  connect = std::string_view(r.method) == "CONNECT";
  requests.push_back(std::move(r));
}

int parse_status(std::string_view line) noexcept {
  std::size_t next = 0;
  if (token_len(line, 0, next) == 0) return 0;
  std::size_t after = 0;
  if (token_len(line, next, after) < 3) return 0;
  int code = 0;
  for (std::size_t i = next; i < next + 3; ++i) {
    if (line[i] < '0' || line[i] > '9') break;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

bool is_token_char(char c) noexcept {
  if (c == '\0') return false;
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::strchr("!#$%&\\:*+-.^_`|~", c) != nullptr;
}

// g_ascii_strtoll(value, &end, 10) accepted only when it is >= 0, had
// digits, did not overflow and is followed by the end or white space.
bool parse_content_length(std::string_view v, std::uint64_t& out) noexcept {
  std::size_t i = 0;
  while (i < v.size() && c_isspace(v[i])) ++i;
  bool negative = false;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) negative = v[i++] == '-';
  const std::size_t digits_at = i;
  std::uint64_t value = 0;
  bool overflow = false;
  for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) {
    const auto digit = static_cast<std::uint64_t>(v[i] - '0');
    if (value > (static_cast<std::uint64_t>(LLONG_MAX) - digit) / 10) overflow = true;
    if (!overflow) value = value * 10 + digit;
  }
  if (i == digits_at || overflow) return false;
  if (negative && value != 0) return false;
  if (i < v.size() && !c_isspace(v[i])) return false;
  out = value;
  return true;
}

// req_resp_hdrs_do_reassembly()'s stricter reading (decides how much data
// tshark gathers before dissecting): whole trimmed value, 32-bit, >= 0.
bool parse_reassembly_length(std::string_view v, std::int64_t& out) noexcept {
  while (!v.empty() && c_isspace(v.front())) v.remove_prefix(1);
  while (!v.empty() && c_isspace(v.back())) v.remove_suffix(1);
  std::size_t i = 0;
  bool negative = false;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) negative = v[i++] == '-';
  if (i == v.size()) return false;
  std::int64_t value = 0;
  for (; i < v.size(); ++i) {
    if (v[i] < '0' || v[i] > '9') return false;
    value = value * 10 + (v[i] - '0');
    if (value > INT32_MAX) return false;
  }
  if (negative) return value == 0 ? (out = 0, true) : false;
  out = value;
  return true;
}

// http_parse_transfer_coding(): only whether "chunked" is reached matters.
void parse_transfer_coding(std::string_view v, bool& chunked, bool& coding) noexcept {
  coding = false;  // the header resets it to "unknown"
  std::size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) ++i;
    if (i == v.size()) break;
    const std::string_view rest = v.substr(i);
    if (starts_with(rest, "chunked")) {
      chunked = true;
      i += 7;
      continue;
    }
    if (coding) break;  // a second coding: tshark gives up
    static constexpr std::string_view kCodings[] = {"compress", "deflate",    "gzip",
                                                    "identity", "x-compress", "x-gzip"};
    bool known = false;
    for (std::string_view c : kCodings) {
      if (starts_with(rest, c)) {
        coding = true;
        i += c.size();
        known = true;
        break;
      }
    }
    if (known) continue;
    const std::size_t comma = v.find(',', i);
    if (comma == std::string_view::npos) break;
    i = comma;
  }
}

// strtol(line, NULL, 16) on the part before ';', cut to 32 bits as tshark
// stores it.
std::uint32_t parse_chunk_size(std::string_view line) noexcept {
  line = c_string(line);
  const std::size_t semi = line.find(';');
  if (semi != std::string_view::npos) line = line.substr(0, semi);
  std::size_t i = 0;
  while (i < line.size() && c_isspace(line[i])) ++i;
  bool negative = false;
  if (i < line.size() && (line[i] == '+' || line[i] == '-')) negative = line[i++] == '-';
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  // strtol's "0x" prefix, taken only when a hex digit follows it.
  if (i + 2 < line.size() && line[i] == '0' && (line[i + 1] == 'x' || line[i + 1] == 'X') &&
      hex(line[i + 2]) >= 0) {
    i += 2;
  }
  std::uint64_t value = 0;
  bool overflow = false;
  for (; i < line.size() && hex(line[i]) >= 0; ++i) {
    if (value > (static_cast<std::uint64_t>(LONG_MAX) >> 4)) overflow = true;
    if (!overflow) value = (value << 4) | static_cast<std::uint64_t>(hex(line[i]));
  }
  std::int64_t signed_value = overflow ? LONG_MAX : static_cast<std::int64_t>(value);
  if (negative) signed_value = overflow ? LONG_MIN : -signed_value;
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(signed_value));
}

// Would sscanf("%x") read a chunk size from this line?
bool has_chunk_size(std::string_view line) noexcept {
  line = c_string(line);
  std::size_t i = 0;
  while (i < line.size() && c_isspace(line[i])) ++i;
  if (i < line.size() && (line[i] == '+' || line[i] == '-')) ++i;
  return i < line.size() && std::isxdigit(static_cast<unsigned char>(line[i])) != 0;
}

bool status_has_no_body(int status) noexcept {
  return status / 100 == 1 || status == 204 || status == 304;
}

template <typename Message>
void process_header(std::string_view line, Message& m) {
  const std::size_t colon = line.find(':');
  const std::string_view name = line.substr(0, colon);
  if (name.empty()) return;
  for (char c : name) {
    if (!is_token_char(c)) return;  // tshark shows the line but does not use it
  }
  std::size_t v = colon + 1;
  while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
  const std::string_view value = line.substr(v);
  if (iequals(name, "host")) {
    m.hosts.push_back(ascii_field(value));
  } else if (iequals(name, "user-agent")) {
    if (m.user_agent.empty()) m.user_agent = ascii_field(value);
  } else if (iequals(name, "content-length")) {
    m.have_cl = parse_content_length(c_string(value), m.cl);
  } else if (iequals(name, "transfer-encoding")) {
    m.te = true;
    parse_transfer_coding(c_string(value), m.chunked, m.te_coding);
  }
}

// What req_resp_hdrs_do_reassembly() reads from a header line.
template <typename Message>
void reassembly_header(std::string_view line, Message& m) {
  if (line.empty()) return;
  const char first = line.front();
  if (first != 'c' && first != 'C' && first != 't' && first != 'T') return;
  if (istarts_with(line, "Content-Length:")) {
    std::int64_t cl = 0;
    if (parse_reassembly_length(c_string(line.substr(15)), cl)) {
      m.reasm_cl_found = true;
      m.reasm_cl = cl;
    }
  } else if (istarts_with(line, "Transfer-Encoding:")) {
    std::string_view v = line.substr(18);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    if (istarts_with(v, "chunked")) m.reasm_chunked = true;
  }
}

// A request or status line inside a message: tshark re-checks every line.
template <typename Message>
bool message_line(std::string_view line, Message& m) {
  const int kind = classify_line(line);
  if (kind == kOther) return false;
  m.type = kind;
  if (kind == kResponse) {
    m.status = parse_status(line);
  } else {
    parse_request_line(line, m.requests, m.connect);
  }
  return true;
}

// chunked_encoding_dissector() over data that is all there: how many bytes
// the chunked body takes, 0 if not even one chunk-size line.
std::size_t dechunk(std::string_view v, std::size_t pos) noexcept {
  const std::size_t n = v.size();
  std::size_t off = pos;
  std::size_t datalen = n - pos;
  while (datalen > 0) {
    std::size_t end = 0;
    std::size_t next = 0;
    if (!find_line_end(v, off, true, end, next) || end == off) break;
    std::uint64_t size = parse_chunk_size(v.substr(off, end - off));
    if (size > datalen) size = datalen;
    std::uint64_t after = next + size + (size > 0 ? 2 : 0);
    if (after > n) return n - pos;  // tshark runs off the data: everything is gone
    off = static_cast<std::size_t>(after);
    datalen = n - off;
    if (size == 0) {
      // Trailer lines up to a blank line (taken too) or an unfinished line.
      std::size_t t = off;
      std::size_t trailer_len = 0;
      bool blank = false;
      for (;;) {
        trailer_len = t - off;
        std::size_t e = 0;
        std::size_t nx = 0;
        if (!find_line_end(v, t, true, e, nx)) break;
        const bool empty = e == t;
        t = nx;
        if (empty) {
          blank = true;
          break;
        }
      }
      off = blank ? t : off + trailer_len;
      datalen = n - off;
      break;
    }
  }
  return (n - pos) - datalen;
}

}  // namespace

HttpRequestScanner::HttpRequestScanner(std::size_t max_buffer, bool report_after_body) noexcept
    : max_buffer_(max_buffer < 64 ? 64 : max_buffer), report_after_body_(report_after_body) {}

void HttpRequestScanner::on_gap() noexcept {
  if (state_ == State::Done) return;
  resync_ = true;
  held_.clear();  // tshark never completes a body with a hole in it
}

void HttpRequestScanner::on_gap(std::uint64_t missing_bytes) noexcept {
  if (state_ == State::Done) return;
  held_.clear();
  if ((state_ == State::Body || state_ == State::ChunkData) && missing_bytes < body_left_) {
    body_left_ -= missing_bytes;
    return;
  }
  resync_ = true;
}

std::size_t HttpRequestScanner::resume_after_connect(std::vector<HttpRequest>& out) {
  if (state_ != State::Done || !connect_seen_) return 0;
  state_ = saved_state_;
  connect_seen_ = false;
  const std::string tail = std::move(connect_tail_);
  connect_tail_.clear();
  if (tail.empty()) return 0;
  return feed(Bytes(reinterpret_cast<const std::uint8_t*>(tail.data()), tail.size()), out);
}

// What tshark puts in the tree for one message: its request lines and Host
// values join the current frame's lists; with report_after_body_ a message
// that has a body to wait for joins the frame in which that body ends.
void HttpRequestScanner::dissected(MessageState& m, bool hold) {
  Dissected d;
  d.is_request = m.type == kRequest;
  d.lines = std::move(m.requests);
  for (HttpRequest& r : d.lines) r.user_agent = m.user_agent;
  d.hosts.reserve(m.hosts.size());
  for (const std::string& h : m.hosts) d.hosts.push_back(normalise_http_host(h));
  m.requests.clear();
  m.hosts.clear();
  if (hold) {
    held_.push_back(std::move(d));
  } else {
    add_to_frame(d);
  }
}

void HttpRequestScanner::add_to_frame(Dissected& d) {
  frame_has_request_ = frame_has_request_ || d.is_request;
  for (HttpRequest& r : d.lines) frame_lines_.push_back(std::move(r));
  for (std::string& h : d.hosts) frame_hosts_.push_back(std::move(h));
}

void HttpRequestScanner::release() {
  for (Dissected& d : held_) add_to_frame(d);
  held_.clear();
}

// tshark reports a frame's fields as lists and the truth pairs the i-th
// Host value with the i-th request line of the frame (one feed() here);
// nothing is reported unless some message of the frame is a request.
void HttpRequestScanner::flush_frame(std::vector<HttpRequest>& out) {
  if (frame_has_request_) {
    for (std::size_t i = 0; i < frame_lines_.size(); ++i) {
      HttpRequest& r = frame_lines_[i];
      if (i < frame_hosts_.size()) {
        r.has_host = true;
        r.host = std::move(frame_hosts_[i]);
      }
      out.push_back(std::move(r));
    }
  }
  frame_lines_.clear();
  frame_hosts_.clear();
  frame_has_request_ = false;
}

// A carried line's end is searched for only in the bytes not yet searched.
bool HttpRequestScanner::find_line(std::string_view view, std::size_t from, std::size_t& end,
                                   std::size_t& next) const noexcept {
  if (from == 0 && hint_ > 0 && hint_ <= view.size()) {
    return find_line_end(view, hint_, true, end, next);
  }
  return find_line_end(view, from, true, end, next);
}

void HttpRequestScanner::keep(std::string_view tail) {
  // Only an unfinished line is ever carried. Past max_buffer_ its start is
  // kept and the rest dropped until the line ends.
  if (tail.size() > max_buffer_) {
    pending_.assign(tail.substr(0, max_buffer_));
    overlong_ = true;
    overlong_cr_ = tail.back() == '\r';
    scan_from_ = 0;
    return;
  }
  pending_.assign(tail);
  scan_from_ = tail.empty() ? 0 : tail.size() - (tail.back() == '\r' ? 1 : 0);
}

std::size_t HttpRequestScanner::feed(Bytes data, std::vector<HttpRequest>& out) {
  std::size_t malformed = 0;
  if (state_ == State::Done || data.empty()) return 0;
  std::string_view in(reinterpret_cast<const char*>(data.data()), data.size());
  if (resync_) {
    resync_ = false;
    state_ = State::Head;
    in_head_ = false;
    pending_.clear();
    overlong_ = overlong_cr_ = false;
    scan_from_ = 0;
    msg_ = MessageState{};
  }

  std::size_t skipped = 0;  // bytes of `in` consumed before the view starts
  if (overlong_) {
    // Look for the end of the over-long line; its kept start then stands for
    // the whole line.
    std::size_t next = std::string_view::npos;
    if (overlong_cr_) {
      next = in[0] == '\n' ? 1 : 0;
    } else {
      const std::size_t i = in.find_first_of("\r\n");
      if (i != std::string_view::npos) {
        if (in[i] == '\n') {
          next = i + 1;
        } else if (i + 1 < in.size()) {
          next = in[i + 1] == '\n' ? i + 2 : i + 1;
        } else {
          overlong_cr_ = true;
          return 0;
        }
      }
    }
    if (next == std::string_view::npos) return 0;
    overlong_ = overlong_cr_ = false;
    pending_.push_back('\n');
    skipped = next;
    in.remove_prefix(next);
  }

  if (pending_.empty()) {
    const std::size_t carry = run(in, 0, 0, malformed);
    if (carry < in.size()) keep(in.substr(carry));
  } else {
    const std::size_t carried = pending_.size();
    const std::size_t hint = scan_from_;
    std::string work;
    work.swap(pending_);
    work.append(in);
    scan_from_ = 0;
    const std::size_t carry = run(work, carried, hint, malformed);
    if (carry < work.size()) keep(std::string_view(work).substr(carry));
  }
  if (state_ == State::Done && connect_seen_) tunnel_offset_ += skipped;
  flush_frame(out);
  return malformed;
}

// Processes `view` (carried bytes + this segment). Returns where an
// unfinished line starts that must be carried, or view.size().
std::size_t HttpRequestScanner::run(std::string_view view, std::size_t carried, std::size_t hint,
                                    std::size_t& malformed) {
  const std::size_t n = view.size();
  std::size_t pos = 0;
  hint_ = hint;
  while (pos < n) {
    switch (state_) {
      case State::Done:
        return n;
      case State::Body:
      case State::ChunkData: {
        const std::uint64_t k = std::min<std::uint64_t>(body_left_, n - pos);
        pos += static_cast<std::size_t>(k);
        body_left_ -= k;
        if (body_left_ > 0) break;
        if (state_ == State::Body) {
          release();
          state_ = State::Head;
        } else {
          state_ = State::ChunkSize;
        }
        break;
      }
      case State::ChunkSize: {
        std::size_t end = 0;
        std::size_t next = 0;
        if (!find_line(view, pos, end, next)) return pos;
        if (end == pos) {
          // No chunk-size line: tshark ends the body here, or, if it read
          // no chunk at all, gives up on the rest of the segment.
          release();
          state_ = State::Head;
          if (!chunk_consumed_ || swallow_chunks_) {
            swallow_chunks_ = false;
            ++malformed;
            return n;
          }
          break;
        }
        const std::string_view size_line = view.substr(pos, end - pos);
        const std::uint32_t size = parse_chunk_size(size_line);
        pos = next;
        chunk_consumed_ = true;
        // tshark stops gathering data when it cannot read a size (the body
        // is then parsed as it is) or the size is absurd (the rest of the
        // data is taken as that chunk).
        if (!has_chunk_size(size_line)) release();
        if (size > (1u << 31)) {
          release();
          swallow_chunks_ = false;
          ++malformed;
          state_ = State::Head;
          return n;
        }
        if (size == 0) {
          state_ = State::ChunkTrailer;
          trailer_started_ = false;
        } else {
          body_left_ = std::uint64_t{size} + 2;  // data and its CRLF, whatever those two are
          state_ = State::ChunkData;
        }
        break;
      }
      case State::ChunkTrailer: {
        std::size_t end = 0;
        std::size_t next = 0;
        if (!find_line(view, pos, end, next)) {
          if (!trailer_started_) {
            if (view.back() == '\r') {
              // tshark's reassembly reads past the data when the line after
              // the last chunk stops at a CR ending the segment, and loses
              // the whole message.
              held_.clear();
              state_ = State::Head;
              ++malformed;
              return n;
            }
            return pos;
          }
          // tshark's body ended with this segment; what is left is looked
          // at as the start of the next message.
          state_ = State::Head;
          break;
        }
        if (!trailer_started_) {
          trailer_started_ = true;
          release();  // the last chunk and one more line: tshark has the body
          if (swallow_chunks_) {
            // tshark gathered these chunks but took the data as one opaque body.
            swallow_chunks_ = false;
            state_ = State::Head;
            return n;
          }
        }
        if (end == pos) state_ = State::Head;
        pos = next;
        break;
      }
      case State::Head: {
        if (!in_head_) {
          bool carry = false;
          const std::size_t at = start_message(view, pos, carried, carry, malformed);
          if (carry) return at;
          pos = at;
          break;
        }
        std::size_t end = 0;
        std::size_t next = 0;
        if (!find_line(view, pos, end, next)) return pos;
        const std::string_view line = view.substr(pos, end - pos);
        if (line.empty()) {
          pos = end_of_head(view, next, carried, malformed);
          break;
        }
        reassembly_header(line, msg_);
        pos = next;
        if (msg_.poisoned || message_line(line, msg_)) break;
        if (line.find(':') != std::string_view::npos) {
          process_header(line, msg_);
        } else {
          msg_.poisoned = true;  // tshark's header parsing stops at this line
        }
        break;
      }
    }
  }
  if (state_ == State::ChunkTrailer && trailer_started_) state_ = State::Head;
  return n;
}

std::size_t HttpRequestScanner::start_message(std::string_view view, std::size_t pos,
                                              std::size_t carried, bool& carry,
                                              std::size_t& malformed) {
  const std::size_t n = view.size();
  // One CRLF before a message is ignored, when tshark sees at least 4 bytes.
  if (n - pos > 3 && view[pos] == '\r' && view[pos + 1] == '\n') pos += 2;
  const auto first = static_cast<unsigned char>(view[pos]);
  if (first < 0x20 || first > 0x7e) {
    ++malformed;  // binary: tshark drops the rest of the segment
    return n;
  }
  std::size_t end = 0;
  std::size_t next = 0;
  if (!find_line(view, pos, end, next)) {
    carry = true;
    return pos;
  }
  const std::string_view line = view.substr(pos, end - pos);
  if (classify_line(line) == kOther) {
    return continuation(view, pos, carried, malformed);
  }
  msg_ = MessageState{};
  message_line(line, msg_);
  in_head_ = true;
  return next;
}

std::size_t HttpRequestScanner::end_of_head(std::string_view view, std::size_t pos,
                                            std::size_t carried, std::size_t& malformed) {
  in_head_ = false;
  if (msg_.type == kResponse && !status_has_no_body(msg_.status) && !msg_.reasm_cl_found &&
      !msg_.reasm_chunked) {
    // tshark waits for the end of the connection before it looks at a
    // response without a length: nothing more of this direction counts.
    msg_ = MessageState{};
    state_ = State::Done;
    return view.size();
  }
  const bool connect = msg_.type == kRequest && msg_.connect;
  const bool waits = report_after_body_ && !connect &&
                     ((msg_.reasm_cl_found && msg_.reasm_cl > 0) || msg_.reasm_chunked);
  dissected(msg_, waits);
  const std::size_t next = body_after_head(view, pos, malformed);
  if (connect) return enter_tunnel(view, pos, next, carried);
  return next;
}

// A CONNECT head: what follows is the tunnel, unless the proxy refuses, in
// which case tshark goes on as after any request (resume_after_connect()).
std::size_t HttpRequestScanner::enter_tunnel(std::string_view view, std::size_t head_end,
                                             std::size_t next, std::size_t carried) {
  tunnel_offset_ = head_end > carried ? head_end - carried : 0;
  connect_tail_.assign(next < view.size() ? view.substr(next) : std::string_view());
  saved_state_ = state_;
  state_ = State::Done;
  connect_seen_ = true;
  return view.size();
}

std::size_t HttpRequestScanner::body_after_head(std::string_view view, std::size_t pos,
                                                std::size_t& malformed) {
  if (msg_.poisoned) return swallow(view, pos, malformed);
  const std::size_t n = view.size();
  if (msg_.have_cl && !msg_.te) {
    if (!msg_.reasm_chunked && msg_.reasm_cl_found &&
        static_cast<std::uint64_t>(msg_.reasm_cl) == msg_.cl) {
      body_left_ = msg_.cl;
      state_ = msg_.cl > 0 ? State::Body : State::Head;
      if (msg_.cl == 0) release();
      return pos;
    }
    // tshark gathered a different amount than the length it then reads:
    // the body is cut at the end of what it has.
    release();
    state_ = State::Head;
    if (msg_.reasm_chunked || msg_.reasm_cl_found) return swallow(view, pos, malformed);
    return pos + static_cast<std::size_t>(std::min<std::uint64_t>(msg_.cl, n - pos));
  }
  if (!msg_.te &&
      (msg_.type == kRequest || (msg_.type == kResponse && status_has_no_body(msg_.status)))) {
    release();
    state_ = State::Head;
    return pos;
  }
  if (msg_.chunked && msg_.reasm_chunked) {
    state_ = State::ChunkSize;
    chunk_consumed_ = false;
    swallow_chunks_ = false;
    return pos;
  }
  if (msg_.chunked && !msg_.reasm_cl_found) {
    // Chunks tshark did not wait for ("gzip, chunked"): it reads those in
    // this segment and starts the next message where they stop.
    release();
    state_ = State::Head;
    const std::size_t used = dechunk(view, pos);
    if (used > 0) return pos + used;
    ++malformed;
    return n;
  }
  return swallow(view, pos, malformed);
}

// The rest of the data tshark gathered for this message is body or junk to
// it. That data ends with this segment, unless tshark had to wait for a
// Content-Length body or for chunks running into later segments.
std::size_t HttpRequestScanner::swallow(std::string_view view, std::size_t pos,
                                        std::size_t& malformed) {
  ++malformed;
  if (msg_.reasm_chunked) {
    state_ = State::ChunkSize;
    chunk_consumed_ = false;
    swallow_chunks_ = true;
    return pos;
  }
  if (msg_.reasm_cl_found && static_cast<std::uint64_t>(msg_.reasm_cl) > view.size() - pos) {
    body_left_ = static_cast<std::uint64_t>(msg_.reasm_cl);
    state_ = State::Body;
    return pos;
  }
  release();
  state_ = State::Head;
  return view.size();
}

// A message whose first line is no request or status line: tshark does not
// wait for more data but still reads the lines it has, and a request line
// among them counts.
std::size_t HttpRequestScanner::continuation(std::string_view view, std::size_t pos,
                                             std::size_t carried, std::size_t& malformed) {
  const std::size_t n = view.size();
  MessageState m;
  bool saw_line = false;
  while (pos < n) {
    std::size_t end = 0;
    std::size_t next = 0;
    find_line_end(view, pos, false, end, next);
    const std::string_view line = view.substr(pos, end - pos);
    if (message_line(line, m)) {
      saw_line = true;
      pos = next;
      continue;
    }
    if (line.empty()) {
      pos = next;
      break;
    }
    if (line.find(':') != std::string_view::npos) {
      process_header(line, m);
      saw_line = true;
      pos = next;
      continue;
    }
    if (saw_line && end == n) {
      // tshark throws here: what it read stays in the tree, but this
      // message is not marked as a request.
      m.type = kOther;
      dissected(m, false);
      ++malformed;
      return n;
    }
    break;
  }
  const bool connect = m.type == kRequest && m.connect;
  dissected(m, false);
  std::size_t next = n;
  if (m.have_cl && !m.te) {
    next = pos + static_cast<std::size_t>(std::min<std::uint64_t>(m.cl, n - pos));
  } else if (!m.te &&
             (m.type == kRequest || (m.type == kResponse && status_has_no_body(m.status)))) {
    next = pos;
  } else if (m.chunked && dechunk(view, pos) > 0) {
    next = pos + dechunk(view, pos);
  } else if (m.type == kOther || m.type == kNotification) {
    ++malformed;
  }
  if (connect) return enter_tunnel(view, pos, next, carried);
  return next;
}

bool looks_like_http_request(Bytes data) noexcept {
  const std::string_view v(reinterpret_cast<const char*>(data.data()), data.size());
  std::size_t end = 0;
  std::size_t next = 0;
  if (!find_line_end(v, 0, true, end, next) || end == 8) return false;
  if (istarts_with(v, "HTTP/1.")) return true;
  return end >= 8 && istarts_with(v.substr(end - 8), "HTTP/1.");
}

bool is_http_request_method(std::string_view token) noexcept {
  if (token.empty() || token.find(' ') != std::string_view::npos) return false;
  return classify_line(token) == kRequest;
}

std::string normalise_http_host(std::string_view raw) {
  while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) raw.remove_prefix(1);
  std::string h(raw);
  for (char& c : h) c = ascii_lower(c);
  if (!h.empty() && h.front() == '[') {
    h.erase(0, 1);
    const std::size_t close = h.find(']');
    if (close != std::string::npos) h.erase(close);
  } else if (std::count(h.begin(), h.end(), ':') == 1) {
    h.erase(h.find(':'));
  }
  while (!h.empty() && h.back() == '.') h.pop_back();
  return h;
}

}  // namespace vigil::inspect
