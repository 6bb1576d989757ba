#pragma once
// The report's outputs. Every table of the model is one Table; the HTML
// page, the CSV files and the JSON file are all written from the same
// Tables, so a figure reads the same in every format.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "admin/report/report.h"

namespace vigil::report {

struct TimeCell {
  store::TimeUs us = 0;
};

// null (not applicable: a rate over nothing), integer, real, text, time, yes/no.
using Cell = std::variant<std::monostate, std::int64_t, double, std::string, TimeCell, bool>;

struct Column {
  std::string name;   // snake_case: CSV header, JSON key
  std::string label;  // the HTML header
};

struct Table {
  std::string id;  // file name stem (<id>.csv) and JSON key
  std::string title;
  std::string definition;  // what the rows count, exactly
  bool names_people = false;
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
};

// Every table of the model, in page order. Tables that name people are
// there only when the model was built for the Named audience.
std::vector<Table> report_tables(const MonthlyReport& m);

// One self-contained HTML page: inline CSS with print styles, inline SVG
// charts with text fallbacks, no script, no external resource; every value
// escaped. The sections naming people appear only when both the model and
// `audience` are Named.
std::string render_html(const MonthlyReport& m, Audience audience);

// One RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes
// doubled). Text starting with = + - @ TAB or CR gets a leading apostrophe
// first, so a spreadsheet shows it instead of evaluating it.
std::string csv_text_field(std::string_view text);
// A whole table: header row then one line per row, CRLF line ends.
std::string csv_table(const Table& t);

// {"report": ..., "tables": {"<id>": {"title", "definition", "names_people",
// "columns", "rows": [{column: value}]}}}.
std::string json_report(const MonthlyReport& m);

struct Written {
  std::vector<std::string> files;  // paths written, in order
  std::string error;               // "" when every file was written
  explicit operator bool() const noexcept { return error.empty(); }
};

// DIR/<table id>.csv for every table.
Written write_csv(const MonthlyReport& m, const std::string& dir);
// DIR/report.json.
Written write_json(const MonthlyReport& m, const std::string& dir);
// DIR/report.html (for the model's own audience).
Written write_html(const MonthlyReport& m, const std::string& dir);

}  // namespace vigil::report
