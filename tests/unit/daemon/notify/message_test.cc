// What a notification says, and what it must never say.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "daemon/notify/email.h"
#include "daemon/notify/notification.h"
#include "daemon/notify/webhook_channel.h"

namespace vigil::notify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kConsole = "https://vigil.centre.lan:8443/";

// 2025-06-03T10:00:00Z, a Tuesday.
TimePoint june_3_10am() { return std::chrono::system_clock::from_time_t(1748944800); }

class MessageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

std::string decode_base64(std::string_view b64) {
  std::string out(b64.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return "<bad base64>";
  out.resize(static_cast<std::size_t>(n));
  while (!b64.empty() && b64.back() == '=') {  // EVP_DecodeBlock keeps the padding's zeros
    out.pop_back();
    b64.remove_suffix(1);
  }
  return out;
}

std::vector<std::string> header_lines(const std::string& email) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t end = email.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    lines.push_back(email.substr(pos, end - pos));
    pos = end + 2;
  }
  return lines;
}

TEST_F(MessageTest, ConcernSaysWhatKindAndWhereToLookAndNothingElse) {
  Notification n = concern_raised(123, rules::Category::Extremism, rules::Severity::Danger, "p-77");
  n.raised_at = june_3_10am();
  const Message m = render(n, kConsole, "abc123");

  EXPECT_EQ(m.subject, "Vigil: new safeguarding concern (danger, extremism)");
  EXPECT_THAT(m.text, StartsWith("A new safeguarding concern (danger, extremism) needs review: "
                                 "https://vigil.centre.lan:8443/concerns/123\n"));
  EXPECT_THAT(m.text, HasSubstr("Raised at 10:00 on Tue 03 Jun 2025."));
  EXPECT_EQ(
      m.json,
      R"({"id":"abc123","event":"concern_raised","category":"extremism","severity":"danger",)"
      R"("link":"https://vigil.centre.lan:8443/concerns/123","raised_at":"2025-06-03T10:00:00Z",)"
      R"("text":"A new safeguarding concern (danger, extremism) needs review: )"
      R"(https://vigil.centre.lan:8443/concerns/123"})");
}

TEST_F(MessageTest, ReviewOverdueAndAlarmsHaveTheirOwnWords) {
  Notification r = review_overdue(9, rules::Category::SelfHarm, rules::Severity::Caution, "p");
  const Message mr = render(r, kConsole, "x");
  EXPECT_EQ(mr.subject, "Vigil: safeguarding concern overdue for review (caution, self harm)");
  EXPECT_THAT(mr.json, HasSubstr(R"("event":"review_overdue","category":"self_harm")"));

  const Message ma = render(system_alarm(Alarm::CaptureStopped), kConsole, "y");
  EXPECT_EQ(ma.subject, "Vigil alarm: packet capture stopped");
  EXPECT_THAT(ma.text, StartsWith("Packet capture has stopped: Vigil is not monitoring traffic. "
                                  "Details: https://vigil.centre.lan:8443/status"));
  EXPECT_THAT(ma.json, HasSubstr(R"("event":"system_alarm","alarm":"capture_stopped")"));
}

TEST_F(MessageTest, WithoutAPublicUrlThePageIsNamed) {
  const Message m =
      render(concern_raised(5, rules::Category::Drugs, rules::Severity::Advisory, ""), "", "x");
  EXPECT_THAT(m.text, HasSubstr("needs review: open /concerns/5 in the Vigil console"));
  EXPECT_THAT(m.json, HasSubstr(R"("link":"/concerns/5")"));
}

