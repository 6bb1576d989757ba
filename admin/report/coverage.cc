#include "admin/report/coverage.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <utility>

#include "rules/lists/list_formats.h"
#include "rules/policy/policy.h"
#include "rules/taxonomy.h"

namespace vigil::report {
namespace {

constexpr double kUsPerDay = 86'400'000'000.0;

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0x0F];
  }
  return out;
}

std::optional<store::TimeUs> modified_us(const std::string& path) {
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path, ec);
  if (ec) return std::nullopt;
  const auto sys = std::chrono::file_clock::to_sys(mtime);
  return std::chrono::duration_cast<std::chrono::microseconds>(sys.time_since_epoch()).count();
}

std::string_view slot_name(rules::StatutorySlot s) {
  switch (s) {
    case rules::StatutorySlot::Iwf:
      return "iwf";
    case rules::StatutorySlot::Ctiru:
      return "ctiru";
    case rules::StatutorySlot::None:
      break;
  }
  return "";
}

// Entries and rejected lines as the list's own parser counts them.
void count_entries(const rules::ListSpec& spec, const std::string& text, ListState& out) {
  switch (spec.format) {
    case rules::ListFormat::Domains: {
      auto l = rules::parse_domain_list(text, spec.path);
      out.entries = static_cast<std::int64_t>(l.entries.size());
      out.invalid = static_cast<std::int64_t>(l.diag.invalid);
      return;
    }
    case rules::ListFormat::Urls: {
      auto l = rules::parse_url_list(text, spec.path);
      out.entries = static_cast<std::int64_t>(l.entries.size());
      out.invalid = static_cast<std::int64_t>(l.diag.invalid);
      return;
    }
    case rules::ListFormat::Regex: {
      auto l = rules::parse_regex_list(text, spec.path);
      out.entries = static_cast<std::int64_t>(l.entries.size());
      out.invalid = static_cast<std::int64_t>(l.diag.invalid);
      return;
    }
    case rules::ListFormat::Keywords: {
      auto l = rules::parse_keyword_list(text, spec.path);
      out.entries = static_cast<std::int64_t>(l.entries.size());
      out.invalid = static_cast<std::int64_t>(l.diag.invalid);
      return;
    }
    case rules::ListFormat::Phrases: {
      auto l = rules::load_phrase_list(spec.path, rules::read_text_file);
      out.entries = static_cast<std::int64_t>(l.entries.size());
      out.invalid = static_cast<std::int64_t>(l.diag.invalid);
      if (!l.error.empty()) out.readable = false;
      return;
    }
  }
}

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string join(const std::vector<std::string>& items, std::string_view last_sep = " and ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? std::string(last_sep) : std::string(", ");
    out += items[i];
  }
  return out;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// Lists of one category in use, as "'name' (N entries)".
std::vector<std::string> lists_of(const ListInventory* lists, std::string_view category) {
  std::vector<std::string> out;
  if (lists == nullptr) return out;
  for (const ListState& l : lists->lists) {
    if (l.category == category && !l.allow) {
      out.push_back(quoted(l.name) + " (" + plural(l.entries, "entry", "entries") + ")");
    }
  }
  return out;
}

std::string bytes_text(std::int64_t n) {
  if (n >= 1024 * 1024 && n % (1024 * 1024) == 0) return std::to_string(n / (1024 * 1024)) + " MiB";
  if (n >= 1024 && n % 1024 == 0) return std::to_string(n / 1024) + " KiB";
  return std::to_string(n) + " bytes";
}

std::string duration_text(std::chrono::milliseconds d) {
  using namespace std::chrono;
  if (d.count() == 0) return "0";
  if (d % hours(24) == milliseconds(0)) return plural(d / hours(24), "day", "days");
  if (d % hours(1) == milliseconds(0)) return plural(d / hours(1), "hour", "hours");
  if (d % minutes(1) == milliseconds(0)) return plural(d / minutes(1), "minute", "minutes");
  if (d % seconds(1) == milliseconds(0)) return plural(d / seconds(1), "second", "seconds");
  return std::to_string(d.count()) + " ms";
}

}  // namespace

