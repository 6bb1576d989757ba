#include "inspect/eve_json.h"

#include <gtest/gtest.h>

namespace vigil::inspect {
namespace {

std::string json(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(EveJson, EscapesQuotesBackslashesAndControlBytes) {
  EXPECT_EQ(json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json(std::string("x\0y\n\x1f", 5)), "\"x\\u0000y\\n\\u001f\"");
  EXPECT_EQ(json("</script>"), "\"</script>\"");
}

TEST(EveJson, KeepsValidUtf8AndEscapesInvalidBytes) {
  EXPECT_EQ(json("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(json("\xff\xc3"), "\"\\u00ff\\u00c3\"");
  EXPECT_EQ(json("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");  // a lone surrogate
}

TEST(EveJson, TimestampIsUtcWithMicroseconds) {
  EXPECT_EQ(eve_timestamp(1'700'000'000'123'456ull), "2023-11-14T22:13:20.123456+0000");
}

TEST(EveJson, DnsResponseIsWrittenInThePacketsDirection) {
  Observation o;
  o.kind = ObservationKind::Dns;
  o.value = "evil\"name.example";
  std::uint8_t c[4] = {10, 0, 0, 1};
  std::uint8_t s[4] = {10, 0, 0, 53};
  o.client = IpAddress::from_v4(c);
  o.server = IpAddress::from_v4(s);
  o.client_port = 5000;
  o.server_port = 53;
  o.transport = Transport::Udp;
  o.dns_response = true;
  o.dns_addresses = {"192.0.2.1"};
  std::string line = to_eve_json(o);
  EXPECT_NE(line.find("\"event_type\":\"dns\""), std::string::npos);
  EXPECT_NE(line.find("\"src_ip\":\"10.0.0.53\",\"src_port\":53"), std::string::npos);
  EXPECT_NE(line.find("\"rrname\":\"evil\\\"name.example\""), std::string::npos);
  EXPECT_NE(line.find("\"addresses\":[\"192.0.2.1\"]"), std::string::npos);
  EXPECT_EQ(line.back(), '}');
}

TEST(EveJson, FlowCarriesClassificationAndCircumventionFlags) {
  FlowSummary f;
  f.transport = Transport::Tcp;
  f.classification.app_protocol = "TLS.Tor";
  f.classification.flags = kFlowTor | kFlowEch;
  std::string line = to_eve_json(f);
  EXPECT_NE(line.find("\"app_proto\":\"TLS.Tor\""), std::string::npos);
  EXPECT_NE(line.find("\"circumvention\":[\"tor\",\"ech\"]"), std::string::npos);
}

}  // namespace
}  // namespace vigil::inspect
