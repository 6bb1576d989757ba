#include "daemon/identity/people_csv.h"

#include <array>
#include <exception>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/identity/text_util.h"

namespace vigil::identity {

namespace {

using detail::reject;

constexpr std::size_t kMaxFieldBytes = 4096;
constexpr std::size_t kMaxColumns = 64;
constexpr std::size_t kMaxReferenceBytes = 64;
constexpr std::size_t kMaxTextBytes = 255;
constexpr std::size_t kMaxDevicesPerPerson = 32;

enum class Column : std::uint8_t { Reference, Name, Cohort, Group, Under18, Devices, Count };
constexpr std::array<std::string_view, static_cast<std::size_t>(Column::Count)> kColumnNames = {
    "reference", "name", "cohort", "group", "under_18", "devices"};

struct Record {
  std::vector<std::string> fields;
  std::uint32_t line = 0;  // where the record starts
};

// RFC 4180 records, bounded: a field longer than kMaxFieldBytes or a record
// with more than kMaxColumns fields is an error, never an allocation.
class CsvReader {
 public:
  enum class Status : std::uint8_t { Ok, End, Error };

  explicit CsvReader(std::string_view text) : text_(text) {
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);
  }

  // On Error, `error` says why and the reader has moved past the bad record.
  Status next(Record& r, std::string& error) {
    r.fields.clear();
    r.line = line_;
    if (pos_ >= text_.size()) return Status::End;
    std::string field;
    while (true) {
      field.clear();
      // Spaces before an opening quote are tolerated (a hand-edited file).
      std::size_t p = pos_;
      while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t')) ++p;
      if (p < text_.size() && text_[p] == '"') {
        pos_ = p + 1;
        if (!quoted(field, r.line, error)) return fail();
      } else if (!unquoted(field, error)) {
        return fail();
      }
      if (r.fields.size() >= kMaxColumns) {
        error = "more than " + std::to_string(kMaxColumns) + " fields";
        return fail();
      }
      r.fields.push_back(field);
      // After a field: ',', a line end, or the end of the input.
      if (pos_ >= text_.size()) return Status::Ok;
      const char c = text_[pos_];
      if (c == ',') {
        ++pos_;
        continue;
      }
      end_line();
      return Status::Ok;
    }
  }

 private:
  // Consumes "\r\n", "\n" or "\r" at pos_.
  void end_line() {
    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    if (line_ < UINT32_MAX) ++line_;
  }

  // Skips the rest of the physical line after an error.
  Status fail() {
    while (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') ++pos_;
    end_line();
    return Status::Error;
  }

  bool unquoted(std::string& field, std::string& error) {
    const std::size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ',' || c == '\n' || c == '\r') break;
      if (c == '"') {
        error = "a quote inside an unquoted field (quote the whole field and double the quote)";
        return false;
      }
      ++pos_;
    }
    if (pos_ - start > kMaxFieldBytes) {
      error = "field longer than " + std::to_string(kMaxFieldBytes) + " bytes";
      return false;
    }
    field.assign(text_.substr(start, pos_ - start));
    return true;
  }

  bool quoted(std::string& field, std::uint32_t record_line, std::string& error) {
    while (true) {
      if (pos_ >= text_.size()) {
        error = "quoted field opened on line " + std::to_string(record_line) +
                " is not closed before end of file";
        return false;
      }
      const char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          ++pos_;
        } else {
          break;
        }
      } else if (c == '\n' && line_ < UINT32_MAX) {
        ++line_;
      }
      if (field.size() >= kMaxFieldBytes) {
        error = "field longer than " + std::to_string(kMaxFieldBytes) + " bytes";
        // Find the closing quote so the next record starts in the right place.
        while (pos_ < text_.size()) {
          const char d = text_[pos_++];
          if (d == '\n' && line_ < UINT32_MAX) ++line_;
          if (d == '"') {
            if (pos_ < text_.size() && text_[pos_] == '"') {
              ++pos_;
            } else {
              break;
            }
          }
        }
        return false;
      }
      field += c;
    }
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
      error = "text after a closing quote";
      return false;
    }
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
};

bool blank_record(const Record& r) {
  for (const auto& f : r.fields) {
    if (!detail::trim(f).empty()) return false;
  }
  return true;
}

std::string normalise_header(std::string_view name) {
  std::string out = detail::lower(detail::trim(name));
  for (char& c : out) {
    if (c == ' ' || c == '-') c = '_';
  }
  return out;
}

