// Sign-in records: reading a user's hash and TOTP state, changing the
// password (audited, the change time moves), rehashing only over the hash
// read, TOTP enrolment in two steps, and each TOTP step usable once even
// from two connections.

#include "store/credentials.h"

#include <gtest/gtest.h>

#include "store/casework.h"
#include "store/maintenance.h"
#include "tests/unit/store/store_test_util.h"

namespace vigil::store {
namespace {

using testing::FakeClock;
using testing::kNow;
using testing::raw_exec;
using testing::raw_int;
using testing::raw_text;
using testing::TempDir;

constexpr const char* kHash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
constexpr const char* kSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(init_store(db_).ok());
    auto cw = Casework::open({.path = db_, .clock = clock_.fn()});
    ASSERT_TRUE(cw.ok()) << cw.error().message;
    auto id = (*cw)->add_user("setup", "dsl1", Role::Dsl, kHash);
    ASSERT_TRUE(id.ok()) << id.error().message;
    id_ = *id;
    auto other = (*cw)->add_user("setup", "auditor1", Role::Auditor, kHash);
    ASSERT_TRUE(other.ok());
    auto s = CredentialStore::open({.path = db_, .clock = clock_.fn()});
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }

  std::int64_t audit_rows(const std::string& action) {
    return raw_int(db_, "SELECT count(*) FROM audit_log WHERE action = '" + action + "'");
  }

  TempDir dir_;
  std::string db_ = dir_.file("vigil.db");
  FakeClock clock_;
  std::int64_t id_ = 0;
  std::unique_ptr<CredentialStore> store_;
};

TEST_F(CredentialsTest, ReadsAUserByNameAndById) {
  auto c = store_->by_name("dsl1");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->user_id, id_);
  EXPECT_EQ((*c)->role, Role::Dsl);
  EXPECT_FALSE((*c)->disabled);
  EXPECT_EQ((*c)->password_hash, kHash);
  EXPECT_FALSE((*c)->totp_enabled);
  EXPECT_EQ((*c)->password_changed_us, 0);
  auto same = store_->by_id(id_);
  ASSERT_TRUE(same.ok() && same->has_value());
  EXPECT_EQ((*same)->name, "dsl1");
  EXPECT_FALSE(store_->by_name("nobody")->has_value());
  EXPECT_FALSE(store_->by_name("DSL1")->has_value());  // names are exact
  EXPECT_FALSE(store_->by_id(999)->has_value());
  ASSERT_EQ(raw_exec(db_, "UPDATE users SET disabled = 1 WHERE name = 'dsl1'"), SQLITE_OK);
  EXPECT_TRUE((*store_->by_id(id_))->disabled);
}

TEST_F(CredentialsTest, ChangingThePasswordIsAuditedAndMovesTheChangeTime) {
  const std::string fresh = "$argon2id$v=19$m=8,t=1,p=1$bmV3c2FsdA$bmV3aGFzaA";
  ASSERT_TRUE(store_->change_password("dsl1", id_, fresh).ok());
  auto c = *store_->by_id(id_);
  EXPECT_EQ(c->password_hash, fresh);
  EXPECT_EQ(c->password_changed_us, kNow);
  EXPECT_EQ(audit_rows("password.changed"), 1);
  EXPECT_EQ(raw_text(db_,
                     "SELECT actor || ' ' || detail FROM audit_log WHERE action = "
                     "'password.changed'"),
            "dsl1 dsl1");
  // A second change at the same clock reading still moves the time, so
  // sessions from between the two end too.
  ASSERT_TRUE(store_->change_password("dsl1", id_, kHash).ok());
  EXPECT_GT((*store_->by_id(id_))->password_changed_us, kNow);
  EXPECT_EQ(store_->change_password("dsl1", 999, kHash).error().code, ErrorCode::NotFound);
  EXPECT_EQ(store_->change_password("dsl1", id_, "").error().code, ErrorCode::Invalid);
  EXPECT_EQ(store_->change_password("dsl1", id_, "a\nb").error().code, ErrorCode::Invalid);
  EXPECT_EQ(audit_rows("password.changed"), 2);
}

