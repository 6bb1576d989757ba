#include "daemon/notify/webhook_channel.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <utility>

#include "daemon/notify/curl_easy.h"

namespace vigil::notify {
namespace {

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

}  // namespace

std::string webhook_signature(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

WebhookChannel::WebhookChannel(WebhookOptions options) : options_(std::move(options)) {}

Delivery WebhookChannel::deliver(const Message& message, std::stop_token abort) {
  char error_buffer[CURL_ERROR_SIZE];
  detail::Easy h =
      detail::new_easy(options_.ca_file, static_cast<long>(options_.connect_timeout.count()),
                       static_cast<long>(options_.timeout.count()), &abort, error_buffer);
  if (!h) return {Outcome::Retry, "webhook: curl_easy_init failed"};
  CURL* e = h.get();

  detail::Slist headers;
  bool ok = detail::append(headers, "Content-Type: application/json") &&
            detail::append(headers, "Expect:") &&  // no 100-continue round trip
            detail::append(headers, "X-Vigil-Event: " + std::string(kind_name(message.kind))) &&
            detail::append(headers, "X-Vigil-Delivery: " + message.id);
  if (ok && !options_.secret.empty()) {
    ok = detail::append(headers, std::string(kSignatureHeader) + ": " +
                                     webhook_signature(options_.secret, message.json));
  }
  if (!ok) return {Outcome::Retry, "webhook: out of memory"};

  curl_easy_setopt(e, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(e, CURLOPT_USERAGENT, "Vigil");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, message.json.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(message.json.size()));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &discard);

  const CURLcode rc = curl_easy_perform(e);
  if (rc == CURLE_ABORTED_BY_CALLBACK) return {Outcome::Retry, "webhook: stopped"};
  if (rc != CURLE_OK) return {Outcome::Retry, "webhook: " + detail::describe(rc, error_buffer)};
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status <= 299) return {Outcome::Delivered, {}};
  std::string error = "webhook: the receiver answered HTTP " + std::to_string(status);
  // 408 and 429 ask the sender to come back later; other 4xx (and 3xx, which
  // is not followed) will not change by sending the same request again.
  const bool retry = status >= 500 || status == 408 || status == 429;
  return {retry ? Outcome::Retry : Outcome::Rejected, std::move(error)};
}

}  // namespace vigil::notify
