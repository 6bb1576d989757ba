#include "store/credentials.h"

#include <string>
#include <utility>

#include "store/detail/audit_chain.h"
#include "store/detail/schema.h"
#include "store/detail/sqlite.h"

namespace vigil::store {
namespace {

using detail::Connection;
using detail::Statement;
using detail::Transaction;

constexpr std::string_view kColumns =
    "SELECT id, name, role, disabled, password_hash, totp_secret, totp_enabled, totp_last_step, "
    "password_changed_us FROM users ";

TimeUs system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool printable(std::string_view s) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return false;
  }
  return true;
}

Status check_hash(std::string_view hash) {
  if (hash.empty() || hash.size() > 1024 || !printable(hash)) {
    return Error{ErrorCode::Invalid, "password hash: 1..1024 printable bytes"};
  }
  return {};
}

Status check_secret(std::string_view secret) {
  if (secret.empty() || secret.size() > 128) {
    return Error{ErrorCode::Invalid, "TOTP secret: 1..128 base32 characters"};
  }
  for (char ch : secret) {
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7') || ch == '=')) {
      return Error{ErrorCode::Invalid, "TOTP secret: 1..128 base32 characters"};
    }
  }
  return {};
}

Status check_actor(std::string_view actor) {
  if (actor.empty() || actor.size() > kMaxNameBytes || !printable(actor)) {
    return Error{ErrorCode::Invalid, "actor: a user name of 1..255 printable bytes is required"};
  }
  return {};
}

Error not_found(std::int64_t user_id) {
  return Error{ErrorCode::NotFound, "user " + std::to_string(user_id) + " not found"};
}

}  // namespace

struct CredentialStore::Impl {
  CredentialStoreOptions opt;
  Connection conn;

  TimeUs now() const { return opt.clock ? opt.clock() : system_now_us(); }

  Result<std::optional<Credential>> one(Statement& s) {
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<Credential>{};
    if (rc != SQLITE_ROW) return conn.error(rc, "user");
    Credential c;
    c.user_id = s.int64(0);
    c.name = s.text(1);
    auto role = parse_role(s.text(2));
    if (!role) return Error{ErrorCode::Corrupt, "user " + c.name + ": unknown role " + s.text(2)};
    c.role = *role;
    c.disabled = s.int64(3) != 0;
    c.password_hash = s.text(4);
    c.totp_secret = s.text(5);
    c.totp_enabled = s.int64(6) != 0;
    c.totp_last_step = s.int64(7);
    c.password_changed_us = s.int64(8);
    return std::optional<Credential>{std::move(c)};
  }

  // Runs one UPDATE; the number of rows it changed.
  Result<int> update(Statement& s, std::string_view what) {
    if (auto r = detail::run(conn, s, what); !r) return r.error();
    return sqlite3_changes(conn.get());
  }

  // fn(now) inside BEGIN IMMEDIATE ... COMMIT; rolled back on failure.
  template <class F>
  Status in_transaction(F&& fn) {
    Transaction tx(conn);
    if (auto s = tx.begin(); !s) return s;
    if (auto s = fn(now()); !s) return s;
    return tx.commit();
  }
};

CredentialStore::CredentialStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CredentialStore::~CredentialStore() = default;

Result<std::unique_ptr<CredentialStore>> CredentialStore::open(
    const CredentialStoreOptions& options) {
  auto c = Connection::open(options.path, detail::OpenMode::ReadWrite, options.busy_timeout);
  if (!c) return c.error();
  auto v = detail::schema_version(*c);
  if (!v) return v.error();
  if (*v == 0) {
    return Error{ErrorCode::NotADatabase, options.path + ": not a Vigil store (empty database)"};
  }
  if (*v < detail::kSchemaVersion) {
    return Error{ErrorCode::SchemaTooOld,
                 options.path + ": schema version " + std::to_string(*v) + " is older than " +
                     std::to_string(detail::kSchemaVersion) + "; run vigilctl store migrate"};
  }
  if (*v > detail::kSchemaVersion) {
    return Error{ErrorCode::SchemaTooNew, options.path + ": schema version " + std::to_string(*v) +
                                              " is newer than this Vigil knows (" +
                                              std::to_string(detail::kSchemaVersion) + ")"};
  }
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  impl->conn = std::move(*c);
  return std::unique_ptr<CredentialStore>(new CredentialStore(std::move(impl)));
}

Result<std::optional<Credential>> CredentialStore::by_name(std::string_view name) {
  auto s = impl_->conn.prepare(std::string(kColumns) + "WHERE name = ?");
  if (!s) return s.error();
  s->bind(1, name);
  return impl_->one(*s);
}

Result<std::optional<Credential>> CredentialStore::by_id(std::int64_t user_id) {
  auto s = impl_->conn.prepare(std::string(kColumns) + "WHERE id = ?");
  if (!s) return s.error();
  s->bind(1, user_id);
  return impl_->one(*s);
}

