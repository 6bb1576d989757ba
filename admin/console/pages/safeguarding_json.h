#pragma once
// Reading JSON in the safeguarding pages: API request bodies and vigild's
// status answer. safeguarding_json.cc is the console's one translation unit
// that compiles Boost.JSON (<boost/json/src.hpp>); other console code that
// parses JSON includes <boost/json.hpp> and links vigil_console_pages
// rather than compiling Boost.JSON a second time (duplicate symbols).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/console/http.h"
#include "store/types.h"

namespace vigil::console::pages::safeguarding {

// The fields of a POST: the decoded form, or the members of a JSON object
// body (Content-Type application/json). In JSON, strings are taken as
// written, whole numbers and booleans as their text, arrays as repeated
// fields and null as absent; nested objects and fractions are refused.
// nullopt with `error` set (one line) when the body cannot be read.
std::optional<Fields> post_fields(const Request& request, std::string& error);

// The first value named `name`, or nullopt; every value named `name`.
std::optional<std::string_view> field(const Fields& fields, std::string_view name);
std::vector<std::string_view> field_values(const Fields& fields, std::string_view name);

struct VigildInterface {
  std::string name;
  bool running = false;
  std::uint64_t frames = 0;
  std::uint64_t queue_drops = 0;
  std::uint64_t kernel_dropped = 0;
  std::uint64_t interface_dropped = 0;
  std::string error;
};

// What the console shows of vigild's `status` answer (daemon/app).
struct VigildStatus {
  std::uint64_t uptime_s = 0;
  std::uint64_t rules_generation = 0;
  store::TimeUs rules_loaded_us = 0;
  std::uint64_t queue_drops = 0;  // frames the workers had no room for
  std::string store_alarm;        // none, busy, disk_full, error
  std::uint64_t store_dropped = 0;
  std::uint64_t spool_depth = 0;
  std::string store_last_error;
  std::vector<VigildInterface> interfaces;
};

// One control-socket answer line ({"ok":true,"result":{...}}); nullopt with
// `error` set when it is an error answer or not one at all.
std::optional<VigildStatus> parse_vigild_status(std::string_view line, std::string& error);

}  // namespace vigil::console::pages::safeguarding
