#include "admin/report/svg.h"

#include <algorithm>
#include <cstdio>

#include "admin/console/html.h"

namespace vigil::report::svg {
namespace {

using console::html::attr;
using console::html::escape;

// Distinguishable in colour and in greyscale print (light to dark).
constexpr const char* kPalette[] = {"#1b4f72", "#d35400", "#7d3c98", "#229954",
                                    "#b7950b", "#5d6d7e", "#c0392b", "#17a589"};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string colour(std::size_t i) { return kPalette[i % (sizeof kPalette / sizeof kPalette[0])]; }

// A round upper bound for the axis: 1, 2, 5 times a power of ten.
std::int64_t nice_max(std::int64_t v) {
  if (v <= 0) return 1;
  std::int64_t step = 1;
  while (step * 10 <= v) step *= 10;
  for (std::int64_t m : {1, 2, 5, 10}) {
    if (step * m >= v) return step * m;
  }
  return step * 10;
}

std::string open_svg(const std::string& id, const std::string& title, const std::string& fallback,
                     int width, int height) {
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" ";
  out += "viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) + "\" ";
  out += "aria-labelledby=\"" + attr(id) + "-t " + attr(id) + "-d\">";
  out += "<title id=\"" + attr(id) + "-t\">" + escape(title) + "</title>";
  out += "<desc id=\"" + attr(id) + "-d\">" + escape(fallback) + "</desc>";
  return out;
}

std::string text(double x, double y, const std::string& s, const char* anchor = "start",
                 const char* cls = "") {
  std::string out =
      "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor + "\"";
  if (*cls != '\0') out += std::string(" class=\"") + cls + "\"";
  return out + ">" + escape(s) + "</text>";
}

std::string legend(const std::vector<Series>& series, double x, double y) {
  std::string out;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const double lx = x + static_cast<double>(i) * 130.0;
    out += "<rect x=\"" + num(lx) + "\" y=\"" + num(y - 9) +
           "\" width=\"10\" height=\"10\" fill=\"" + colour(i) + "\"/>";
    out += text(lx + 14, y, series[i].name);
  }
  return out;
}

}  // namespace

std::string thousands(std::int64_t v) {
  const std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out = v < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string stacked_bars(const std::string& id, const std::string& title,
                         const std::string& fallback, const std::vector<std::string>& labels,
                         const std::vector<Series>& series) {
  constexpr int kWidth = 760;
  constexpr double kLabelW = 170;
  constexpr double kBarH = 18;
  constexpr double kGap = 6;
  constexpr double kTop = 30;
  const double plot_w = kWidth - kLabelW - 70;
  std::vector<std::int64_t> totals(labels.size(), 0);
  for (const Series& s : series) {
    for (std::size_t i = 0; i < labels.size() && i < s.values.size(); ++i) totals[i] += s.values[i];
  }
  const std::int64_t max =
      nice_max(totals.empty() ? 0 : *std::max_element(totals.begin(), totals.end()));
  const int height =
      static_cast<int>(kTop + static_cast<double>(labels.size()) * (kBarH + kGap) + 24);
  std::string out = open_svg(id, title, fallback, kWidth, height);
  out += legend(series, kLabelW, 14);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double y = kTop + static_cast<double>(i) * (kBarH + kGap);
    out += text(kLabelW - 6, y + kBarH - 5, labels[i], "end");
    double x = kLabelW;
    for (std::size_t k = 0; k < series.size(); ++k) {
      const std::int64_t v = i < series[k].values.size() ? series[k].values[i] : 0;
      if (v <= 0) continue;
      const double w = plot_w * static_cast<double>(v) / static_cast<double>(max);
      out += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) + "\" height=\"" +
             num(kBarH) + "\" fill=\"" + colour(k) + "\"><title>" +
             escape(labels[i] + ", " + series[k].name + ": " + thousands(v)) + "</title></rect>";
      x += w;
    }
    out += text(x + 4, y + kBarH - 5, thousands(totals[i]), "start", "v");
  }
  const double axis_y = kTop + static_cast<double>(labels.size()) * (kBarH + kGap);
  out += "<line x1=\"" + num(kLabelW) + "\" y1=\"" + num(axis_y) + "\" x2=\"" +
         num(kLabelW + plot_w) + "\" y2=\"" + num(axis_y) + "\" class=\"axis\"/>";
  out += text(kLabelW, axis_y + 16, "0");
  out += text(kLabelW + plot_w, axis_y + 16, thousands(max), "end");
  return out + "</svg>";
}

