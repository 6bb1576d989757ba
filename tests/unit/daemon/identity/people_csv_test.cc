#include "daemon/identity/people_csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace vigil::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

MacAddress mac(std::string_view s) { return *MacAddress::parse(s); }

std::string error_of(std::string_view csv) { return parse_people_csv(csv, "p.csv").diag.error; }

TEST(PeopleCsv, ColumnsInAnyOrderWithEveryField) {
  const auto p = parse_people_csv(
      "devices,under_18,group,cohort,name,reference\n"
      "3c:22:fb:01:02:03;DA-A1-19-00-00-01,yes,learners-16-18,Plumbing L2,Alice Smith,L0001\n"
      "3c22.fb0a.0b0c 3c22fb0d0e0f,no,staff,,Bob Jones,S0002\n"
      ",,,,Carol,L0003\n",
      "people.csv");
  ASSERT_TRUE(p.diag.ok()) << p.diag.error;
  ASSERT_THAT(p.people, SizeIs(3));
  EXPECT_EQ(p.diag.accepted, 3u);
  EXPECT_EQ(p.people[0], (Person{"L0001", "Alice Smith", "Plumbing L2", "learners-16-18", true}));
  EXPECT_EQ(p.people[1], (Person{"S0002", "Bob Jones", "", "staff", false}));
  EXPECT_EQ(p.people[2].under_18, std::nullopt);  // not known
  EXPECT_THAT(p.devices, ElementsAre(DeviceOwner{mac("3c:22:fb:01:02:03"), "L0001"},
                                     DeviceOwner{mac("da:a1:19:00:00:01"), "L0001"},
                                     DeviceOwner{mac("3c:22:fb:0a:0b:0c"), "S0002"},
                                     DeviceOwner{mac("3c:22:fb:0d:0e:0f"), "S0002"}));
}

TEST(PeopleCsv, HeaderNamesIgnoreCaseSpacesAndHyphens) {
  const auto p = parse_people_csv(" Reference ,Name,UNDER 18,Under-18x\n", "p.csv");
  EXPECT_EQ(p.diag.error,
            "p.csv:1: unknown column 'under_18x' (expected reference, name, cohort, group, "
            "under_18, devices)");
  const auto q = parse_people_csv(" Reference ,Name,UNDER 18\nR1,A,TRUE\n", "p.csv");
  ASSERT_TRUE(q.diag.ok()) << q.diag.error;
  EXPECT_EQ(q.people[0].under_18, true);
}

TEST(PeopleCsv, Rfc4180QuotingBomAndCrlf) {
  const auto p = parse_people_csv(
      "\xEF\xBB\xBF"
      "reference,name,cohort,devices\r\n"
      "\"L1\",\"Smith, Alice \"\"Ali\"\"\",\"Line one\r\nline two\",\"3c:22:fb:01:02:03; "
      "3c:22:fb:01:02:04\"\r\n"
      "L2, \"Bob\" ,x,\r\n",
      "p.csv");
  ASSERT_TRUE(p.diag.ok()) << p.diag.error;
  ASSERT_THAT(p.people, SizeIs(2));
  EXPECT_EQ(p.people[0].name, "Smith, Alice \"Ali\"");
  EXPECT_EQ(p.people[0].cohort, "Line one  line two");  // line breaks inside a cell become spaces
  EXPECT_THAT(p.devices, SizeIs(2));
  EXPECT_EQ(p.people[1].name, "Bob");
}

TEST(PeopleCsv, ErrorsNameTheLineEvenAfterAQuotedLineBreak) {
  const auto p = parse_people_csv(
      "reference,name,devices\n"
      "L1,\"two\nlines\",\n"       // lines 2-3
      "L2,x,3c:22:fb:01:02:zz\n",  // line 4
      "p.csv");
  EXPECT_EQ(p.diag.error, "p.csv:4: devices: '3c:22:fb:01:02:zz' is not a MAC address");
}

TEST(PeopleCsv, UnknownColumnsAreNamed) {
  EXPECT_EQ(error_of("reference,name,email,Date of Birth\n"),
            "p.csv:1: unknown columns 'email', 'date_of_birth' (expected reference, name, "
            "cohort, group, under_18, devices)");
  EXPECT_THAT(error_of("reference,name,\n"), HasSubstr("column 3 (no name)"));
}

TEST(PeopleCsv, HeaderProblems) {
  EXPECT_THAT(error_of(""), HasSubstr("p.csv: no header row"));
  EXPECT_THAT(error_of("\n\n"), HasSubstr("no header row"));
  EXPECT_EQ(error_of("name,group\nA,B\n"),
            "p.csv:1: no 'reference' column (expected reference, name, cohort, group, under_18, "
            "devices)");
  EXPECT_EQ(error_of("reference,name,Name\n"), "p.csv:1: column 'name' appears twice");
}

TEST(PeopleCsv, HeaderOnlyIsAnEmptyImport) {
  const auto p = parse_people_csv("reference,name\n", "p.csv");
  EXPECT_TRUE(p.diag.ok());
  EXPECT_THAT(p.people, IsEmpty());
}

TEST(PeopleCsv, DuplicateReferenceNamesBothLines) {
  EXPECT_EQ(error_of("reference,name\nL1,A\nL2,B\nL1,C\n"),
            "p.csv:4: reference 'L1' already used on line 2");
}

