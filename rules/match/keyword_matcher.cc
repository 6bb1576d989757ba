#include "rules/match/keyword_matcher.h"

#include <fcntl.h>
#include <hs.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <utility>

namespace vigil::rules {
namespace {

bool is_ascii(std::string_view s) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if ((w & 0x8080808080808080ULL) != 0) return false;
  }
  for (; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
  }
  return true;
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  }
  return n;
}

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Copies `s` into `out` with every byte that is not part of a well-formed
// sequence replaced by a space: the same length, so match offsets still
// point into the caller's text, and a non-word byte, as it is in byte mode.
void repair_utf8(std::string_view s, std::string& out) {
  out.assign(s);
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out[i] = ' ';
      ++i;
    } else {
      i += n;
    }
  }
}

// A literal in Hyperscan regex syntax: ASCII other than letters and digits
// becomes \xHH; bytes >= 0x80 stay as they are (UTF-8 characters).
std::string escape_literal(std::string_view lit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(lit.size() * 2);
  for (char ch : lit) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80) {
      out.push_back(ch);
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The code point that ends just before `pos` / starts at `pos`, or -1.
long code_point_before(std::string_view s, std::size_t pos) noexcept {
  std::size_t i = pos;
  for (int k = 0; k < 4 && i > 0; ++k) {
    --i;
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) break;
  }
  if (i == pos) return -1;
  const std::size_t n = utf8_sequence(s, i);
  if (n != pos - i) return -1;
  long cp = static_cast<unsigned char>(s[i]) & (n == 1 ? 0x7F : 0x3F >> (n - 1));
  for (std::size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

long code_point_at(std::string_view s, std::size_t pos) noexcept {
  if (pos >= s.size()) return -1;
  const std::size_t n = utf8_sequence(s, pos);
  if (n == 0) return -1;
  long cp = static_cast<unsigned char>(s[pos]) & (n == 1 ? 0x7F : 0x3F >> (n - 1));
  for (std::size_t k = 1; k < n; ++k)
    cp = cp << 6 | (static_cast<unsigned char>(s[pos + k]) & 0x3F);
  return cp;
}

// Letters, digits and underscore. Outside ASCII every code point counts as a
// letter except the common punctuation, space and symbol blocks: the
// normaliser has already folded look-alikes, and this stays table-free.
bool is_word(long cp) noexcept {
  if (cp < 0) return false;  // start or end of text, or an invalid byte
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_';
  }
  if (cp <= 0xBF || cp == 0xD7 || cp == 0xF7) return false;  // Latin-1 punctuation
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;            // punctuation, symbols, arrows
  if (cp >= 0x3000 && cp <= 0x303F) return false;            // CJK punctuation
  if (cp >= 0xFE30 && cp <= 0xFE6F) return false;            // compatibility forms
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;            // fullwidth punctuation
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return false;          // emoji
  return true;
}

struct Group {
  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;  // index into KeywordMatcher::checks_
  std::vector<hs_expr_ext_t> exts;
};

}  // namespace

struct KeywordMatcher::Check {
  std::uint32_t id = 0;
  std::uint32_t source = 0;       // index into the caller's vector
  std::uint32_t literal_len = 0;  // start = end - literal_len when !som
  bool start = false;             // not preceded by a word character
  bool end = false;               // not followed by a word character
  bool som = false;               // start comes from HS_FLAG_SOM_LEFTMOST
  bool approximate = false;       // edit distance: the ends may hold an inserted separator
};

