#include "daemon/identity/lease_files.h"

#include <array>
#include <chrono>
#include <exception>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/identity/text_util.h"

namespace vigil::identity {

namespace {

using detail::reject;

constexpr std::size_t kMaxLineBytes = 4096;      // dnsmasq writes well under 1 KiB a line
constexpr std::size_t kMaxTokenBytes = 4096;     // dhcpd words and decoded strings
constexpr std::size_t kMaxStatementTokens = 32;  // dhcpd statement head
constexpr std::size_t kMaxHostnameBytes = 255;
constexpr std::size_t kMaxClientIdBytes = 255;  // DHCP option 61 / a DUID is at most 130

struct IpKeyHash {
  std::size_t operator()(const IpAddress& a) const noexcept {
    std::uint64_t h = a.v6 ? 0x9e3779b97f4a7c15ull : 0;
    for (const auto b : a.bytes) h = (h ^ b) * 0x100000001b3ull;
    return static_cast<std::size_t>(h);
  }
};

// Adds or replaces (same address: the later entry wins) a lease.
class LeaseSet {
 public:
  LeaseSet(LeaseFile& out, const Limits& limits) : out_(out), limits_(limits) {}

  void put(Lease lease) {
    const auto it = index_.find(lease.ip);
    if (it != index_.end()) {
      out_.leases[it->second] = std::move(lease);
      return;
    }
    if (out_.leases.size() >= limits_.max_leases) {
      ++out_.diag.truncated;
      return;
    }
    index_.emplace(lease.ip, out_.leases.size());
    out_.leases.push_back(std::move(lease));
  }
  void finish() { out_.diag.accepted = out_.leases.size(); }

