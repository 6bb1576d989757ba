// The Prometheus text exposition format 0.0.4, written from MetricSample
// values. Label values may carry names seen on the network (interfaces,
// groups, categories from lists), so they are escaped and kept valid UTF-8:
// one bad value must not make the whole scrape unreadable.

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/control/metrics_server.h"

namespace vigil::daemon {
namespace {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// Length of the valid UTF-8 sequence starting at s[i], 0 when there is none.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// Backslash and line feed always; the double quote inside label values.
void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
      ++i;
      continue;
    }
    char c = s[i];
    if (n == 1 && c == '\\') {
      out += "\\\\";
    } else if (n == 1 && c == '\n') {
      out += "\\n";
    } else if (n == 1 && c == '"' && quote) {
      out += "\\\"";
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v == 0 ? 0.0 : v);  // no "-0"
    out += buf;
  } else {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round trip
    out.append(buf, ec == std::errc() ? end : buf);
  }
}

bool valid_sample(const MetricSample& s) {
  if (!is_valid_metric_name(s.name)) return false;
  for (std::size_t i = 0; i < s.labels.size(); ++i) {
    if (!is_valid_label_name(s.labels[i].first)) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (s.labels[j].first == s.labels[i].first) return false;
    }
  }
  return true;
}

std::string_view type_word(std::string_view type) {
  if (type == "counter" || type == "gauge") return type;
  return "untyped";
}

}  // namespace

bool is_valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_name_start(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!is_name_char(c) && c != ':') return false;
  }
  return true;
}

bool is_valid_label_name(std::string_view name) {
  if (name.empty() || !is_name_start(name[0]) || name.starts_with("__")) return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

std::string render_exposition(std::span<const MetricSample> samples) {
  // Samples of one name must be consecutive: group them, first appearance first.
  std::vector<std::vector<const MetricSample*>> families;
  std::unordered_map<std::string_view, std::size_t> family_of;
  std::size_t invalid = 0;
  for (const MetricSample& s : samples) {
    if (!valid_sample(s)) {
      ++invalid;
      continue;
    }
    auto [it, added] = family_of.try_emplace(s.name, families.size());
    if (added) families.emplace_back();
    families[it->second].push_back(&s);
  }

  std::string out;
  for (const auto& family : families) {
    const MetricSample& first = *family.front();
    if (!first.help.empty()) {
      out += "# HELP ";
      out += first.name;
      out += ' ';
      append_escaped(out, first.help, /*quote=*/false);
      out += '\n';
    }
    out += "# TYPE ";
    out += first.name;
    out += ' ';
    out += type_word(first.type);
    out += '\n';
    for (const MetricSample* s : family) {
      out += s->name;
      if (!s->labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < s->labels.size(); ++i) {
          if (i > 0) out += ',';
          out += s->labels[i].first;
          out += "=\"";
          append_escaped(out, s->labels[i].second, /*quote=*/true);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      append_value(out, s->value);
      out += '\n';
    }
  }
  if (invalid > 0) {
    out +=
        "# HELP vigil_metrics_invalid_samples Samples left out of this scrape: a metric or label "
        "name that is not valid.\n"
        "# TYPE vigil_metrics_invalid_samples gauge\n"
        "vigil_metrics_invalid_samples ";
    out += std::to_string(invalid);
    out += '\n';
  }
  return out;
}

}  // namespace vigil::daemon
