#pragma once
// Inline SVG charts for the report page: no script, no external resource,
// every label escaped. Each chart carries a <title> and a <desc> naming
// the table below it that holds the same figures (the text fallback).

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::report::svg {

// 1234567 -> "1,234,567", as the page writes counts.
std::string thousands(std::int64_t v);

struct Series {
  std::string name;
  std::vector<std::int64_t> values;  // one per label
};

// Horizontal bars, one per label, each split into the series' parts
// (stacked left to right), with a legend.
std::string stacked_bars(const std::string& id, const std::string& title,
                         const std::string& fallback, const std::vector<std::string>& labels,
                         const std::vector<Series>& series);

// Vertical columns, one per label (e.g. days of the month).
std::string columns(const std::string& id, const std::string& title, const std::string& fallback,
                    const std::vector<std::string>& labels,
                    const std::vector<std::int64_t>& values);

// One line per series over the labels (e.g. months), with points and a legend.
std::string lines(const std::string& id, const std::string& title, const std::string& fallback,
                  const std::vector<std::string>& labels, const std::vector<Series>& series);

}  // namespace vigil::report::svg
