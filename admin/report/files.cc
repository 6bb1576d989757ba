// CSV and JSON of every table, and writing the report's files.

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "admin/report/output.h"
#include "inspect/eve_json.h"

namespace vigil::report {
namespace {

std::string real_text(double v) {
  if (!std::isfinite(v)) return {};
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return {};
  return std::string(buf, p);
}

std::string csv_cell(const Cell& c) {
  struct Visit {
    std::string operator()(std::monostate) const { return {}; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return real_text(v); }
    std::string operator()(const std::string& v) const { return csv_text_field(v); }
    std::string operator()(TimeCell t) const { return format_utc_iso(t.us); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
  };
  return std::visit(Visit{}, c);
}

void append_json_cell(std::string& out, const Cell& c) {
  struct Visit {
    std::string& out;
    void operator()(std::monostate) const { out += "null"; }
    void operator()(std::int64_t v) const { out += std::to_string(v); }
    void operator()(double v) const {
      const std::string t = real_text(v);
      out += t.empty() ? "null" : t;
    }
    void operator()(const std::string& v) const { inspect::append_json_string(out, v); }
    void operator()(TimeCell t) const { inspect::append_json_string(out, format_utc_iso(t.us)); }
    void operator()(bool b) const { out += b ? "true" : "false"; }
  };
  std::visit(Visit{out}, c);
}

// Written beside the target and renamed over it, so a reader never sees
// half a file.
std::string write_file(const std::filesystem::path& path, const std::string& body) {
  const std::string tmp = path.string() + ".partial";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return tmp + ": " + std::strerror(errno);
  const bool wrote = std::fwrite(body.data(), 1, body.size(), f) == body.size();
  const int saved = errno;
  if (std::fclose(f) != 0 || !wrote) {
    std::remove(tmp.c_str());
    return tmp + ": " + std::strerror(wrote ? errno : saved);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return path.string() + ": " + ec.message();
  }
  return {};
}

}  // namespace

std::string csv_text_field(std::string_view text) {
  std::string v;
  if (!text.empty() && (text.front() == '=' || text.front() == '+' || text.front() == '-' ||
                        text.front() == '@' || text.front() == '\t' || text.front() == '\r')) {
    v += '\'';
  }
  v.append(text);
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char ch : v) {
    if (ch == '"') q += '"';
    q += ch;
  }
  q += '"';
  return q;
}

std::string csv_table(const Table& t) {
  std::string out;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_text_field(t.columns[i].name);
  }
  out += "\r\n";
  for (const std::vector<Cell>& row : t.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += ',';
      out += csv_cell(row[i]);
    }
    out += "\r\n";
  }
  return out;
}

std::string json_report(const MonthlyReport& m) {
  std::string out = "{\"report\":\"vigil monthly filtering report\",\"format\":1,\"month\":";
  inspect::append_json_string(out, month_text(m.month));
  out += ",\"from_us\":" + std::to_string(m.range.from_us);
  out += ",\"to_us\":" + std::to_string(m.range.to_us);
  out += ",\"generated_us\":" + std::to_string(m.generated_us);
  out += ",\"audience\":";
  inspect::append_json_string(out, audience_name(m.audience));
  out += ",\"tables\":{";
  bool first_table = true;
  for (const Table& t : report_tables(m)) {
    if (!first_table) out += ',';
    first_table = false;
    inspect::append_json_string(out, t.id);
    out += ":{\"title\":";
    inspect::append_json_string(out, t.title);
    out += ",\"definition\":";
    inspect::append_json_string(out, t.definition);
    out += ",\"names_people\":";
    out += t.names_people ? "true" : "false";
    out += ",\"columns\":[";
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      if (i > 0) out += ',';
      inspect::append_json_string(out, t.columns[i].name);
    }
    out += "],\"rows\":[";
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      if (r > 0) out += ',';
      out += '{';
      for (std::size_t i = 0; i < t.rows[r].size() && i < t.columns.size(); ++i) {
        if (i > 0) out += ',';
        inspect::append_json_string(out, t.columns[i].name);
        out += ':';
        append_json_cell(out, t.rows[r][i]);
      }
      out += '}';
    }
    out += "]}";
  }
  out += "}}\n";
  return out;
}

Written write_csv(const MonthlyReport& m, const std::string& dir) {
  Written w;
  for (const Table& t : report_tables(m)) {
    const std::filesystem::path path = std::filesystem::path(dir) / (t.id + ".csv");
    if (std::string e = write_file(path, csv_table(t)); !e.empty()) {
      w.error = e;
      return w;
    }
    w.files.push_back(path.string());
  }
  return w;
}

Written write_json(const MonthlyReport& m, const std::string& dir) {
  Written w;
  const std::filesystem::path path = std::filesystem::path(dir) / "report.json";
  w.error = write_file(path, json_report(m));
  if (w.error.empty()) w.files.push_back(path.string());
  return w;
}

Written write_html(const MonthlyReport& m, const std::string& dir) {
  Written w;
  const std::filesystem::path path = std::filesystem::path(dir) / "report.html";
  w.error = write_file(path, render_html(m, m.audience));
  if (w.error.empty()) w.files.push_back(path.string());
  return w;
}

}  // namespace vigil::report