namespace {

hs_database_t* compile_group(Group& g, unsigned mode_flags,
                             const std::vector<KeywordMatcher::Check>& checks,
                             KeywordMatcher::CompileError& error) {
  std::vector<const char*> exprs;
  std::vector<const hs_expr_ext_t*> exts;
  exprs.reserve(g.expressions.size());
  exts.reserve(g.expressions.size());
  for (std::size_t i = 0; i < g.expressions.size(); ++i) {
    exprs.push_back(g.expressions[i].c_str());
    exts.push_back(g.exts[i].flags != 0 ? &g.exts[i] : nullptr);
    g.flags[i] |= mode_flags;
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  const hs_error_t rc =
      hs_compile_ext_multi(exprs.data(), g.flags.data(), g.ids.data(), exts.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db, &err);
  if (rc == HS_SUCCESS) return db;
  if (err != nullptr && err->expression >= 0 &&
      static_cast<std::size_t>(err->expression) < g.ids.size()) {
    const KeywordMatcher::Check& c = checks[g.ids[static_cast<std::size_t>(err->expression)]];
    error.pattern_index = c.source;
    error.message = "pattern " + std::to_string(c.source) + " (id " + std::to_string(c.id) +
                    "): " + err->message;
  } else {
    error.pattern_index = SIZE_MAX;
    error.message =
        std::string("keyword database: ") + (err != nullptr ? err->message : "compile failed");
  }
  hs_free_compile_error(err);
  return nullptr;
}

struct ScanContext {
  const KeywordMatcher::OnMatch* on_match;
  const KeywordMatcher::Check* checks;
  std::string_view text;
};

int on_hs_match(unsigned int index, unsigned long long from, unsigned long long to,
                unsigned int /*flags*/, void* ctx) {
  const auto* c = static_cast<const ScanContext*>(ctx);
  const KeywordMatcher::Check& k = c->checks[index];
  const auto end = static_cast<std::size_t>(to);
  // An approximate match may begin or end with the separator itself, taken
  // as an insertion ("an extremist" matches " extremist" leftmost), so
  // there a non-word first or last character is a boundary too.
  if (k.start) {
    const std::size_t start = k.som ? static_cast<std::size_t>(from) : end - k.literal_len;
    if (is_word(code_point_before(c->text, start)) &&
        !(k.approximate && !is_word(code_point_at(c->text, start)))) {
      return 0;
    }
  }
  if (k.end && is_word(code_point_at(c->text, end)) &&
      !(k.approximate && !is_word(code_point_before(c->text, end)))) {
    return 0;
  }
  (*c->on_match)(k.id, end);
  return 0;
}

// --- Bounded compile: the databases are built in a forked child. ---

// The child's answer on the pipe: 'O', then per database (bytes, UTF-8) a
// 64-bit length (0: none) and hs_serialize_database() bytes; or 'E', the
// 64-bit failing pattern index (in the caller's vector, SIZE_MAX if none),
// then the message to the end.
void put_u64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<char*>(&v), 8); }

bool get_u64(std::string_view& in, std::uint64_t& v) {
  if (in.size() < 8) return false;
  std::memcpy(&v, in.data(), 8);
  in.remove_prefix(8);
  return true;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Virtual data size of this process (VmData, bytes), or 0 when unknown.
std::size_t data_size_now() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmData: %llu kB", &kb) == 1) break;
  }
  std::fclose(f);
  return static_cast<std::size_t>(kb) * 1024;
}

[[noreturn]] void compile_in_child(int fd, Group& bytes, Group& utf8,
                                   const std::vector<KeywordMatcher::Check>& checks,
                                   std::size_t memory_bytes) {
  if (memory_bytes > 0) {
    // The kernel enforces the memory bound: the data segment may grow by
    // `memory_bytes` beyond what the parent already had (brk and private
    // mappings both count), so the compile's own allocations fail past it.
    const std::size_t base = data_size_now();
    if (base > 0) {
      rlimit r{};
      r.rlim_cur = r.rlim_max = base + memory_bytes;
      ::setrlimit(RLIMIT_DATA, &r);
    }
  }
  KeywordMatcher::CompileError error;
  hs_database_t* dbs[2] = {nullptr, nullptr};
  Group* groups[2] = {&bytes, &utf8};
  const unsigned modes[2] = {0, HS_FLAG_UTF8 | HS_FLAG_UCP};
  std::string out;
  bool ok = true;
  for (int i = 0; i < 2 && ok; ++i) {
    if (groups[i]->expressions.empty()) continue;
    dbs[i] = compile_group(*groups[i], modes[i], checks, error);
    ok = dbs[i] != nullptr;
  }
  if (!ok) {
    out = "E";
    put_u64(out, error.pattern_index);
    out += error.message;
  } else {
    out = "O";
    for (hs_database_t* db : dbs) {
      char* data = nullptr;
      std::size_t size = 0;
      if (db != nullptr && hs_serialize_database(db, &data, &size) != HS_SUCCESS) _exit(3);
      put_u64(out, size);
      out.append(data != nullptr ? data : "", size);
      std::free(data);
    }
  }
  _exit(write_all(fd, out) ? 0 : 4);
}

