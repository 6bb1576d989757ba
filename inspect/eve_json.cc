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

void append_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;  // keys are ours, plain ASCII
  out += "\":";
}

void field(std::string& out, std::string_view key, std::string_view value) {
  append_key(out, key);
  append_json_string(out, value);
  out += ',';
}

void field(std::string& out, std::string_view key, std::uint64_t value) {
  append_key(out, key);
  out += std::to_string(value);
  out += ',';
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

void close_object(std::string& out) {
  if (!out.empty() && out.back() == ',') out.pop_back();
  out += '}';
}

void string_array(std::string& out, std::string_view key, const std::vector<std::string>& v) {
  append_key(out, key);
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, v[i]);
  }
  out += "],";
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

std::string to_eve_json(const Observation& o) {
  std::string out = "{";
  field(out, "timestamp", eve_timestamp(o.ts_us));
  field(out, "flow_id", o.flow_id);
  switch (o.kind) {
    case ObservationKind::Dns:
      field(out, "event_type", "dns");
      break;
    case ObservationKind::Sni:
      field(out, "event_type", "tls");
      break;
    case ObservationKind::QuicSni:
      field(out, "event_type", "quic");
      break;
    case ObservationKind::HttpHost:
      return "";  // the http_url observation of the same request carries the host
    case ObservationKind::HttpUrl:
      field(out, "event_type", "http");
      break;
    case ObservationKind::DnsAnswer:
    case ObservationKind::SearchTerm:  // reported inside the alert that matched it
    case ObservationKind::HttpText:
      return "";
  }
  // EVE reports the packet's own direction; for a DNS response the sender is the server.
  bool server_sent = o.kind == ObservationKind::Dns && o.dns_response;
  field(out, "src_ip", (server_sent ? o.server : o.client).to_string());
  field(out, "src_port", server_sent ? o.server_port : o.client_port);
  field(out, "dest_ip", (server_sent ? o.client : o.server).to_string());
  field(out, "dest_port", server_sent ? o.client_port : o.server_port);
  field(out, "proto", proto_name(o.transport));
  switch (o.kind) {
    case ObservationKind::Dns:
      append_key(out, "dns");
      out += '{';
      field(out, "type", o.dns_response ? "answer" : "query");
      field(out, "id", o.dns_id);
      field(out, "rrname", o.value);
      if (o.dns_response && !o.dns_addresses.empty())
        string_array(out, "addresses", o.dns_addresses);
      close_object(out);
      out += ',';
      break;
    case ObservationKind::Sni:
    case ObservationKind::QuicSni:
      append_key(out, o.kind == ObservationKind::Sni ? "tls" : "quic");
      out += '{';
      field(out, "sni", o.value);
      if (!o.alpn.empty()) string_array(out, "alpn", o.alpn);
      if (o.ech) {
        append_key(out, "ech");
        out += "true,";
      }
      if (o.kind == ObservationKind::QuicSni) {
        char v[16];
        std::snprintf(v, sizeof v, "%08x", o.quic_version);
        field(out, "version", v);
      }
      close_object(out);
      out += ',';
      break;
    case ObservationKind::HttpUrl:
      append_key(out, "http");
      out += '{';
      if (!o.http_host.empty()) field(out, "hostname", o.http_host);
      field(out, "url", o.value);
      field(out, "http_method", o.http_method);
      if (!o.http_user_agent.empty()) field(out, "http_user_agent", o.http_user_agent);
      close_object(out);
      out += ',';
      break;
    case ObservationKind::HttpHost:
    case ObservationKind::DnsAnswer:
    case ObservationKind::SearchTerm:
    case ObservationKind::HttpText:
      break;
  }
  close_object(out);
  return out;
}

std::string to_eve_json(const FlowSummary& f) {
  std::string out = "{";
  field(out, "timestamp", eve_timestamp(f.last_ts_us));
  field(out, "flow_id", f.flow_id);
  field(out, "event_type", "flow");
  field(out, "src_ip", f.client.to_string());
  field(out, "src_port", f.client_port);
  field(out, "dest_ip", f.server.to_string());
  field(out, "dest_port", f.server_port);
  field(out, "proto", proto_name(f.transport));
  if (!f.classification.app_protocol.empty()) {
    field(out, "app_proto", f.classification.app_protocol);
  }
  append_key(out, "flow");
  out += '{';
  field(out, "pkts_toserver", f.packets_to_server);
  field(out, "pkts_toclient", f.packets_to_client);
  field(out, "bytes_toserver", f.bytes_to_server);
  field(out, "bytes_toclient", f.bytes_to_client);
  field(out, "start", eve_timestamp(f.first_ts_us));
  field(out, "end", eve_timestamp(f.last_ts_us));
  field(out, "reason", f.end_reason);
  close_object(out);
  out += ',';
  const FlowClassification& c = f.classification;
  append_key(out, "ndpi");
  out += '{';
  field(out, "protocol", c.app_protocol);
  field(out, "category", c.category);
  if (!c.risks.empty()) string_array(out, "risks", c.risks);
  std::vector<std::string> flags;
  if (c.flags & kFlowVpn) flags.emplace_back("vpn");
  if (c.flags & kFlowTor) flags.emplace_back("tor");
  if (c.flags & kFlowProxy) flags.emplace_back("proxy");
  if (c.flags & kFlowEncryptedDns) flags.emplace_back("encrypted_dns");
  if (c.flags & kFlowEch) flags.emplace_back("ech");
  if (c.flags & kFlowRemoteDesktop) flags.emplace_back("remote_desktop");
  if (!flags.empty()) string_array(out, "circumvention", flags);
  close_object(out);
  out += ',';
  close_object(out);
  return out;
}

}  // namespace vigil::inspect
