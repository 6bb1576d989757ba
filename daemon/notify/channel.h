#pragma once
// A way out to the DSL: email or webhook. The Dispatcher calls deliver() on
// the Notifier's sender thread, one message at a time, and owns retrying.

#include <stop_token>
#include <string>
#include <string_view>

#include "daemon/notify/notification.h"

namespace vigil::notify {

enum class Outcome : unsigned char {
  Delivered,
  Retry,     // worth trying again later: network, TLS, timeout, 5xx, login refused
  Rejected,  // the receiver refused this message for good (HTTP 4xx, SMTP 5xx on the message)
};

struct Delivery {
  Outcome outcome = Outcome::Retry;
  std::string error;  // one line a person can act on; never holds message content
};

class Channel {
 public:
  virtual ~Channel() = default;
  virtual std::string_view name() const noexcept = 0;  // "email", "webhook"
  // Blocking, bounded by the channel's timeouts; returns soon (Retry) once
  // `abort` is requested.
  virtual Delivery deliver(const Message& message, std::stop_token abort) = 0;
};

}  // namespace vigil::notify
