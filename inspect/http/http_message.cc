#include "inspect/http/http_message.h"

#include <algorithm>
#include <cstring>

#include "inspect/http/http_request.h"

namespace vigil::inspect {
namespace {

// A chunk-size line (with extensions) or a trailer field longer than this
// is not HTTP.
constexpr std::size_t kMaxLine = 4096;
// No chunk or body this large is believed.
constexpr std::uint64_t kMaxLength = std::uint64_t{1} << 50;

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// "HTTP/d.d DDD": the start of a status line. Browsers read any version
// (and any case) here, so a server cannot hide a page behind "HTTP/2.0".
bool is_status_line_start(std::string_view s) noexcept {
  if (s.size() < 12 || !iequals(s.substr(0, 5), "HTTP/")) return false;
  if (!is_digit(s[5]) || s[6] != '.' || !is_digit(s[7]) || s[8] != ' ') return false;
  return s[9] >= '1' && s[9] <= '5' && is_digit(s[10]) && is_digit(s[11]);
}

// A decimal Content-Length; a list of equal values counts as one (RFC 9110
// 8.6). Returns false for anything else.
bool parse_length(std::string_view v, std::uint64_t& out) noexcept {
  bool any = false;
  std::uint64_t value = 0;
  while (!v.empty()) {
    const std::size_t comma = v.find(',');
    const std::string_view item = trim(v.substr(0, comma));
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    if (item.empty()) return false;
    std::uint64_t x = 0;
    for (char c : item) {
      if (c < '0' || c > '9') return false;
      x = x * 10 + static_cast<std::uint64_t>(c - '0');
      if (x > kMaxLength) return false;
    }
    if (any && x != value) return false;
    value = x;
    any = true;
  }
  if (!any) return false;
  out = value;
  return true;
}

// The last coding of a Transfer-Encoding list.
bool ends_chunked(std::string_view te) noexcept {
  const std::size_t comma = te.rfind(',');
  const std::string_view last = trim(comma == std::string_view::npos ? te : te.substr(comma + 1));
  return iequals(last, "chunked");
}

}  // namespace

void HttpMessageScanner::malformed() {
  if (in_message_) end_message(false);
  sink_.on_malformed();
  buf_.clear();
  searched_ = 0;
  state_ = State::Resync;
}

void HttpMessageScanner::end_message(bool complete) {
  in_message_ = false;
  reading_ = false;
  sink_.on_message_end(complete);
}

bool HttpMessageScanner::looks_like_start(Bytes data) const noexcept {
  const std::string_view v(reinterpret_cast<const char*>(data.data()),
                           std::min<std::size_t>(data.size(), 24));
  if (role_ == Role::Response) return is_status_line_start(v);
  const std::size_t space = v.find(' ');
  return space != std::string_view::npos && is_http_request_method(v.substr(0, space));
}

void HttpMessageScanner::on_gap(std::uint64_t missing) noexcept {
  switch (state_) {
    case State::Done:
    case State::Resync:
      return;
    case State::ToClose:
      if (reading_) sink_.on_body_gap();
      return;
    case State::Body:
    case State::ChunkData:
      if (missing > 0 && missing <= left_) {
        left_ -= missing;
        if (reading_) sink_.on_body_gap();
        if (left_ == 0) {
          if (state_ == State::Body) {
            end_message(true);
            state_ = State::Head;
          } else {
            state_ = State::ChunkEnd;
          }
        }
        return;
      }
      break;
    default:
      break;
  }
  if (in_message_) end_message(false);
  buf_.clear();
  searched_ = 0;
  resync_bytes_ = 0;
  state_ = State::Resync;
}

void HttpMessageScanner::finish() noexcept {
  if (state_ == State::ToClose) {
    end_message(true);
  } else if (in_message_) {
    end_message(false);
  }
  buf_.clear();
  buf_.shrink_to_fit();
  state_ = State::Done;
}

void HttpMessageScanner::feed(Bytes data) noexcept {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  if (state_ == State::Resync) {
    if (!looks_like_start(data)) {
      resync_bytes_ += n;
      if (resync_bytes_ > kMaxResyncBytes) state_ = State::Done;
      return;
    }
    resync_bytes_ = 0;
    state_ = State::Head;
  }
  while (n > 0) {
    std::size_t used = 0;
    switch (state_) {
      case State::Done:
      case State::Resync:
        return;
      case State::Head:
        used = on_head_bytes(p, n);
        break;
      case State::Body:
      case State::ChunkData:
        used = on_body_bytes(p, n, left_);
        left_ -= used;
        if (left_ == 0) {
          if (state_ == State::Body) {
            end_message(true);
            state_ = State::Head;
          } else {
            state_ = State::ChunkEnd;
          }
        }
        break;
      case State::ToClose:
        used = on_body_bytes(p, n, n);
        if (!reading_) {
          // Skipped to the end of the connection: nothing more to learn here.
          end_message(true);
          state_ = State::Done;
          return;
        }
        break;
      case State::ChunkEnd:
        // CRLF after the data; a bare LF is accepted, anything else is not chunked coding.
        if (p[0] == '\r' && buf_.empty()) {
          buf_.push_back('\r');
          used = 1;
        } else if (p[0] == '\n') {
          buf_.clear();
          state_ = State::ChunkSize;
          used = 1;
        } else {
          malformed();
          return;
        }
        break;
      case State::ChunkSize:
      case State::Trailer: {
        bool complete = false;
        used = on_line(p, n, complete);
        if (state_ == State::Resync) return;
        if (!complete) break;
        std::string_view line(buf_);
        if (state_ == State::ChunkSize) {
          const std::size_t semi = line.find(';');
          line = trim(line.substr(0, semi));
          std::uint64_t size = 0;
          bool ok = !line.empty() && line.size() <= 13;
          for (char c : line) {
            const char l = lower(c);
            int v = -1;
            if (l >= '0' && l <= '9') v = l - '0';
            if (l >= 'a' && l <= 'f') v = l - 'a' + 10;
            if (v < 0) {
              ok = false;
              break;
            }
            size = size * 16 + static_cast<std::uint64_t>(v);
          }
          buf_.clear();
          if (!ok) {
            malformed();
            return;
          }
          if (size == 0) {
            state_ = State::Trailer;
          } else {
            left_ = size;
            state_ = State::ChunkData;
          }
        } else {
          const bool last = line.empty();
          buf_.clear();
          if (last) {
            end_message(true);
            state_ = State::Head;
          }
        }
        break;
      }
    }
    p += used;
    n -= used;
  }
}

// Gathers one line of chunked framing into buf_ (without its line end).
std::size_t HttpMessageScanner::on_line(const std::uint8_t* p, std::size_t n, bool& complete) {
  const void* lf = std::memchr(p, '\n', n);
  const std::size_t take =
      lf == nullptr ? n : static_cast<std::size_t>(static_cast<const std::uint8_t*>(lf) - p);
  if (buf_.size() + take > kMaxLine) {
    malformed();
    return n;
  }
  buf_.append(reinterpret_cast<const char*>(p), take);
  if (lf == nullptr) return n;
  if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
  complete = true;
  return take + 1;
}

std::size_t HttpMessageScanner::on_body_bytes(const std::uint8_t* p, std::size_t n,
                                              std::uint64_t limit) {
  const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(n, limit));
  if (reading_ && !sink_.on_body(Bytes(p, k))) reading_ = false;
  return k;
}

