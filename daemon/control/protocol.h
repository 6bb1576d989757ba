#pragma once
// The control socket's wire protocol, shared by ControlServer (vigild) and
// the vigilctl client so the two cannot drift apart.
//
// A request is one line of plain text (no JSON), at most kMaxRequestLine
// bytes including its LF (a CR before the LF is ignored):
//
//   status
//   stats
//   reload
//   test GROUP INPUT      GROUP: the policy group, "-" for the default group;
//                         INPUT: the rest of the line, taken verbatim
//
// Words are lower case and separated by exactly one space. Control bytes
// other than TAB in INPUT, and any in GROUP, are refused. A response is one
// line of JSON, either exactly
//
//   {"ok":true,"result":OBJECT}\n      (reload: OBJECT is {"message":"..."})
//   {"ok":false,"error":"one line a person can act on"}\n
//
// after which the connection takes the next request.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::daemon {

inline constexpr std::size_t kMaxRequestLine = 4096;  // bytes, including the LF
inline constexpr std::size_t kMaxGroupName = 64;
inline constexpr std::string_view kDefaultGroupToken = "-";
inline constexpr std::string_view kOkResultPrefix = R"({"ok":true,"result":)";

enum class Command : std::uint8_t { Status, Stats, Reload, Test };

struct Request {
  Command command = Command::Status;
  std::string group{};  // Test: "" = the policy's default group
  std::string input{};  // Test
};

struct ParsedRequest {
  std::optional<Request> request;
  std::string error;  // set when `request` is not
};

// `line` is one request without its LF; a trailing CR is ignored.
ParsedRequest parse_request(std::string_view line);

// The request line with its LF, or "" with `error` set when `request` cannot
// be written in the protocol (a group with spaces, an input with a line
// break, a line too long).
std::string format_request(const Request& request, std::string& error);

// Response lines, with their LF. `result_json` must be one JSON object;
// line breaks in it (only legal as JSON white space) become spaces.
std::string ok_response(std::string_view result_json);
std::string error_response(std::string_view message);

}  // namespace vigil::daemon
