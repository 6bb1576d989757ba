#include "admin/console/html.h"

#include <array>
#include <cstdio>

#include "admin/console/roles.h"

namespace vigil::console::html {
namespace {

void append_hex_byte(std::string& out, unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", c);
  out += buf;
}

// Code points shown as \u{XXXX} rather than rendered: they reorder or hide text.
bool misleading(char32_t cp) noexcept {
  return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF ||
         cp == 0x061C;
}

// Length of a valid UTF-8 sequence at s[i] and its code point, or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

struct NavItem {
  std::string_view key, label, href;
  Capability need;
};

constexpr std::array<NavItem, 12> kNav{{
    {"dashboard", "Dashboard", "/", Capability::ViewDashboard},
    {"incidents", "Incidents", "/incidents", Capability::ViewIncidents},
    {"concerns", "Concerns", "/concerns", Capability::ViewConcerns},
    {"raise", "Raise a concern", "/concerns/new", Capability::RaiseConcern},
    {"lists", "Lists", "/lists", Capability::ViewLists},
    {"people", "People and devices", "/people", Capability::ManagePeople},
    {"users", "Users", "/users", Capability::ManageUsers},
    {"reports", "Reports", "/reports", Capability::ViewReports},
    {"checks", "Checks", "/checks", Capability::ViewChecks},
    {"decisions", "Decision log", "/decisions", Capability::ViewDecisionLog},
    {"audit", "Audit log", "/audit", Capability::ViewAuditLog},
    {"settings", "Settings", "/settings", Capability::ManageSettings},
}};

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          if (c < 0x20 || c == 0x7F)
            append_hex_byte(out, c);
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = utf8_sequence(text, i, cp);
    if (len == 0) {
      append_hex_byte(out, c);
      ++i;
      continue;
    }
    if (misleading(cp)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string url_component(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::string csrf_field(const Principal& user) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + attr(user.csrf_token) + "\">";
}

std::string render(const Page& page) {
  std::string out;
  out.reserve(page.body.size() + 2048);
  out +=
      "<!doctype html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>";
  out += escape(page.title);
  out +=
      " - Vigil</title><link rel=\"icon\" href=\"data:,\">"
      "<link rel=\"stylesheet\" href=\"/static/console.css\">"
      "<script src=\"/static/console.js\" defer></script></head><body>";
  out += "<header><a class=\"brand\" href=\"/\">Vigil</a>";
  if (page.user != nullptr) {
    out += "<nav aria-label=\"Main\"><ul>";
    for (const NavItem& item : kNav) {
      if (!allowed(page.user->role, item.need)) continue;
      out += "<li><a href=\"";
      out += item.href;
      out += '"';
      if (item.key == page.active_nav) out += " aria-current=\"page\"";
      out += '>';
      out += item.label;
      out += "</a></li>";
    }
    if (!allowed(page.user->role, Capability::ViewConcerns) &&
        allowed(page.user->role, Capability::ViewOwnConcerns)) {
      out += "<li><a href=\"/concerns/mine\"";
      if (page.active_nav == "mine") out += " aria-current=\"page\"";
      out += ">My concerns</a></li>";
    }
    out += "</ul></nav><div class=\"who\"><a href=\"/account\">";
    out += escape(page.user->name);
    out += "</a> (";
    out += store::role_name(page.user->role);
    out += ")<form method=\"post\" action=\"/logout\">";
    out += csrf_field(*page.user);
    out += "<button type=\"submit\">Sign out</button></form></div>";
  }
  out += "</header><main>";
  out += "<h1>" + escape(page.title) + "</h1>";
  if (!page.flash.empty())
    out += "<p class=\"flash\" role=\"status\">" + escape(page.flash) + "</p>";
  out += page.body;
  out += "</main></body></html>\n";
  return out;
}

}  // namespace vigil::console::html
