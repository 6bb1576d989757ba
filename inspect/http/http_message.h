#pragma once
// HTTP/1.x message framing over one reassembled TCP direction, by RFC 9112
// (not by tshark's reading, which http_request.h keeps for the corpus):
// start line, the header fields that frame and describe a body, and the
// body itself by Content-Length, chunked coding or connection close, message
// after message (pipelining). Used on the server side to read responses
// and on the client side to pair them with their requests and to read form
// posts.
//
// Bodies reach the sink only when it asks for them; the others are skipped
// by length without being looked at. A gap of known size inside a body is
// skipped too (the sink hears that its body has a hole); any other gap, or
// bytes that frame no message, make the scanner wait for a segment that
// starts with a message head.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

struct HttpHead {
  bool response = false;
  int status = 0;      // responses
  std::string method;  // requests
  std::string target;  // requests: the request-target as sent
  std::string host;    // requests: Host, normalised (normalise_http_host)
  std::string content_type;
  std::string content_encoding;  // every Content-Encoding field, joined with ','
  bool chunked = false;          // Transfer-Encoding ends in chunked
  bool has_length = false;
  std::uint64_t length = 0;  // Content-Length
  bool upgrade = false;      // an Upgrade field was present
};

// What the sink wants done with the body that follows a head.
enum class BodyPlan : std::uint8_t {
  Read,    // hand it over
  Skip,    // skip it by its length
  None,    // there is none, whatever the fields say (the response to HEAD)
  Tunnel,  // the connection stops carrying HTTP (a 2xx to CONNECT)
};

class HttpMessageSink {
 public:
  // A head was read. Interim responses (1xx other than 101) are not given.
  virtual BodyPlan on_head(const HttpHead& head) noexcept = 0;
  // Body bytes (chunked coding removed) of a message planned Read. Returning
  // false skips the rest of that body.
  virtual bool on_body(Bytes data) noexcept = 0;
  // Bytes of the body being read were lost; later ones still follow.
  virtual void on_body_gap() noexcept {}
  // The message is over. `complete` is false when it was cut short (a gap
  // it could not be read past, or the end of the stream before its end).
  virtual void on_message_end(bool complete) noexcept = 0;
  // Bytes that frame no message were met (and skipped).
  virtual void on_malformed() noexcept {}

 protected:
  ~HttpMessageSink() = default;
};

class HttpMessageScanner {
 public:
  enum class Role : std::uint8_t { Request, Response };

  HttpMessageScanner(Role role, HttpMessageSink& sink) noexcept : role_(role), sink_(sink) {}

  // The next bytes of the stream, in order; each call is taken to be one
  // TCP segment (a head is looked for at a segment start after a loss).
  void feed(Bytes data) noexcept;
  // Bytes were lost before the next feed(); `missing` is how many, or 0
  // when unknown.
  void on_gap(std::uint64_t missing) noexcept;
  // End of the stream: a body running to connection close is complete.
  void finish() noexcept;

  // Nothing more will be read: a tunnel or protocol switch, a body that runs
  // to the end of the connection and is skipped, or too much that is not HTTP.
  [[nodiscard]] bool done() const noexcept { return state_ == State::Done; }
  // Waiting for a segment that starts with a message head (after a loss or
  // bytes that framed nothing).
  [[nodiscard]] bool resyncing() const noexcept { return state_ == State::Resync; }

  // A head (start line and fields) longer than this is not HTTP.
  static constexpr std::size_t kMaxHead = 32 * 1024;
  // After this many bytes without a message head the direction is given up.
  static constexpr std::uint64_t kMaxResyncBytes = 16u << 20;

 private:
  enum class State : std::uint8_t {
    Head,
    Body,       // Content-Length body
    ToClose,    // body running to the end of the connection
    ChunkSize,  // reading a chunk-size line
    ChunkData,  // inside a chunk
    ChunkEnd,   // the CRLF after a chunk's data
    Trailer,    // trailer fields after the last chunk
    Resync,
    Done,
  };

  std::size_t on_head_bytes(const std::uint8_t* p, std::size_t n);
  bool parse_head(std::string_view head, HttpHead& h) const;
  void start_body(const HttpHead& h);
  std::size_t on_body_bytes(const std::uint8_t* p, std::size_t n, std::uint64_t limit);
  std::size_t on_line(const std::uint8_t* p, std::size_t n, bool& complete);
  bool looks_like_start(Bytes data) const noexcept;
  void end_message(bool complete);
  void malformed();

  Role role_;
  HttpMessageSink& sink_;
  State state_ = State::Head;
  bool reading_ = false;      // the current body goes to the sink
  bool in_message_ = false;   // a head was given to the sink and its end was not
  std::string buf_;           // head or line being gathered
  std::size_t searched_ = 0;  // bytes of buf_ already searched for the head's end
  std::uint64_t left_ = 0;    // bytes left of the body or chunk
  std::uint64_t resync_bytes_ = 0;
};

// The bytes start with an HTTP/1.x status line ("HTTP/1.1 200").
bool looks_like_http_response(Bytes data) noexcept;

}  // namespace vigil::inspect