// Resident anonymous memory of a process (RssAnon, bytes), or 0 when
// unknown. `pid` 0 reads this process. A forked child starts with the
// parent's resident pages shared and counted in its RssAnon. It grows only
// by pages the child makes resident itself: when the parent rewrites a
// shared page, the parent takes the new copy and the child keeps the old
// one, counted as before (private memory, by contrast, would grow). So the
// child's RssAnon minus the parent's at the fork is what the compile used,
// whatever the parent's other threads do meanwhile.
std::size_t rss_anon(pid_t pid) {
  char path[64];
  if (pid == 0) {
    std::snprintf(path, sizeof path, "/proc/self/status");
  } else {
    std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  }
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long kb = 0;
  bool found = false;
  while (!found && std::fgets(line, sizeof line, f) != nullptr) {
    found = std::sscanf(line, "RssAnon: %llu kB", &kb) == 1;
  }
  std::fclose(f);
  return found ? static_cast<std::size_t>(kb) * 1024 : 0;
}

std::string megabytes(std::size_t bytes) {
  return std::to_string((bytes + (1U << 20) - 1) >> 20) + " MB";
}

// Runs compile_in_child() and takes its databases back. False with `error`
// set when the compile failed, overran a limit or the child died.
bool compile_isolated(Group& bytes, Group& utf8, const std::vector<KeywordMatcher::Check>& checks,
                      const KeywordMatcher::CompileLimits& limits, hs_database_t*& ascii_db,
                      hs_database_t*& utf8_db, KeywordMatcher::CompileError& error) {
  error.pattern_index = SIZE_MAX;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error.message = std::string("keyword database: pipe: ") + std::strerror(errno);
    return false;
  }
  const std::size_t rss_at_fork = rss_anon(0);
  const pid_t pid = ::fork();
  if (pid < 0) {
    error.message = std::string("keyword database: fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  if (pid == 0) {
    ::close(fds[0]);
    compile_in_child(fds[1], bytes, utf8, checks, limits.memory_bytes);
  }
  ::close(fds[1]);
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::string reply;
  std::string killed;  // why the child was stopped; the child is always killed then
  char buf[1 << 16];
  for (;;) {
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, 25);
    if (ready > 0) {
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n > 0) {
        reply.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) break;  // the child closed its end: the reply is complete
      if (errno == EINTR) continue;
      killed = std::string("could not be read (") + std::strerror(errno) + ")";
      break;
    }
    if (ready < 0 && errno != EINTR) {
      killed = std::string("could not be watched (") + std::strerror(errno) + ")";
      break;
    }
    const auto elapsed = Clock::now() - start;
    if (limits.time.count() > 0 && elapsed > limits.time) {
      killed = "took longer than " + std::to_string(limits.time.count()) + " ms";
      break;
    }
    // The kernel's RLIMIT_DATA stops a plain build's allocator; an
    // allocator that reserved its address space up front (AddressSanitizer's)
    // is only stopped by watching what the child makes resident.
    const std::size_t rss = limits.memory_bytes > 0 ? rss_anon(pid) : 0;
    if (rss > rss_at_fork && rss - rss_at_fork > limits.memory_bytes) {
      killed = "needed more than " + megabytes(limits.memory_bytes) + " of memory";
      break;
    }
  }
  ::close(fds[0]);
  if (!killed.empty()) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!killed.empty()) {
    error.message = "keyword database: compile stopped: it " + killed;
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error.message = "keyword database: the compile process ended with ";
    error.message += WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                         : "status " + std::to_string(WEXITSTATUS(status));
    if (limits.memory_bytes > 0) {
      error.message += " (memory limit " + megabytes(limits.memory_bytes) + ": likely reached)";
    }
    return false;
  }
  std::string_view in = reply;
  if (in.empty()) {
    error.message = "keyword database: no reply from the compile process";
    return false;
  }
  const char tag = in.front();
  in.remove_prefix(1);
  if (tag == 'E') {
    std::uint64_t index = 0;
    if (!get_u64(in, index)) index = SIZE_MAX;
    error.pattern_index = static_cast<std::size_t>(index);
    error.message = std::string(in);
    if (error.message.find("Unable to allocate memory") != std::string::npos &&
        limits.memory_bytes > 0) {
      error.message = "keyword database: compile stopped: it needed more than " +
                      megabytes(limits.memory_bytes) + " of memory";
    }
    return false;
  }
  hs_database_t** outs[2] = {&ascii_db, &utf8_db};
  for (hs_database_t** out : outs) {
    std::uint64_t size = 0;
    if (tag != 'O' || !get_u64(in, size) || size > in.size()) {
      error.message = "keyword database: malformed reply from the compile process";
      return false;
    }
    if (size > 0 &&
        hs_deserialize_database(in.data(), static_cast<std::size_t>(size), out) != HS_SUCCESS) {
      error.message = "keyword database: could not load the compiled database";
      return false;
    }
    in.remove_prefix(static_cast<std::size_t>(size));
  }
  return true;
}

}  // namespace

