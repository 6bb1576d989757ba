#include "daemon/notify/email.h"

#include <openssl/evp.h>
#include <time.h>

#include <string>
#include <vector>

namespace vigil::notify {
namespace {

constexpr std::size_t kMaxEncodedWordRaw = 45;  // 60 base64 characters + 12 of framing = 72
constexpr std::size_t kBodyLineChars = 76;

std::string base64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool is_printable_ascii(std::string_view s) {
  for (const char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Splits `text` into runs of at most `max` bytes, never inside a UTF-8 sequence.
std::vector<std::string_view> utf8_chunks(std::string_view text, std::size_t max) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    std::size_t n = std::min(max, text.size());
    if (n < text.size()) {
      while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
      if (n == 0) n = std::min(max, text.size());  // not UTF-8: split anywhere
    }
    out.push_back(text.substr(0, n));
    text.remove_prefix(n);
  }
  return out;
}

std::string_view domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view("vigil.invalid") : address.substr(at + 1);
}

}  // namespace

std::string rfc5322_date(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                              kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12],
                              tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return std::string(buf, static_cast<std::size_t>(n > 0 ? n : 0));
}

std::string encode_header_text(std::string_view utf8) {
  std::string clean(utf8);
  for (char& c : clean) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  // "=?" in plain text would read as the start of an encoded-word.
  if (is_printable_ascii(clean) && clean.find("=?") == std::string::npos) return clean;
  std::string out;
  for (const std::string_view chunk : utf8_chunks(clean, kMaxEncodedWordRaw)) {
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(chunk) + "?=";
  }
  return out;
}

bool is_plain_address(std::string_view address) noexcept {
  const auto at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size()) return false;
  if (address.find('@', at + 1) != std::string_view::npos || address.size() > 254) return false;
  for (const char c : address) {
    if (c <= 0x20 || c >= 0x7f) return false;
    switch (c) {
      case '<':
      case '>':
      case ',':
      case ';':
      case ':':
      case '"':
      case '(':
      case ')':
      case '[':
      case ']':
      case '\\':
        return false;
      default:
        break;
    }
  }
  return true;
}

std::optional<std::string> format_email(const Message& m, std::string_view from,
                                        std::span<const std::string> to, std::string& error) {
  if (!is_plain_address(from)) {
    error = "the sender address is not a plain address";
    return std::nullopt;
  }
  if (to.empty()) {
    error = "no recipients";
    return std::nullopt;
  }
  std::string to_header;
  for (const std::string& a : to) {
    if (!is_plain_address(a)) {
      error = "a recipient address is not a plain address";
      return std::nullopt;
    }
    if (!to_header.empty()) to_header += ",\r\n ";
    to_header += a;
  }
  std::string id;
  for (const char c : m.id) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.') {
      id += c;
    }
  }
  if (id.empty()) id = "vigil";

  // Body: CRLF line ends, and a final line end.
  std::string body;
  for (const char c : m.text) {
    if (c == '\n') {
      body += "\r\n";
    } else if (c != '\r') {
      body += c;
    }
  }
  if (body.size() < 2 || body.compare(body.size() - 2, 2, "\r\n") != 0) body += "\r\n";
  bool ascii = true;
  for (const char c : body) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == '\0') ascii = false;
  }

  std::string out;
  out += "Date: " + rfc5322_date(m.created) + "\r\n";
  out += "Message-ID: <" + id + "@" + std::string(domain_of(from)) + ">\r\n";
  out += "From: Vigil <" + std::string(from) + ">\r\n";
  out += "To: " + to_header + "\r\n";
  out += "Subject: " + encode_header_text(m.subject) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  // RFC 3834: vacation responders and the like must not reply.
  out += "Auto-Submitted: auto-generated\r\n";
  out += "X-Vigil-Event: " + std::string(kind_name(m.kind)) + "\r\n";
  if (ascii) {
    out += "Content-Transfer-Encoding: 7bit\r\n\r\n";
    out += body;
  } else {
    out += "Content-Transfer-Encoding: base64\r\n\r\n";
    const std::string encoded = base64(body);
    for (std::size_t i = 0; i < encoded.size(); i += kBodyLineChars) {
      out += encoded.substr(i, kBodyLineChars) + "\r\n";
    }
  }
  return out;
}

}  // namespace vigil::notify
