// The Prevent referral of a concern: a printable page holding the content
// the DfE's "Making a referral to Prevent" asks for, pre-filled from the
// concern and edited here before printing, and an evidence annex of the
// hits behind it. Nothing is sent anywhere: the DSL prints it or copies it
// into the local authority's form. Every view (page or JSON) is an export
// and leaves a referral.export audit row.

#include <array>
#include <string>
#include <vector>

#include "admin/console/html.h"
#include "admin/console/pages/safeguarding_evidence.h"
#include "admin/console/pages/safeguarding_json.h"
#include "admin/console/pages/safeguarding_util.h"
#include "admin/console/roles.h"
#include "inspect/eve_json.h"
#include "store/casework.h"

namespace vigil::console::pages::safeguarding {
namespace {

constexpr std::size_t kAnnexHits = 500;
constexpr std::string_view kNothingSent =
    "Nothing is sent anywhere automatically. Print this page, or copy it into your local "
    "authority's Prevent referral form, and send it the way they ask.";
constexpr std::string_view kWhatVigilSees =
    "Vigil sees the names of the sites a device reaches and, on unencrypted pages only, their "
    "addresses and search words. It cannot see what was on encrypted pages, or who was using "
    "a device; the link to a person comes from the source shown with each hit.";

struct Section {
  std::string_view key;
  std::string_view title;
  std::string_view help;
  std::string store::ReferralContent::*member;
};

// In the order of the DfE referral guidance.
const std::array<Section, 10> kSections{{
    {"how_arose", "How the concern arose", "What happened that made you worried, and when.",
     &store::ReferralContent::how_arose},
    {"indicators", "Indicators", "What you or others noticed: behaviour, words, changes.",
     &store::ReferralContent::indicators},
    {"internet_use", "Worrying internet use", "What the person looked at or searched for online.",
     &store::ReferralContent::internet_use},
    {"how_found", "How it was found",
     "For example: the college's web filter flagged it, or a member of staff saw it.",
     &store::ReferralContent::how_found},
    {"contacts", "Contacts", "People or groups the person is in touch with that worry you.",
     &store::ReferralContent::contacts},
    {"additional_needs", "Additional needs",
     "Special educational needs or disabilities, and any support already in place.",
     &store::ReferralContent::additional_needs},
    {"other_concerns", "Other safeguarding concerns",
     "Anything else known about the person's safety or wellbeing.",
     &store::ReferralContent::other_concerns},
    {"discussions", "Discussions held",
     "Who has spoken with the person or their family, and what was said.",
     &store::ReferralContent::discussions},
    {"parent_carer_support", "Parent or carer support (under 18)",
     "For a learner under 18: what parents or carers know and the support they give.",
     &store::ReferralContent::parent_carer_support},
    {"worries", "What you are worried about",
     "In plain words, the harm you fear and why you are referring now.",
     &store::ReferralContent::worries},
}};

struct Annexed {
  store::Incident incident;
  std::vector<store::StoredHit> hits;
  bool more_hits = false;
};

struct Referral {
  store::ConcernRecord record;
  std::optional<store::Person> person;
  std::vector<Annexed> annex;
};

std::optional<std::int64_t> path_id(const Request& r) {
  auto v = r.param("id");
  return v ? parse_id(*v) : std::nullopt;
}

std::string referral_href(std::int64_t id) {
  return "/concerns/" + std::to_string(id) + "/referral";
}

store::Result<Referral> read_referral(PageContext& ctx, std::int64_t id, std::string_view how) {
  Referral ref;
  store::Casework& cw = ctx.casework;
  auto rec = cw.read_concern(ctx.user.name, id);
  if (!rec) return rec.error();
  ref.record = std::move(*rec);
  if (ref.record.concern.person_id != 0) {
    auto p = cw.reader().person(ref.record.concern.person_id);
    if (!p) return p.error();
    ref.person = *p;
  }
  for (const store::Incident& i : ref.record.incidents) {
    Annexed a{i, {}, false};
    auto hits = cw.read_incident_hits(ctx.user.name, i.id, 0, kAnnexHits + 1);
    if (!hits) return hits.error();
    a.hits = std::move(*hits);
    if (a.hits.size() > kAnnexHits) {
      a.hits.resize(kAnnexHits);
      a.more_hits = true;
    }
    ref.annex.push_back(std::move(a));
  }
  auto audit = cw.audit(ctx.user.name, "referral.export", "concern", id, how);
  if (!audit) return audit.error();
  return ref;
}

std::string document_html(const Referral& ref, const Principal& user, store::TimeUs now) {
  const store::Concern& c = ref.record.concern;
  const store::ReferralContent& content = ref.record.referral;
  std::string out = "<article class=\"referral\">";
  out += "<p class=\"notice\"><strong>" + html::escape(kNothingSent) + "</strong></p>";
  out += "<p class=\"doc-head\">Concern " + std::to_string(c.id) + ", raised " +
         html::escape(format_date(c.raised_us)) + ". Prepared by " + html::escape(user.name) +
         " on " + html::escape(format_time(now)) + ".</p>";
  out += "<section><h2>The person</h2>";
  if (ref.person) {
    const store::Person& p = *ref.person;
    out += "<dl class=\"facts\"><dt>Name</dt><dd>" + html::escape(p.display_name) +
           "</dd><dt>Reference</dt><dd>" + html::escape(p.reference) + "</dd>";
    if (!p.cohort.empty()) out += "<dt>Cohort</dt><dd>" + html::escape(p.cohort) + "</dd>";
    if (!p.group.empty()) out += "<dt>Group</dt><dd>" + html::escape(p.group) + "</dd>";
    out += "<dt>Age</dt><dd>" +
           std::string(p.under_18 ? "Under 18: enhanced handling" : "18 or over") + "</dd></dl>";
  } else {
    out +=
        "<p class=\"empty\">No person is recorded on this concern: add who it is about "
        "when you send it.</p>";
  }
  out += "</section>";
  const bool under_18 = ref.person && ref.person->under_18;
  for (const Section& s : kSections) {
    out += "<section class=\"part\"><h2>" + html::escape(s.title) + "</h2>";
    const std::string& text = content.*s.member;
    if (!text.empty()) {
      out += "<p class=\"text\">" + multiline(text) + "</p>";
    } else if (s.key == "parent_carer_support" && !under_18) {
      out += "<p class=\"empty\">Not applicable: the person is not recorded as under 18.</p>";
    } else {
      out += "<p class=\"empty\">Not filled in yet.</p>";
    }
    out += "</section>";
  }
  if (content.updated_us != 0)
    out += "<p class=\"muted\">Content last edited " +
           html::escape(format_time(content.updated_us)) + " by " +
           html::escape(content.updated_by) + ".</p>";

  out += "<section class=\"annex\"><h2>Annex: what the web filter recorded</h2>";
  out += "<p class=\"hint\">" + html::escape(kWhatVigilSees) + "</p>";
  if (ref.annex.empty())
    out += "<p class=\"empty\">No filter incidents are linked to this concern.</p>";
  for (const Annexed& a : ref.annex) {
    out += "<h3>Incident " + std::to_string(a.incident.id) + ": " +
           html::escape(category_label(a.incident.category)) + ", " +
           std::to_string(a.incident.hit_count) + " hits, " +
           html::escape(format_time(a.incident.first_us)) + " to " +
           html::escape(format_time(a.incident.last_us)) + "</h3>";
    out +=
        hits_table_html(a.hits, nullptr, "Evidence for incident " + std::to_string(a.incident.id));
    if (a.more_hits)
      out += "<p class=\"hint\">Only the first " + std::to_string(kAnnexHits) +
             " hits are listed.</p>";
  }
  out += "</section></article>";
  return out;
}

std::string edit_form_html(const Referral& ref, const Principal& user) {
  const store::Concern& c = ref.record.concern;
  std::string out =
      "<section class=\"no-print\" id=\"edit\" aria-labelledby=\"edit-h\"><h2 id=\"edit-h\">"
      "Edit before printing</h2><form class=\"referral-edit\" method=\"post\" action=\"" +
      referral_href(c.id) + "\">";
  out += html::csrf_field(user);
  for (const Section& s : kSections) {
    const std::string key(s.key);
    out += "<label for=\"r-" + key + "\">" + html::escape(s.title) + "</label>";
    out += "<p class=\"hint\" id=\"r-" + key + "-help\">" + html::escape(s.help) + "</p>";
    out += "<textarea id=\"r-" + key + "\" name=\"" + key + "\" rows=\"4\" aria-describedby=\"r-" +
           key + "-help\">" + textarea_text(ref.record.referral.*s.member) + "</textarea>";
  }
  out += "<div class=\"buttons\"><button type=\"submit\">Save</button></div></form></section>";
  return out;
}

std::string page_html(const Referral& ref, const Principal& user, store::TimeUs now) {
  const store::Concern& c = ref.record.concern;
  std::string out =
      "<p class=\"no-print\"><a href=\"/concerns/" + std::to_string(c.id) +
      "\">&larr; Back to the concern</a></p><p class=\"no-print hint\">Check and complete each "
      "part below, save, then print with your browser (Ctrl+P, or Share then Print on a "
      "phone).";
  if (allowed(user.role, Capability::ManageConcerns))
    out += " <a href=\"#edit\">Edit the content</a>.";
  out += "</p>";
  out += document_html(ref, user, now);
  if (allowed(user.role, Capability::ManageConcerns)) out += edit_form_html(ref, user);
  return out;
}

inspect::JsonObject referral_json(const Referral& ref) {
  inspect::JsonObject o;
  const store::Concern& c = ref.record.concern;
  o.num("concern_id", c.id).str("state", store::concern_state_name(c.state));
  o.str("note", kNothingSent);
  if (ref.person) {
    inspect::JsonObject p;
    p.str("reference", ref.person->reference)
        .str("name", ref.person->display_name)
        .str("cohort", ref.person->cohort)
        .str("group", ref.person->group)
        .boolean("under_18", ref.person->under_18);
    o.object("person", p);
  }
  inspect::JsonObject sections;
  for (const Section& s : kSections) sections.str(s.key, ref.record.referral.*s.member);
  o.object("sections", sections)
      .num("updated_us", ref.record.referral.updated_us)
      .str("updated_by", ref.record.referral.updated_by);
  std::vector<inspect::JsonObject> evidence;
  for (const Annexed& a : ref.annex) {
    inspect::JsonObject j = incident_json(a.incident);
    std::vector<inspect::JsonObject> hits;
    for (const store::StoredHit& h : a.hits) hits.push_back(hit_json(h, nullptr));
    j.array("hits", hits).boolean("more_hits", a.more_hits);
    evidence.push_back(std::move(j));
  }
  o.array("evidence", evidence);
  return o;
}

Response view(const Request& r, PageContext& ctx, const PagesOptions& options) {
  auto id = path_id(r);
  if (!id) return error_response(r, 404, "No such concern.");
  auto ref = read_referral(ctx, *id, r.api ? "json" : "page");
  if (!ref) return store_error(r, ref.error());
  if (r.api) return json_reply(referral_json(*ref));
  std::string flash;
  if (r.param("done").value_or("") == "saved") flash = "Saved.";
  Response out = page_response("Prevent referral for concern " + std::to_string(*id),
                               page_html(*ref, ctx.user, now_us(options)), ctx.user, "concerns",
                               std::move(flash));
  out.headers.emplace_back("Cache-Control", "no-store");
  return out;
}

Response save(const Request& r, PageContext& ctx) {
  auto id = path_id(r);
  if (!id) return error_response(r, 404, "No such concern.");
  std::string error;
  auto fields = post_fields(r, error);
  if (!fields) return form_problem(r, ctx.user, 400, error, referral_href(*id));
  // Fields not sent keep their content, so the API can change one part.
  auto current = ctx.casework.reader().referral(*id);
  if (!current) return form_store_error(r, ctx.user, current.error(), referral_href(*id));
  store::ReferralContent content = current->value_or(store::ReferralContent{});
  bool any = false;
  for (const Section& s : kSections) {
    if (auto v = field(*fields, s.key)) {
      content.*s.member = std::string(*v);
      any = true;
    }
  }
  if (!any)
    return form_problem(r, ctx.user, 400, "Nothing to save: no part of the referral was sent.",
                        referral_href(*id));
  if (auto s = ctx.casework.update_referral(ctx.user.name, *id, content); !s)
    return form_store_error(r, ctx.user, s.error(), referral_href(*id));
  if (r.api) return json_reply(inspect::JsonObject{}.boolean("ok", true).num("id", *id));
  return redirect(referral_href(*id) + "?done=saved");
}

}  // namespace

std::vector<Route> referral_routes(const PagesOptions& options) {
  using C = Capability;
  auto viewer = [options](const Request& r, PageContext& ctx) { return view(r, ctx, options); };
  std::vector<Route> routes;
  routes.push_back(guarded(Method::Get, "/concerns/{id}/referral", C::ExportReferral, viewer));
  routes.push_back(guarded(Method::Post, "/concerns/{id}/referral", C::ManageConcerns, save));
  routes.push_back(guarded(Method::Get, "/api/concerns/{id}/referral", C::ExportReferral, viewer));
  routes.push_back(guarded(Method::Post, "/api/concerns/{id}/referral", C::ManageConcerns, save));
  return routes;
}

}  // namespace vigil::console::pages::safeguarding
