#pragma once
// RFC 5322 / MIME formatting of a Message for SMTP. Pure functions, so the
// exact bytes handed to libcurl can be tested without a server.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "daemon/notify/notification.h"

namespace vigil::notify {

// "Tue, 03 Jun 2025 10:00:00 +0000" (RFC 5322 section 3.3, in UTC).
std::string rfc5322_date(TimePoint t);

// Header text as is when it is printable ASCII, else RFC 2047 encoded-words
// (=?UTF-8?B?...?=, each at most 75 characters, never splitting a UTF-8
// sequence) folded onto continuation lines. Control characters, CR and LF
// included, are replaced by spaces first, so text can never start a header.
std::string encode_header_text(std::string_view utf8);

// True for a bare addr-spec a header can carry: local@domain, printable
// ASCII, no spaces, angle brackets, commas, quotes or control characters.
bool is_plain_address(std::string_view address) noexcept;

// The complete message: Date, Message-ID (<id@from's domain>), From, To,
// Subject, MIME-Version, Content-Type text/plain UTF-8, Auto-Submitted, with
// CRLF line ends; the body 7bit when ASCII, else base64. nullopt (and
// `error`) when an address is not is_plain_address(). Dot-stuffing is
// libcurl's job, not this function's.
std::optional<std::string> format_email(const Message& m, std::string_view from,
                                        std::span<const std::string> to, std::string& error);

}  // namespace vigil::notify