ListInventory list_inventory(const config::Config& config, store::TimeUs as_of_us,
                             std::chrono::hours statutory_max_age) {
  ListInventory inv;
  inv.rules_dir = config.get_string("rules.dir");
  inv.as_of_us = as_of_us;
  inv.max_age = statutory_max_age;
  std::string error;
  std::optional<rules::Policy> policy = rules::load_policy(inv.rules_dir, error);
  if (!policy) inv.error = error.empty() ? inv.rules_dir + ": cannot be read" : error;
  const double max_age_days = static_cast<double>(statutory_max_age.count()) / 24.0;
  for (const char* slot : {"iwf", "ctiru"}) {
    StatutoryState s;
    s.slot = slot;
    inv.statutory.push_back(std::move(s));
  }
  if (!policy) return inv;
  for (const rules::ListSpec& spec : policy->lists) {
    ListState l;
    l.name = spec.name;
    l.category = std::string(rules::category_name(spec.category));
    l.format = std::string(rules::list_format_name(spec.format));
    l.statutory = std::string(slot_name(spec.statutory));
    l.allow = spec.allow;
    l.path = spec.path;
    l.source = spec.source;
    l.version = spec.version;
    std::optional<std::string> text = rules::read_text_file(spec.path);
    l.readable = text.has_value();
    if (text) {
      l.sha256 = sha256_hex(*text);
      count_entries(spec, *text, l);
    }
    l.modified_us = modified_us(spec.path);
    if (l.modified_us) {
      l.age_days = static_cast<double>(as_of_us - *l.modified_us) / kUsPerDay;
    }
    if (!l.readable) {
      l.status = "unreadable";
    } else if (l.entries == 0) {
      l.status = "empty";
    } else if (!l.statutory.empty() && (!l.age_days || *l.age_days > max_age_days)) {
      l.status = "stale";
    } else {
      l.status = "ok";
    }
    for (StatutoryState& s : inv.statutory) {
      if (s.slot != l.statutory || s.declared) continue;
      s.declared = true;
      s.name = l.name;
      s.entries = l.entries;
      s.present = l.readable && l.entries > 0;
      s.age_days = l.age_days;
      s.fresh = s.present && l.status == "ok";
    }
    inv.lists.push_back(std::move(l));
  }
  // Statutory lists first (IWF, then CTIRU), the rest in policy.toml's order.
  std::stable_sort(inv.lists.begin(), inv.lists.end(), [](const ListState& a, const ListState& b) {
    auto rank = [](const ListState& l) {
      return l.statutory == "iwf" ? 0 : l.statutory == "ctiru" ? 1 : 2;
    };
    return rank(a) < rank(b);
  });
  return inv;
}

std::string CoverageStatement::text() const {
  std::string out;
  if (!source.empty()) out += "Generated from the configuration: " + source + "\n";
  for (const CoverageItem& i : items) out += i.topic + " (" + i.status + "): " + i.text + "\n";
  return out;
}

