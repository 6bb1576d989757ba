#include "daemon/notify/setup.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace vigil::notify {
namespace {

constexpr std::size_t kMaxSecretBytes = std::size_t{64} * 1024;

}  // namespace

std::optional<std::string> read_secret_file(const std::string& path, std::string& error,
                                            std::string& warning) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + " is not a regular file";
    return std::nullopt;
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxSecretBytes) {
    error = path + " is larger than 64 KiB; expected one secret";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) {
    error = path + " is empty";
    return std::nullopt;
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    warning = path + " can be read by other users; make it mode 0600 (or use a systemd credential)";
  }
  return s;
}

SetupResult setup_from_config(const config::Config& config) {
  SetupResult r;
  Setup s;
  s.dispatch.public_url = config.get_string("console.public_url");
  s.dispatch.throttle = config.get_duration("notify.throttle");
  s.dispatch.digest_hour = static_cast<int>(config.get_int("notify.digest_hour"));
  const std::string& ca_file = config.get_string("notify.tls_ca_file");

  const std::string& smtp_url = config.get_string("notify.smtp_url");
  if (!smtp_url.empty()) {
    SmtpOptions o;
    o.url = smtp_url;
    o.user = config.get_string("notify.smtp_user");
    o.from = config.get_string("notify.from");
    o.to = config.get_strings("notify.to");
    o.ca_file = ca_file;
    const std::string& password_file = config.get_string("notify.smtp_password_file");
    if (!password_file.empty()) {
      std::string error;
      std::string warning;
      std::optional<std::string> pw = read_secret_file(password_file, error, warning);
      if (!pw) {
        r.error = "notify.smtp_password_file: " + error;
        return r;
      }
      o.password = std::move(*pw);
      if (!warning.empty()) s.warnings.push_back("notify.smtp_password_file: " + warning);
    } else if (!o.user.empty()) {
      s.warnings.push_back(
          "notify.smtp_user is set without notify.smtp_password_file: logging in "
          "with an empty password");
    }
    s.smtp = std::move(o);
  }

  const std::string& webhook_url = config.get_string("notify.webhook_url");
  if (!webhook_url.empty()) {
    WebhookOptions o;
    o.url = webhook_url;
    o.ca_file = ca_file;
    const std::string& secret_file = config.get_string("notify.webhook_secret_file");
    if (!secret_file.empty()) {
      std::string error;
      std::string warning;
      std::optional<std::string> secret = read_secret_file(secret_file, error, warning);
      if (!secret) {
        r.error = "notify.webhook_secret_file: " + error;
        return r;
      }
      o.secret = std::move(*secret);
      if (!warning.empty()) s.warnings.push_back("notify.webhook_secret_file: " + warning);
    }
    if (webhook_url.rfind("http://", 0) == 0) {
      s.warnings.push_back("notify.webhook_url uses http://: alerts cross the network unencrypted");
    }
    s.webhook = std::move(o);
  }
  if (s.dispatch.public_url.empty() && (s.smtp || s.webhook)) {
    s.warnings.push_back(
        "console.public_url is not set: alerts name the console page instead of "
        "linking to it");
  }
  r.setup = std::move(s);
  return r;
}

std::vector<std::unique_ptr<Channel>> Setup::make_channels() const {
  std::vector<std::unique_ptr<Channel>> out;
  if (smtp) out.push_back(std::make_unique<SmtpChannel>(*smtp));
  if (webhook) out.push_back(std::make_unique<WebhookChannel>(*webhook));
  return out;
}

}  // namespace vigil::notify