 private:
  LeaseFile& out_;
  const Limits& limits_;
  std::unordered_map<IpAddress, std::size_t, IpKeyHash> index_;
};

void set_hostname(std::string_view raw, Lease& lease, ParseDiagnostics& diag) {
  if (detail::sanitise_text(raw, lease.hostname)) ++diag.sanitised;
  if (lease.hostname.size() > kMaxHostnameBytes) {
    detail::cut_utf8(lease.hostname, kMaxHostnameBytes);
    ++diag.sanitised;
  }
}

// ------------------------------------------------------------------ dnsmasq

// Returns "" on success, else why the line was refused.
std::string parse_dnsmasq_line(std::string_view line, Lease& lease, ParseDiagnostics& diag) {
  std::array<std::string_view, 5> f;
  std::size_t n = 0;
  while (true) {
    line = detail::trim(line);
    if (line.empty()) break;
    if (n == f.size()) return "more than 5 fields";
    std::size_t end = 0;
    while (end < line.size() && !detail::is_space(line[end])) ++end;
    f[n++] = line.substr(0, end);
    line.remove_prefix(end);
  }
  if (n != 5) return "expected 5 fields (expiry, MAC or IAID, address, host name, client id)";

  const auto expiry = detail::parse_u64(f[0]);
  if (!expiry || *expiry > static_cast<std::uint64_t>(INT64_MAX - 1)) {
    return "expiry is not a Unix time";
  }
  lease.expires_s = *expiry == 0 ? kNever : static_cast<std::int64_t>(*expiry);

  const auto ip = detail::parse_ip(f[2]);
  if (!ip) return "not an IP address";
  lease.ip = *ip;

  std::vector<std::uint8_t> bytes;
  if (!ip->v6) {
    // "[hh-]aa:bb:cc:dd:ee:ff": a type prefix for anything but Ethernet.
    std::string_view hw = f[1];
    unsigned type = 1;
    if (hw.size() >= 3 && hw[2] == '-') {
      if (!detail::parse_colon_hex(hw.substr(0, 2), 1, bytes)) return "bad hardware type";
      type = bytes[0];
      hw.remove_prefix(3);
    }
    if (!hw.empty() && !detail::parse_colon_hex(hw, 16, bytes)) {
      return "hardware address is not hex";
    }
    if (!hw.empty() && (type == 1 || type == 0) && bytes.size() == 6) {
      MacAddress mac;
      for (std::size_t i = 0; i < 6; ++i) mac.bytes[i] = bytes[i];
      if (mac.is_device_address()) lease.mac = mac;
    }
  } else {
    // "[T]iaid": the IA's identifier, T for a temporary address.
    std::string_view iaid = f[1];
    if (!iaid.empty() && iaid.front() == 'T') iaid.remove_prefix(1);
    const auto v = detail::parse_u64(iaid);
    if (!v || *v > UINT32_MAX) return "bad IAID";
  }

  if (f[3] != "*") set_hostname(f[3], lease, diag);

  if (f[4] != "*") {
    if (!detail::parse_colon_hex(f[4], kMaxClientIdBytes, bytes)) return "client id is not hex";
    lease.client_id = detail::format_colon_hex(bytes);
    if (ip->v6) {
      lease.mac = detail::mac_from_duid(bytes);
      lease.mac_from_duid = lease.mac.has_value();
    }
  }
  return {};
}

// ------------------------------------------------------------------ dhcpd

struct Token {
  enum class Kind : std::uint8_t { Word, String, Open, Close, Semi, End, Bad };
  Kind kind = Kind::End;
  std::string text;  // Word: as written; String: decoded; Bad: why
  std::uint32_t line = 0;
};

// dhcpd's lexical conventions, as far as the lease database uses them:
// '#' comments to the end of the line, "{", "}", ";", quoted strings with
// C-like escapes, and words (anything else up to white space or one of
// those characters).
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);
  }

  Token next() {
    skip_space_and_comments();
    Token t;
    t.line = line_;
    if (pos_ >= text_.size()) return t;
    const char c = text_[pos_];
    if (c == '{' || c == '}' || c == ';') {
      ++pos_;
      t.kind = c == '{' ? Token::Kind::Open : c == '}' ? Token::Kind::Close : Token::Kind::Semi;
      return t;
    }
    if (c == '"') return string_token(t);
    const std::size_t start = pos_;
    while (pos_ < text_.size() && !is_delimiter(text_[pos_])) ++pos_;
    if (pos_ - start > kMaxTokenBytes) {
      t.kind = Token::Kind::Bad;
      t.text = "word longer than 4096 bytes";
      return t;
    }
    t.kind = Token::Kind::Word;
    t.text.assign(text_.substr(start, pos_ - start));
    return t;
  }

 private:
  static bool is_delimiter(char c) noexcept {
    return detail::is_space(c) || c == '{' || c == '}' || c == ';' || c == '"' || c == '#';
  }

  void skip_space_and_comments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        if (line_ < UINT32_MAX) ++line_;
        ++pos_;
      } else if (detail::is_space(c)) {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  static int octal(char c) noexcept { return c >= '0' && c <= '7' ? c - '0' : -1; }
  static int hex(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  Token string_token(Token& t) {
    ++pos_;  // opening quote
    bool too_long = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') {
        if (too_long) {
          t.kind = Token::Kind::Bad;
          t.text = "string longer than 4096 bytes";
        } else {
          t.kind = Token::Kind::String;
        }
        return t;
      }
      if (c == '\n' && line_ < UINT32_MAX) ++line_;
      if (c == '\\' && pos_ < text_.size()) {
        c = text_[pos_++];
        switch (c) {
          case 't':
            c = '\t';
            break;
          case 'r':
            c = '\r';
            break;
          case 'n':
            c = '\n';
            break;
          case 'b':
            c = '\b';
            break;
          case 'x': {
            int v = 0;
            int digits = 0;
            while (digits < 2 && pos_ < text_.size() && hex(text_[pos_]) >= 0) {
              v = v * 16 + hex(text_[pos_++]);
              ++digits;
            }
            c = static_cast<char>(v);
            break;
          }
          default:
            if (octal(c) >= 0) {
              int v = octal(c);
              int digits = 1;
              while (digits < 3 && pos_ < text_.size() && octal(text_[pos_]) >= 0) {
                v = v * 8 + octal(text_[pos_++]);
                ++digits;
              }
              c = static_cast<char>(v & 0xFF);
            } else if (c == '\n' && line_ < UINT32_MAX) {
              ++line_;
            }
            break;
        }
      }
      if (t.text.size() < kMaxTokenBytes) {
        t.text += c;
      } else {
        too_long = true;
      }
    }
    t.kind = Token::Kind::Bad;
    t.text = "string not closed before end of file";
    return t;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
};