std::string quote_for_message(std::string_view s) {
  std::string out = "'";
  std::string clean;
  detail::sanitise_text(s.substr(0, 64), clean);
  out += clean;
  if (s.size() > 64) out += "...";
  out += '\'';
  return out;
}

// A text cell: trimmed, line breaks and tabs inside made spaces. Returns
// "" on success, else why not.
std::string text_cell(std::string_view raw, std::size_t max, std::string& out) {
  if (!detail::is_valid_utf8(raw)) {
    return "not valid UTF-8 (in Excel, save as \"CSV UTF-8\")";
  }
  out.assign(detail::trim(raw));
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (detail::has_control(out)) return "control character";
  if (out.size() > max) return "longer than " + std::to_string(max) + " bytes";
  return {};
}

class PeopleParser {
 public:
  PeopleParser(std::string_view text, PeopleImport& out, const Limits& limits, bool keep_valid)
      : reader_(text), out_(out), limits_(limits), keep_valid_(keep_valid) {}

  void run() {
    Record r;
    std::string error;
    // The header: the first record that is not blank.
    while (true) {
      const auto s = reader_.next(r, error);
      if (s == CsvReader::Status::End) {
        out_.diag.error = out_.diag.path + ": no header row (expected columns " + expected() + ")";
        return;
      }
      if (s == CsvReader::Status::Error) {
        out_.diag.error = out_.diag.path + ":" + std::to_string(r.line) + ": " + error;
        return;
      }
      if (!blank_record(r)) break;
      ++out_.diag.skipped;
    }
    if (!header(r)) return;

    while (true) {
      const auto s = reader_.next(r, error);
      if (s == CsvReader::Status::End) break;
      if (s == CsvReader::Status::Error) {
        reject(out_.diag, r.line, error);
        continue;
      }
      if (blank_record(r)) {
        ++out_.diag.skipped;
        continue;
      }
      if (out_.people.size() >= limits_.max_people) {
        reject(out_.diag, r.line, "more than " + std::to_string(limits_.max_people) + " people");
        break;
      }
      row(r);
    }
    if (out_.diag.invalid != 0 && !keep_valid_) {
      out_.diag.error = out_.diag.first_invalid.front();
      if (out_.diag.invalid > 1) {
        out_.diag.error += " (and " + std::to_string(out_.diag.invalid - 1) + " more)";
      }
      out_.people.clear();
      out_.devices.clear();
    }
    out_.diag.accepted = out_.people.size();
  }

 private:
  static std::string expected() {
    std::string s;
    for (const auto n : kColumnNames) {
      if (!s.empty()) s += ", ";
      s += n;
    }
    return s;
  }

