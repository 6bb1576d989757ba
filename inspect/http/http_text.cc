#include "inspect/http/http_text.h"

#include <algorithm>
#include <utility>

namespace vigil::inspect {
namespace {

// Requests waiting for their response; a client pipelining deeper than
// this is not a browser.
constexpr std::size_t kMaxPending = 32;

}  // namespace

HttpTextCollector::HttpTextCollector(const HttpTextLimits& limits, HttpMemoryBudget& budget,
                                     Counters& counters)
    : limits_(limits), budget_(budget), counters_(counters) {}

HttpTextCollector::~HttpTextCollector() {
  budget_.used -= response_.charged + (form_ ? form_->charged : 0);
}

void HttpTextCollector::on_client_data(Bytes data, bool gap, std::uint64_t missing,
                                       std::vector<HttpText>& out) {
  out_ = &out;
  if (gap) request_scanner_.on_gap(missing);
  request_scanner_.feed(data);
  out_ = nullptr;
}

void HttpTextCollector::on_server_data(Bytes data, bool gap, std::uint64_t missing,
                                       std::vector<HttpText>& out) {
  out_ = &out;
  if (gap) {
    response_scanner_.on_gap(missing);
    if (response_scanner_.resyncing()) server_lost_ = true;
  }
  response_scanner_.feed(data);
  out_ = nullptr;
}

void HttpTextCollector::finish(std::vector<HttpText>& out) {
  out_ = &out;
  request_scanner_.finish();
  response_scanner_.finish();
  out_ = nullptr;
}

// ---------------------------------------------------------------------------
// Reading a body

bool HttpTextCollector::Reading::write(std::string_view block) {
  return owner.accept_block(*this, block);
}

// Every block of decoded body passes here: the bounds on work are applied
// before the text extractor sees it.
bool HttpTextCollector::accept_block(Reading& r, std::string_view block) {
  bool more = true;
  if (r.decoded + block.size() > limits_.max_decoded_bytes) {
    block = block.substr(0, limits_.max_decoded_bytes -
                                std::min<std::uint64_t>(r.decoded, limits_.max_decoded_bytes));
    counters_.bump(Counter::HttpDecodeCapped);
    more = false;
  }
  if (r.compressed) {
    const std::uint64_t allowance = kRatioFloor + std::uint64_t{limits_.max_ratio} * compressed_in_;
    const std::uint64_t room = allowance > decompressed_ ? allowance - decompressed_ : 0;
    if (block.size() > room) {
      block = block.substr(0, room);
      counters_.bump(Counter::HttpDecodeBombs);
      more = false;
    }
    decompressed_ += block.size();
  }
  r.decoded += block.size();
  r.text.feed(block);
  if (r.text.full() && !r.capped_counted) {
    r.capped_counted = true;
    counters_.bump(Counter::HttpTextCapped);
  }
  charge(r);
  return more && !r.text.stopped();
}

// Text waiting for the end of its body is charged to the memory budget;
// when the budget is spent, it is handed over at once instead.
void HttpTextCollector::charge(Reading& r) {
  const std::size_t size = r.text.text().size();
  if (size <= r.charged) return;
  const std::size_t delta = size - r.charged;
  if (budget_.used + delta > budget_.limit) {
    counters_.bump(Counter::HttpTextMemoryFlushes);
    hand_over(r);
    return;
  }
  budget_.used += delta;
  r.charged = size;
}

bool HttpTextCollector::feed_reading(Reading& r, Bytes data) {
  if (!r.active) return false;
  if (r.compressed) compressed_in_ += data.size();
  switch (r.decoder.decode(data, r)) {
    case ContentDecoder::Status::Ok:
    case ContentDecoder::Status::End:
      break;
    case ContentDecoder::Status::Error:
      counters_.bump(Counter::HttpDecodeErrors);
      stop(r);
      return false;
    case ContentDecoder::Status::NoMemory:
      counters_.bump(Counter::HttpDecodeNoMemory);
      stop(r);
      return false;
  }
  // Stop as soon as a bound is reached or nothing more can become text.
  if (r.text.stopped() || r.decoded >= limits_.max_decoded_bytes ||
      (r.compressed &&
       decompressed_ >= kRatioFloor + std::uint64_t{limits_.max_ratio} * compressed_in_)) {
    stop(r);
    return false;
  }
  return true;
}

// No more of this body is read: its text so far is handed over now.
void HttpTextCollector::stop(Reading& r) {
  if (!r.active) return;
  r.active = false;
  r.decoder.reset();
  r.text.finish();
  hand_over(r);
}

void HttpTextCollector::hand_over(Reading& r) {
  budget_.used -= r.charged;
  r.charged = 0;
  if (r.text.text().empty() || out_ == nullptr) return;
  HttpText t = r.meta;
  t.text = r.text.take();
  counters_.bump(Counter::HttpTextBytes, t.text.size());
  out_->push_back(std::move(t));
}

// ---------------------------------------------------------------------------
// Server side

BodyPlan HttpTextCollector::ResponseSink::on_head(const HttpHead& head) noexcept {
  HttpTextCollector& c = owner;
  c.counters_.bump(Counter::HttpResponses);
  if (c.server_lost_) {
    // Answers to the older waiting requests were in the lost bytes.
    if (c.pending_.size() > 1) c.pending_.erase(c.pending_.begin(), c.pending_.end() - 1);
    c.server_lost_ = false;
  }
  Pending req;
  if (!c.pending_.empty()) {
    req = std::move(c.pending_.front());
    c.pending_.erase(c.pending_.begin());
  }
  if (req.method == "HEAD" || head.status == 204 || head.status == 304) return BodyPlan::None;
  if (req.method == "CONNECT" && head.status >= 200 && head.status < 300) return BodyPlan::Tunnel;
  Reading& r = c.response_;
  r.meta.method = std::move(req.method);
  r.meta.host = std::move(req.host);
  r.meta.target = std::move(req.target);
  r.meta.status = static_cast<std::uint16_t>(head.status);
  // Redirect bodies are boilerplate ("Moved Permanently").
  TextFormat format = TextFormat::Plain;
  TextCharset charset = TextCharset::Undeclared;
  if ((head.status >= 300 && head.status < 400) ||
      !text_format_for(head.content_type, format, charset) || format == TextFormat::Form) {
    c.counters_.bump(Counter::HttpBodiesSkipped);
    return BodyPlan::Skip;
  }
  const ContentCoding coding = content_coding_for(head.content_encoding);
  if (coding == ContentCoding::Unsupported) {
    c.counters_.bump(Counter::HttpCodingUnsupported);
    return BodyPlan::Skip;
  }
  r.text.start(format, charset, c.limits_.max_text_bytes);
  r.decoder.start(coding, &c.budget_);
  r.compressed = coding != ContentCoding::Identity;
  r.decoded = 0;
  r.capped_counted = false;
  r.active = true;
  c.counters_.bump(Counter::HttpTextBodies);
  return BodyPlan::Read;
}

bool HttpTextCollector::ResponseSink::on_body(Bytes data) noexcept {
  return owner.feed_reading(owner.response_, data);
}

void HttpTextCollector::ResponseSink::on_body_gap() noexcept {
  if (!owner.response_.active) return;
  owner.counters_.bump(Counter::HttpTextCut);
  owner.stop(owner.response_);
}

void HttpTextCollector::ResponseSink::on_message_end(bool complete) noexcept {
  Reading& r = owner.response_;
  if (!r.active) return;
  if (!complete) owner.counters_.bump(Counter::HttpTextCut);
  owner.stop(r);
}

void HttpTextCollector::ResponseSink::on_malformed() noexcept {
  owner.counters_.bump(Counter::HttpResponsesMalformed);
  owner.server_lost_ = true;
}

// ---------------------------------------------------------------------------
// Client side

BodyPlan HttpTextCollector::RequestSink::on_head(const HttpHead& head) noexcept {
  HttpTextCollector& c = owner;
  if (c.pending_.size() >= kMaxPending) c.pending_.erase(c.pending_.begin());
  c.pending_.push_back(Pending{head.method, head.host, head.target});
  TextFormat format = TextFormat::Plain;
  TextCharset charset = TextCharset::Undeclared;
  if (!(head.has_length || head.chunked) || !head.content_encoding.empty() ||
      !text_format_for(head.content_type, format, charset) || format != TextFormat::Form) {
    return BodyPlan::Skip;
  }
  if (!c.form_) c.form_ = std::make_unique<Reading>(c);
  Reading& r = *c.form_;
  r.meta.method = head.method;
  r.meta.host = head.host;
  r.meta.target = head.target;
  r.meta.status = 0;
  r.text.start(TextFormat::Form, charset, c.limits_.max_text_bytes);
  r.decoder.start(ContentCoding::Identity, &c.budget_);
  r.compressed = false;
  r.decoded = 0;
  r.capped_counted = false;
  r.active = true;
  return BodyPlan::Read;
}

bool HttpTextCollector::RequestSink::on_body(Bytes data) noexcept {
  return owner.form_ && owner.feed_reading(*owner.form_, data);
}

void HttpTextCollector::RequestSink::on_body_gap() noexcept {
  if (owner.form_) owner.stop(*owner.form_);
}

void HttpTextCollector::RequestSink::on_message_end(bool complete) noexcept {
  if (!owner.form_ || !owner.form_->active) return;
  Reading& r = *owner.form_;
  if (complete) owner.counters_.bump(Counter::HttpFormPosts);
  owner.stop(r);
}

}  // namespace vigil::inspect