// How a statement head ended.
enum class Ends : std::uint8_t { Semi, Open, Close, End };

struct Statement {
  std::vector<Token> head;  // up to kMaxStatementTokens
  bool overlong = false;
  std::string bad;  // a lexical error inside it
  std::uint32_t line = 0;
};

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return sys_days{year{y} / month{m} / day{d}}.time_since_epoch().count();
}

bool parse_fixed(std::string_view s, std::size_t digits_min, std::size_t digits_max, int& v) {
  if (s.size() < digits_min || s.size() > digits_max) return false;
  v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  return true;
}

// "W YYYY/MM/DD HH:MM:SS" (UTC), "epoch N", or "never" (kNever).
bool parse_dhcpd_time(const std::vector<Token>& h, std::int64_t& out) {
  auto word = [&](std::size_t i) -> std::string_view {
    return i < h.size() && h[i].kind == Token::Kind::Word ? std::string_view(h[i].text)
                                                          : std::string_view();
  };
  if (h.size() == 2 && word(1) == "never") {
    out = kNever;
    return true;
  }
  if (h.size() == 3 && word(1) == "epoch") {
    const auto v = detail::parse_u64(word(2));
    if (!v || *v > static_cast<std::uint64_t>(INT64_MAX - 1)) return false;
    out = static_cast<std::int64_t>(*v);
    return true;
  }
  if (h.size() != 4) return false;
  int weekday = 0;
  if (!parse_fixed(word(1), 1, 1, weekday) || weekday > 6) return false;
  const std::string_view date = word(2);
  const std::string_view time = word(3);
  const std::size_t s1 = date.find('/');
  const std::size_t s2 = s1 == std::string_view::npos ? s1 : date.find('/', s1 + 1);
  const std::size_t c1 = time.find(':');
  const std::size_t c2 = c1 == std::string_view::npos ? c1 : time.find(':', c1 + 1);
  if (s2 == std::string_view::npos || c2 == std::string_view::npos) return false;
  int y = 0, mo = 0, d = 0, hh = 0, mm = 0, ss = 0;
  if (!parse_fixed(date.substr(0, s1), 1, 4, y) ||
      !parse_fixed(date.substr(s1 + 1, s2 - s1 - 1), 1, 2, mo) ||
      !parse_fixed(date.substr(s2 + 1), 1, 2, d) || !parse_fixed(time.substr(0, c1), 1, 2, hh) ||
      !parse_fixed(time.substr(c1 + 1, c2 - c1 - 1), 1, 2, mm) ||
      !parse_fixed(time.substr(c2 + 1), 1, 2, ss)) {
    return false;
  }
  if (y < 1900) y += 1900;  // dhcpd accepts years since 1900, as struct tm has them
  using namespace std::chrono;
  const year_month_day ymd{year{y} / month{static_cast<unsigned>(mo)} /
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || hh > 23 || mm > 59 || ss > 60) return false;
  out = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
        std::int64_t{hh} * 3600 + std::int64_t{mm} * 60 + ss;
  return true;
}

