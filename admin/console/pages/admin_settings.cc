// Settings: the declared console settings (admin_settings.h), validated
// and written one by one through Casework::set_setting (each change an
// audit row), and the configuration the console runs with, read-only.

#include "admin/console/pages/admin_settings.h"

#include <array>
#include <string>

#include "admin/console/html.h"
#include "admin/console/pages/admin_common.h"
#include "store/casework.h"

namespace vigil::console::pages {
namespace {

constexpr std::array<ConsoleSetting, 7> kSettings{{
    {kOrganisationName, "Organisation name",
     "As it appears on reports, the emergency guidance and referrals.", SettingKind::Text, 200},
    {kDslName, "Designated Safeguarding Lead (DSL)", "The DSL's name.", SettingKind::Text, 200},
    {kDslPhone, "DSL's phone", "A number staff can ring at once.", SettingKind::Phone, 32},
    {kDeputyDslName, "Deputy DSL", "Who acts when the DSL is away.", SettingKind::Text, 200},
    {kDeputyDslPhone, "Deputy DSL's phone", "", SettingKind::Phone, 32},
    {kLocalAuthorityPrevent, "Local authority Prevent / Channel contact",
     "Name, phone and email of the local authority's Prevent lead or Channel panel.",
     SettingKind::Text, 500},
    {kPolicePrevent, "Police Prevent contact",
     "Your regional police Prevent team (in an emergency, always 999).", SettingKind::Text, 500},
}};

}  // namespace

std::span<const ConsoleSetting> console_settings() noexcept { return kSettings; }

const ConsoleSetting* find_console_setting(std::string_view key) noexcept {
  for (const ConsoleSetting& s : kSettings) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

std::optional<std::string> console_setting_problem(const ConsoleSetting& setting,
                                                   std::string_view value) {
  if (auto p = admin::text_problem(value, setting.label, setting.max_bytes, false, false)) return p;
  if (setting.kind == SettingKind::Phone) {
    int digits = 0;
    for (char c : value) {
      if (c >= '0' && c <= '9') {
        ++digits;
      } else if (c != ' ' && c != '+' && c != '(' && c != ')' && c != '-' && c != '.') {
        return std::string(setting.label) + " may hold only digits, spaces and + ( ) - .";
      }
    }
    if (!value.empty() && digits < 3) return std::string(setting.label) + " needs the digits";
  }
  return std::nullopt;
}

store::Result<std::map<std::string, std::string, std::less<>>> read_console_settings(
    store::Reader& reader) {
  std::map<std::string, std::string, std::less<>> out;
  for (const ConsoleSetting& s : kSettings) {
    auto v = reader.setting(std::string(s.key));
    if (!v) return v.error();
    out.emplace(std::string(s.key), v->value_or(""));
  }
  return out;
}

namespace admin {
namespace {

using html::escape;

Response settings_page(Shared& shared, const Request& req, PageContext& ctx,
                       std::string_view flash = {}, int status = 200,
                       const std::map<std::string, std::string, std::less<>>* typed = nullptr) {
  auto values = read_console_settings(ctx.casework.reader());
  if (!values) return store_failure(req, values.error());
  if (req.api) {
    inspect::JsonObject settings;
    for (const ConsoleSetting& s : console_settings())
      settings.str(s.key, (*values)[std::string(s.key)]);
    inspect::JsonObject config;
    config.str("store.path", shared.options.store_path)
        .str("rules.dir", shared.options.rules_dir)
        .str("control.socket", shared.options.control_socket)
        .str("console.public_url", shared.options.public_url);
    inspect::JsonObject o;
    o.object("settings", settings).object("config", config);
    Response r = json_response(o.text());
    r.status = status;
    return r;
  }
  std::string body =
      "<p>Shown to staff on the emergency guidance and put into Prevent referrals. Leave a "
      "field empty to clear it.</p>";
  body += form_open(ctx, "/settings", "stack");
  for (const ConsoleSetting& s : console_settings()) {
    std::string value = (*values)[std::string(s.key)];
    if (typed != nullptr) {
      if (auto it = typed->find(s.key); it != typed->end()) value = it->second;
    }
    body += "<label>" + escape(s.label);
    if (!s.help.empty()) body += " <small>" + escape(s.help) + "</small>";
    body += " <input name=\"" + html::attr(s.key) + "\" value=\"" + html::attr(value) +
            "\" maxlength=\"" + std::to_string(s.max_bytes) + "\"" +
            (s.kind == SettingKind::Phone ? " type=\"tel\"" : "") + "></label>";
  }
  body += "<button type=\"submit\">Save</button></form>";
  body +=
      "<section><h2>Configuration the console runs with</h2><p>Set in the configuration file "
      "(<code>vigil.toml</code>); shown here to check, not to change.</p><dl>";
  auto row = [&](std::string_view key, const std::string& value) {
    body += "<dt><code>" + escape(key) + "</code></dt><dd>" +
            (value.empty() ? std::string("not set") : escape(value)) + "</dd>";
  };
  row("store.path", shared.options.store_path);
  row("rules.dir", shared.options.rules_dir);
  row("control.socket", shared.options.control_socket);
  row("console.public_url", shared.options.public_url);
  body += "</dl></section>";
  return page(ctx, "Settings", std::move(body), "settings", flash, status);
}

Response save_settings(Shared& shared, const Request& req, PageContext& ctx) {
  // Every value is checked before any is written: a refused form changes nothing.
  std::map<std::string, std::string, std::less<>> typed;
  for (const ConsoleSetting& s : console_settings()) {
    auto v = req.param(s.key);
    if (!v) continue;
    const std::string value(trim(*v));
    if (auto p = console_setting_problem(s, value)) {
      typed.emplace(std::string(s.key), value);
      if (req.api) return error_response(req, 400, *p);
      return settings_page(shared, req, ctx, *p + ". Nothing was saved.", 400, &typed);
    }
    typed.emplace(std::string(s.key), value);
  }
  if (typed.empty()) return error_response(req, 400, "No setting was given.");
  auto current = read_console_settings(ctx.casework.reader());
  if (!current) return store_failure(req, current.error());
  int changed = 0;
  for (const auto& [key, value] : typed) {
    if ((*current)[key] == value) continue;
    auto s = ctx.casework.set_setting(ctx.user.name, key, value);
    if (!s) return store_failure(req, s.error());
    ++changed;
  }
  const std::string message = changed == 0 ? "Nothing had changed."
                                           : "Saved " + std::to_string(changed) +
                                                 (changed == 1 ? " setting." : " settings.");
  if (req.api) {
    inspect::JsonObject o;
    o.boolean("ok", true).num("changed", std::int64_t{changed}).str("message", message);
    return json_response(o.text());
  }
  return settings_page(shared, req, ctx, message);
}

}  // namespace

std::vector<Route> settings_routes(const std::shared_ptr<Shared>& shared) {
  auto s = shared;
  auto view = [s](const Request& r, PageContext& c) { return settings_page(*s, r, c); };
  auto save = [s](const Request& r, PageContext& c) { return save_settings(*s, r, c); };
  using C = Capability;
  return {
      {Method::Get, "/settings", C::ManageSettings, view},
      {Method::Get, "/api/settings", C::ManageSettings, view},
      {Method::Post, "/settings", C::ManageSettings, save},
      {Method::Post, "/api/settings", C::ManageSettings, save},
  };
}

}  // namespace admin
}  // namespace vigil::console::pages