std::string columns(const std::string& id, const std::string& title, const std::string& fallback,
                    const std::vector<std::string>& labels,
                    const std::vector<std::int64_t>& values) {
  constexpr int kWidth = 760;
  constexpr int kHeight = 220;
  constexpr double kLeft = 50;
  constexpr double kTop = 14;
  constexpr double kBottom = 30;
  const double plot_w = kWidth - kLeft - 10;
  const double plot_h = kHeight - kTop - kBottom;
  const std::int64_t max =
      nice_max(values.empty() ? 0 : *std::max_element(values.begin(), values.end()));
  std::string out = open_svg(id, title, fallback, kWidth, kHeight);
  const double slot = labels.empty() ? plot_w : plot_w / static_cast<double>(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::int64_t v = i < values.size() ? values[i] : 0;
    const double h = plot_h * static_cast<double>(v) / static_cast<double>(max);
    const double x = kLeft + static_cast<double>(i) * slot;
    if (v > 0) {
      out += "<rect x=\"" + num(x + slot * 0.1) + "\" y=\"" + num(kTop + plot_h - h) +
             "\" width=\"" + num(slot * 0.8) + "\" height=\"" + num(h) + "\" fill=\"" + colour(0) +
             "\"><title>" + escape(labels[i] + ": " + thousands(v)) + "</title></rect>";
    }
    // Every label when they fit, else every fifth.
    if (labels.size() <= 16 || i % 5 == 0) {
      out += text(x + slot / 2, kTop + plot_h + 16, labels[i], "middle");
    }
  }
  out += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop + plot_h) + "\" x2=\"" +
         num(kLeft + plot_w) + "\" y2=\"" + num(kTop + plot_h) + "\" class=\"axis\"/>";
  out += text(kLeft - 6, kTop + plot_h, "0", "end");
  out += text(kLeft - 6, kTop + 10, thousands(max), "end");
  return out + "</svg>";
}

std::string lines(const std::string& id, const std::string& title, const std::string& fallback,
                  const std::vector<std::string>& labels, const std::vector<Series>& series) {
  constexpr int kWidth = 760;
  constexpr int kHeight = 240;
  constexpr double kLeft = 60;
  constexpr double kTop = 30;
  constexpr double kBottom = 30;
  const double plot_w = kWidth - kLeft - 40;
  const double plot_h = kHeight - kTop - kBottom;
  std::int64_t top = 0;
  for (const Series& s : series) {
    for (std::int64_t v : s.values) top = std::max(top, v);
  }
  const std::int64_t max = nice_max(top);
  std::string out = open_svg(id, title, fallback, kWidth, kHeight);
  out += legend(series, kLeft, 14);
  const double step =
      labels.size() > 1 ? plot_w / static_cast<double>(labels.size() - 1) : plot_w / 2;
  auto px = [&](std::size_t i) {
    return labels.size() > 1 ? kLeft + static_cast<double>(i) * step : kLeft + plot_w / 2;
  };
  auto py = [&](std::int64_t v) {
    return kTop + plot_h - plot_h * static_cast<double>(v) / static_cast<double>(max);
  };
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out += text(px(i), kTop + plot_h + 18, labels[i], "middle");
  }
  out += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop + plot_h) + "\" x2=\"" +
         num(kLeft + plot_w) + "\" y2=\"" + num(kTop + plot_h) + "\" class=\"axis\"/>";
  out += text(kLeft - 6, kTop + plot_h, "0", "end");
  out += text(kLeft - 6, kTop + 10, thousands(max), "end");
  for (std::size_t k = 0; k < series.size(); ++k) {
    std::string points;
    for (std::size_t i = 0; i < labels.size() && i < series[k].values.size(); ++i) {
      if (!points.empty()) points += ' ';
      points += num(px(i)) + "," + num(py(series[k].values[i]));
    }
    out += "<polyline fill=\"none\" stroke=\"" + colour(k) + "\" stroke-width=\"2\" points=\"" +
           points + "\"/>";
    for (std::size_t i = 0; i < labels.size() && i < series[k].values.size(); ++i) {
      out += "<circle cx=\"" + num(px(i)) + "\" cy=\"" + num(py(series[k].values[i])) +
             "\" r=\"3\" fill=\"" + colour(k) + "\"><title>" +
             escape(series[k].name + ", " + labels[i] + ": " + thousands(series[k].values[i])) +
             "</title></circle>";
    }
  }
  return out + "</svg>";
}

}  // namespace vigil::report::svg
