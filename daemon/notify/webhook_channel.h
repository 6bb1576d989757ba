#pragma once
// Each notification POSTed as JSON to notify.webhook_url, optionally signed.

#include <chrono>
#include <string>
#include <string_view>

#include "daemon/notify/channel.h"

namespace vigil::notify {

// The receiver recomputes HMAC-SHA256 over the raw request body with the
// shared secret and compares it, in constant time, with this header's value.
inline constexpr std::string_view kSignatureHeader = "X-Vigil-Signature-256";

// "sha256=" followed by the lower-case hex HMAC-SHA256 of `body` under `secret`.
std::string webhook_signature(std::string_view secret, std::string_view body);

struct WebhookOptions {
  std::string url;     // https:// (http:// only on a trusted network)
  std::string secret;  // "" : unsigned
  std::string ca_file;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};
};

class WebhookChannel final : public Channel {
 public:
  explicit WebhookChannel(WebhookOptions options);
  std::string_view name() const noexcept override { return "webhook"; }
  // POST, Content-Type application/json, no redirects followed. 2xx is
  // Delivered; 5xx, 408, 429 and network or TLS failures are Retry; any
  // other status (4xx, 3xx) is Rejected.
  Delivery deliver(const Message& message, std::stop_token abort) override;

 private:
  WebhookOptions options_;
};

}  // namespace vigil::notify