KeywordMatcher::Scratch::Scratch() = default;
KeywordMatcher::Scratch::~Scratch() { hs_free_scratch(static_cast<hs_scratch_t*>(scratch_)); }
KeywordMatcher::Scratch::Scratch(Scratch&& o) noexcept
    : scratch_(std::exchange(o.scratch_, nullptr)), repaired_(std::move(o.repaired_)) {}
KeywordMatcher::Scratch& KeywordMatcher::Scratch::operator=(Scratch&& o) noexcept {
  if (this != &o) {
    hs_free_scratch(static_cast<hs_scratch_t*>(scratch_));
    scratch_ = std::exchange(o.scratch_, nullptr);
    repaired_ = std::move(o.repaired_);
  }
  return *this;
}

std::unique_ptr<KeywordMatcher> KeywordMatcher::compile(const std::vector<KeywordPattern>& patterns,
                                                        CompileError& error,
                                                        const CompileLimits& limits) {
  error = {};
  if (patterns.empty()) {
    error.pattern_index = SIZE_MAX;
    error.message = "no patterns";
    return nullptr;
  }
  std::unique_ptr<KeywordMatcher> m(new KeywordMatcher());
  m->patterns_ = patterns.size();
  m->checks_.reserve(patterns.size());
  Group bytes;  // byte mode: safe on any input
  Group utf8;   // HS_FLAG_UTF8 | HS_FLAG_UCP: valid UTF-8 only
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    const KeywordPattern& p = patterns[i];
    auto fail = [&](const std::string& what) {
      error.pattern_index = i;
      error.message =
          "pattern " + std::to_string(i) + " (id " + std::to_string(p.id) + "): " + what;
      return nullptr;
    };
    if (p.expression.empty()) return fail("empty expression");
    if (p.expression.size() > kMaxExpression) {
      return fail("longer than " + std::to_string(kMaxExpression) + " bytes");
    }
    if (p.expression.find('\0') != std::string::npos) return fail("contains a NUL byte");
    if (p.edit_distance > kMaxEditDistance) {
      return fail("edit distance " + std::to_string(p.edit_distance) + " is above the limit of " +
                  std::to_string(kMaxEditDistance));
    }
    if (!valid_utf8(p.expression)) return fail("not valid UTF-8");
    const bool ascii = is_ascii(p.expression);
    Group& g = (ascii || p.edit_distance > 0) ? bytes : utf8;
    if (g.expressions.size() == kMaxPatterns) {
      return fail("more than " + std::to_string(kMaxPatterns) + " patterns in one database");
    }

    Check c;
    c.id = p.id;
    c.source = static_cast<std::uint32_t>(i);
    c.start = p.whole_word || p.word_start;
    c.end = p.whole_word || p.word_end;
    // A caseless ASCII literal matched exactly has a known length; anything
    // else asks Hyperscan for the start (only when the start is checked, as
    // start-of-match tracking costs scan speed).
    const bool fixed_length = p.literal && ascii && p.edit_distance == 0;
    c.som = c.start && !fixed_length;
    c.approximate = p.edit_distance > 0;
    c.literal_len = static_cast<std::uint32_t>(p.expression.size());
    unsigned flags = HS_FLAG_CASELESS;
    if (c.som) flags |= HS_FLAG_SOM_LEFTMOST;
    hs_expr_ext_t ext{};
    if (p.edit_distance > 0) {
      ext.flags = HS_EXT_FLAG_EDIT_DISTANCE;
      ext.edit_distance = p.edit_distance;
    }
    g.expressions.push_back(p.literal ? escape_literal(p.expression) : p.expression);
    g.flags.push_back(flags);
    g.ids.push_back(static_cast<unsigned>(m->checks_.size()));
    g.exts.push_back(ext);
    m->checks_.push_back(c);
  }

  if (limits.bounded()) {
    hs_database_t* a = nullptr;
    hs_database_t* u = nullptr;
    const bool ok = compile_isolated(bytes, utf8, m->checks_, limits, a, u, error);
    m->ascii_db_ = a;
    m->utf8_db_ = u;
    if (!ok) return nullptr;  // ~KeywordMatcher frees whichever was loaded
    return m;
  }
  if (!bytes.expressions.empty()) {
    m->ascii_db_ = compile_group(bytes, 0, m->checks_, error);
    if (m->ascii_db_ == nullptr) return nullptr;
  }
  if (!utf8.expressions.empty()) {
    m->utf8_db_ = compile_group(utf8, HS_FLAG_UTF8 | HS_FLAG_UCP, m->checks_, error);
    if (m->utf8_db_ == nullptr) return nullptr;  // ~KeywordMatcher frees ascii_db_
  }
  return m;
}

