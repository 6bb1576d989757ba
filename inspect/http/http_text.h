#pragma once
// The readable text of one plain-HTTP connection: every response body that
// is text (HTML, plain text, JSON, XML), decompressed and stripped of
// markup, and every URL-encoded form the client posts, each labelled with
// the method, host and request-target of its request.
//
// Responses are paired with the requests of the connection in order, which
// is also how a response to HEAD (no body, whatever its Content-Length
// says) is known. After bytes of the server side are lost, the response
// found next is taken to answer the newest request still waiting: clients
// rarely pipeline, so older waiting requests had their answers in the gap.
//
// Work and memory are bounded: text per body (max_text_bytes), decoded
// bytes per response (max_decoded_bytes), decoded bytes per compressed byte
// over the connection (max_ratio, beyond a first MiB), and decoder state and
// held text across all connections of one Inspector (HttpMemoryBudget:
// decoders are refused, text is handed over early). Each bound reached is
// counted.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inspect/counters.h"
#include "inspect/http/body_text.h"
#include "inspect/http/content_decoder.h"
#include "inspect/http/http_message.h"
#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

struct HttpTextLimits {
  std::size_t max_text_bytes = 64 * 1024;
  std::size_t max_decoded_bytes = 1u << 20;
  std::uint32_t max_ratio = 50;
};

struct HttpText {
  std::string text;  // UTF-8, whitespace collapsed
  std::string method;
  std::string host;
  std::string target;
  std::uint16_t status = 0;  // of the response; 0 for a form the client posted
};

class HttpTextCollector {
 public:
  // `budget` and `counters` must outlive the collector.
  HttpTextCollector(const HttpTextLimits& limits, HttpMemoryBudget& budget, Counters& counters);
  ~HttpTextCollector();
  HttpTextCollector(const HttpTextCollector&) = delete;
  HttpTextCollector& operator=(const HttpTextCollector&) = delete;

  // Reassembled bytes of each side, one TCP segment per call. `gap`: bytes
  // were lost before `data` (`missing` of them, 0 if unknown).
  void on_client_data(Bytes data, bool gap, std::uint64_t missing, std::vector<HttpText>& out);
  void on_server_data(Bytes data, bool gap, std::uint64_t missing, std::vector<HttpText>& out);

  // End of the connection: a body running to its close ends here, and text
  // of bodies cut short is handed over.
  void finish(std::vector<HttpText>& out);

  // Nothing more can be read from the server side (tunnel, protocol switch,
  // a skipped body running to the close, or not HTTP).
  [[nodiscard]] bool server_done() const noexcept { return response_scanner_.done(); }

  // Decoded bytes the connection may still produce from compressed bodies.
  static constexpr std::uint64_t kRatioFloor = 1u << 20;

 private:
  struct Pending {
    std::string method;
    std::string host;
    std::string target;
  };

  // One body being read for text, on either side.
  struct Reading final : DecodeOutput {
    explicit Reading(HttpTextCollector& c) : owner(c) {}
    bool write(std::string_view block) override;

    HttpTextCollector& owner;
    BodyText text;
    ContentDecoder decoder;
    HttpText meta;  // labels (text empty until handed over)
    bool active = false;
    bool compressed = false;
    bool capped_counted = false;
    std::uint64_t decoded = 0;
    std::size_t charged = 0;  // bytes of text charged to the memory budget
  };

  struct ResponseSink final : HttpMessageSink {
    explicit ResponseSink(HttpTextCollector& c) : owner(c) {}
    BodyPlan on_head(const HttpHead& head) noexcept override;
    bool on_body(Bytes data) noexcept override;
    void on_body_gap() noexcept override;
    void on_message_end(bool complete) noexcept override;
    void on_malformed() noexcept override;
    HttpTextCollector& owner;
  };

  struct RequestSink final : HttpMessageSink {
    explicit RequestSink(HttpTextCollector& c) : owner(c) {}
    BodyPlan on_head(const HttpHead& head) noexcept override;
    bool on_body(Bytes data) noexcept override;
    void on_body_gap() noexcept override;
    void on_message_end(bool complete) noexcept override;
    HttpTextCollector& owner;
  };

  bool feed_reading(Reading& r, Bytes data);
  bool accept_block(Reading& r, std::string_view block);
  void charge(Reading& r);
  void hand_over(Reading& r);
  void stop(Reading& r);

  HttpTextLimits limits_;
  HttpMemoryBudget& budget_;
  Counters& counters_;
  ResponseSink response_sink_{*this};
  RequestSink request_sink_{*this};
  HttpMessageScanner response_scanner_{HttpMessageScanner::Role::Response, response_sink_};
  HttpMessageScanner request_scanner_{HttpMessageScanner::Role::Request, request_sink_};
  std::vector<Pending> pending_;  // oldest first
  bool server_lost_ = false;      // server bytes were lost since the last response head
  Reading response_{*this};
  std::unique_ptr<Reading> form_;    // made for the first form post
  std::uint64_t compressed_in_ = 0;  // compressed body bytes of the connection
  std::uint64_t decompressed_ = 0;   // and what they decoded to
  std::vector<HttpText>* out_ = nullptr;
};

}  // namespace vigil::inspect
