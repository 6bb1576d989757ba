#pragma once
// Writing HTML safely. Every value that came from a packet, a list, a CSV
// or a form (names, URLs, search terms, notes) goes through escape() or
// attr(); nothing else is ever concatenated into a page. The layout has no
// inline script or style (the CSP forbids both): behaviour lives in
// /static/console.js, looks in /static/console.css.

#include <string>
#include <string_view>

#include "admin/console/http.h"

namespace vigil::console::html {

// Text content and attribute values (always double-quoted): & < > " ' are
// replaced by entities. Bytes that would mislead a reader are shown, not
// passed: C0 controls and DEL as \xNN, invalid UTF-8 as \xNN per byte,
// bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069),
// zero-width characters (U+200B..U+200F, U+FEFF) and U+2028/U+2029 as
// \u{XXXX}. A host name cannot pretend to be another by reordering itself.
std::string escape(std::string_view text);
inline std::string attr(std::string_view text) { return escape(text); }

// A query-string or path component: everything but unreserved characters
// is %XX-encoded.
std::string url_component(std::string_view text);

// <input type="hidden" name="csrf" value="..."> for the signed-in user.
std::string csrf_field(const Principal& user);

struct Page {
  std::string title;                // plain text, escaped here
  std::string body;                 // already-safe HTML
  const Principal* user = nullptr;  // null on the login page: no navigation
  std::string_view active_nav;      // the nav item to mark current ("incidents", ...)
  std::string flash;                // plain text message shown above the body
};

// The whole document: doctype, meta viewport (usable on a phone), the
// stylesheet and script links, navigation with only the items the user's
// role may use, a sign-out form carrying the CSRF token.
std::string render(const Page& page);

}  // namespace vigil::console::html