CoverageStatement coverage_statement(const config::Config& c, std::string source,
                                     const ListInventory* lists) {
  CoverageStatement st;
  st.source = std::move(source);
  auto add = [&](std::string topic, std::string status, std::string text) {
    st.items.push_back({std::move(topic), std::move(status), std::move(text)});
  };
  const std::vector<std::string>& interfaces = c.get_strings("capture.interfaces");
  const bool classify = c.get_bool("inspect.classify");
  const std::int64_t text_bytes = c.get_int("inspect.http_text_max_bytes");
  const std::int64_t flow_bytes = c.get_int("inspect.max_flow_bytes");

  if (interfaces.empty()) {
    add("What is watched", "not configured",
        "No capture interface is configured (capture.interfaces is empty): vigild records "
        "nothing from the live network. Only capture files replayed with vigild --replay are "
        "inspected.");
  } else {
    add("What is watched", "configured",
        "vigild reads a copy of the packets on " + join(interfaces) + " (capture.interfaces" +
            std::string(c.get_bool("capture.promiscuous") ? ", promiscuous mode" : "") +
            "). Traffic that does not cross " +
            std::string(interfaces.size() == 1 ? "that interface" : "those interfaces") +
            " (mobile data, other networks, devices taken home) is not seen. Names are looked "
            "for in the first " +
            bytes_text(flow_bytes) +
            " of each direction of each connection (inspect.max_flow_bytes).");
  }
  add("Blocking", "note",
      "vigild watches and records; it is not in the path of the traffic and does not stop it. "
      "A hit recorded with the action 'block' is the policy's verdict: this version of Vigil "
      "answers no DNS query, sets no firewall rule and resets no connection, so blocking has "
      "to be done by the router or an upstream filter.");
  add("Plain DNS", "inspected",
      "Every DNS question and answer name sent in the clear, over UDP and TCP, is read and "
      "matched against the lists.");
  add("HTTPS (TLS)", "partly",
      "The server name each TLS ClientHello announces (SNI) is read and matched. The page "
      "address after the name, search terms and page text travel encrypted and are not "
      "visible: Vigil does not intercept TLS and no inspecting proxy is part of it.");
  add("QUIC and HTTP/3", "partly",
      "QUIC Initial packets are decrypted with their published keys (QUIC v1, v2 and drafts) "
      "to read the server name; page addresses, search terms and page text are not visible.");
  std::string http =
      "For unencrypted HTTP the host, the page address and search terms in the address are "
      "read and matched.";
  if (text_bytes > 0) {
    http += " The readable text of each page and form post is also matched, up to " +
            bytes_text(text_bytes) + " per page (inspect.http_text_max_bytes).";
  } else {
    http += " Page text is not read (inspect.http_text_max_bytes = 0).";
  }
  add("Plain HTTP", "inspected", http);
  std::string search =
      "Search terms are visible only when a search is sent over unencrypted HTTP. Searches "
      "over HTTPS, which is nearly all of them, are not visible.";
  if (auto safe = lists_of(lists, "safe_search"); !safe.empty()) {
    search +=
        " Use of search engines' safe-search host names is recorded through " + join(safe) + ".";
  }
  add("Search terms", "partly", search);

  auto circumvention_lists = lists_of(lists, "circumvention");
  const std::string list_clause =
      circumvention_lists.empty()
          ? std::string()
          : " Names of known services are also matched through " + join(circumvention_lists) + ".";
  const std::string threshold = std::to_string(c.get_int("incidents.circumvention_threshold"));
  const std::string window = duration_text(c.get_duration("incidents.window"));
  if (classify) {
    add("VPNs, Tor and proxies", "detected",
        "What travels inside a VPN, Tor or a proxy tunnel is not visible. nDPI recognises these "
        "connections (inspect.classify = true) and each one is recorded as a circumvention "
        "attempt; " +
            threshold + " attempts by one person within " + window + " raise a concern." +
            list_clause);
    add("DNS over HTTPS and over TLS", "detected",
        "Names looked up through encrypted DNS are not visible. nDPI recognises encrypted DNS "
        "connections and each one is recorded as a circumvention attempt." +
            list_clause);
    add("Encrypted Client Hello (ECH)", "detected",
        "With ECH the real server name is encrypted and only the provider's public name is "
        "seen. nDPI flags ECH and each such connection is recorded as a circumvention attempt.");
  } else {
    add("VPNs, Tor and proxies", "not inspected",
        "What travels inside a VPN, Tor or a proxy tunnel is not visible, and such connections "
        "are not recognised: flow classification is off (inspect.classify = false)." +
            list_clause);
    add("DNS over HTTPS and over TLS", "not inspected",
        "Names looked up through encrypted DNS are not visible and encrypted DNS is not "
        "recognised (inspect.classify = false)." +
            list_clause);
    add("Encrypted Client Hello (ECH)", "not inspected",
        "With ECH the real server name is encrypted and only the provider's public name is "
        "seen; ECH is not flagged (inspect.classify = false).");
  }
  add("When vigild is down", "note",
      "Vigil watches a copy of the traffic and is not in its path: while vigild is stopped, "
      "restarting or has failed, traffic passes uninspected and nothing is recorded, unless "
      "the router is set to fail closed (no traffic without the filter). The shipped systemd "
      "unit restarts vigild 5 seconds after a failure and when its 30-second watchdog "
      "expires. The 'recording' figures of this report show the minutes in which anything "
      "was recorded.");
  add("When the store is busy or the disk is full", "note",
      "Hits wait in memory, up to " + std::to_string(c.get_int("store.spool_max_hits")) +
          " (store.spool_max_hits); any beyond that are counted as lost and the health alarm "
          "is raised.");

  std::vector<std::string> sources;
  if (!c.get_string("identity.dnsmasq_leases").empty()) {
    sources.push_back("dnsmasq leases (" + c.get_string("identity.dnsmasq_leases") + ")");
  }
  if (!c.get_string("identity.dhcpd_leases").empty()) {
    sources.push_back("ISC dhcpd leases (" + c.get_string("identity.dhcpd_leases") + ")");
  }
  if (c.get_bool("identity.neighbour_table")) sources.push_back("the kernel neighbour table");
  std::string who = sources.empty()
                        ? "Devices are known by their IP address only (no lease file and no "
                          "neighbour table configured)."
                        : "Devices are known by address from " + join(sources) + ".";
  if (c.get_string("identity.people_csv").empty()) {
    who +=
        " No people CSV is configured (identity.people_csv): a hit names a person only "
        "where a device was attributed to one in the console.";
    add("Who is named", "partly", who);
  } else {
    who += " People and their devices come from " + c.get_string("identity.people_csv") +
           " (identity.people_csv); a hit from a device no one is attributed to names the "
           "device only.";
    add("Who is named", "configured", who);
  }

  add("Activity log", "configured",
      "The activity log keeps " +
          std::string(c.get_string("store.activity_privacy") == "full"
                          ? "each device and the names it visited"
                      : c.get_string("store.activity_privacy") == "hide_names"
                          ? "each device and the kinds of name, without the names"
                          : "the names visited, without the devices") +
          " (store.activity_privacy = " + c.get_string("store.activity_privacy") + "), for " +
          plural(c.get_int("retention.activity_days"), "day", "days") +
          " (retention.activity_days).");
  add("Retention", "configured",
      "Hits and incidents are kept " +
          plural(c.get_int("retention.hits_months"), "month", "months") +
          " unless linked to a concern, hourly statistics " +
          plural(c.get_int("retention.statistics_months"), "month", "months") +
          "; concerns, their chronology and the audit log are never purged automatically.");

  std::string rules_text =
      "Lists and policy are read from " + c.get_string("rules.dir") + " (rules.dir)";
  const auto reload = c.get_duration("rules.reload_interval");
  rules_text += reload.count() == 0 ? ", reloaded on request."
                                    : ", checked for changes every " + duration_text(reload) + ".";
  if (lists != nullptr && !lists->error.empty()) {
    rules_text += " The rules tree could not be read now: " + lists->error;
  } else if (lists != nullptr) {
    for (const StatutoryState& s : lists->statutory) {
      const std::string slot = s.slot == "iwf" ? "IWF URL list" : "CTIRU list";
      if (!s.declared) {
        rules_text += " The " + slot + " slot is not declared.";
      } else if (!s.present) {
        rules_text += " The " + slot + " slot (" + quoted(s.name) + ") is empty.";
      } else {
        rules_text += " The " + slot + " (" + quoted(s.name) + ") has " +
                      plural(s.entries, "entry", "entries") +
                      (s.fresh ? "." : " and is older than the freshness limit.");
      }
    }
  }
  add("Rules", lists != nullptr && !lists->error.empty() ? "not configured" : "configured",
      rules_text);

  std::vector<std::string> alerts;
  if (!c.get_string("notify.smtp_url").empty()) {
    alerts.push_back("email to " +
                     plural(static_cast<std::int64_t>(c.get_strings("notify.to").size()), "address",
                            "addresses"));
  }
  if (!c.get_string("notify.webhook_url").empty()) alerts.push_back("a webhook");
  if (c.get_bool("events.syslog") || !c.get_string("events.syslog_remote").empty()) {
    alerts.push_back("syslog");
  }
  add("Alerts", alerts.empty() ? "not configured" : "configured",
      alerts.empty() ? "No alert channel is configured: the DSL learns of concerns only in the "
                       "console."
                     : "Alerts go by " + join(alerts) +
                           "; an alert points to the console and never carries a learner's "
                           "details.");
  return st;
}

}  // namespace vigil::report
