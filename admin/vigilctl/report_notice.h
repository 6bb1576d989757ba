#pragma once
// The monthly report notice: a short email to reports.monthly_recipients
// that the month's report is ready, with a link to it in the console
// (console.public_url + /reports/YYYY-MM). Never an attachment, a figure or
// a name: the report stays behind the console's sign-in. Sent through
// daemon/notify's SMTP channel with its settings (notify.smtp_url, user,
// password file, from, TLS CA file), so it leaves the way the DSL's alerts
// do.

#include <string>
#include <string_view>

#include "admin/report/report.h"
#include "daemon/config/config.h"
#include "daemon/notify/notification.h"

namespace vigil::admin {

// The console path of a generated report: /reports/YYYY-MM, or
// /reports/YYYY-MM/named for the named one.
std::string report_console_path(report::Month month, report::Audience audience);

// The message: the month in the subject, and the link in the text. The
// link is the console path alone when console.public_url is not set.
notify::Message report_notice(report::Month month, report::Audience audience,
                              std::string_view public_url, std::string id);

struct NoticeOutcome {
  enum class Status : unsigned char { Sent, NotConfigured, Failed };
  Status status = Status::Failed;
  std::string detail;  // why not sent, or the delivery error: one line, no message content
};

// Sends the notice to reports.monthly_recipients; NotConfigured (not an
// error) when that is empty.
NoticeOutcome send_report_notice(const config::Config& config, report::Month month,
                                 report::Audience audience);

}  // namespace vigil::admin
