#include "admin/console/pages/admin_common.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "admin/console/html.h"
#include "admin/console/pages/safeguarding_json.h"

namespace vigil::console::pages::admin {

// ---------------------------------------------------------------- rules tree

namespace {

void append_file_signature(std::string& out, const std::string& path) {
  struct stat st {};
  out += path;
  if (::stat(path.c_str(), &st) != 0) {
    out += "|missing\n";
    return;
  }
  out += '|' + std::to_string(st.st_size) + '|' + std::to_string(st.st_mtim.tv_sec) + '.' +
         std::to_string(st.st_mtim.tv_nsec) + '|' + std::to_string(st.st_ino) + '|' +
         std::to_string(st.st_ctim.tv_sec) + '.' + std::to_string(st.st_ctim.tv_nsec) + '\n';
}

}  // namespace

std::string RulesTree::signature(const LoadedTree* last) const {
  std::string sig;
  append_file_signature(sig, dir_ + "/policy.toml");
  if (last != nullptr && last->policy) {
    for (const rules::ListSpec& spec : last->policy->lists) append_file_signature(sig, spec.path);
  }
  return sig;
}

std::shared_ptr<const LoadedTree> RulesTree::current() {
  std::lock_guard<std::mutex> lock(mu_);
  if (tree_ && signature(tree_.get()) == signature_) return tree_;
  auto tree = std::make_shared<LoadedTree>();
  std::string error;
  tree->policy = rules::load_policy(dir_, error);
  if (!tree->policy) tree->error = error;
  // Taken before the lists are read: a list changed while compiling shows
  // as a changed signature next time.
  signature_ = signature(tree.get());
  if (tree->policy) {
    tree->snapshot = rules::RuleSnapshot::build(*tree->policy, error);
    if (!tree->snapshot) tree->error = error;
  }
  tree_ = std::move(tree);
  return tree_;
}

store::TimeUs Shared::now() const {
  if (options.clock) return options.clock();
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Handler with_fields(Handler handler) {
  return [handler = std::move(handler)](const Request& req, PageContext& ctx) -> Response {
    if (req.content_type != "application/json") return handler(req, ctx);
    std::string error;
    auto fields = safeguarding::post_fields(req, error);
    if (!fields) return error_response(req, 400, "The request body could not be read: " + error);
    Request copy = req;
    copy.form = std::move(*fields);
    return handler(copy, ctx);
  };
}

// ---------------------------------------------------------------- responses

Response page(PageContext& ctx, std::string_view title, std::string body, std::string_view nav,
              std::string_view flash, int status) {
  html::Page p;
  p.title = std::string(title);
  p.body = std::move(body);
  p.user = &ctx.user;
  p.active_nav = nav;
  p.flash = std::string(flash);
  Response r;
  r.status = status;
  r.body = html::render(p);
  return r;
}

int store_status(const store::Error& error) noexcept {
  switch (error.code) {
    case store::ErrorCode::Invalid:
      return 400;
    case store::ErrorCode::NotFound:
      return 404;
    case store::ErrorCode::Exists:
      return 409;
    case store::ErrorCode::Busy:
    case store::ErrorCode::DiskFull:
    case store::ErrorCode::Stopped:
      return 503;
    default:
      return 500;
  }
}

Response store_failure(const Request& request, const store::Error& error) {
  const int status = store_status(error);
  std::string message = error.message;
  if (status == 503) message = "The incident store is busy or its disk is full: " + message;
  return error_response(request, status, message);
}

std::string form_open(const PageContext& ctx, std::string_view action, std::string_view css_class) {
  std::string out = "<form method=\"post\" action=\"" + html::attr(action) + "\"";
  if (!css_class.empty()) out += " class=\"" + html::attr(css_class) + "\"";
  out += '>';
  out += html::csrf_field(ctx.user);
  return out;
}

std::string options_html(const std::vector<std::string>& values, std::string_view selected) {
  std::string out;
  for (const std::string& v : values) {
    out += "<option value=\"" + html::attr(v) + "\"";
    if (v == selected) out += " selected";
    out += '>' + html::escape(v) + "</option>";
  }
  return out;
}

// ---------------------------------------------------------------- fields

std::string field(const Request& request, std::string_view name) {
  auto v = request.param(name);
  return v ? std::string(*v) : std::string();
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v <= 0) return std::nullopt;
  return v;
}

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<std::string> text_problem(std::string_view value, std::string_view what,
                                        std::size_t max, bool required, bool multiline) {
  const std::string w(what);
  if (required && trim(value).empty()) return w + " is required";
  if (value.size() > max) return w + " is longer than " + std::to_string(max) + " bytes";
  if (!valid_utf8(value)) return w + " is not valid UTF-8 text";
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    const bool line_break = c == '\n' || c == '\r' || c == '\t';
    if ((c < 0x20 && !(multiline && line_break)) || c == 0x7F) {
      return w + (multiline ? " holds control characters"
                            : " must be one line without control characters");
    }
    // C1 controls (U+0080..U+009F) are two bytes: C2 80..C2 9F.
    if (c == 0xC2 && i + 1 < value.size() && static_cast<unsigned char>(value[i + 1]) <= 0x9F) {
      return w + " holds control characters";
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- times

namespace {

bool utc_parts(store::TimeUs ts_us, std::tm& tm) {
  const std::time_t secs = static_cast<std::time_t>(ts_us / 1'000'000);
  return ::gmtime_r(&secs, &tm) != nullptr;
}

}  // namespace

std::string format_time(store::TimeUs ts_us) {
  if (ts_us <= 0) return "never";
  std::tm tm{};
  if (!utc_parts(ts_us, tm)) return "?";
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string iso_time(store::TimeUs ts_us) {
  std::tm tm{};
  if (!utc_parts(ts_us, tm)) return "";
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string age_words(store::TimeUs then_us, store::TimeUs now_us) {
  if (then_us <= 0) return "unknown";
  const store::TimeUs days = (now_us - then_us) / kDayUs;
  if (days <= 0) return "today";
  if (days == 1) return "1 day ago";
  return std::to_string(days) + " days ago";
}

// ---------------------------------------------------------------- JSON

std::string json_array(const std::vector<inspect::JsonObject>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += items[i].text();
  }
  out += ']';
  return out;
}

}  // namespace vigil::console::pages::admin