TEST_F(CredentialsTest, RehashReplacesOnlyTheHashItRead) {
  const std::string stronger = "$argon2id$v=19$m=65536,t=2,p=1$c3Ryb25n$c3Ryb25n";
  auto r = store_->rehash_password(id_, kHash, stronger);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_EQ((*store_->by_id(id_))->password_hash, stronger);
  EXPECT_EQ((*store_->by_id(id_))->password_changed_us, 0);  // same password: sessions stay
  EXPECT_EQ(audit_rows("password.changed"), 0);
  // The password changed meanwhile: the old hash no longer matches.
  auto again = store_->rehash_password(id_, kHash, stronger);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST_F(CredentialsTest, TotpIsEnabledOnlyAfterConfirmingThePendingSecret) {
  ASSERT_TRUE(store_->begin_totp(id_, kSecret).ok());
  auto pending = *store_->by_id(id_);
  EXPECT_EQ(pending->totp_secret, kSecret);
  EXPECT_FALSE(pending->totp_enabled);
  // Codes are not accepted before enrolment completes.
  EXPECT_FALSE(*store_->use_totp_step(id_, 100));
  // A restarted enrolment replaces the secret; confirming the old one fails.
  ASSERT_TRUE(store_->begin_totp(id_, "JBSWY3DPEHPK3PXP").ok());
  auto stale = store_->enable_totp("dsl1", id_, kSecret, 100);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::Invalid);
  EXPECT_EQ(audit_rows("totp.enrolled"), 0);
  ASSERT_TRUE(store_->enable_totp("dsl1", id_, "JBSWY3DPEHPK3PXP", 100).ok());
  auto enabled = *store_->by_id(id_);
  EXPECT_TRUE(enabled->totp_enabled);
  EXPECT_EQ(enabled->totp_last_step, 100);
  EXPECT_EQ(audit_rows("totp.enrolled"), 1);
  // Enrolled: a new secret cannot be slipped in.
  EXPECT_EQ(store_->begin_totp(id_, kSecret).error().code, ErrorCode::Invalid);
  EXPECT_EQ(store_->begin_totp(id_, "not base32!").error().code, ErrorCode::Invalid);

  ASSERT_TRUE(store_->disable_totp("dsl1", id_).ok());
  auto off = *store_->by_id(id_);
  EXPECT_FALSE(off->totp_enabled);
  EXPECT_EQ(off->totp_secret, "");
  EXPECT_EQ(audit_rows("totp.disabled"), 1);
  EXPECT_EQ(store_->disable_totp("dsl1", 999).error().code, ErrorCode::NotFound);
}

TEST_F(CredentialsTest, EachTotpStepIsUsedOnceAcrossConnections) {
  ASSERT_TRUE(store_->begin_totp(id_, kSecret).ok());
  ASSERT_TRUE(store_->enable_totp("dsl1", id_, kSecret, 100).ok());
  auto second = CredentialStore::open({.path = db_});
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*store_->use_totp_step(id_, 100));  // the enrolment code itself
  EXPECT_TRUE(*store_->use_totp_step(id_, 101));
  EXPECT_FALSE(*(*second)->use_totp_step(id_, 101));  // replayed through another worker
  EXPECT_FALSE(*(*second)->use_totp_step(id_, 99));   // older than one already used
  EXPECT_TRUE(*(*second)->use_totp_step(id_, 102));
  EXPECT_EQ((*store_->by_id(id_))->totp_last_step, 102);
}

TEST(Credentials, OpenRefusesMissingAndOlderStores) {
  TempDir dir;
  auto missing = CredentialStore::open({.path = dir.file("none.db")});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.file("none.db")));
  const std::string old = dir.file("old.db");
  ASSERT_TRUE(init_store(old).ok());
  ASSERT_EQ(
      raw_exec(old, "DELETE FROM schema_migrations WHERE version >= 4; PRAGMA user_version=3"),
      SQLITE_OK);
  auto o = CredentialStore::open({.path = old});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code, ErrorCode::SchemaTooOld);
  EXPECT_NE(o.error().message.find("vigilctl store migrate"), std::string::npos);
}

}  // namespace
}  // namespace vigil::store
