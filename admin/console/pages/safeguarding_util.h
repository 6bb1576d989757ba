#pragma once
// Internal to the safeguarding pages: the pieces every page and endpoint
// shares (time in words, ids and dates from requests, store errors as
// responses, plain-word labels, JSON that is safe to embed anywhere), and
// the route lists of each area, joined by safeguarding_routes().

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/console/http.h"
#include "admin/console/pages/pages.h"
#include "admin/console/route.h"
#include "store/result.h"
#include "store/types.h"

namespace vigil::inspect {
class JsonObject;
}

namespace vigil::console::pages::safeguarding {

inline constexpr store::TimeUs kMinuteUs = 60'000'000;
inline constexpr store::TimeUs kHourUs = 60 * kMinuteUs;
inline constexpr store::TimeUs kDayUs = 24 * kHourUs;

// Now, from the options' clock or the system clock.
store::TimeUs now_us(const PagesOptions& options);

// "Sun 15 Mar 2026, 12:00 GMT" in the appliance's local time zone.
std::string format_time(store::TimeUs t);
// "15 Mar 2026" (local).
std::string format_date(store::TimeUs t);
// "2026-03-15T12:00:00Z" (UTC, for JSON).
std::string iso_time(store::TimeUs t);
// "2026-03-15T12:00" (local), the value of an <input type="datetime-local">.
std::string input_time(store::TimeUs t);
// "3 hours ago", "in 2 days".
std::string relative_time(store::TimeUs t, store::TimeUs now);
// The first microsecond of the local day after the one holding `t`.
store::TimeUs end_of_local_day(store::TimeUs t);

// A time typed into a form or given to the API: "YYYY-MM-DD",
// "YYYY-MM-DDTHH:MM[:SS]" (local time, or UTC with a trailing "Z"), or a
// whole number of microseconds since 1970.
std::optional<store::TimeUs> parse_time(std::string_view text);
// A positive decimal id without sign, spaces or leading zeros' surprises.
std::optional<std::int64_t> parse_id(std::string_view text);
std::string trim(std::string_view text);

// A store failure as the answer a user or API client can act on:
// Invalid 400, NotFound 404, Exists 409, Busy 503, anything else 500.
Response store_error(const Request& request, const store::Error& error);
// Text a person typed over several lines: each line escaped, joined by
// <br> (multiline), or by a line feed inside a <textarea> (textarea_text),
// where html::escape would show the line breaks as \x0A.
std::string multiline(std::string_view text);
std::string textarea_text(std::string_view text);
// The text on one line (line breaks as spaces), escaped: for <option>s.
std::string one_line(std::string_view text);
// The one-line JSON error of the API ({"error": "..."}), hardened.
Response api_error(int status, std::string_view message);
// 403 for a role that may not do this.
Response forbidden(const Request& request);
// 400 with the message (plain text, escaped by error_response).
Response bad_request(const Request& request, std::string_view message);
// A page in the signed-in layout (html::render) with `flash` (plain text) above it.
Response page_response(std::string title, std::string body, const Principal& user,
                       std::string_view active_nav, std::string flash = {});
// A refused form: for the API the one-line JSON error; for a page, the
// message inside the signed-in layout with a link back to `back`.
Response form_problem(const Request& request, const Principal& user, int status,
                      std::string_view message, std::string_view back);
// form_problem() for a store failure (status as store_error()).
Response form_store_error(const Request& request, const Principal& user, const store::Error& error,
                          std::string_view back);

Response json_reply(const inspect::JsonObject& object, int status = 200);

// Plain words for the store's names.
std::string_view severity_label(std::string_view severity);
std::string category_label(std::string_view category);
std::string_view incident_status_label(store::IncidentStatus status);
std::string_view concern_state_label(store::ConcernState state);
// The button that moves a concern into `to` ("Start the review", ...).
std::string_view transition_label(store::ConcernState from, store::ConcernState to);
std::string_view observation_label(std::string_view observation);

// A small HTML badge for a severity or under-18 flag (escaped inside).
std::string severity_badge(std::string_view severity);
std::string under_18_badge();

// "Ann Learner (L1001)", or the device "lab-pc-7 (10.0.0.5)" when the
// incident has no person. Plain text: escape before use.
std::string incident_subject(const store::Incident& incident);

// `path?k=v&...` with every name and value percent-encoded; no "?" when empty.
std::string with_query(std::string_view path, const Fields& query);

// A route whose handler also checks the capability itself (the server
// checks it first; handlers called any other way must not rely on that).
Route guarded(Method method, std::string_view pattern, Capability need, Handler handler);

// The routes of each area, in the order they must be matched (literal
// paths before {id} patterns).
std::vector<Route> dashboard_routes(const PagesOptions& options);
std::vector<Route> incident_routes(const PagesOptions& options);
std::vector<Route> concern_routes(const PagesOptions& options);
std::vector<Route> referral_routes(const PagesOptions& options);

// The user name the review timer writes escalations as.
inline constexpr std::string_view kReviewTimerActor = "vigil (review timer)";

}  // namespace vigil::console::pages::safeguarding
