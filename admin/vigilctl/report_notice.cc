#include "admin/vigilctl/report_notice.h"

#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <stop_token>

#include "daemon/notify/setup.h"
#include "daemon/notify/smtp_channel.h"

namespace vigil::admin {
namespace {

constexpr const char* kMonthNames[] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};

std::string month_words(report::Month m) {
  return std::string(kMonthNames[m.month - 1]) + " " + std::to_string(m.year);
}

std::string random_id() {
  unsigned char bytes[12];
  std::string out = "report-";
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    out += std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
    return out;
  }
  for (unsigned char b : bytes) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", b);
    out += hex;
  }
  return out;
}

}  // namespace

std::string report_console_path(report::Month month, report::Audience audience) {
  std::string path = "/reports/" + report::month_text(month);
  if (audience == report::Audience::Named) path += "/named";
  return path;
}

notify::Message report_notice(report::Month month, report::Audience audience,
                              std::string_view public_url, std::string id) {
  notify::Message m;
  m.id = std::move(id);
  // daemon/notify has no kind for a report; the digest is its periodic
  // summary, the nearest (it only labels the X-Vigil-Event header).
  m.kind = notify::Kind::DailyDigest;
  m.created = std::chrono::system_clock::now();
  const std::string words = month_words(month);
  m.subject = "Vigil: the monthly filtering report for " + words + " is ready";
  const std::string path = report_console_path(month, audience);
  m.text = "The monthly filtering and monitoring report for " + words + " is ready.\n\n";
  if (public_url.empty()) {
    m.text += "Sign in to the Vigil console and open " + path + " (Reports).\n";
  } else {
    m.text += "Read it in the Vigil console (sign-in needed):\n" +
              notify::console_link(public_url, path) + "\n";
  }
  m.text += "\nThis email holds no figures and names no one; the report stays in the console.\n";
  return m;
}

NoticeOutcome send_report_notice(const config::Config& config, report::Month month,
                                 report::Audience audience) {
  NoticeOutcome out;
  const std::vector<std::string>& recipients = config.get_strings("reports.monthly_recipients");
  if (recipients.empty()) {
    out.status = NoticeOutcome::Status::NotConfigured;
    out.detail = "reports.monthly_recipients is empty: no notice sent";
    return out;
  }
  notify::SetupResult setup = notify::setup_from_config(config);
  if (!setup) {
    out.detail = setup.error;
    return out;
  }
  if (!setup.setup->smtp) {
    out.detail = "reports.monthly_recipients needs notify.smtp_url";
    return out;
  }
  notify::SmtpOptions smtp = *setup.setup->smtp;
  smtp.to = recipients;
  notify::SmtpChannel channel(std::move(smtp));
  const notify::Message message =
      report_notice(month, audience, setup.setup->dispatch.public_url, random_id());
  const notify::Delivery d = channel.deliver(message, std::stop_token{});
  if (d.outcome != notify::Outcome::Delivered) {
    out.detail = "the report notice was not sent: " + d.error;
    return out;
  }
  out.status = NoticeOutcome::Status::Sent;
  out.detail = "report notice sent to " + std::to_string(recipients.size()) + " recipient" +
               (recipients.size() == 1 ? "" : "s");
  return out;
}

}  // namespace vigil::admin