TEST(PeopleCsv, ADeviceOfTwoPeopleIsAnError) {
  EXPECT_EQ(error_of("reference,devices\nL1,3c:22:fb:01:02:03\nL2,3C-22-FB-01-02-03\n"),
            "p.csv:3: devices: 3c:22:fb:01:02:03 already belongs to 'L1' (line 2)");
  // Listed twice for one person: harmless.
  const auto p = parse_people_csv("reference,devices\nL1,3c:22:fb:01:02:03 3c22fb010203\n", "p");
  EXPECT_TRUE(p.diag.ok());
  EXPECT_THAT(p.devices, SizeIs(1));
}

TEST(PeopleCsv, InvalidCells) {
  EXPECT_EQ(error_of("reference,devices\nL1,01:00:5e:00:00:01\n"),
            "p.csv:2: devices: 01:00:5e:00:00:01 is a multicast or all-zero address, not a "
            "device's");
  EXPECT_EQ(error_of("reference,under_18\nL1,maybe\n"),
            "p.csv:2: under_18: expected yes, no, true, false, 1, 0 or empty, got 'maybe'");
  EXPECT_EQ(error_of("reference,name\n,Nobody\n"),
            "p.csv:2: reference: empty (every person needs one)");
  EXPECT_EQ(error_of("reference,name\nL1,A,extra\n"),
            "p.csv:2: 3 fields, but the header has 2 columns");
  EXPECT_EQ(error_of("reference,name\nL1,Ren\xE9\n"),  // Windows-1252, as Excel saves "CSV"
            "p.csv:2: name: not valid UTF-8 (in Excel, save as \"CSV UTF-8\")");
  EXPECT_EQ(error_of(std::string("reference,name\nL1,a\0b\n", 22)),
            "p.csv:2: name: control character");
  EXPECT_EQ(error_of("reference,name\nL1,a\"b\n"),
            "p.csv:2: a quote inside an unquoted field (quote the whole field and double the "
            "quote)");
  EXPECT_EQ(error_of("reference,name\nL1,\"a\"b\n"), "p.csv:2: text after a closing quote");
  EXPECT_EQ(error_of("reference,name\nL1,\"never closed\nL2,b\n"),
            "p.csv:2: quoted field opened on line 2 is not closed before end of file");
  EXPECT_EQ(error_of("reference\n" + std::string(65, 'r') + "\n"),
            "p.csv:2: reference: longer than 64 bytes");
}

TEST(PeopleCsv, AnyErrorRefusesTheWholeImportAndCountsThemAll) {
  std::string csv = "reference,name,devices\nL1,Good,3c:22:fb:01:02:03\n";
  for (int i = 0; i < 30; ++i) csv += "L" + std::to_string(i + 100) + ",x,bad-mac\n";
  const auto p = parse_people_csv(csv, "p.csv");
  EXPECT_THAT(p.people, IsEmpty());
  EXPECT_THAT(p.devices, IsEmpty());
  EXPECT_EQ(p.diag.invalid, 30u);
  EXPECT_THAT(p.diag.first_invalid, SizeIs(ParseDiagnostics::kMaxReported));
  EXPECT_EQ(p.diag.error, "p.csv:3: devices: 'bad-mac' is not a MAC address (and 29 more)");
}

TEST(PeopleCsv, BlankAndAllEmptyRowsAreSkipped) {
  const auto p = parse_people_csv("\n\nreference,name\n\n,,\nL1,A\n,\n", "p.csv");
  ASSERT_TRUE(p.diag.ok()) << p.diag.error;
  EXPECT_THAT(p.people, SizeIs(1));
  EXPECT_EQ(p.diag.skipped, 5u);
}

TEST(PeopleCsv, HostileInputStaysBounded) {
  // A huge quoted field, a record with thousands of fields, a huge unquoted field.
  EXPECT_THAT(error_of("reference,name\nL1,\"" + std::string(100000, 'x') + "\"\n"),
              HasSubstr("p.csv:2: field longer than 4096 bytes"));
  std::string wide = "reference\n";
  for (int i = 0; i < 5000; ++i) wide += "a,";
  wide += "\n";
  EXPECT_THAT(error_of(wide), HasSubstr("p.csv:2: more than 64 fields"));
  EXPECT_THAT(error_of("reference,name\nL1," + std::string(100000, 'x') + "\n"),
              HasSubstr("field longer than"));
  std::string many_devices = "reference,devices\nL1,";
  for (int i = 0; i < 40; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "3c:22:fb:00:00:%02x ", i + 1);
    many_devices += buf;
  }
  EXPECT_THAT(error_of(many_devices + "\n"), HasSubstr("more than 32 devices"));
}

TEST(PeopleCsv, PeopleCountIsBounded) {
  std::string csv = "reference\n";
  for (int i = 0; i < 20; ++i) csv += "L" + std::to_string(i) + "\n";
  Limits limits;
  limits.max_people = 10;
  const auto p = parse_people_csv(csv, "p.csv", limits);
  EXPECT_EQ(p.diag.error, "p.csv:12: more than 10 people");
}

}  // namespace
}  // namespace vigil::identity