// Bytes of a uid or IA identifier: a quoted string (escapes decoded) or colon hex.
bool token_bytes(const Token& t, std::vector<std::uint8_t>& out) {
  if (t.kind == Token::Kind::String) {
    out.assign(t.text.begin(), t.text.end());
    return out.size() <= kMaxClientIdBytes + 4;
  }
  return t.kind == Token::Kind::Word && detail::parse_colon_hex(t.text, kMaxClientIdBytes + 4, out);
}

class DhcpdParser {
 public:
  DhcpdParser(std::string_view text, LeaseFile& out, const Limits& limits)
      : lex_(text), out_(out), set_(out, limits) {}

  void run() {
    while (true) {
      Statement st;
      const Ends e = read_head(st);
      if (!st.bad.empty()) {
        reject(out_.diag, st.line, st.bad);
        if (e == Ends::End || (e == Ends::Open && !skip_block())) break;
        continue;
      }
      if (e == Ends::End) {
        if (!st.head.empty()) {
          reject(out_.diag, st.line, "statement not ended by ';' before end of file");
        }
        break;
      }
      if (e == Ends::Close) {
        reject(out_.diag, st.line, "'}' without a block to close");
        continue;
      }
      const std::string_view kw = keyword(st);
      if (e == Ends::Open && kw == "lease") {
        if (!lease_block(st)) break;
      } else if (e == Ends::Open && (kw == "ia-na" || kw == "ia-ta")) {
        if (!ia_block(st)) break;
      } else if (e == Ends::Open) {
        ++out_.diag.skipped;  // failover peer, host, group, ia-pd, ...
        if (!skip_block()) {
          reject(out_.diag, st.line, "block not closed before end of file");
          break;
        }
      } else if (!st.head.empty()) {
        ++out_.diag.skipped;  // authoring-byte-order, server-duid, ...
      }
    }
    set_.finish();
  }

 private:
  static std::string_view keyword(const Statement& st) {
    return !st.head.empty() && st.head[0].kind == Token::Kind::Word
               ? std::string_view(st.head[0].text)
               : std::string_view();
  }

  // Reads tokens up to ';', '{', '}' or the end. A lexical error is kept
  // in st.bad; reading goes on (after an unclosed string, to the end).
  Ends read_head(Statement& st) {
    while (true) {
      Token t = lex_.next();
      if (st.line == 0) st.line = t.line;
      switch (t.kind) {
        case Token::Kind::Semi:
          return Ends::Semi;
        case Token::Kind::Open:
          return Ends::Open;
        case Token::Kind::Close:
          return Ends::Close;
        case Token::Kind::End:
          return Ends::End;
        case Token::Kind::Bad:
          if (st.bad.empty()) st.bad = std::move(t.text);
          break;
        case Token::Kind::Word:
        case Token::Kind::String:
          if (st.head.size() < kMaxStatementTokens) {
            st.head.push_back(std::move(t));
          } else {
            st.overlong = true;
          }
          break;
      }
    }
  }

  // Skips to the '}' closing a block whose '{' was just read; false at the end of the input.
  bool skip_block() {
    std::size_t depth = 1;
    while (true) {
      const Token t = lex_.next();
      if (t.kind == Token::Kind::End) return false;
      if (t.kind == Token::Kind::Open) ++depth;
      if (t.kind == Token::Kind::Close && --depth == 0) return true;
    }
  }

  // The body of a block: calls on_statement(head, ends) for each statement
  // until the closing '}'. Nested blocks the callback does not take are
  // skipped. Returns false when the input ended first.
  template <typename Fn>
  bool block_body(std::uint32_t opened_at, std::string& bad, Fn&& on_statement) {
    while (true) {
      Statement st;
      const Ends e = read_head(st);
      if (!st.bad.empty() && bad.empty()) bad = "line " + std::to_string(st.line) + ": " + st.bad;
      if (e == Ends::End) {
        reject(out_.diag, opened_at, "block not closed before end of file");
        return false;
      }
      if (e == Ends::Close) {
        if (!st.head.empty() && bad.empty()) {
          bad = "line " + std::to_string(st.line) + ": statement not ended by ';'";
        }
        return true;
      }
      if (st.head.empty()) {
        if (e == Ends::Open && !skip_block()) {
          reject(out_.diag, opened_at, "block not closed before end of file");
          return false;
        }
        continue;
      }
      const bool taken = st.bad.empty() && !st.overlong && on_statement(st, e, bad);
      if (e == Ends::Open && !taken && !skip_block()) {
        reject(out_.diag, opened_at, "block not closed before end of file");
        return false;
      }
    }
  }