KeywordMatcher::~KeywordMatcher() {
  hs_free_database(static_cast<hs_database_t*>(ascii_db_));
  hs_free_database(static_cast<hs_database_t*>(utf8_db_));
}

bool KeywordMatcher::prepare(Scratch& scratch) const {
  for (void* db : {ascii_db_, utf8_db_}) {
    if (db == nullptr) continue;
    auto* s = static_cast<hs_scratch_t*>(scratch.scratch_);
    if (hs_alloc_scratch(static_cast<const hs_database_t*>(db), &s) != HS_SUCCESS) return false;
    scratch.scratch_ = s;
  }
  return true;
}

bool KeywordMatcher::scan(std::string_view text, Scratch& scratch,
                          const OnMatch& on_match) const noexcept {
  if (text.empty()) return true;  // no pattern may match the empty string
  if (text.size() > UINT_MAX || scratch.scratch_ == nullptr) return false;
  auto* s = static_cast<hs_scratch_t*>(scratch.scratch_);
  ScanContext ctx{&on_match, checks_.data(), text};
  if (ascii_db_ != nullptr &&
      hs_scan(static_cast<const hs_database_t*>(ascii_db_), text.data(),
              static_cast<unsigned>(text.size()), 0, s, on_hs_match, &ctx) != HS_SUCCESS) {
    return false;
  }
  if (utf8_db_ != nullptr) {
    // Hyperscan's behaviour on invalid UTF-8 in UTF-8 mode is undefined.
    std::string_view valid = text;
    if (!is_ascii(text) && !valid_utf8(text)) {
      try {
        repair_utf8(text, scratch.repaired_);
      } catch (const std::bad_alloc&) {
        return false;
      }
      valid = scratch.repaired_;
    }
    ctx.text = valid;
    if (hs_scan(static_cast<const hs_database_t*>(utf8_db_), valid.data(),
                static_cast<unsigned>(valid.size()), 0, s, on_hs_match, &ctx) != HS_SUCCESS) {
      return false;
    }
  }
  return true;
}

std::size_t KeywordMatcher::database_bytes() const noexcept {
  std::size_t total = 0;
  for (void* db : {ascii_db_, utf8_db_}) {
    std::size_t n = 0;
    if (db != nullptr &&
        hs_database_size(static_cast<const hs_database_t*>(db), &n) == HS_SUCCESS) {
      total += n;
    }
  }
  return total;
}

std::size_t KeywordMatcher::pattern_count() const noexcept { return patterns_; }

}  // namespace vigil::rules
