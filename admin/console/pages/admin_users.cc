// Users of the console: who they are, their role, whether they may sign
// in; adding one (the password checked and hashed with Argon2id), disabling
// and enabling, changing a role. The last enabled admin can be neither
// disabled nor given another role: someone must be able to manage users.

#include <string>

#include "admin/console/html.h"
#include "admin/console/pages/admin_common.h"
#include "admin/console/password.h"
#include "store/casework.h"

namespace vigil::console::pages::admin {
namespace {

using html::escape;

constexpr store::Role kRoles[] = {store::Role::Admin, store::Role::Dsl, store::Role::DeputyDsl,
                                  store::Role::Reporter, store::Role::Auditor};

std::string_view role_words(store::Role r) {
  switch (r) {
    case store::Role::Admin:
      return "IT administrator: lists, people and devices, users, settings";
    case store::Role::Dsl:
      return "Designated Safeguarding Lead";
    case store::Role::DeputyDsl:
      return "Deputy DSL";
    case store::Role::Reporter:
      return "Staff member: raises concerns";
    case store::Role::Auditor:
      return "Director or governor: reports and logs, no learner detail";
  }
  return "";
}

std::string role_options(store::Role selected) {
  std::string out;
  for (store::Role r : kRoles) {
    out += "<option value=\"" + std::string(store::role_name(r)) + "\"";
    if (r == selected) out += " selected";
    out += ">" + std::string(store::role_name(r)) + "</option>";
  }
  return out;
}

Response users_page(const Request& req, PageContext& ctx, std::string_view flash = {},
                    int status = 200) {
  auto users = ctx.casework.reader().users();
  if (!users) return store_failure(req, users.error());
  if (req.api) {
    std::vector<inspect::JsonObject> items;
    for (const store::User& u : *users) {
      inspect::JsonObject o;
      o.num("id", u.id)
          .str("name", u.name)
          .str("role", store::role_name(u.role))
          .boolean("disabled", u.disabled)
          .str("created", iso_time(u.created_us));
      items.push_back(std::move(o));
    }
    inspect::JsonObject o;
    o.array("users", items).boolean("role_change_supported", true);
    Response r = json_response(o.text());
    r.status = status;
    return r;
  }
  std::string body =
      "<p>Everyone who can sign in to the console, and what their role lets them do.</p>";
  body += "<dl class=\"roles\">";
  for (store::Role r : kRoles) {
    body +=
        "<dt>" + std::string(store::role_name(r)) + "</dt><dd>" + escape(role_words(r)) + "</dd>";
  }
  body += "</dl>";
  body +=
      "<div class=\"table-wrap\"><table><thead><tr><th>Name</th><th>Role</th><th>Status</th>"
      "<th>Added</th><th>Change</th></tr></thead><tbody>";
  for (const store::User& u : *users) {
    body += "<tr><td>" + escape(u.name) + (u.name == ctx.user.name ? " (you)" : "") + "</td><td>" +
            escape(store::role_name(u.role)) + "</td><td>" +
            (u.disabled ? "disabled: cannot sign in" : "enabled") + "</td><td>" +
            escape(format_time(u.created_us)) + "</td><td>";
    body += form_open(ctx, u.disabled ? "/users/enable" : "/users/disable", "inline");
    body += "<input type=\"hidden\" name=\"name\" value=\"" + html::attr(u.name) + "\">";
    body += std::string("<button type=\"submit\">") + (u.disabled ? "Enable" : "Disable") +
            "</button></form>";
    body += form_open(ctx, "/users/role", "inline");
    body += "<input type=\"hidden\" name=\"name\" value=\"" + html::attr(u.name) + "\">";
    body += "<label>Role <select name=\"role\">" + role_options(u.role) +
            "</select></label><button type=\"submit\">Change role</button></form></td></tr>";
  }
  body += "</tbody></table></div>";
  body += "<section><h2>Add a user</h2>" + form_open(ctx, "/users/add", "stack");
  body +=
      "<label>Name (letters, digits, . _ - @) <input name=\"name\" required maxlength=\"64\" "
      "autocomplete=\"off\"></label>";
  body += "<label>Role <select name=\"role\">" + role_options(store::Role::Reporter) +
          "</select></label>";
  body += "<label>Password (at least " + std::to_string(kMinPasswordBytes) +
          " characters) <input type=\"password\" name=\"password\" required "
          "autocomplete=\"new-password\"></label>";
  body +=
      "<label>The same password again <input type=\"password\" name=\"password_again\" "
      "required autocomplete=\"new-password\"></label><button type=\"submit\">Add</button>"
      "</form></section>";
  return page(ctx, "Users", std::move(body), "users", flash, status);
}

Response done(const Request& req, PageContext& ctx, const std::string& message) {
  if (req.api) {
    inspect::JsonObject o;
    o.boolean("ok", true).str("message", message);
    return json_response(o.text());
  }
  return users_page(req, ctx, message);
}

Response refused(const Request& req, PageContext& ctx, int status, const std::string& message) {
  if (req.api) return error_response(req, status, message);
  return users_page(req, ctx, message, status);
}

Response add_user(const Request& req, PageContext& ctx) {
  const std::string name(trim(field(req, "name")));
  const std::string password = field(req, "password");
  auto role = store::parse_role(field(req, "role"));
  if (!role) return refused(req, ctx, 400, "Choose a role for the new user.");
  if (auto p = text_problem(name, "The name", 64, true, false)) return refused(req, ctx, 400, *p);
  if (auto problem = password_problem(password, name)) {
    return refused(req, ctx, 400, "The password was not accepted: " + *problem);
  }
  if (auto again = req.param("password_again"); again && *again != password) {
    return refused(req, ctx, 400, "The two passwords differ.");
  }
  auto hash = hash_password(password);
  if (!hash) return refused(req, ctx, 503, "Not enough memory to hash the password; try again.");
  auto id = ctx.casework.add_user(ctx.user.name, name, *role, *hash);
  if (!id) return refused(req, ctx, store_status(id.error()), id.error().message);
  return done(req, ctx, "Added " + name + " as " + std::string(store::role_name(*role)) + ".");
}

// Whether `target` is the only enabled admin (the last who can manage users).
store::Result<bool> last_enabled_admin(PageContext& ctx, const std::string& target) {
  auto users = ctx.casework.reader().users();
  if (!users) return users.error();
  int enabled_admins = 0;
  bool target_is_one = false;
  for (const store::User& u : *users) {
    if (u.role != store::Role::Admin || u.disabled) continue;
    ++enabled_admins;
    target_is_one = target_is_one || u.name == target;
  }
  return target_is_one && enabled_admins <= 1;
}

Response set_disabled(const Request& req, PageContext& ctx, bool disabled) {
  const std::string name = field(req, "name");
  if (name.empty()) return refused(req, ctx, 400, "Choose the user.");
  if (disabled) {
    auto last = last_enabled_admin(ctx, name);
    if (!last) return store_failure(req, last.error());
    if (*last) {
      return refused(req, ctx, 409,
                     name +
                         " is the only enabled admin and cannot be disabled: add or enable "
                         "another admin first.");
    }
  }
  auto s = ctx.casework.set_user_disabled(ctx.user.name, name, disabled);
  if (!s) return refused(req, ctx, store_status(s.error()), s.error().message);
  return done(req, ctx, name + (disabled ? " is disabled and cannot sign in." : " is enabled."));
}

Response set_role(const Request& req, PageContext& ctx) {
  const std::string name = field(req, "name");
  auto role = store::parse_role(field(req, "role"));
  if (name.empty() || !role) return refused(req, ctx, 400, "Choose the user and the new role.");
  // The store refuses too (in its transaction); asking first gives the plain message.
  if (*role != store::Role::Admin) {
    auto last = last_enabled_admin(ctx, name);
    if (!last) return store_failure(req, last.error());
    if (*last) {
      return refused(req, ctx, 409,
                     name +
                         " is the only enabled admin and must stay one: make another user "
                         "an admin first.");
    }
  }
  auto s = ctx.casework.set_user_role(ctx.user.name, name, *role);
  if (!s) return refused(req, ctx, store_status(s.error()), s.error().message);
  return done(req, ctx, name + " is now " + std::string(store::role_name(*role)) + ".");
}

}  // namespace

std::vector<Route> user_routes(const std::shared_ptr<Shared>& shared) {
  (void)shared;
  auto view = [](const Request& r, PageContext& c) { return users_page(r, c); };
  auto add = [](const Request& r, PageContext& c) { return add_user(r, c); };
  auto disable = [](const Request& r, PageContext& c) { return set_disabled(r, c, true); };
  auto enable = [](const Request& r, PageContext& c) { return set_disabled(r, c, false); };
  auto role = [](const Request& r, PageContext& c) { return set_role(r, c); };
  using C = Capability;
  return {
      {Method::Get, "/users", C::ManageUsers, view},
      {Method::Get, "/api/users", C::ManageUsers, view},
      {Method::Post, "/users/add", C::ManageUsers, add},
      {Method::Post, "/api/users/add", C::ManageUsers, add},
      {Method::Post, "/users/disable", C::ManageUsers, disable},
      {Method::Post, "/api/users/disable", C::ManageUsers, disable},
      {Method::Post, "/users/enable", C::ManageUsers, enable},
      {Method::Post, "/api/users/enable", C::ManageUsers, enable},
      {Method::Post, "/users/role", C::ManageUsers, role},
      {Method::Post, "/api/users/role", C::ManageUsers, role},
  };
}

}  // namespace vigil::console::pages::admin
