#include "daemon/control/protocol.h"

#include "inspect/eve_json.h"

namespace vigil::daemon {
namespace {

constexpr std::string_view kExpected = "expected status, stats, reload or test GROUP INPUT";

bool is_group_byte(unsigned char c) { return c > 0x20 && c != 0x7f; }
bool is_input_byte(unsigned char c) { return c >= 0x20 || c == '\t'; }

// The word echoed in a message: short, so a hostile line stays one line of
// bounded size (error_response() escapes it).
std::string quoted(std::string_view word) {
  constexpr std::size_t kMax = 32;
  std::string out = "\"";
  out += word.substr(0, kMax);
  if (word.size() > kMax) out += "...";
  out += '"';
  return out;
}

std::string check_group(std::string_view group) {
  if (group.empty()) return "test: expected test GROUP INPUT (GROUP - for the default group)";
  if (group.size() > kMaxGroupName) {
    return "test: group name longer than " + std::to_string(kMaxGroupName) + " bytes";
  }
  for (char ch : group) {
    if (!is_group_byte(static_cast<unsigned char>(ch))) {
      return "test: group name with a space or control character";
    }
  }
  return {};
}

std::string check_input(std::string_view input) {
  if (input.empty()) return "test: no INPUT after the group";
  for (char ch : input) {
    if (!is_input_byte(static_cast<unsigned char>(ch))) {
      return "test: control character in INPUT (only TAB is allowed)";
    }
  }
  return {};
}

}  // namespace

ParsedRequest parse_request(std::string_view line) {
  ParsedRequest out;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) {
    out.error = "empty request (" + std::string(kExpected) + ")";
    return out;
  }
  std::size_t space = line.find(' ');
  std::string_view word = line.substr(0, space);
  bool has_args = space != std::string_view::npos;
  std::string_view args = has_args ? line.substr(space + 1) : std::string_view{};

  Request r;
  if (word == "status" || word == "stats" || word == "reload") {
    if (has_args) {
      out.error = std::string(word) + " takes no arguments";
      return out;
    }
    r.command = word == "status"  ? Command::Status
                : word == "stats" ? Command::Stats
                                  : Command::Reload;
    out.request = std::move(r);
    return out;
  }
  if (word != "test") {
    out.error = "unknown command " + quoted(word) + " (" + std::string(kExpected) + ")";
    return out;
  }
  std::size_t split = args.find(' ');
  std::string_view group = args.substr(0, split);
  if (!has_args || split == std::string_view::npos) group = {};
  if (std::string e = check_group(group); !e.empty()) {
    out.error = std::move(e);
    return out;
  }
  std::string_view input = args.substr(split + 1);
  if (std::string e = check_input(input); !e.empty()) {
    out.error = std::move(e);
    return out;
  }
  r.command = Command::Test;
  r.group = group == kDefaultGroupToken ? std::string() : std::string(group);
  r.input = std::string(input);
  out.request = std::move(r);
  return out;
}

std::string format_request(const Request& request, std::string& error) {
  std::string line;
  switch (request.command) {
    case Command::Status:
      line = "status";
      break;
    case Command::Stats:
      line = "stats";
      break;
    case Command::Reload:
      line = "reload";
      break;
    case Command::Test: {
      std::string_view group = request.group.empty() ? kDefaultGroupToken : request.group;
      error = check_group(group);
      if (error.empty()) error = check_input(request.input);
      if (!error.empty()) return {};
      line = "test ";
      line += group;
      line += ' ';
      line += request.input;
      break;
    }
  }
  line += '\n';
  if (line.size() > kMaxRequestLine) {
    error =
        "test: INPUT too long (a request is at most " + std::to_string(kMaxRequestLine) + " bytes)";
    return {};
  }
  return line;
}

std::string ok_response(std::string_view result_json) {
  std::string out(kOkResultPrefix);
  out.reserve(out.size() + result_json.size() + 2);
  for (char ch : result_json) out += (ch == '\n' || ch == '\r') ? ' ' : ch;
  out += "}\n";
  return out;
}

std::string error_response(std::string_view message) {
  std::string out = R"({"ok":false,"error":)";
  inspect::append_json_string(out, message);
  out += "}\n";
  return out;
}

}  // namespace vigil::daemon
