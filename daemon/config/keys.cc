// Every configuration key, declared once. To add a key: add a row in its
// section (the example file follows this order), say which program reads it,
// regenerate systemd/vigil.toml with `vigilctl config example`, and read it
// with Config::get_*() where the program is wired.

#include <algorithm>

#include "daemon/config/config.h"

namespace vigil::config {
namespace {

constexpr std::int64_t kMs = 1;
constexpr std::int64_t kSecond = 1000 * kMs;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;

constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};
constexpr std::string_view kPrivacyLevels[] = {"full", "hide_names", "hide_clients"};
constexpr std::string_view kTotpModes[] = {"off", "optional", "required"};
constexpr std::string_view kSmtpSchemes[] = {"smtps", "smtp"};
constexpr std::string_view kWebSchemes[] = {"https", "http"};
constexpr std::string_view kHttps[] = {"https"};
constexpr std::string_view kSyslogSchemes[] = {"udp", "tcp"};

constexpr SectionDecl kSections[] = {
    {"log", "Logging, for every program."},
    {"store", "The SQLite incident store."},
    {"retention",
     "How long records are kept. Concerns, the hits and incidents linked to them, and the "
     "audit log are never purged automatically."},
    {"capture", "Live packet capture (vigild)."},
    {"inspect", "Packet inspection limits, per worker thread (vigild)."},
    {"rules", "What is matched, alerted on and blocked."},
    {"identity", "Who a device belongs to (vigild)."},
    {"incidents", "How hits become incidents and concerns (vigild)."},
    {"notify",
     "Alerts to the DSL and deputy. An alert points to the console; it never carries a "
     "learner's details."},
    {"control", "The local control socket through which vigilctl and the console reach vigild."},
    {"metrics", "Prometheus metrics (vigild)."},
    {"events", "Copies of events for SIEM tools (vigild)."},
    {"console", "The admin web console (vigil-console)."},
    {"reports", "Monthly reports and the annual review (vigil-console, vigilctl report)."},
};

// readers: who calls Config::get_*() for the key.
constexpr KeyDecl kKeys[] = {
    // [log] -- every program
    {.name = "log.level",
     .type = Type::Enum,
     .fallback = "info",
     .choices = kLogLevels,
     .apply = Apply::Reload,
     .readers = kEveryProgram,
     .help = "Least severe message written to the log."},

    // [store] -- vigild writes; vigil-console and vigilctl read and maintain
    {.name = "store.path",
     .type = Type::Path,
     .fallback = "/var/lib/vigil/vigil.db",
     .readers = kEveryProgram,
     .help = "The SQLite database file (WAL mode: its -wal and -shm files sit next to it)."},
    {.name = "store.batch_max_hits",
     .type = Type::Int,
     .fallback = "4096",
     .min = 1,
     .max = 65'536,
     .readers = kVigild,
     .help = "Most hits committed in one transaction."},
    {.name = "store.batch_max_delay",
     .type = Type::Duration,
     .fallback = "200ms",
     .min = 1 * kMs,
     .max = 10 * kSecond,
     .readers = kVigild,
     .help = "Longest a hit waits for its batch to commit (its acknowledgement waits as long)."},
    {.name = "store.busy_timeout",
     .type = Type::Duration,
     .fallback = "5s",
     .min = 0,
     .max = 60 * kSecond,
     .readers = kEveryProgram,
     .help = "How long to wait for a locked database before the writer spools hits and a reader "
             "gives up."},
    {.name = "store.spool_max_hits",
     .type = Type::Int,
     .fallback = "100000",
     .min = 1'000,
     .max = 10'000'000,
     .readers = kVigild,
     .help = "Hits held in memory while the database is busy or the disk is full; hits beyond "
             "this are counted as lost."},
    {.name = "store.activity_privacy",
     .type = Type::Enum,
     .fallback = "full",
     .choices = kPrivacyLevels,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "What the activity log keeps: everything, names hidden, or client devices hidden."},

    // [retention] -- vigild runs the retention job
    {.name = "retention.activity_days",
     .type = Type::Int,
     .fallback = "30",
     .min = 1,
     .max = 3'650,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "Days of activity log (telemetry) kept."},
    {.name = "retention.hits_months",
     .type = Type::Int,
     .fallback = "24",
     .min = 1,
     .max = 120,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "Months of hits and incidents kept, except those linked to a concern."},
    {.name = "retention.statistics_months",
     .type = Type::Int,
     .fallback = "36",
     .min = 12,
     .max = 240,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "Months of hourly statistics kept for reports and the annual review."},

    // [capture] -- vigild
    {.name = "capture.interfaces",
     .type = Type::StringList,
     .fallback = "",
     .readers = kVigild,
     .help = "Interfaces to capture on, like [\"br-lan\"]; live capture needs at least one."},
    {.name = "capture.buffer_mb",
     .type = Type::Int,
     .fallback = "32",
     .min = 1,
     .max = 2'047,
     .readers = kVigild,
     .help = "Kernel capture buffer per interface, in MiB."},
    {.name = "capture.snaplen",
     .type = Type::Int,
     .fallback = "65535",
     .min = 128,
     .max = 262'144,
     .readers = kVigild,
     .help = "Bytes kept of each packet."},
    {.name = "capture.block_timeout",
     .type = Type::Duration,
     .fallback = "10ms",
     .min = 0,
     .max = 1 * kSecond,
     .readers = kVigild,
     .help = "Packets reach vigild in blocks, at the latest after this long; the kernel buffer "
             "then holds packets by their size. 0s: immediate mode, one packet at a time, where "
             "libpcap sizes every buffer slot for the largest packet (about 500 slots in 32 MB) "
             "and a busy machine drops packets far sooner."},
    {.name = "capture.promiscuous",
     .type = Type::Bool,
     .fallback = "true",
     .readers = kVigild,
     .help = "Also capture frames addressed to other hosts (needed on a mirror port)."},
    {.name = "capture.workers",
     .type = Type::Int,
     .fallback = "0",
     .min = 0,
     .max = 256,
     .readers = kVigild,
     .help = "Worker threads inspecting packets; 0: one per CPU core."},
    {.name = "capture.drop_alarm_percent",
     .type = Type::Double,
     .fallback = "1.0",
     .min_real = 0.0,
     .max_real = 100.0,
     .apply = Apply::Reload,
     .readers = kVigild | kConsole,
     .help = "Share of packets dropped over 5 minutes (kernel and queues) that raises the "
             "health alarm."},

    // [inspect] -- vigild, one inspect::InspectorConfig per worker
    {.name = "inspect.max_flows",
     .type = Type::Int,
     .fallback = "262144",
     .min = 1'024,
     .max = 64 * kMiB,
     .readers = kVigild,
     .help = "Flows tracked at once by each worker."},
    {.name = "inspect.tcp_idle_timeout",
     .type = Type::Duration,
     .fallback = "5m",
     .min = 1 * kSecond,
     .max = 1 * kDay,
     .readers = kVigild,
     .help = "A TCP flow without packets for this long is finished."},
    {.name = "inspect.udp_idle_timeout",
     .type = Type::Duration,
     .fallback = "1m",
     .min = 1 * kSecond,
     .max = 1 * kDay,
     .readers = kVigild,
     .help = "A UDP flow without packets for this long is finished."},
    {.name = "inspect.max_flow_bytes",
     .type = Type::Int,
     .fallback = "1048576",
     .min = 1 * kKiB,
     .max = 1024 * kGiB,
     .readers = kVigild,
     .help = "Bytes of each flow direction examined for names; later bytes are skipped."},
    {.name = "inspect.tcp_max_held_bytes",
     .type = Type::Int,
     .fallback = "262144",
     .min = 4 * kKiB,
     .max = 64 * kMiB,
     .readers = kVigild,
     .help = "Out-of-order TCP data held per flow direction while waiting for a gap to fill."},
    {.name = "inspect.tcp_max_held_total_bytes",
     .type = Type::Int,
     .fallback = "67108864",
     .min = 1 * kMiB,
     .max = 16 * kGiB,
     .readers = kVigild,
     .help = "Out-of-order TCP data held across all of one worker's flows."},
    {.name = "inspect.http_text_max_bytes",
     .type = Type::Int,
     .fallback = "65536",
     .min = 0,
     .max = 16 * kMiB,
     .readers = kVigild,
     .help = "Bytes of readable text taken from each plain-HTTP body for keyword matching; 0: "
             "none."},
    {.name = "inspect.classify",
     .type = Type::Bool,
     .fallback = "true",
     .readers = kVigild,
     .help = "Classify flows with nDPI (needed to see VPN, Tor and proxy circumvention)."},

    // [rules] -- vigild matches with it; the console's list pages edit it
    {.name = "rules.dir",
     .type = Type::Path,
     .fallback = "/etc/vigil/rules",
     .apply = Apply::Reload,
     .readers = kEveryProgram,
     .help = "Folder holding policy.toml and the lists it names; each reload reads it afresh."},
    {.name = "rules.compile_time_limit",
     .type = Type::Duration,
     .fallback = "120s",
     .min = 1 * kSecond,
     .max = 1 * kHour,
     .apply = Apply::Reload,
     .readers = kVigild | kVigilctl,
     .help = "Longest a rule reload may spend compiling keyword and regex databases; past it the "
             "reload fails and the running rules stay."},
    {.name = "rules.compile_memory_mb",
     .type = Type::Int,
     .fallback = "1024",
     .min = 16,
     .max = 65'536,
     .apply = Apply::Reload,
     .readers = kVigild | kVigilctl,
     .help = "Memory a keyword/regex compile may use (MB); past it the reload fails and the "
             "running rules stay. Size it below the appliance's free memory."},
    {.name = "rules.reload_interval",
     .type = Type::Duration,
     .fallback = "5m",
     .min = 0,
     .max = 1 * kDay,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "How often vigild looks for changed list files and reloads; 0s: only on SIGHUP or "
             "request."},

    // [identity] -- vigild
    {.name = "identity.dnsmasq_leases",
     .type = Type::Path,
     .fallback = "",
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "dnsmasq lease file (on Debian /var/lib/misc/dnsmasq.leases); empty: not used."},
    {.name = "identity.dhcpd_leases",
     .type = Type::Path,
     .fallback = "",
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "ISC dhcpd lease file (on Debian /var/lib/dhcp/dhcpd.leases); empty: not used."},
    {.name = "identity.neighbour_table",
     .type = Type::Bool,
     .fallback = "true",
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "Learn device MAC addresses from the kernel neighbour table."},
    {.name = "identity.people_csv",
     .type = Type::Path,
     .fallback = "",
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "CSV of people and their devices, imported at start and on reload; empty: people "
             "are managed in the console."},

    // [incidents] -- vigild
    {.name = "incidents.window",
     .type = Type::Duration,
     .fallback = "1h",
     .min = 1 * kMinute,
     .max = 30 * kDay,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "Hits by one person (or device) in one category within this time form one "
             "incident."},
    {.name = "incidents.circumvention_threshold",
     .type = Type::Int,
     .fallback = "3",
     .min = 1,
     .max = 1'000,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "Circumvention attempts (VPN, Tor, proxy, DoH, ECH) by one person within the "
             "window that raise a concern."},

    // [notify] -- vigild sends alerts; vigil-console mails the monthly report link
    {.name = "notify.smtp_url",
     .type = Type::Url,
     .fallback = "",
     .choices = kSmtpSchemes,
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild | kConsole,
     .help = "Mail server, like smtps://mail.example.org:465 (smtp:// must offer STARTTLS); "
             "empty: no email."},
    {.name = "notify.smtp_user",
     .type = Type::String,
     .fallback = "",
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild | kConsole,
     .help = "User name on the mail server; empty: no login."},
    {.name = "notify.smtp_password_file",
     .type = Type::Path,
     .fallback = "",
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild | kConsole,
     .help = "File holding the mail server password (mode 0600, or a systemd credential)."},
    {.name = "notify.from",
     .type = Type::Email,
     .fallback = "",
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild | kConsole,
     .help = "Sender address of alerts and report notices."},
    {.name = "notify.to",
     .type = Type::EmailList,
     .fallback = "",
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "Addresses of the DSL and the deputy DSL."},
    {.name = "notify.webhook_url",
     .type = Type::Url,
     .fallback = "",
     .choices = kWebSchemes,
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "Each alert is also POSTed here as JSON; empty: no webhook."},
    {.name = "notify.webhook_secret_file",
     .type = Type::Path,
     .fallback = "",
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "File holding a shared secret; each webhook body is then signed with HMAC-SHA256 in "
             "the X-Vigil-Signature-256 header; empty: unsigned."},
    {.name = "notify.tls_ca_file",
     .type = Type::Path,
     .fallback = "",
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild | kConsole,
     .help = "CA certificates (PEM) trusted for the mail server and webhook, for a private CA; "
             "empty: the system's trusted CAs."},
    {.name = "notify.throttle",
     .type = Type::Duration,
     .fallback = "10m",
     .min = 1 * kMinute,
     .max = 1 * kDay,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "At most one alert per person and category within this time; the rest wait for the "
             "digest."},
    {.name = "notify.digest_hour",
     .type = Type::Int,
     .fallback = "7",
     .min = 0,
     .max = 23,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "Local hour at which the daily digest is sent."},

    // [control] -- vigild listens; vigil-console and vigilctl connect
    {.name = "control.socket",
     .type = Type::Path,
     .fallback = "/run/vigil/control.sock",
     .readers = kEveryProgram,
     .help = "Unix socket for status, reload, stats and test requests to vigild."},

    // [metrics] -- vigild
    {.name = "metrics.listen",
     .type = Type::Address,
     .fallback = "127.0.0.1:9750",
     .optional = true,
     .readers = kVigild,
     .help = "Address serving Prometheus /metrics, without a login (keep it on loopback); "
             "empty: off."},

    // [events] -- vigild
    {.name = "events.eve_path",
     .type = Type::Path,
     .fallback = "",
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "File of EVE-style JSON lines (dns, tls, quic, http, flow, alert), reopened on "
             "reload; keep it under /var/log/vigil/, the log directory vigild.service may write; "
             "empty: off."},
    {.name = "events.syslog",
     .type = Type::Bool,
     .fallback = "false",
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "Also send alerts to the local syslog socket /dev/log (RFC 5424: category, action, "
             "list and a console link, never a learner's details)."},
    {.name = "events.syslog_remote",
     .type = Type::Url,
     .fallback = "",
     .choices = kSyslogSchemes,
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild,
     .help = "Also send alerts to this collector as RFC 5424, like udp://siem.centre.lan:514 or "
             "tcp://[2001:db8::5]:601 (TCP with octet-counting frames; port 514 when left out); "
             "empty: off."},

    // [console] -- vigil-console; vigild puts console.public_url in alerts
    {.name = "console.listen",
     .type = Type::Address,
     .fallback = "127.0.0.1:8443",
     .readers = kConsole,
     .help = "HTTPS address of the console."},
    {.name = "console.public_url",
     .type = Type::Url,
     .fallback = "",
     .choices = kHttps,
     .optional = true,
     .apply = Apply::Reload,
     .readers = kVigild | kConsole,
     .help = "The console as staff reach it, like https://vigil.centre.lan:8443; alerts and "
             "report notices link to it."},
    {.name = "console.tls_cert",
     .type = Type::Path,
     .fallback = "/var/lib/vigil/console/cert.pem",
     .readers = kConsole,
     .help = "TLS certificate (PEM); a self-signed one is made at first start when it and the key "
             "are missing."},
    {.name = "console.tls_key",
     .type = Type::Path,
     .fallback = "/var/lib/vigil/console/key.pem",
     .readers = kConsole,
     .help = "TLS private key (PEM) of the certificate."},
    {.name = "console.session_idle",
     .type = Type::Duration,
     .fallback = "30m",
     .min = 1 * kMinute,
     .max = 12 * kHour,
     .readers = kConsole,
     .help = "A signed-in session ends after this long without a request."},
    {.name = "console.totp",
     .type = Type::Enum,
     .fallback = "optional",
     .choices = kTotpModes,
     .readers = kConsole,
     .help = "TOTP second factor for admin, DSL and deputy DSL accounts: off, optional (users "
             "may enrol) or required."},

    // [reports] -- vigil-console and `vigilctl report`
    {.name = "reports.dir",
     .type = Type::Path,
     .fallback = "/var/lib/vigil/reports",
     .readers = kConsole | kVigilctl,
     .help = "Where generated reports are kept."},
    {.name = "reports.monthly_recipients",
     .type = Type::EmailList,
     .fallback = "",
     .apply = Apply::Reload,
     .readers = kConsole | kVigilctl,
     .help = "Told on the 1st of each month that the monthly report is ready (a link, never an "
             "attachment)."},
};

constexpr Requirement kRequirements[] = {
    {"notify.smtp_url", "notify.from", "alerts need a sender"},
    {"notify.smtp_url", "notify.to", "alerts need the DSL's address"},
    {"notify.smtp_password_file", "notify.smtp_user", "a password needs a user name"},
    {"notify.webhook_secret_file", "notify.webhook_url", "a signing secret needs a webhook"},
    {"reports.monthly_recipients", "notify.smtp_url", "report notices are sent by email"},
};

}  // namespace

std::span<const SectionDecl> sections() noexcept { return kSections; }
std::span<const KeyDecl> keys() noexcept { return kKeys; }
std::span<const Requirement> requirements() noexcept { return kRequirements; }

const KeyDecl* find_key(std::string_view name) noexcept {
  const auto* it = std::find_if(std::begin(kKeys), std::end(kKeys),
                                [&](const KeyDecl& k) { return k.name == name; });
  return it == std::end(kKeys) ? nullptr : it;
}

}  // namespace vigil::config