  // Statements lease and iaaddr blocks share. Returns whether it was one.
  static bool common_statement(const Statement& st, Lease& lease, std::string& bad) {
    const std::string_view kw = keyword(st);
    const auto& h = st.head;
    auto word = [&](std::size_t i) -> std::string_view {
      return i < h.size() && h[i].kind == Token::Kind::Word ? std::string_view(h[i].text)
                                                            : std::string_view();
    };
    auto fail = [&](std::string_view why) {
      if (bad.empty()) bad = "line " + std::to_string(st.line) + ": " + std::string(why);
      return true;
    };
    if (kw == "starts" || kw == "ends") {
      std::int64_t t = 0;
      if (!parse_dhcpd_time(h, t)) return fail(std::string("bad time in '") + h[0].text + "'");
      if (kw == "starts") {
        lease.starts_s = t == kNever ? 0 : t;
      } else {
        lease.expires_s = t;
      }
      return true;
    }
    if (kw == "binding" && word(1) == "state" && h.size() == 3) {
      lease.active = word(2) == "active";
      return true;
    }
    if (kw == "abandoned") {
      lease.active = false;
      return true;
    }
    return false;
  }

  bool lease_block(const Statement& head) {
    Lease lease;
    lease.source = LeaseSource::Dhcpd;
    lease.line = head.line;
    std::string bad;
    std::optional<IpAddress> ip;
    if (head.head.size() == 2 && head.head[1].kind == Token::Kind::Word) {
      ip = detail::parse_ip(head.head[1].text);
    }
    if (!ip) bad = "'lease' needs one IP address";
    std::vector<std::uint8_t> bytes;
    const bool closed =
        block_body(head.line, bad, [&](const Statement& st, Ends e, std::string& b) {
          if (e != Ends::Semi) return false;
          if (common_statement(st, lease, b)) return true;
          const std::string_view kw = keyword(st);
          const auto& h = st.head;
          if (kw == "hardware" && h.size() == 3 && h[1].kind == Token::Kind::Word) {
            if (h[1].text == "ethernet") {
              // dhcpd may write an octet as one digit ("0:1b:..").
              if (h[2].kind != Token::Kind::Word || !detail::parse_colon_hex(h[2].text, 6, bytes) ||
                  bytes.size() != 6) {
                if (b.empty()) {
                  b = "line " + std::to_string(st.line) + ": bad hardware ethernet address";
                }
              } else {
                MacAddress mac;
                for (std::size_t i = 0; i < 6; ++i) mac.bytes[i] = bytes[i];
                if (mac.is_device_address()) lease.mac = mac;
              }
            }
            return true;
          }
          if (kw == "uid" && h.size() == 2) {
            if (token_bytes(h[1], bytes)) lease.client_id = detail::format_colon_hex(bytes);
            return true;
          }
          if (kw == "client-hostname" && h.size() == 2 && h[1].kind == Token::Kind::String) {
            set_hostname(h[1].text, lease, out_.diag);
            return true;
          }
          ++out_.diag.skipped;
          return false;
        });
    if (!closed) return false;
    if (!bad.empty()) {
      reject(out_.diag, head.line, "lease: " + bad);
      return true;
    }
    lease.ip = *ip;
    set_.put(std::move(lease));
    return true;
  }

