// The report as one self-contained HTML page, printable to PDF from any
// browser. Values reach the page only through html::escape().

#include "admin/console/html.h"

#include <cstdio>
#include <map>

#include "admin/report/output.h"
#include "admin/report/svg.h"

namespace vigil::report {
namespace {

using console::html::attr;
using console::html::escape;

constexpr const char* kStyle = R"css(
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c1c1c;
  max-width: 1060px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 .25rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 2px solid #1b4f72; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
p.meta { color: #444; margin: 0; }
p.banner { padding: .6rem .8rem; border-left: 4px solid #1b4f72; background: #eef3f7; }
p.banner.named { border-color: #c0392b; background: #fbeeec; }
p.empty { padding: .6rem .8rem; border: 1px dashed #777; font-weight: 600; }
nav ol { columns: 2; padding-left: 1.2rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: .6rem; }
.card { border: 1px solid #ccd; border-radius: 4px; padding: .5rem .7rem; }
.card b { display: block; font-size: 1.4rem; }
.card span { color: #444; font-size: .85rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; font-size: .88rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #c9ced6; padding: .25rem .45rem; vertical-align: top; text-align: left;
  overflow-wrap: break-word; }
td.long { overflow-wrap: anywhere; }
thead th { background: #eef1f5; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.none { color: #555; font-style: italic; }
p.def { color: #444; font-size: .82rem; margin: .1rem 0 1rem; }
svg.chart { width: 100%; height: auto; max-width: 760px; display: block; margin: .6rem 0; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #222; }
svg.chart text.v { fill: #444; }
svg.chart .axis { stroke: #666; stroke-width: 1; }
footer { margin-top: 3rem; color: #555; font-size: .82rem; }
@media screen and (max-width: 700px) {
  body { padding: .75rem .75rem 3rem; }
  /* A table with many columns scrolls inside itself, never the page. */
  table { display: block; overflow-x: auto; }
}
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10pt; max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  table, svg.chart, .cards, p.def { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  /* Paper cannot scroll: long words and numbers wrap so a table fits the page. */
  th, td, td.n { overflow-wrap: anywhere; white-space: normal; }
  p.banner, p.banner.named, thead th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// How a real number reads: shares and rates as percentages.
std::string real_html(std::string_view column, double v) {
  char buf[48];
  if (ends_with(column, "_share") || ends_with(column, "_rate")) {
    std::snprintf(buf, sizeof buf, "%.1f %%", v * 100.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  }
  return buf;
}

// Cell text (escaped) and the cell's class: numbers right-aligned, long
// text (hashes, hostile names) allowed to break anywhere.
std::pair<std::string, const char*> cell_html(std::string_view column, const Cell& c) {
  using Out = std::pair<std::string, const char*>;
  struct Visit {
    std::string_view column;
    Out operator()(std::monostate) const { return {"&ndash;", "n"}; }
    Out operator()(std::int64_t v) const { return {svg::thousands(v), "n"}; }
    Out operator()(double v) const { return {real_html(column, v), "n"}; }
    Out operator()(const std::string& v) const { return {escape(v), v.size() > 32 ? "long" : ""}; }
    Out operator()(TimeCell t) const { return {escape(format_utc_minute(t.us)), ""}; }
    Out operator()(bool b) const { return {b ? "yes" : "no", ""}; }
  };
  return std::visit(Visit{column}, c);
}

class Page {
 public:
  Page(const MonthlyReport& m, Audience audience) {
    for (Table& t : report_tables(m)) {
      if (t.names_people && audience != Audience::Named) continue;
      tables_.emplace(t.id, std::move(t));
    }
  }

  const Table* table(const std::string& id) const {
    auto it = tables_.find(id);
    return it == tables_.end() ? nullptr : &it->second;
  }

  // A table, its definition under it. Figure tables show their value
  // column by figure name, so a share reads as a percentage.
  std::string table_html(const std::string& id) const {
    const Table* t = table(id);
    if (t == nullptr) return {};
    const bool figures = !t->columns.empty() && t->columns.front().name == "figure";
    std::string out = "<table id=\"t-" + attr(t->id) + "\"><caption>" + escape(t->title) +
                      "</caption><thead><tr>";
    for (const Column& c : t->columns) out += "<th scope=\"col\">" + escape(c.label) + "</th>";
    out += "</tr></thead><tbody>";
    if (t->rows.empty()) {
      out += "<tr><td class=\"none\" colspan=\"" + std::to_string(t->columns.size()) +
             "\">None in this month.</td></tr>";
    }
    for (const std::vector<Cell>& row : t->rows) {
      out += "<tr>";
      std::string row_name;
      if (figures && !row.empty()) {
        if (const auto* s = std::get_if<std::string>(&row.front())) row_name = *s;
      }
      for (std::size_t i = 0; i < row.size() && i < t->columns.size(); ++i) {
        const std::string& col = figures && i == 1 ? row_name : t->columns[i].name;
        auto [text, cls] = cell_html(col, row[i]);
        if (figures && i == 0) {
          std::string label = row_name;
          for (char& ch : label) {
            if (ch == '_') ch = ' ';
          }
          text = escape(label);
        }
        out += *cls != '\0' ? std::string("<td class=\"") + cls + "\">" : std::string("<td>");
        out += text + "</td>";
      }
      out += "</tr>";
    }
    out += "</tbody></table>";
    if (!t->definition.empty()) out += "<p class=\"def\">" + escape(t->definition) + "</p>";
    return out;
  }

  std::string section(const std::string& id, const std::string& title, const std::string& body) {
    toc_.emplace_back(id, title);
    return "<section id=\"" + attr(id) + "\"><h2>" + escape(title) + "</h2>" + body + "</section>";
  }

  std::string toc() const {
    std::string out = "<nav aria-label=\"Contents\"><ol>";
    for (const auto& [id, title] : toc_) {
      out += "<li><a href=\"#" + attr(id) + "\">" + escape(title) + "</a></li>";
    }
    return out + "</ol></nav>";
  }

 private:
  std::map<std::string, Table> tables_;
  std::vector<std::pair<std::string, std::string>> toc_;
};

std::string para(const std::string& text) { return "<p>" + escape(text) + "</p>"; }

std::string card(std::int64_t value, const std::string& label) {
  return "<div class=\"card\"><b>" + svg::thousands(value) + "</b><span>" + escape(label) +
         "</span></div>";
}

}  // namespace

std::string render_html(const MonthlyReport& m, Audience audience) {
  const bool named = m.audience == Audience::Named && audience == Audience::Named;
  Page page(m, named ? Audience::Named : Audience::Aggregate);
  const std::string month_words =
      std::string(kMonths[(m.month.month - 1) % 12]) + " " + std::to_string(m.month.year);
  std::string body;

  // Summary.
  {
    std::string s = "<div class=\"cards\">";
    s += card(m.totals.hits, "hits recorded");
    s += card(m.totals.blocked, "with a block verdict (recorded, not stopped: see coverage)");
    s += card(m.totals.flagged, "flagged for attention");
    s += card(m.prevent.hits, "in the Prevent categories");
    s += card(m.circumvention_totals.hits, "circumvention attempts");
    s += card(m.incidents_opened, "incidents opened");
    s += card(m.concerns.raised, "concerns raised");
    s += card(m.concerns.closed, "concerns closed");
    s += "</div>";
    body += page.section("summary", "Summary", s);
  }

  // Coverage.
  {
    std::string s = para(
        "How much of the month Vigil saw, which rules it used, and what it cannot see. "
        "Uptime and the drop rate come from vigild's once-a-minute capture samples; for a "
        "month without any, uptime falls back to the minutes in which anything was recorded "
        "(a lower bound), as uptime_definition says.");
    s += page.table_html("coverage");
    s += page.table_html("rule_sets");
    s += page.table_html("statutory_lists");
    s += page.table_html("lists");
    s += "<h3 id=\"coverage-statement\">What Vigil can and cannot see</h3>";
    s += page.table_html("coverage_statement");
    body += page.section("coverage", "Coverage", s);
  }

  // Activity by category.
  {
    std::string s;
    if (m.totals.hits == 0) {
      s += "<p class=\"empty\">No hits were recorded in this month.</p>";
    } else {
      std::vector<std::string> labels;
      std::vector<svg::Series> series{
          {"blocked", {}}, {"flagged", {}}, {"logged", {}}, {"allowed", {}}};
      for (const CategoryRow& c : m.categories) {
        labels.push_back(c.category);
        series[0].values.push_back(c.hits.blocked);
        series[1].values.push_back(c.hits.flagged);
        series[2].values.push_back(c.hits.logged);
        series[3].values.push_back(c.hits.allowed);
      }
      s += svg::stacked_bars("chart-categories", "Hits per category, " + month_words,
                             "Bars of blocked, flagged, logged and allowed hits per category; "
                             "the figures are in the table 'Blocked and flagged activity by "
                             "category' below.",
                             labels, series);
    }
    s += page.table_html("categories");
    s += page.table_html("prevent");
    body += page.section("activity", "Blocked and flagged activity", s);
  }

  // Trend.
  {
    std::vector<std::string> labels;
    std::vector<svg::Series> series{
        {"hits", {}}, {"Prevent hits", {}}, {"circumvention", {}}, {"incidents", {}}};
    for (const TrendRow& t : m.trend) {
      labels.push_back(month_text(t.month));
      series[0].values.push_back(t.hits.hits);
      series[1].values.push_back(t.prevent_hits);
      series[2].values.push_back(t.circumvention_hits);
      series[3].values.push_back(t.incidents_opened);
    }
    std::string s =
        svg::lines("chart-trend", "Trend over " + std::to_string(m.trend.size()) + " months",
                   "Lines of hits, Prevent hits, circumvention attempts and "
                   "incidents per month; the figures are in the table 'Trend "
                   "against the previous months' below.",
                   labels, series);
    s += page.table_html("trend");
    std::vector<std::string> days;
    std::vector<std::int64_t> hits;
    for (const DayRow& d : m.days) {
      days.push_back(std::to_string(d.day + 1));
      hits.push_back(d.hits);
    }
    s += svg::columns("chart-daily", "Hits per day, " + month_words,
                      "Columns of hits per day of the month; the figures are in the table "
                      "'Hits per day' below.",
                      days, hits);
    s += page.table_html("daily");
    body += page.section("trend", "Trend", s);
  }

  body += page.section("domains", "Top domains", page.table_html("top_domains"));
  body += page.section("circumvention", "Circumvention attempts", page.table_html("circumvention"));
  body += page.section("concerns", "Concerns",
                       page.table_html("concerns") + page.table_html("concern_states") +
                           page.table_html("concern_outcomes"));
  body += page.section(
      "false-positives", "False positives",
      page.table_html("false_positives_lists") + page.table_html("false_positives_keywords"));
  body += page.section("decisions", "Decision log", page.table_html("decision_log"));
  body += page.section("checks", "Checks done",
                       page.table_html("check_results") + page.table_html("checks_log"));
  body += page.section("audit", "Audit log", page.table_html("audit"));
  if (named) {
    body += page.section("people", "People (named report)",
                         page.table_html("people_activity") + page.table_html("people_concerns") +
                             page.table_html("concerns_closed"));
  }

  std::string out =
      "<!doctype html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"referrer\" content=\"no-referrer\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">"
      "<title>Vigil monthly filtering report " +
      escape(month_text(m.month)) + "</title><style>" + kStyle + "</style></head><body>";
  out += "<header><h1>Monthly filtering and monitoring report: " + escape(month_words) + "</h1>";
  out += "<p class=\"meta\">" + escape(format_utc_minute(m.range.from_us)) + " to " +
         escape(format_utc_minute(m.range.to_us)) + " (the end excluded). Generated " +
         escape(format_utc_minute(m.generated_us)) + ".</p>";
  if (named) {
    out +=
        "<p class=\"banner named\">Named report for the DSL and deputy DSL: it names "
        "learners and staff. Keep it confidential and do not forward it.</p>";
  } else {
    out += "<p class=\"banner\">Aggregate report: it names no learner or member of staff.</p>";
  }
  if (m.empty()) {
    out +=
        "<p class=\"empty\">Nothing was recorded in this month: no hits, incidents, "
        "concern changes, decisions or checks. Every figure below is zero.</p>";
  }
  out += "</header>";
  out += page.toc();
  out += "<main>" + body + "</main>";
  out +=
      "<footer><p>Every figure is a count the incident store held when the report was "
      "generated, read in one snapshot. Times are UTC. The same tables are in the CSV "
      "files and report.json beside this page.</p></footer></body></html>\n";
  return out;
}

}  // namespace vigil::report