Status CredentialStore::change_password(std::string_view actor, std::int64_t user_id,
                                        std::string_view password_hash) {
  if (auto s = check_actor(actor); !s) return s;
  if (auto s = check_hash(password_hash); !s) return s;
  return impl_->in_transaction([&](TimeUs now) -> Status {
    auto u = impl_->conn.prepare(
        "UPDATE users SET password_hash = ?, password_changed_us = max(?, password_changed_us + 1) "
        "WHERE id = ? RETURNING name");
    if (!u) return u.error();
    u->bind(1, password_hash);
    u->bind(2, now);
    u->bind(3, user_id);
    int rc = u->step();
    if (rc == SQLITE_DONE) return not_found(user_id);
    if (rc != SQLITE_ROW) return impl_->conn.error(rc, "user");
    std::string name = u->text(0);
    u->reset();
    auto a =
        detail::append_audit(impl_->conn, now, actor, "password.changed", "user", user_id, name);
    if (!a) return a.error();
    return {};
  });
}

Result<bool> CredentialStore::rehash_password(std::int64_t user_id, std::string_view old_hash,
                                              std::string_view new_hash) {
  if (auto s = check_hash(new_hash); !s) return s.error();
  auto u =
      impl_->conn.prepare("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?");
  if (!u) return u.error();
  u->bind(1, new_hash);
  u->bind(2, user_id);
  u->bind(3, old_hash);
  auto n = impl_->update(*u, "user");
  if (!n) return n.error();
  return *n == 1;
}

Status CredentialStore::begin_totp(std::int64_t user_id, std::string_view secret) {
  if (auto s = check_secret(secret); !s) return s;
  auto u = impl_->conn.prepare(
      "UPDATE users SET totp_secret = ?, totp_last_step = 0 WHERE id = ? AND totp_enabled = 0");
  if (!u) return u.error();
  u->bind(1, secret);
  u->bind(2, user_id);
  auto n = impl_->update(*u, "user");
  if (!n) return n.error();
  if (*n == 1) return {};
  auto c = by_id(user_id);
  if (!c) return c.error();
  if (!c->has_value()) return not_found(user_id);
  return Error{ErrorCode::Invalid, "TOTP is already enabled for " + (*c)->name};
}

Status CredentialStore::enable_totp(std::string_view actor, std::int64_t user_id,
                                    std::string_view secret, std::int64_t step) {
  if (auto s = check_actor(actor); !s) return s;
  if (auto s = check_secret(secret); !s) return s;
  return impl_->in_transaction([&](TimeUs now) -> Status {
    auto u = impl_->conn.prepare(
        "UPDATE users SET totp_enabled = 1, totp_last_step = ? "
        "WHERE id = ? AND totp_enabled = 0 AND totp_secret = ? RETURNING name");
    if (!u) return u.error();
    u->bind(1, step);
    u->bind(2, user_id);
    u->bind(3, secret);
    int rc = u->step();
    if (rc == SQLITE_DONE) {
      return Error{ErrorCode::Invalid,
                   "TOTP enrolment for user " + std::to_string(user_id) +
                       " is not pending with this secret (enabled already, or restarted)"};
    }
    if (rc != SQLITE_ROW) return impl_->conn.error(rc, "user");
    std::string name = u->text(0);
    u->reset();
    auto a = detail::append_audit(impl_->conn, now, actor, "totp.enrolled", "user", user_id, name);
    if (!a) return a.error();
    return {};
  });
}

Status CredentialStore::disable_totp(std::string_view actor, std::int64_t user_id) {
  if (auto s = check_actor(actor); !s) return s;
  return impl_->in_transaction([&](TimeUs now) -> Status {
    auto u = impl_->conn.prepare(
        "UPDATE users SET totp_secret = '', totp_enabled = 0, totp_last_step = 0 WHERE id = ? "
        "RETURNING name");
    if (!u) return u.error();
    u->bind(1, user_id);
    int rc = u->step();
    if (rc == SQLITE_DONE) return not_found(user_id);
    if (rc != SQLITE_ROW) return impl_->conn.error(rc, "user");
    std::string name = u->text(0);
    u->reset();
    auto a = detail::append_audit(impl_->conn, now, actor, "totp.disabled", "user", user_id, name);
    if (!a) return a.error();
    return {};
  });
}

Result<bool> CredentialStore::use_totp_step(std::int64_t user_id, std::int64_t step) {
  auto u = impl_->conn.prepare(
      "UPDATE users SET totp_last_step = ?1 "
      "WHERE id = ?2 AND totp_enabled = 1 AND totp_last_step < ?1");
  if (!u) return u.error();
  u->bind(1, step);
  u->bind(2, user_id);
  auto n = impl_->update(*u, "user");
  if (!n) return n.error();
  return *n == 1;
}

}  // namespace vigil::store
