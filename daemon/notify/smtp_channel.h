#pragma once
// Email to the DSL and deputy through libcurl's SMTP client.

#include <chrono>
#include <string>
#include <vector>

#include "daemon/notify/channel.h"

namespace vigil::notify {

struct SmtpOptions {
  // smtps://host[:465] (TLS from the first byte) or smtp://host[:587]
  // (STARTTLS, required unless require_tls is false).
  std::string url;
  std::string user;      // "" : no AUTH
  std::string password;  // read from notify.smtp_password_file
  std::string from;      // plain addresses (see is_plain_address)
  std::vector<std::string> to;
  std::string ca_file;  // "" : the system's trusted CAs
  // Only tests set this false: then smtp:// uses STARTTLS when offered and
  // carries on in plaintext when not. Certificates are always verified.
  bool require_tls = true;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // the whole session
};

class SmtpChannel final : public Channel {
 public:
  explicit SmtpChannel(SmtpOptions options);
  std::string_view name() const noexcept override { return "email"; }
  // Connects, (STARTTLS,) AUTH, MAIL FROM, RCPT TO each address (a refused
  // recipient does not stop the others), DATA. SMTP 550-554 replies are
  // Rejected; anything else that fails is Retry.
  Delivery deliver(const Message& message, std::stop_token abort) override;

 private:
  SmtpOptions options_;
};

}  // namespace vigil::notify
