// People and devices: the CSV import (good rows in, bad rows reported by
// line), attribution of devices already seen, manual mapping, auditing.

#include <gmock/gmock.h>

#include "tests/unit/admin/console/pages/admin_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using store::Role;
using ::testing::HasSubstr;
using ::testing::Not;

class AdminPeople : public AdminPagesTest {};

constexpr const char* kCsv =
    "reference,name,cohort,group,under_18,devices\n"
    "L1,Ann Example,2026,learners,yes,02:00:00:00:00:01\n"
    "L2,Bob Example,2026,learners,no,not-a-mac\n"
    "S1,Cat Staff,,staff,no,aa:bb:cc:dd:ee:ff\n";

TEST_F(AdminPeople, ACsvWithABrokenLineReportsItAndImportsTheRest) {
  Response r = post("/people/import", {{"csv", kCsv}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("people.csv:3: devices"));
  EXPECT_THAT(r.body, HasSubstr("2 people imported or updated"));
  EXPECT_THAT(r.body, HasSubstr("1 rows were left out"));
  EXPECT_EQ(count("SELECT count(*) FROM people"), 2);
  EXPECT_EQ(raw_text(db_, "SELECT display_name FROM people WHERE reference = 'L1'"), "Ann Example");
  EXPECT_EQ(raw_text(db_, "SELECT kind FROM people WHERE reference = 'S1'"), "staff");
  EXPECT_EQ(count("SELECT under_18 FROM people WHERE reference = 'L1'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM people WHERE reference = 'L2'"), 0);
  // L1's device was seen already (the fixture's hits): attributed from the file.
  EXPECT_EQ(
      raw_text(db_,
               "SELECT p.reference FROM device_people dp JOIN people p ON p.id = dp.person_id "
               "JOIN devices d ON d.id = dp.device_id WHERE d.mac = '02:00:00:00:00:01'"),
      "L1");
  EXPECT_EQ(raw_text(db_, "SELECT source FROM device_people"), "csv");
  EXPECT_EQ(count("SELECT count(*) FROM device_people"), 1);  // S1's device not seen yet
  EXPECT_THAT(r.body, HasSubstr("1 devices in the file have not been seen"));
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'person.upsert'"), 2);
  EXPECT_THAT(raw_text(db_, "SELECT detail FROM audit_log WHERE action = 'people.import'"),
              HasSubstr("1 rows refused"));

  // The API takes the file as the body and answers JSON.
  Response api = call(Method::Post, "/api/people/import", as(Role::Admin), {});
  EXPECT_EQ(api.status, 400);  // no file given
  Fields f{{"csv", kCsv}};
  Response json = post("/api/people/import", f);
  ASSERT_EQ(json.status, 200);
  boost::json::value v = parse_json(json.body);
  EXPECT_EQ(v.at("imported").to_number<int>(), 2);
  EXPECT_EQ(v.at("refused").to_number<int>(), 1);
  ASSERT_EQ(v.at("errors").as_array().size(), 1u);
  EXPECT_THAT(std::string(v.at("errors").as_array()[0].as_string()), HasSubstr("people.csv:3:"));
  EXPECT_EQ(count("SELECT count(*) FROM people"), 2);  // imported again: updated, not repeated
}

TEST_F(AdminPeople, AFileThatCannotBeReadImportsNothing) {
  Response r = post("/people/import", {{"csv", "ref,colour\nL1,blue\n"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("Nothing was imported"));
  EXPECT_THAT(r.body, HasSubstr("unknown column"));
  EXPECT_EQ(count("SELECT count(*) FROM people"), 0);
}

TEST_F(AdminPeople, ADeviceIsMappedByHandAndAudited) {
  ASSERT_EQ(post("/people/import", {{"csv", kCsv}}).status, 200);
  const std::int64_t device = count("SELECT id FROM devices WHERE mac = '02:00:00:00:00:02'");
  ASSERT_GT(device, 0);
  Response r = post("/people/map", {{"device_id", std::to_string(device)}, {"reference", "S1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("now belongs to S1"));
  EXPECT_EQ(
      raw_text(db_, "SELECT source FROM device_people WHERE device_id = " + std::to_string(device)),
      "manual");
  EXPECT_EQ(count("SELECT CAST(confidence * 100 AS INTEGER) FROM device_people WHERE device_id = " +
                  std::to_string(device)),
            100);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'device.attribute' AND actor = "
                  "'admin' AND object_id = " +
                  std::to_string(device) + " AND detail LIKE '%via manual'"),
            1);

  EXPECT_EQ(
      post("/people/map", {{"device_id", std::to_string(device)}, {"reference", "nobody"}}).status,
      404);
  EXPECT_EQ(post("/people/map", {{"device_id", "99999"}, {"reference", "S1"}}).status, 404);
  EXPECT_EQ(post("/people/map", {{"device_id", "x"}, {"reference", "S1"}}).status, 400);
}

TEST_F(AdminPeople, ThePageListsPeopleAndDevicesWithTheirAttributions) {
  ASSERT_EQ(post("/people/import", {{"csv", kCsv}}).status, 200);
  const auto views = count("SELECT count(*) FROM audit_log WHERE action = 'people.view'");
  Response r = get("/people");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("Ann Example"));
  EXPECT_THAT(r.body, HasSubstr("02:00:00:00:00:01"));
  EXPECT_THAT(r.body, HasSubstr("(csv, 90% sure)"));
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'people.view'"), views + 1);

  Response api = get("/api/people");
  boost::json::value v = parse_json(api.body);
  EXPECT_EQ(v.at("people_total").to_number<int>(), 2);
  EXPECT_EQ(v.at("devices_total").to_number<int>(), 2);
  bool attributed = false;
  for (const auto& d : v.at("devices").as_array()) {
    for (const auto& a : d.at("attributions").as_array()) {
      attributed = attributed || a.at("reference").as_string() == "L1";
    }
  }
  EXPECT_TRUE(attributed);

  // Only the IT admin maps devices to people.
  EXPECT_EQ(get("/people", Role::Dsl).status, 403);
  EXPECT_EQ(get("/people", Role::Auditor).status, 403);
}

}  // namespace
}  // namespace vigil::console::pages::testing