  bool ia_block(const Statement& head) {
    std::string bad;
    std::vector<std::uint8_t> id;
    // The identifier is the 4-byte IAID followed by the client's DUID.
    if (head.head.size() != 2 || !token_bytes(head.head[1], id) || id.size() < 5) {
      bad = "'" + head.head[0].text + "' needs an IAID and DUID";
    }
    std::string client_id;
    std::optional<MacAddress> duid_mac;
    if (bad.empty()) {
      const std::span<const std::uint8_t> duid(id.data() + 4, id.size() - 4);
      client_id = detail::format_colon_hex(duid);
      duid_mac = detail::mac_from_duid(duid);
    }
    std::vector<Lease> addresses;
    const bool closed = block_body(head.line, bad, [&](const Statement& st, Ends e, std::string&) {
      if (e != Ends::Open || keyword(st) != "iaaddr") {
        ++out_.diag.skipped;  // cltt, iaprefix, set, on ...
        return false;
      }
      Lease lease;
      lease.source = LeaseSource::Dhcpd;
      lease.line = st.line;
      std::string addr_bad;
      std::optional<IpAddress> ip;
      if (st.head.size() == 2 && st.head[1].kind == Token::Kind::Word) {
        ip = detail::parse_ip(st.head[1].text);
      }
      if (!ip) addr_bad = "'iaaddr' needs one IP address";
      const bool inner =
          block_body(st.line, addr_bad, [&](const Statement& s, Ends e2, std::string& b) {
            if (e2 != Ends::Semi) return false;
            if (common_statement(s, lease, b)) return true;
            ++out_.diag.skipped;  // preferred-life, max-life, set ...
            return false;
          });
      if (!inner) return true;  // the outer loop sees the end of the input next
      if (!addr_bad.empty()) {
        reject(out_.diag, st.line, "iaaddr: " + addr_bad);
        return true;
      }
      lease.ip = *ip;
      lease.client_id = client_id;
      lease.mac = duid_mac;
      lease.mac_from_duid = duid_mac.has_value();
      addresses.push_back(std::move(lease));
      return true;
    });
    if (!closed) return false;
    if (!bad.empty()) {
      reject(out_.diag, head.line, head.head[0].text + ": " + bad);
      return true;
    }
    for (auto& l : addresses) set_.put(std::move(l));
    return true;
  }

  Lexer lex_;
  LeaseFile& out_;
  LeaseSet set_;
};

}  // namespace

LeaseFile parse_dnsmasq_leases(std::string_view text, std::string path,
                               const Limits& limits) noexcept {
  LeaseFile out;
  try {
    out.diag.path = std::move(path);
    LeaseSet set(out, limits);
    detail::for_each_line(text, kMaxLineBytes, out.diag,
                          [&](std::uint32_t number, std::string_view line) {
                            const std::string_view t = detail::trim(line);
                            if (t.empty()) {
                              ++out.diag.skipped;
                              return true;
                            }
                            if (t.starts_with("duid ") || t.starts_with("duid\t")) {
                              ++out.diag.skipped;  // the server's own DUID
                              return true;
                            }
                            Lease lease;
                            lease.source = LeaseSource::Dnsmasq;
                            lease.line = number;
                            const std::string why = parse_dnsmasq_line(t, lease, out.diag);
                            if (!why.empty()) {
                              reject(out.diag, number, why);
                            } else {
                              set.put(std::move(lease));
                            }
                            return true;
                          });
    set.finish();
  } catch (const std::exception& e) {
    out.leases.clear();
    out.diag.error = out.diag.path + ": " + e.what();
  }
  return out;
}

LeaseFile parse_dhcpd_leases(std::string_view text, std::string path,
                             const Limits& limits) noexcept {
  LeaseFile out;
  try {
    out.diag.path = std::move(path);
    DhcpdParser(text, out, limits).run();
  } catch (const std::exception& e) {
    out.leases.clear();
    out.diag.error = out.diag.path + ": " + e.what();
  }
  return out;
}

}  // namespace vigil::identity
