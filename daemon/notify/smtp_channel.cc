#include "daemon/notify/smtp_channel.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "daemon/notify/curl_easy.h"
#include "daemon/notify/email.h"

namespace vigil::notify {
namespace {

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_payload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t room = size * count;
  const std::size_t n = std::min(room, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

}  // namespace

SmtpChannel::SmtpChannel(SmtpOptions options) : options_(std::move(options)) {}

Delivery SmtpChannel::deliver(const Message& message, std::stop_token abort) {
  std::string format_error;
  const std::optional<std::string> email =
      format_email(message, options_.from, options_.to, format_error);
  if (!email) return {Outcome::Rejected, "email: " + format_error};

  char error_buffer[CURL_ERROR_SIZE];
  detail::Easy h =
      detail::new_easy(options_.ca_file, static_cast<long>(options_.connect_timeout.count()),
                       static_cast<long>(options_.timeout.count()), &abort, error_buffer);
  if (!h) return {Outcome::Retry, "email: curl_easy_init failed"};
  CURL* e = h.get();

  detail::Slist recipients;
  for (const std::string& to : options_.to) {
    if (!detail::append(recipients, "<" + to + ">"))
      return {Outcome::Retry, "email: out of memory"};
  }
  Upload upload{*email, 0};
  const std::string mail_from = "<" + options_.from + ">";

  curl_easy_setopt(e, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(e, CURLOPT_USE_SSL,
                   static_cast<long>(options_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  if (!options_.user.empty()) {
    curl_easy_setopt(e, CURLOPT_USERNAME, options_.user.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, options_.password.c_str());
  }
  curl_easy_setopt(e, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(e, CURLOPT_MAIL_RCPT, recipients.get());
  // The DSL still hears when the deputy's mailbox is refused (and vice versa).
  curl_easy_setopt(e, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
  curl_easy_setopt(e, CURLOPT_READFUNCTION, &read_payload);
  curl_easy_setopt(e, CURLOPT_READDATA, &upload);
  curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(email->size()));

  const CURLcode rc = curl_easy_perform(e);
  if (rc == CURLE_OK) return {Outcome::Delivered, {}};
  long reply = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &reply);
  std::string error = "email: " + detail::describe(rc, error_buffer);
  if (reply != 0) error += " (server replied " + std::to_string(reply) + ")";
  if (rc == CURLE_ABORTED_BY_CALLBACK) return {Outcome::Retry, "email: stopped"};
  // 550-554: this mailbox, this sender or this message is refused for good.
  // A refused login or missing TLS is a setting someone will fix: retry.
  const bool permanent =
      reply >= 550 && reply <= 554 && rc != CURLE_LOGIN_DENIED && rc != CURLE_USE_SSL_FAILED;
  return {permanent ? Outcome::Rejected : Outcome::Retry, std::move(error)};
}

}  // namespace vigil::notify