std::size_t HttpMessageScanner::on_head_bytes(const std::uint8_t* p, std::size_t n) {
  std::size_t i = 0;
  if (buf_.empty()) {
    // Empty lines before a message are ignored (RFC 9112 2.2).
    while (i < n && (p[i] == '\r' || p[i] == '\n')) ++i;
    if (i == n) return n;
    searched_ = 0;
  }
  // Take bytes up to the end of the head, if it is in this piece.
  const std::size_t start = buf_.size();
  const std::size_t avail = n - i;
  const std::size_t room = kMaxHead - std::min(kMaxHead, start);
  const std::size_t take = std::min(avail, room + 1);
  buf_.append(reinterpret_cast<const char*>(p + i), take);
  // The first bytes must start a message; no need to wait for the rest of a
  // head of binary junk.
  if (start < 24 &&
      !looks_like_start(Bytes(reinterpret_cast<const std::uint8_t*>(buf_.data()), buf_.size()))) {
    const std::string_view v(buf_);
    bool can_wait = false;  // a prefix of a start line is fine while it lasts
    if (role_ == Role::Response) {
      const std::string_view want = "HTTP/";
      const std::size_t k = std::min(v.size(), want.size());
      can_wait = v.size() < 12 && iequals(want.substr(0, k), v.substr(0, k));
    } else {
      can_wait = v.size() < 24 && std::all_of(v.begin(), v.end(), is_tchar);
    }
    if (!can_wait) {
      malformed();
      return n;
    }
  }
  // Look for the blank line: "\n\n" or "\n\r\n".
  std::size_t from = searched_ > 2 ? searched_ - 2 : 0;
  std::size_t end = std::string::npos;
  std::size_t body_at = 0;
  for (std::size_t k = from; k < buf_.size(); ++k) {
    if (buf_[k] != '\n') continue;
    if (k + 1 < buf_.size() && buf_[k + 1] == '\n') {
      end = k;
      body_at = k + 2;
      break;
    }
    if (k + 2 < buf_.size() && buf_[k + 1] == '\r' && buf_[k + 2] == '\n') {
      end = k;
      body_at = k + 3;
      break;
    }
  }
  searched_ = buf_.size();
  if (end == std::string::npos) {
    if (buf_.size() > kMaxHead) {
      malformed();
      return n;
    }
    return n;
  }
  // Bytes of this piece past the head are not part of it.
  const std::size_t extra = buf_.size() - body_at;
  const std::size_t used = n - (avail - take) - extra;
  HttpHead head;
  const bool ok = parse_head(std::string_view(buf_).substr(0, end + 1), head);
  buf_.clear();
  searched_ = 0;
  if (!ok) {
    malformed();
    return n;
  }
  start_body(head);
  return used;
}

