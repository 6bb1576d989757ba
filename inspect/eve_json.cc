#include "inspect/eve_json.h"

#include <cstdio>
#include <ctime>

namespace vigil::inspect {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b >= 0xc2 && b <= 0xdf) {
    n = 2, cp = b & 0x1f;
  } else if (b >= 0xe0 && b <= 0xef) {
    n = 3, cp = b & 0x0f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4, cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return n;
}

std::string_view proto_name(Transport t) {
  switch (t) {
    case Transport::Tcp:
      return "TCP";
    case Transport::Udp:
      return "UDP";
    case Transport::Other:
      break;
  }
  return "IP";
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_sequence_length(s, i);
      if (n > 0) {
        out.append(s.substr(i, n));
        i += n;
        continue;
      }
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

std::string eve_timestamp(std::uint64_t ts_us) {
  std::time_t secs = static_cast<std::time_t>(ts_us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(ts_us % 1'000'000));
  return buf;
}

void JsonObject::key(std::string_view k) {
  if (!body_.empty()) body_ += ',';
  body_ += '"';
  body_ += k;
  body_ += "\":";
}

JsonObject& JsonObject::str(std::string_view k, std::string_view value) {
  key(k);
  append_json_string(body_, value);
  return *this;
}

JsonObject& JsonObject::num(std::string_view k, std::uint64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::num(std::string_view k, std::int64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::boolean(std::string_view k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::strings(std::string_view k, const std::vector<std::string>& values) {
  key(k);
  body_ += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) body_ += ',';
    append_json_string(body_, values[i]);
  }
  body_ += ']';
  return *this;
}

JsonObject& JsonObject::array(std::string_view k, const std::vector<JsonObject>& items) {
  key(k);
  body_ += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) body_ += ',';
    body_ += items[i].text();
  }
  body_ += ']';
  return *this;
}

JsonObject& JsonObject::object(std::string_view k, const JsonObject& inner) {
  key(k);
  body_ += '{';
  body_ += inner.body_;
  body_ += '}';
  return *this;
}

std::string JsonObject::text() const { return "{" + body_ + "}"; }

std::string_view eve_event_type(const Observation& o) noexcept {
  switch (o.kind) {
    case ObservationKind::Dns:
      return "dns";
    case ObservationKind::Sni:
      return "tls";
    case ObservationKind::QuicSni:
      return "quic";
    case ObservationKind::HttpUrl:
      return "http";
    case ObservationKind::HttpHost:
    case ObservationKind::DnsAnswer:
    case ObservationKind::SearchTerm:
    case ObservationKind::HttpText:
      break;
  }
  return "";
}

void append_eve_observation(JsonObject& event, const Observation& o, std::string_view event_type) {
  event.str("timestamp", eve_timestamp(o.ts_us));
  event.num("flow_id", o.flow_id);
  event.str("event_type", event_type);
  // EVE reports the packet's own direction; for a DNS response the sender is the server.
  const bool server_sent = o.kind == ObservationKind::Dns && o.dns_response;
  event.str("src_ip", (server_sent ? o.server : o.client).to_string());
  event.num("src_port", std::uint64_t{server_sent ? o.server_port : o.client_port});
  event.str("dest_ip", (server_sent ? o.client : o.server).to_string());
  event.num("dest_port", std::uint64_t{server_sent ? o.client_port : o.server_port});
  event.str("proto", proto_name(o.transport));
  JsonObject inner;
  switch (o.kind) {
    case ObservationKind::Dns:
      inner.str("type", o.dns_response ? "answer" : "query");
      inner.num("id", std::uint64_t{o.dns_id});
      inner.str("rrname", o.value);
      if (o.dns_response && !o.dns_addresses.empty()) inner.strings("addresses", o.dns_addresses);
      event.object("dns", inner);
      break;
    case ObservationKind::DnsAnswer:
      inner.str("rrname", o.value);
      event.object("dns", inner);
      break;
    case ObservationKind::Sni:
    case ObservationKind::QuicSni: {
      inner.str("sni", o.value);
      if (!o.alpn.empty()) inner.strings("alpn", o.alpn);
      if (o.ech) inner.boolean("ech", true);
      if (o.kind == ObservationKind::QuicSni) {
        char v[16];
        std::snprintf(v, sizeof v, "%08x", o.quic_version);
        inner.str("version", v);
      }
      event.object(o.kind == ObservationKind::Sni ? "tls" : "quic", inner);
      break;
    }
    case ObservationKind::HttpHost:
    case ObservationKind::HttpUrl:
    case ObservationKind::SearchTerm:
    case ObservationKind::HttpText: {
      const bool request =
          o.kind == ObservationKind::HttpUrl || o.kind == ObservationKind::HttpHost;
      std::string_view host = o.kind == ObservationKind::HttpHost ? o.value : o.http_host;
      if (!host.empty()) inner.str("hostname", host);
      std::string_view url = o.kind == ObservationKind::HttpUrl ? o.value : o.http_url;
      if (!url.empty()) inner.str("url", url);
      if (!o.http_method.empty()) inner.str("http_method", o.http_method);
      if (request && !o.http_user_agent.empty()) inner.str("http_user_agent", o.http_user_agent);
      // Page text stays out of events (it can be long and personal); the
      // alert names the entry that matched.
      if (o.kind == ObservationKind::SearchTerm) {
        inner.str("search_term", o.value);
        if (!o.search_engine.empty()) inner.str("search_engine", o.search_engine);
      }
      event.object("http", inner);
      break;
    }
  }
}

std::string to_eve_json(const Observation& o) {
  const std::string_view type = eve_event_type(o);
  if (type.empty()) return "";
  JsonObject event;
  append_eve_observation(event, o, type);
  return event.text();
}

std::string to_eve_json(const FlowSummary& f) {
  JsonObject event;
  event.str("timestamp", eve_timestamp(f.last_ts_us));
  event.num("flow_id", f.flow_id);
  event.str("event_type", "flow");
  event.str("src_ip", f.client.to_string());
  event.num("src_port", std::uint64_t{f.client_port});
  event.str("dest_ip", f.server.to_string());
  event.num("dest_port", std::uint64_t{f.server_port});
  event.str("proto", proto_name(f.transport));
  if (!f.classification.app_protocol.empty()) event.str("app_proto", f.classification.app_protocol);
  JsonObject flow;
  flow.num("pkts_toserver", f.packets_to_server)
      .num("pkts_toclient", f.packets_to_client)
      .num("bytes_toserver", f.bytes_to_server)
      .num("bytes_toclient", f.bytes_to_client)
      .str("start", eve_timestamp(f.first_ts_us))
      .str("end", eve_timestamp(f.last_ts_us))
      .str("reason", f.end_reason);
  event.object("flow", flow);
  const FlowClassification& c = f.classification;
  JsonObject ndpi;
  ndpi.str("protocol", c.app_protocol).str("category", c.category);
  if (!c.risks.empty()) ndpi.strings("risks", c.risks);
  std::vector<std::string> flags;
  for (std::string_view name : flow_flag_names(c.flags)) flags.emplace_back(name);
  if (!flags.empty()) ndpi.strings("circumvention", flags);
  event.object("ndpi", ndpi);
  return event.text();
}

}  // namespace vigil::inspect