// The privacy rule: whatever a caller puts in the person key (here a name,
// an email address, a URL with a search term and an IP, as a careless caller
// might), none of it reaches a subject, a body, a webhook or an email.
TEST_F(MessageTest, PersonalDetailNeverReachesAnyRendering) {
  const std::string hostile =
      "Jane Doe <jane.doe@learner.example> https://evil.example/find?q=how+to+join 10.1.2.3";
  const std::vector<std::string> forbidden = {"Jane",   "Doe",  "learner.example", "evil.example",
                                              "find?q", "join", "10.1.2.3"};
  std::vector<Notification> all;
  for (std::size_t c = 0; c < kCategoryCount; ++c) {
    for (auto sev :
         {rules::Severity::Advisory, rules::Severity::Caution, rules::Severity::Danger}) {
      all.push_back(concern_raised(1, static_cast<rules::Category>(c), sev, hostile));
      all.push_back(review_overdue(2, static_cast<rules::Category>(c), sev, hostile));
    }
  }
  for (std::size_t a = 0; a < kAlarmCount; ++a) {
    Notification n = system_alarm(static_cast<Alarm>(a));
    n.person_key = hostile;
    all.push_back(n);
  }
  for (const Notification& n : all) {
    ASSERT_TRUE(is_valid(n));
    const Message m = render(n, kConsole, "id1");
    std::string error;
    const auto email = format_email(m, "vigil@centre.example",
                                    std::vector<std::string>{"dsl@centre.example"}, error);
    ASSERT_TRUE(email) << error;
    for (const std::string& word : forbidden) {
      EXPECT_THAT(m.subject, Not(HasSubstr(word)));
      EXPECT_THAT(m.text, Not(HasSubstr(word)));
      EXPECT_THAT(m.json, Not(HasSubstr(word)));
      EXPECT_THAT(*email, Not(HasSubstr(word)));
    }
  }
}

TEST_F(MessageTest, ConsolePathsCannotCarryAUrlOrText) {
  EXPECT_TRUE(is_console_path("/concerns/123"));
  EXPECT_TRUE(is_console_path("/status"));
  EXPECT_FALSE(is_console_path(""));
  EXPECT_FALSE(is_console_path("concerns/1"));
  EXPECT_FALSE(is_console_path("/concerns/1?q=how+to+join"));
  EXPECT_FALSE(is_console_path("/concerns/1#Jane"));
  EXPECT_FALSE(is_console_path("//evil.example/x"));
  EXPECT_FALSE(is_console_path("/x/../evil"));
  EXPECT_FALSE(is_console_path("/people/Jane%20Doe"));
  EXPECT_FALSE(is_console_path("/people/Jane Doe"));
  EXPECT_FALSE(is_console_path("/" + std::string(200, 'a')));

  Notification n = concern_raised(1, rules::Category::Extremism, rules::Severity::Danger, "k");
  n.console_path = "/search?q=bomb";
  EXPECT_FALSE(is_valid(n));
  n = concern_raised(1, rules::Category::Extremism, rules::Severity::Danger, "k");
  n.kind = Kind::DailyDigest;
  EXPECT_FALSE(is_valid(n));
  n = concern_raised(1, rules::Category::kCount, rules::Severity::Danger, "k");
  EXPECT_FALSE(is_valid(n));
}