bool HttpMessageScanner::parse_head(std::string_view head, HttpHead& h) const {
  std::size_t eol = head.find('\n');
  std::string_view first = trim(head.substr(0, eol));
  head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 1);
  if (role_ == Role::Response) {
    if (!is_status_line_start(first)) return false;
    h.response = true;
    h.status = (first[9] - '0') * 100 + (first[10] - '0') * 10 + (first[11] - '0');
  } else {
    const std::size_t sp1 = first.find(' ');
    if (sp1 == std::string_view::npos) return false;
    const std::size_t sp2 = first.find(' ', sp1 + 1);
    h.method.assign(first.substr(0, sp1));
    if (!is_http_request_method(h.method)) return false;
    h.target.assign(
        first.substr(sp1 + 1, sp2 == std::string_view::npos ? first.npos : sp2 - sp1 - 1));
  }
  bool length_seen = false;
  bool length_bad = false;
  std::string te;
  std::string* last = nullptr;  // the kept field an obs-fold line continues
  while (!head.empty()) {
    eol = head.find('\n');
    std::string_view line = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (last != nullptr) {
        last->push_back(' ');
        last->append(trim(line));
      }
      continue;
    }
    last = nullptr;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // not a field; browsers shrug too
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-type")) {
      if (h.content_type.empty()) {
        h.content_type.assign(value);
        last = &h.content_type;
      }
    } else if (iequals(name, "content-encoding")) {
      if (!h.content_encoding.empty()) h.content_encoding.push_back(',');
      h.content_encoding.append(value);
      last = &h.content_encoding;
    } else if (iequals(name, "transfer-encoding")) {
      if (!te.empty()) te.push_back(',');
      te.append(value);
      last = &te;
    } else if (iequals(name, "content-length")) {
      std::uint64_t v = 0;
      if (!parse_length(value, v) || (length_seen && v != h.length)) {
        length_bad = true;
      } else {
        h.length = v;
        length_seen = true;
      }
    } else if (iequals(name, "host")) {
      if (role_ == Role::Request && h.host.empty()) h.host = normalise_http_host(value);
    } else if (iequals(name, "upgrade")) {
      h.upgrade = true;
    }
  }
  if (!te.empty()) {
    h.chunked = ends_chunked(te);
    // A request whose last coding is not chunked has no knowable length.
    if (!h.chunked && role_ == Role::Request) return false;
    return true;  // Transfer-Encoding overrides Content-Length
  }
  if (length_bad) return false;
  h.has_length = length_seen;
  return true;
}

void HttpMessageScanner::start_body(const HttpHead& h) {
  state_ = State::Head;
  if (h.response && h.status == 101) {
    state_ = State::Done;  // switching protocols
    return;
  }
  if (h.response && h.status < 200) return;  // interim: the final response follows
  const BodyPlan plan = sink_.on_head(h);
  in_message_ = true;
  reading_ = plan == BodyPlan::Read;
  if (plan == BodyPlan::Tunnel) {
    in_message_ = false;
    reading_ = false;
    sink_.on_message_end(true);
    state_ = State::Done;
    return;
  }
  const bool no_body =
      plan == BodyPlan::None || (h.response && (h.status == 204 || h.status == 304));
  if (no_body) {
    end_message(true);
    return;
  }
  if (h.chunked) {
    buf_.clear();
    state_ = State::ChunkSize;
  } else if (h.has_length) {
    if (h.length == 0) {
      end_message(true);
      return;
    }
    left_ = h.length;
    state_ = State::Body;
  } else if (h.response) {
    state_ = State::ToClose;
    if (!reading_) {
      end_message(true);  // skipped to the end of the connection: nothing more to learn
      state_ = State::Done;
    }
  } else {
    end_message(true);  // a request without a length has no body
  }
}

bool looks_like_http_response(Bytes data) noexcept {
  return is_status_line_start(std::string_view(reinterpret_cast<const char*>(data.data()),
                                               std::min<std::size_t>(data.size(), 16)));
}

}  // namespace vigil::inspect
