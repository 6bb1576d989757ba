#include "daemon/control/protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::daemon {
namespace {

TEST(ControlProtocol, ParsesEveryCommand) {
  for (auto [line, command] : {std::pair{"status", Command::Status},
                               {"stats", Command::Stats},
                               {"reload\r", Command::Reload}}) {
    ParsedRequest p = parse_request(line);
    ASSERT_TRUE(p.request) << line << ": " << p.error;
    EXPECT_EQ(p.request->command, command);
  }
  ParsedRequest t = parse_request("test - http://example.com/a b");
  ASSERT_TRUE(t.request) << t.error;
  EXPECT_EQ(t.request->command, Command::Test);
  EXPECT_EQ(t.request->group, "");
  EXPECT_EQ(t.request->input, "http://example.com/a b");
  t = parse_request("test staff  two spaces kept");
  ASSERT_TRUE(t.request) << t.error;
  EXPECT_EQ(t.request->group, "staff");
  EXPECT_EQ(t.request->input, " two spaces kept");
}

TEST(ControlProtocol, RefusesWhatIsNotARequest) {
  for (const char* line : {"", "\r", "status ", " status", "Status", "stats all", "reload now",
                           "test", "test ", "test -", "test - ", "test  x", "tests - x"}) {
    ParsedRequest p = parse_request(line);
    EXPECT_FALSE(p.request) << '"' << line << '"';
    EXPECT_FALSE(p.error.empty()) << line;
  }
  ParsedRequest p = parse_request("frobnicate " + std::string(5000, 'z'));
  EXPECT_EQ(p.error,
            "unknown command \"frobnicate\" (expected status, stats, reload or test GROUP INPUT)");
  p = parse_request(std::string(100, 'q'));
  EXPECT_EQ(p.error, "unknown command \"" + std::string(32, 'q') +
                         "...\" (expected status, stats, reload or test GROUP INPUT)");
  EXPECT_FALSE(parse_request("test gr\x01oup x").request);
  EXPECT_FALSE(parse_request("test - line\x0b").request);
  EXPECT_TRUE(parse_request("test - caf\xc3\xa9\tmenu").request);
}

TEST(ControlProtocol, FormatsWhatItParses) {
  std::string error;
  EXPECT_EQ(format_request({.command = Command::Status}, error), "status\n");
  EXPECT_EQ(format_request({.command = Command::Stats}, error), "stats\n");
  EXPECT_EQ(format_request({.command = Command::Reload}, error), "reload\n");
  Request r{.command = Command::Test, .group = "", .input = "a b\tc"};
  std::string line = format_request(r, error);
  EXPECT_EQ(line, "test - a b\tc\n");
  ParsedRequest back = parse_request(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(back.request);
  EXPECT_EQ(back.request->group, "");
  EXPECT_EQ(back.request->input, "a b\tc");
  EXPECT_EQ(format_request({.command = Command::Test, .group = "staff", .input = "x"}, error),
            "test staff x\n");
}

TEST(ControlProtocol, DoesNotFormatWhatCannotBeSent) {
  std::string error;
  EXPECT_EQ(format_request({.command = Command::Test, .group = "two words", .input = "x"}, error),
            "");
  EXPECT_EQ(error, "test: group name with a space or control character");
  EXPECT_EQ(format_request({.command = Command::Test, .input = "a\nstatus"}, error), "");
  EXPECT_EQ(error, "test: control character in INPUT (only TAB is allowed)");
  EXPECT_EQ(format_request({.command = Command::Test, .input = ""}, error), "");
  EXPECT_EQ(error, "test: no INPUT after the group");
  std::string fits(kMaxRequestLine - 8, 'x');  // "test - " + input + LF = 4096
  EXPECT_EQ(format_request({.command = Command::Test, .input = fits}, error).size(),
            kMaxRequestLine);
  EXPECT_EQ(format_request({.command = Command::Test, .input = fits + "x"}, error), "");
  EXPECT_EQ(error, "test: INPUT too long (a request is at most 4096 bytes)");
}

TEST(ControlProtocol, ResponsesAreOneLine) {
  EXPECT_EQ(ok_response("{\n  \"a\": 1\r\n}"), "{\"ok\":true,\"result\":{   \"a\": 1  }}\n");
  EXPECT_EQ(error_response("bad \"line\"\nnext\\"),
            "{\"ok\":false,\"error\":\"bad \\\"line\\\"\\nnext\\\\\"}\n");
  EXPECT_EQ(error_response("\x01\xff"), "{\"ok\":false,\"error\":\"\\u0001\\u00ff\"}\n");
}

}  // namespace
}  // namespace vigil::daemon