TEST_F(MessageTest, DigestCountsOnly) {
  DigestCounts c;
  c.from = june_3_10am() - std::chrono::hours(24);
  c.to = june_3_10am();
  c.concerns[static_cast<std::size_t>(rules::Category::Extremism)] = {2, 5};
  c.concerns[static_cast<std::size_t>(rules::Category::SelfHarm)] = {1, 0};
  c.alarms[static_cast<std::size_t>(Alarm::StoreSpooling)] = {1, 3};
  c.dropped = 4;
  c.undelivered["webhook"] = 2;
  const Message m = render_digest(c, kConsole, "d1");
  EXPECT_EQ(m.subject, "Vigil: daily summary for Tue 03 Jun 2025");
  EXPECT_THAT(m.text, HasSubstr("from 10:00 on Mon 02 Jun 2025 to 10:00 on Tue 03 Jun 2025"));
  EXPECT_THAT(m.text, HasSubstr("New concerns alerted: 3 (extremism 2, self harm 1)\n"));
  EXPECT_THAT(m.text, HasSubstr("New concerns held back by the alert limit: 5 (extremism 5)\n"));
  EXPECT_THAT(m.text, HasSubstr("Overdue reviews alerted: none\n"));
  EXPECT_THAT(m.text, HasSubstr("System alarms: 1 (store_spooling 1)\n"));
  EXPECT_THAT(m.text, HasSubstr("System alarms held back: 3 (store_spooling 3)\n"));
  EXPECT_THAT(m.text, HasSubstr("Alerts dropped (queue full): 4\n"));
  EXPECT_THAT(m.text, HasSubstr("Alerts not delivered: webhook 2\n"));
  EXPECT_THAT(m.text, HasSubstr("Concerns: https://vigil.centre.lan:8443/concerns\n"));
  EXPECT_THAT(m.json, HasSubstr(R"("event":"daily_digest","from":"2025-06-02T10:00:00Z",)"
                                R"("to":"2025-06-03T10:00:00Z","concerns":{"extremism":{"sent":2,)"
                                R"("held_back":5},"self_harm":{"sent":1,"held_back":0}},)"
                                R"("reviews_overdue":{},"alarms":{"store_spooling":{"sent":1,)"
                                R"("held_back":3}},"dropped":4,"undelivered":{"webhook":2},)"));
}

TEST_F(MessageTest, JsonStringsAreEscapedAndValidUtf8) {
  EXPECT_EQ(json_string("a\"b\\c\n\r\t\x01"), R"("a\"b\\c\n\r\t\u0001")");
  EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  // Bytes that are not UTF-8 are written as \u00XX, as in every JSON Vigil writes.
  EXPECT_EQ(json_string("bad \xff \xc3"), R"("bad \u00ff \u00c3")");
  EXPECT_EQ(json_string("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");  // surrogate
  EXPECT_EQ(json_string("\xc0\xaf"), R"("\u00c0\u00af")");              // overlong
}

TEST_F(MessageTest, EmailHasTheHeadersMailersExpect) {
  Notification n = concern_raised(42, rules::Category::HateSpeech, rules::Severity::Caution, "k");
  n.raised_at = june_3_10am();
  const Message m = render(n, kConsole, "0123abcd");
  std::string error;
  const std::vector<std::string> to = {"dsl@centre.example", "deputy@centre.example"};
  const auto email = format_email(m, "vigil@centre.example", to, error);
  ASSERT_TRUE(email) << error;

  const std::vector<std::string> h = header_lines(*email);
  EXPECT_THAT(h, ::testing::Contains("Date: Tue, 03 Jun 2025 10:00:00 +0000"));
  EXPECT_THAT(h, ::testing::Contains("Message-ID: <0123abcd@centre.example>"));
  EXPECT_THAT(h, ::testing::Contains("From: Vigil <vigil@centre.example>"));
  EXPECT_THAT(h, ::testing::Contains("To: dsl@centre.example,"));
  EXPECT_THAT(h, ::testing::Contains(" deputy@centre.example"));
  EXPECT_THAT(
      h, ::testing::Contains("Subject: Vigil: new safeguarding concern (caution, hate speech)"));
  EXPECT_THAT(h, ::testing::Contains("MIME-Version: 1.0"));
  EXPECT_THAT(h, ::testing::Contains("Content-Type: text/plain; charset=UTF-8"));
  EXPECT_THAT(h, ::testing::Contains("Content-Transfer-Encoding: 7bit"));
  EXPECT_THAT(h, ::testing::Contains("Auto-Submitted: auto-generated"));
  for (const std::string& line : h) EXPECT_LE(line.size(), 998u);

  // Every line ends in CRLF; the body follows the blank line.
  for (std::size_t i = 0; i < email->size(); ++i) {
    if ((*email)[i] == '\n') {
      ASSERT_TRUE(i > 0 && (*email)[i - 1] == '\r') << "bare LF at " << i;
    }
  }
  const std::size_t blank = email->find("\r\n\r\n");
  ASSERT_NE(blank, std::string::npos);
  EXPECT_THAT(email->substr(blank + 4),
              StartsWith("A new safeguarding concern (caution, hate speech) needs review: "
                         "https://vigil.centre.lan:8443/concerns/42\r\n"));
  EXPECT_THAT(*email, ::testing::EndsWith("\r\n"));
}

TEST_F(MessageTest, NonAsciiSubjectIsEncodedPerRfc2047) {
  Message m;
  m.id = "x";
  m.created = june_3_10am();
  // Welsh and Polish letters, long enough to need several encoded-words.
  m.subject = "Rhybudd: pryder diogelu newydd ŵŷ — zażółć gęślą jaźń, zażółć gęślą jaźń, koniec";
  m.text = "Ŵyn bach\n";
  std::string error;
  const auto email =
      format_email(m, "vigil@centre.example", std::vector<std::string>{"dsl@x.example"}, error);
  ASSERT_TRUE(email) << error;
  std::string decoded;
  bool in_subject = false;
  for (const std::string& line : header_lines(*email)) {
    if (line.rfind("Subject: ", 0) == 0) {
      in_subject = true;
    } else if (!in_subject || line.empty() || line[0] != ' ') {
      in_subject = false;
      continue;
    }
    const std::size_t start = line.find("=?UTF-8?B?");
    ASSERT_NE(start, std::string::npos) << line;
    const std::size_t end = line.find("?=", start + 10);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end + 2 - start, 75u) << "encoded-word longer than RFC 2047 allows";
    for (std::size_t i = 0; i < line.size(); ++i)
      ASSERT_LT(static_cast<unsigned char>(line[i]), 0x80);
    decoded += decode_base64(line.substr(start + 10, end - start - 10));
  }
  EXPECT_EQ(decoded, m.subject);
  EXPECT_THAT(*email, HasSubstr("Content-Transfer-Encoding: base64\r\n"));
  const std::size_t blank = email->find("\r\n\r\n");
  std::string body = email->substr(blank + 4);
  body.erase(body.find("\r\n"));
  EXPECT_EQ(decode_base64(body), "Ŵyn bach\r\n");
}

