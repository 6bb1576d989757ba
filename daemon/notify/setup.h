#pragma once
// From the configuration (notify.* and console.public_url) to a Notifier's
// settings and channels. Run at start-up and on every reload, off the packet
// path; secrets are read from their files here.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/notify/channel.h"
#include "daemon/notify/dispatcher.h"
#include "daemon/notify/smtp_channel.h"
#include "daemon/notify/webhook_channel.h"

namespace vigil::notify {

struct Setup {
  DispatchSettings dispatch;
  std::optional<SmtpOptions> smtp;        // notify.smtp_url set
  std::optional<WebhookOptions> webhook;  // notify.webhook_url set
  std::vector<std::string> warnings;      // one line each, for the log
  // New channels for these options: email, then webhook.
  std::vector<std::unique_ptr<Channel>> make_channels() const;
};

struct SetupResult {
  std::optional<Setup> setup;
  std::string error;  // one line naming the key, e.g. "notify.smtp_password_file: cannot read ..."
  explicit operator bool() const noexcept { return setup.has_value(); }
};

SetupResult setup_from_config(const config::Config& config);

// The content of a secret file without trailing CR/LF; nullopt (and `error`)
// when it cannot be read, is empty or is over 64 KiB. `warning` is set when
// the file can be read by group or others.
std::optional<std::string> read_secret_file(const std::string& path, std::string& error,
                                            std::string& warning);

}  // namespace vigil::notify
