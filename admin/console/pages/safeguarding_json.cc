#include "admin/console/pages/safeguarding_json.h"

#include <boost/json/src.hpp>  // header-only Boost.JSON: the console's one translation unit
#include <string>

namespace vigil::console::pages::safeguarding {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxJsonBody = std::size_t{1} << 20;
constexpr std::size_t kMaxJsonFields = 1000;

// A scalar as a form value; false for what a form cannot carry.
bool scalar_text(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::string:
      out.assign(v.as_string().data(), v.as_string().size());
      return true;
    case json::kind::int64:
      out = std::to_string(v.as_int64());
      return true;
    case json::kind::uint64:
      out = std::to_string(v.as_uint64());
      return true;
    case json::kind::bool_:
      out = v.as_bool() ? "true" : "false";
      return true;
    default:
      return false;
  }
}

std::uint64_t unsigned_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() > 0) return static_cast<std::uint64_t>(v->as_int64());
  return 0;
}

std::string string_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->as_string().data(), v->as_string().size());
}

}  // namespace

std::optional<Fields> post_fields(const Request& request, std::string& error) {
  if (request.content_type != "application/json") return request.form;
  if (request.body.size() > kMaxJsonBody) {
    error = "the JSON body is larger than 1 MiB";
    return std::nullopt;
  }
  json::error_code ec;
  json::value v = json::parse(request.body, ec);
  if (ec) {
    error = "the body is not valid JSON: " + ec.message();
    return std::nullopt;
  }
  if (!v.is_object()) {
    error = "the body must be a JSON object";
    return std::nullopt;
  }
  Fields out;
  for (const auto& [key, value] : v.as_object()) {
    std::string name(key.data(), key.size());
    if (value.is_null()) continue;
    if (value.is_array()) {
      for (const json::value& item : value.as_array()) {
        std::string text;
        if (!scalar_text(item, text)) {
          error = "\"" + name + "\" must hold strings or whole numbers";
          return std::nullopt;
        }
        out.emplace_back(name, std::move(text));
      }
    } else {
      std::string text;
      if (!scalar_text(value, text)) {
        error = "\"" + name + "\" must be a string, a whole number or true/false";
        return std::nullopt;
      }
      out.emplace_back(std::move(name), std::move(text));
    }
    if (out.size() > kMaxJsonFields) {
      error = "too many values in the JSON body";
      return std::nullopt;
    }
  }
  return out;
}

std::optional<std::string_view> field(const Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

std::vector<std::string_view> field_values(const Fields& fields, std::string_view name) {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : fields)
    if (k == name) out.emplace_back(v);
  return out;
}

std::optional<VigildStatus> parse_vigild_status(std::string_view line, std::string& error) {
  json::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) {
    error = "vigild sent an answer the console does not understand";
    return std::nullopt;
  }
  const json::object& answer = v.as_object();
  const json::value* ok = answer.if_contains("ok");
  if (ok == nullptr || !ok->is_bool()) {
    error = "vigild sent an answer the console does not understand";
    return std::nullopt;
  }
  if (!ok->as_bool()) {
    error = "vigild refused: " + string_member(answer, "error");
    return std::nullopt;
  }
  const json::value* result = answer.if_contains("result");
  if (result == nullptr || !result->is_object()) {
    error = "vigild's status answer has no result";
    return std::nullopt;
  }
  const json::object& r = result->as_object();
  VigildStatus s;
  s.uptime_s = unsigned_member(r, "uptime_s");
  s.rules_generation = unsigned_member(r, "rules_generation");
  s.rules_loaded_us = static_cast<store::TimeUs>(unsigned_member(r, "rules_loaded_us"));
  s.queue_drops = unsigned_member(r, "queue_drops");
  if (const json::value* st = r.if_contains("store"); st != nullptr && st->is_object()) {
    const json::object& o = st->as_object();
    s.store_alarm = string_member(o, "alarm");
    s.store_dropped = unsigned_member(o, "dropped_over_bound");
    s.spool_depth = unsigned_member(o, "spool_depth");
    s.store_last_error = string_member(o, "last_error");
  }
  if (const json::value* ifs = r.if_contains("interfaces"); ifs != nullptr && ifs->is_array()) {
    for (const json::value& item : ifs->as_array()) {
      if (!item.is_object()) continue;
      const json::object& o = item.as_object();
      VigildInterface i;
      i.name = string_member(o, "name");
      const json::value* running = o.if_contains("running");
      i.running = running != nullptr && running->is_bool() && running->as_bool();
      i.frames = unsigned_member(o, "frames");
      i.queue_drops = unsigned_member(o, "queue_drops");
      i.kernel_dropped = unsigned_member(o, "kernel_dropped");
      i.interface_dropped = unsigned_member(o, "interface_dropped");
      i.error = string_member(o, "error");
      s.interfaces.push_back(std::move(i));
      if (s.interfaces.size() >= 64) break;
    }
  }
  return s;
}

}  // namespace vigil::console::pages::safeguarding