TEST_F(MessageTest, HeadersCannotBeInjected) {
  Message m;
  m.id = "x\r\nBcc: a@b";
  m.subject = "hi\r\nBcc: evil@attacker.example";
  m.text = "body\n";
  std::string error;
  const auto email =
      format_email(m, "vigil@centre.example", std::vector<std::string>{"dsl@x.example"}, error);
  ASSERT_TRUE(email);
  for (const std::string& line : header_lines(*email)) EXPECT_THAT(line, Not(StartsWith("Bcc")));

  EXPECT_FALSE(format_email(m, "vigil@centre.example\r\nBcc: x@y",
                            std::vector<std::string>{"dsl@x.example"}, error));
  EXPECT_FALSE(format_email(m, "vigil@centre.example",
                            std::vector<std::string>{"dsl@x.example>\r\nBcc: <x@y"}, error));
  EXPECT_FALSE(format_email(m, "Vigil <vigil@centre.example>",
                            std::vector<std::string>{"dsl@x.example"}, error));
  EXPECT_FALSE(format_email(m, "vigil@centre.example", std::vector<std::string>{}, error));
}

TEST_F(MessageTest, Rfc5322Date) {
  EXPECT_EQ(rfc5322_date(june_3_10am()), "Tue, 03 Jun 2025 10:00:00 +0000");
  EXPECT_EQ(rfc5322_date(std::chrono::system_clock::from_time_t(0)),
            "Thu, 01 Jan 1970 00:00:00 +0000");
}

// RFC 4231 test case 2.
TEST_F(MessageTest, WebhookSignatureIsHmacSha256) {
  EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace vigil::notify