  bool header(const Record& r) {
    column_of_field_.assign(r.fields.size(), Column::Count);
    std::vector<std::string> unknown;
    std::string problem;
    std::array<bool, kColumnNames.size()> seen{};
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      const std::string name = normalise_header(r.fields[i]);
      std::size_t k = 0;
      while (k < kColumnNames.size() && kColumnNames[k] != name) ++k;
      if (k == kColumnNames.size()) {
        unknown.push_back(name.empty() ? "column " + std::to_string(i + 1) + " (no name)"
                                       : quote_for_message(name));
        continue;
      }
      if (seen[k] && problem.empty()) problem = "column '" + name + "' appears twice";
      seen[k] = true;
      column_of_field_[i] = static_cast<Column>(k);
    }
    std::string where = out_.diag.path + ":" + std::to_string(r.line) + ": ";
    if (!unknown.empty()) {
      std::string list;
      for (const auto& u : unknown) {
        if (!list.empty()) list += ", ";
        list += u;
      }
      out_.diag.error = where + (unknown.size() == 1 ? "unknown column " : "unknown columns ") +
                        list + " (expected " + expected() + ")";
      return false;
    }
    if (!problem.empty()) {
      out_.diag.error = where + problem;
      return false;
    }
    if (!seen[static_cast<std::size_t>(Column::Reference)]) {
      out_.diag.error = where + "no 'reference' column (expected " + expected() + ")";
      return false;
    }
    return true;
  }

  void row(const Record& r) {
    if (r.fields.size() > column_of_field_.size()) {
      reject(out_.diag, r.line,
             std::to_string(r.fields.size()) + " fields, but the header has " +
                 std::to_string(column_of_field_.size()) + " columns");
      return;
    }
    Person p;
    std::vector<MacAddress> macs;
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      const Column col = column_of_field_[i];
      const std::string& raw = r.fields[i];
      const std::string_view col_name = kColumnNames[static_cast<std::size_t>(col)];
      std::string why;
      switch (col) {
        case Column::Reference:
          why = text_cell(raw, kMaxReferenceBytes, p.reference);
          break;
        case Column::Name:
          why = text_cell(raw, kMaxTextBytes, p.name);
          break;
        case Column::Cohort:
          why = text_cell(raw, kMaxTextBytes, p.cohort);
          break;
        case Column::Group:
          why = text_cell(raw, kMaxTextBytes, p.group);
          break;
        case Column::Under18:
          why = under_18(raw, p.under_18);
          break;
        case Column::Devices:
          why = devices(raw, macs);
          break;
        case Column::Count:
          break;
      }
      if (!why.empty()) {
        reject(out_.diag, r.line, std::string(col_name) + ": " + why);
        return;
      }
    }
    if (p.reference.empty()) {
      reject(out_.diag, r.line, "reference: empty (every person needs one)");
      return;
    }
    const auto [it, fresh] = line_of_reference_.emplace(p.reference, r.line);
    if (!fresh) {
      reject(out_.diag, r.line,
             "reference " + quote_for_message(p.reference) + " already used on line " +
                 std::to_string(it->second));
      return;
    }
    for (const auto& mac : macs) {
      const auto [owner, added] = owner_of_mac_.emplace(mac.key(), Owner{p.reference, r.line});
      if (!added) {
        if (owner->second.reference == p.reference) continue;  // listed twice for one person
        reject(out_.diag, r.line,
               "devices: " + mac.to_string() + " already belongs to " +
                   quote_for_message(owner->second.reference) + " (line " +
                   std::to_string(owner->second.line) + ")");
        return;
      }
      out_.devices.push_back(DeviceOwner{mac, p.reference});
    }
    out_.people.push_back(std::move(p));
  }

  static std::string under_18(std::string_view raw, std::optional<bool>& out) {
    const std::string v = detail::lower(detail::trim(raw));
    if (v.empty()) {
      out.reset();
    } else if (v == "yes" || v == "true" || v == "1") {
      out = true;
    } else if (v == "no" || v == "false" || v == "0") {
      out = false;
    } else {
      return "expected yes, no, true, false, 1, 0 or empty, got " + quote_for_message(v);
    }
    return {};
  }

  static std::string devices(std::string_view raw, std::vector<MacAddress>& out) {
    std::size_t i = 0;
    while (i < raw.size()) {
      auto sep = [](char c) { return c == ';' || c == ',' || detail::is_space(c); };
      while (i < raw.size() && sep(raw[i])) ++i;
      const std::size_t start = i;
      while (i < raw.size() && !sep(raw[i])) ++i;
      if (start == i) break;
      const std::string_view token = raw.substr(start, i - start);
      const auto mac = MacAddress::parse(token);
      if (!mac) return quote_for_message(token) + " is not a MAC address";
      if (!mac->is_device_address()) {
        return mac->to_string() + " is a multicast or all-zero address, not a device's";
      }
      if (out.size() >= kMaxDevicesPerPerson) {
        return "more than " + std::to_string(kMaxDevicesPerPerson) + " devices";
      }
      out.push_back(*mac);
    }
    return {};
  }

  struct Owner {
    std::string reference;
    std::uint32_t line = 0;
  };

  CsvReader reader_;
  PeopleImport& out_;
  const Limits& limits_;
  bool keep_valid_ = false;  // the console's import: keep valid rows beside the report
  std::vector<Column> column_of_field_;
  std::unordered_map<std::string, std::uint32_t> line_of_reference_;
  std::unordered_map<std::uint64_t, Owner> owner_of_mac_;
};

}  // namespace

namespace {
PeopleImport parse(std::string_view text, std::string path, const Limits& limits,
                   bool keep_valid) noexcept {
  PeopleImport out;
  try {
    out.diag.path = std::move(path);
    PeopleParser(text, out, limits, keep_valid).run();
  } catch (const std::exception& e) {
    out.people.clear();
    out.devices.clear();
    out.diag.error = out.diag.path + ": " + e.what();
  }
  return out;
}
}  // namespace

PeopleImport parse_people_csv(std::string_view text, std::string path,
                              const Limits& limits) noexcept {
  return parse(text, std::move(path), limits, false);
}

PeopleImport parse_people_csv_keep_valid(std::string_view text, std::string path,
                                         const Limits& limits) noexcept {
  return parse(text, std::move(path), limits, true);
}

}  // namespace vigil::identity
