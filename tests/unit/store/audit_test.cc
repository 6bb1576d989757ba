// The audit log: hash-chained, append-only, and a changed, removed or
// re-hashed row is found and named.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "store/casework.h"
#include "store/detail/audit_chain.h"
#include "store/maintenance.h"
#include "tests/unit/store/store_test_util.h"

namespace vigil::store {
namespace {

using ::testing::HasSubstr;
using testing::raw_exec;
using testing::raw_text;
using testing::TempDir;

class StoreAudit : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(init_store(db_).ok());
    auto cw = Casework::open({db_});
    ASSERT_TRUE(cw.ok()) << cw.error().message;
    for (int i = 1; i <= 6; ++i) {
      auto id = (*cw)->audit("dsl1", "concern.read", "concern", i, "row " + std::to_string(i));
      ASSERT_TRUE(id.ok()) << id.error().message;
      EXPECT_EQ(*id, i);
    }
  }
  // Tampering needs the append-only triggers out of the way first, as an
  // attacker with the file would do.
  void tamper(const std::string& sql) {
    std::string err;
    ASSERT_EQ(
        raw_exec(db_, "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; " + sql,
                 &err),
        SQLITE_OK)
        << err;
  }
  TempDir dir_;
  std::string db_ = dir_.file("vigil.db");
};

TEST_F(StoreAudit, AnIntactChainVerifies) {
  auto v = verify_audit(db_);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->rows, 6);
  EXPECT_EQ(v->first_bad_id, 0);
  EXPECT_EQ(v->head_hash, raw_text(db_, "SELECT hash FROM audit_log WHERE id = 6"));
  EXPECT_EQ(raw_text(db_, "SELECT prev_hash FROM audit_log WHERE id = 1"),
            std::string(detail::kGenesisHash));
  EXPECT_EQ(raw_text(db_, "SELECT prev_hash FROM audit_log WHERE id = 4"),
            raw_text(db_, "SELECT hash FROM audit_log WHERE id = 3"));
}

TEST_F(StoreAudit, TriggersRefuseUpdatesAndDeletes) {
  std::string err;
  EXPECT_NE(raw_exec(db_, "UPDATE audit_log SET detail = 'x' WHERE id = 2", &err), SQLITE_OK);
  EXPECT_THAT(err, HasSubstr("append-only"));
  EXPECT_NE(raw_exec(db_, "DELETE FROM audit_log WHERE id = 2", &err), SQLITE_OK);
  EXPECT_THAT(err, HasSubstr("append-only"));
  EXPECT_TRUE(verify_audit(db_)->ok);
}

TEST_F(StoreAudit, AChangedRowIsNamed) {
  tamper("UPDATE audit_log SET detail = 'nothing to see' WHERE id = 3");
  auto v = verify_audit(db_);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_id, 3);
  EXPECT_THAT(v->problem, HasSubstr("content does not match its hash"));
  EXPECT_EQ(v->rows, 2);
}

TEST_F(StoreAudit, AChangedActorOrTimeIsNamed) {
  tamper("UPDATE audit_log SET actor = 'someone_else' WHERE id = 5");
  EXPECT_EQ(verify_audit(db_)->first_bad_id, 5);
}

TEST_F(StoreAudit, ARemovedRowIsNamed) {
  tamper("DELETE FROM audit_log WHERE id = 4");
  auto v = verify_audit(db_);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_id, 5);
  EXPECT_THAT(v->problem, HasSubstr("rows between 3 and 5 were removed"));
}

TEST_F(StoreAudit, ARemovedFirstRowIsNamed) {
  tamper("DELETE FROM audit_log WHERE id = 1");
  auto v = verify_audit(db_);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_id, 2);
}

TEST_F(StoreAudit, ARowRehashedInPlaceBreaksTheNextLink) {
  // The attacker recomputes row 2's hash after changing it; the chain then
  // breaks at row 3, whose prev_hash still holds the old value.
  AuditRow row;
  row.id = 2;
  row.ts_us = std::stoll(raw_text(db_, "SELECT ts_us FROM audit_log WHERE id = 2"));
  row.actor = "dsl1";
  row.action = "concern.read";
  row.object_type = "concern";
  row.object_id = 2;
  row.detail = "altered";
  std::string prev = raw_text(db_, "SELECT prev_hash FROM audit_log WHERE id = 2");
  std::string hash = detail::audit_row_hash(prev, row);
  tamper("UPDATE audit_log SET detail = 'altered', hash = '" + hash + "' WHERE id = 2");
  auto v = verify_audit(db_);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_id, 3);
  EXPECT_THAT(v->problem, HasSubstr("prev_hash does not match row 2"));
}

TEST(StoreAuditEncoding, FieldBoundariesCannotBeShifted) {
  AuditRow a;
  a.id = 1;
  a.actor = "ab";
  a.action = "c";
  AuditRow b = a;
  b.actor = "a";
  b.action = "bc";
  EXPECT_NE(detail::canonical_audit_content(a), detail::canonical_audit_content(b));
  EXPECT_NE(detail::audit_row_hash(detail::kGenesisHash, a),
            detail::audit_row_hash(detail::kGenesisHash, b));
  // Embedded newlines and NULs are length-prefixed, not delimiters.
  AuditRow c = a;
  c.detail = std::string("x\n3:abc\n\0y", 10);
  AuditRow d = a;
  d.detail = "x";
  EXPECT_NE(detail::audit_row_hash(detail::kGenesisHash, c),
            detail::audit_row_hash(detail::kGenesisHash, d));
  EXPECT_EQ(detail::audit_row_hash(detail::kGenesisHash, a).size(), 64U);
}

TEST(StoreAuditConcurrency, TwoConnectionsAppendingKeepOneChain) {
  TempDir dir;
  const std::string db = dir.file("vigil.db");
  ASSERT_TRUE(init_store(db).ok());
  auto worker = [&db](const char* actor, int n, int* failures) {
    auto cw = Casework::open({db});
    if (!cw.ok()) {
      *failures = n;
      return;
    }
    for (int i = 0; i < n; ++i) {
      if (!(*cw)->audit(actor, "test.append", "store", i, "").ok()) ++*failures;
    }
  };
  int fa = 0;
  int fb = 0;
  std::thread a(worker, "alice", 150, &fa);
  std::thread b(worker, "bob", 150, &fb);
  a.join();
  b.join();
  EXPECT_EQ(fa + fb, 0);
  auto v = verify_audit(db);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->rows, 300);
}

}  // namespace
}  // namespace vigil::store
