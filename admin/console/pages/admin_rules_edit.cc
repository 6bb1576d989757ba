#include "admin/console/pages/admin_rules_edit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "inspect/eve_json.h"
#include "rules/lists/list_formats.h"

namespace vigil::console::pages::admin {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int e) { return std::system_category().message(e); }

EditOutcome refuse(int status, std::string message) {
  EditOutcome o;
  o.status = status;
  o.message = std::move(message);
  return o;
}

// ---------------------------------------------------------------- files

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool fsync_folder(const std::string& file) {
  const std::string dir = fs::path(file).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// A new version of a file, written beside it (so the rename stays in one
// filesystem) with the original's mode, fsynced; removed unless installed.
class Candidate {
 public:
  Candidate() = default;
  Candidate(const Candidate&) = delete;
  Candidate& operator=(const Candidate&) = delete;
  ~Candidate() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  bool write(const std::string& target, std::string_view text, std::string& error) {
    const fs::path t(target);
    std::string tmpl = (t.parent_path() / ("." + t.filename().string() + ".edit-XXXXXX")).string();
    const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd < 0) {
      error = "cannot write beside " + target + ": " + errno_text(errno);
      return false;
    }
    path_ = tmpl;
    struct stat st {};
    bool ok = true;
    if (::stat(target.c_str(), &st) == 0) {
      // vigild reads the file as its own user: keep the original's mode and owners.
      ok = ::fchmod(fd, st.st_mode & 07777) == 0;
      // Without the right to give it the owner's user, at least its group; failing
      // both, the file is the console's own and vigild reads it by its mode.
      const bool owners = ::fchown(fd, st.st_uid, st.st_gid) == 0 ||
                          ::fchown(fd, static_cast<uid_t>(-1), st.st_gid) == 0;
      static_cast<void>(owners);
    } else {
      ok = ::fchmod(fd, 0644) == 0;
    }
    ok = ok && write_all(fd, text) && ::fsync(fd) == 0;
    const int e = errno;
    ok = (::close(fd) == 0) && ok;
    if (!ok) error = "cannot write " + path_ + ": " + errno_text(e);
    return ok;
  }

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  // Keeps the current TARGET as TARGET.bak and puts this file in its place.
  bool install(const std::string& target, std::string& error) {
    const std::string bak = target + ".bak";
    if (::unlink(bak.c_str()) != 0 && errno != ENOENT) {
      error = "cannot replace the backup " + bak + ": " + errno_text(errno);
      return false;
    }
    if (::link(target.c_str(), bak.c_str()) != 0) {
      // A filesystem without hard links: copy instead.
      auto old = rules::read_text_file(target);
      Candidate copy;
      if (!old || !copy.write(bak, *old, error) || ::rename(copy.path_.c_str(), bak.c_str()) != 0) {
        if (error.empty()) error = "cannot keep a backup as " + bak + ": " + errno_text(errno);
        return false;
      }
      copy.path_.clear();
    }
    if (::rename(path_.c_str(), target.c_str()) != 0) {
      error = "cannot replace " + target + ": " + errno_text(errno);
      return false;
    }
    path_.clear();
    (void)fsync_folder(target);
    return true;
  }

 private:
  std::string path_;
};

// Puts TARGET.bak back after a change whose decision could not be recorded.
bool restore_backup(const std::string& target) {
  const std::string bak = target + ".bak";
  if (::rename(bak.c_str(), target.c_str()) != 0) return false;
  (void)fsync_folder(target);
  return true;
}

// `text` with every mention of `from` replaced: error messages name the
// candidate file, the user knows the real one.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Lines as read by the list parsers (split at LF; a CR stays with its line).
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

std::string join_lines(const std::vector<std::string_view>& lines, bool final_newline) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out.append(lines[i]);
    if (i + 1 < lines.size() || final_newline) out += '\n';
  }
  return out;
}

std::string line_end_of(std::string_view text) {
  const std::size_t nl = text.find('\n');
  return nl != std::string_view::npos && nl > 0 && text[nl - 1] == '\r' ? "\r\n" : "\n";
}

// `text` with `line` appended on a line of its own.
std::string append_line(std::string_view text, std::string_view line) {
  const std::string eol = line_end_of(text);
  std::string out(text);
  if (!out.empty() && out.back() != '\n') out += eol;
  out += line;
  out += eol;
  return out;
}

// ---------------------------------------------------------------- list entries

// One entry of a list as a comparable key, with the line it is on.
struct Keyed {
  std::string key;
  std::uint32_t line = 0;
  bool allow = false;
  std::string shown;  // the normalised entry, for the decision log
  bool in_top_file = true;
};

struct Parsed {
  std::vector<Keyed> entries;
  std::uint64_t invalid = 0;
  std::uint64_t skipped = 0;
  std::string first_reason;  // why the first invalid line was refused
  std::string error;         // the list cannot be read at all (phrase includes)
};

std::string phrase_key(const rules::PhraseEntry& e) {
  std::string key;
  for (const rules::PhraseTerm& t : e.terms) {
    const bool start = t.boundary == rules::PhraseBoundary::WordStart ||
                       t.boundary == rules::PhraseBoundary::Whole;
    const bool end =
        t.boundary == rules::PhraseBoundary::WordEnd || t.boundary == rules::PhraseBoundary::Whole;
    key += key.empty() ? "<" : ",<";
    key += start ? " " : "";
    key += t.text;
    key += end ? " " : "";
    key += '>';
  }
  if (!e.banned) key += "<" + std::to_string(e.weight) + ">";
  return key;
}

void take_diag(Parsed& p, const rules::ListDiagnostics& d) {
  p.invalid = d.invalid;
  p.skipped = d.skipped;
  if (!d.first_invalid.empty()) p.first_reason = d.first_invalid.front().reason;
}

// Parses `text` as the list `spec` would be read, with `text` standing in
// for the file at spec.path.
Parsed parse_as(const rules::ListSpec& spec, const std::string& text) {
  Parsed p;
  switch (spec.format) {
    case rules::ListFormat::Domains: {
      auto l = rules::parse_domain_list(text, spec.path);
      for (const auto& e : l.entries) {
        p.entries.push_back({(e.allow ? "@@" : "") + e.domain, e.line, e.allow, e.domain, true});
      }
      take_diag(p, l.diag);
      break;
    }
    case rules::ListFormat::Urls: {
      auto l = rules::parse_url_list(text, spec.path);
      for (const auto& e : l.entries) {
        p.entries.push_back({e.host + e.path_prefix, e.line, false, e.host + e.path_prefix, true});
      }
      take_diag(p, l.diag);
      break;
    }
    case rules::ListFormat::Regex: {
      auto l = rules::parse_regex_list(text, spec.path);
      for (const auto& e : l.entries)
        p.entries.push_back({e.pattern, e.line, false, e.pattern, true});
      take_diag(p, l.diag);
      break;
    }
    case rules::ListFormat::Keywords: {
      auto l = rules::parse_keyword_list(text, spec.path);
      for (const auto& e : l.entries) p.entries.push_back({e.text, e.line, false, e.text, true});
      take_diag(p, l.diag);
      break;
    }
    case rules::ListFormat::Phrases: {
      // Included files are read from disk; the list's own file is `text`.
      auto l = rules::load_phrase_list(spec.path, [&](const std::string& path) {
        if (path == spec.path) return std::optional<std::string>(text);
        return rules::read_text_file(path);
      });
      for (const auto& e : l.entries) {
        const std::string key = phrase_key(e);
        p.entries.push_back({key, e.line, false, key, e.file == spec.path});
      }
      take_diag(p, l.diag);
      p.error = l.error;
      break;
    }
  }
  return p;
}

// The one entry `typed` stands for in this list's format, or why not.
std::optional<Keyed> single_entry(const rules::ListSpec& spec, const std::string& typed,
                                  std::string& why) {
  Parsed p;
  if (spec.format == rules::ListFormat::Phrases) {
    // Only the typed line: an .Include of another file is not an entry.
    auto l = rules::load_phrase_list(spec.path, [&](const std::string& path) {
      if (path == spec.path) return std::optional<std::string>(typed);
      return std::optional<std::string>();
    });
    for (const auto& e : l.entries) {
      const std::string key = phrase_key(e);
      p.entries.push_back({key, e.line, false, key, e.file == spec.path});
    }
    take_diag(p, l.diag);
    p.error = l.error;
  } else {
    p = parse_as(spec, typed);
  }
  if (!p.error.empty()) {
    why = "a phrase list entry is one <phrase> line; directives such as .Include are not entries";
    return std::nullopt;
  }
  if (p.invalid > 0) {
    why = "this is not a valid " + std::string(rules::list_format_name(spec.format)) +
          " entry: " + p.first_reason;
    return std::nullopt;
  }
  if (p.entries.empty()) {
    why = "this line would be ignored in a " + std::string(rules::list_format_name(spec.format)) +
          " list (a comment or a blank line)";
    return std::nullopt;
  }
  if (p.entries.size() > 1) {
    why = "this line holds more than one entry; add them one at a time";
    return std::nullopt;
  }
  return p.entries.front();
}

const rules::ListSpec* find_list(const rules::Policy& policy, std::string_view name) {
  for (const rules::ListSpec& spec : policy.lists) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

EditOutcome tree_does_not_load(const std::string& dir, const std::string& error) {
  return refuse(409, "The rules tree does not load as it is, so the console will not change it: " +
                         error + ". Fix that first (vigilctl rules check --rules " + dir + ").");
}

// Installs `candidate` as `target`, records the decision, undoes the
// change if the decision cannot be recorded.
EditOutcome install_and_record(Candidate& candidate, const std::string& target,
                               const store::DecisionEntry& decision, const RecordDecision& record,
                               std::string done_message) {
  std::string error;
  if (!candidate.install(target, error)) return refuse(500, "The change was not made: " + error);
  auto id = record(decision);
  if (!id) {
    const bool undone = restore_backup(target);
    return refuse(503, std::string("The decision could not be recorded (") + id.error().message +
                           (undone ? "), so the change was undone."
                                   : "), and the change could not be undone: " + target +
                                         ".bak holds the previous file."));
  }
  EditOutcome o;
  o.status = 200;
  o.message = std::move(done_message);
  o.decision = decision;
  o.file = target;
  return o;
}

// ---------------------------------------------------------------- policy.toml

// A TOML basic string. `s` is valid UTF-8 (checked by the caller). TOML's
// basic-string escapes are JSON's (\" \\ \n \r \t \uXXXX), so the EVE writer's
// JSON string escaping serves; it quotes as well.
std::string toml_string(std::string_view s) {
  std::string out;
  inspect::append_json_string(out, s);
  return out;
}

bool is_table_header(std::string_view line) {
  const std::string_view t = trim(line);
  return !t.empty() && t.front() == '[';
}

bool is_blank_or_comment(std::string_view line) {
  const std::string_view t = trim(line);
  return t.empty() || t.front() == '#';
}

bool same_entry(const rules::ManualEntry& a, const rules::ManualEntry& b) {
  return a.domain == b.domain && a.allow == b.allow && (a.allow || a.category == b.category) &&
         a.reason == b.reason && a.by == b.by;
}

bool same_entries(const std::vector<rules::ManualEntry>& a,
                  const std::vector<rules::ManualEntry>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), same_entry);
}

// policy.toml without the [[entry]] table whose header is on `line`: from
// the header to the next table, leaving comments and blank lines that lead
// into the next table (they describe it). nullopt when `line` is no header.
std::optional<std::string> without_table(std::string_view text, std::uint32_t line) {
  std::vector<std::string_view> lines = split_lines(text);
  if (line == 0 || line > lines.size()) return std::nullopt;
  const std::size_t start = line - 1;
  if (!trim(lines[start]).starts_with("[[entry]]")) return std::nullopt;
  std::size_t end = start + 1;
  while (end < lines.size() && !is_table_header(lines[end])) ++end;
  while (end > start + 1 && is_blank_or_comment(lines[end - 1])) --end;
  std::size_t from = start;
  if (from > 0 && trim(lines[from - 1]).empty()) --from;  // the blank line the console wrote
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(from),
              lines.begin() + static_cast<std::ptrdiff_t>(end));
  return join_lines(lines, !text.empty() && text.back() == '\n');
}

}  // namespace

std::string statutory_refusal(std::string_view list_name) {
  return "'" + std::string(list_name) +
         "' is a statutory list (IWF or CTIRU). It always blocks, and no one can add to it, "
         "remove from it or switch it off from the console; it is replaced only by its "
         "licensed source.";
}

EditOutcome change_list_entry(RulesTree& tree, const ListEntryChange& change,
                              const RecordDecision& record) {
  const std::string typed(trim(change.entry));
  const std::string reason(trim(change.reason));
  if (auto p = text_problem(reason, "The reason", kMaxReasonBytes, true, true)) {
    return refuse(400, *p + ": say why (it goes to the decision log).");
  }
  if (auto p = text_problem(typed, "The entry", kMaxEntryBytes, true, false))
    return refuse(400, *p);

  std::lock_guard<std::mutex> lock(tree.edit_mutex());
  std::string error;
  auto policy = rules::load_policy(tree.dir(), error);
  if (!policy) return tree_does_not_load(tree.dir(), error);
  const rules::ListSpec* spec = find_list(*policy, change.list);
  if (spec == nullptr) {
    return refuse(404, "There is no list named '" + change.list + "' in the rules tree.");
  }
  if (spec->statutory != rules::StatutorySlot::None)
    return refuse(403, statutory_refusal(spec->name));

  std::string why;
  auto entry = single_entry(*spec, typed, why);
  if (!entry) return refuse(400, "'" + typed + "': " + why + ".");
  auto old_text = rules::read_text_file(spec->path);
  if (!old_text) return refuse(500, "Cannot read " + spec->path + ".");
  const Parsed old_parsed = parse_as(*spec, *old_text);
  if (!old_parsed.error.empty()) return tree_does_not_load(tree.dir(), old_parsed.error);

  auto has_key = [&](const Parsed& p) {
    return std::any_of(p.entries.begin(), p.entries.end(),
                       [&](const Keyed& k) { return k.key == entry->key; });
  };
  std::string new_text;
  Parsed new_parsed;
  if (change.add) {
    for (const Keyed& k : old_parsed.entries) {
      if (k.key == entry->key) {
        return refuse(409, "'" + entry->shown + "' is already in '" + spec->name + "' (line " +
                               std::to_string(k.line) + ").");
      }
    }
    new_text = append_line(*old_text, typed);
    new_parsed = parse_as(*spec, new_text);
  } else {
    if (!has_key(old_parsed)) {
      return refuse(404, "'" + entry->shown + "' is not in '" + spec->name + "'.");
    }
    // The parsers keep the first of repeated entries: remove until none is left.
    new_text = *old_text;
    new_parsed = old_parsed;
    for (int round = 0; round < 64 && has_key(new_parsed); ++round) {
      std::vector<std::string_view> all = split_lines(new_text);
      std::vector<std::uint32_t> lines;
      for (const Keyed& k : new_parsed.entries) {
        if (k.key != entry->key) continue;
        if (!k.in_top_file) {
          return refuse(409, "'" + entry->shown + "' comes from a file that " + spec->path +
                                 " includes; remove it from that file by hand.");
        }
        std::string ignored;
        if (k.line == 0 || k.line > all.size() ||
            !single_entry(*spec, std::string(all[k.line - 1]), ignored)) {
          return refuse(409, spec->path + ":" + std::to_string(k.line) + " holds '" + entry->shown +
                                 "' together with other entries; change that line by hand.");
        }
        lines.push_back(k.line);
      }
      std::sort(lines.begin(), lines.end());
      lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
      for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        all.erase(all.begin() + static_cast<std::ptrdiff_t>(*it - 1));
      }
      new_text = join_lines(all, !new_text.empty() && new_text.back() == '\n');
      new_parsed = parse_as(*spec, new_text);
    }
  }
  const std::size_t expected =
      change.add ? old_parsed.entries.size() + 1 : old_parsed.entries.size() - 1;
  if (new_parsed.entries.size() != expected || has_key(new_parsed) != change.add ||
      new_parsed.invalid > old_parsed.invalid) {
    return refuse(422, "The change was not made: the list would not read as expected with it.");
  }

  Candidate candidate;
  if (!candidate.write(spec->path, new_text, error)) {
    return refuse(500, "The change was not made: " + error);
  }
  rules::Policy trial = *policy;
  for (rules::ListSpec& s : trial.lists) {
    if (s.name == spec->name && s.path == spec->path) s.path = candidate.path();
  }
  if (!rules::RuleSnapshot::build(trial, error)) {
    return refuse(422, "The change was not made: with it the rules tree would not load: " +
                           replace_all(error, candidate.path(), spec->path));
  }

  store::DecisionEntry decision;
  const bool allow = spec->allow || entry->allow;
  decision.change = std::string(change.add ? "add_" : "remove_") + (allow ? "allow" : "block");
  decision.target = entry->shown;
  decision.list = spec->name;
  decision.reason = reason;
  std::string done = std::string(change.add ? "Added '" : "Removed '") + entry->shown +
                     (change.add ? "' to '" : "' from '") + spec->name + "'.";
  return install_and_record(candidate, spec->path, decision, record, std::move(done));
}

EditOutcome change_manual_entry(RulesTree& tree, const ManualEntryChange& change,
                                std::string_view by, const RecordDecision& record) {
  const std::string reason(trim(change.reason));
  if (auto p = text_problem(reason, "The reason", kMaxReasonBytes, true, true)) {
    return refuse(400, *p + ": say why (it goes to the decision log and policy.toml).");
  }
  const std::string typed(trim(change.domain));
  if (auto p = text_problem(typed, "The domain", 300, true, false)) return refuse(400, *p);
  std::string why;
  auto domain = rules::normalise_domain(typed, why);
  if (!domain) return refuse(400, "'" + typed + "' is not a domain name: " + why + ".");
  std::optional<rules::Category> category;
  if (change.add && !change.allow) {
    category = rules::parse_category(change.category);
    if (!category) return refuse(400, "Choose the category the block is for.");
  }

  std::lock_guard<std::mutex> lock(tree.edit_mutex());
  std::string error;
  auto policy = rules::load_policy(tree.dir(), error);
  if (!policy) return tree_does_not_load(tree.dir(), error);
  if (policy->ut1_tree) {
    return refuse(409,
                  "This rules folder is a bare category tree without policy.toml, which is "
                  "where hand-made entries are kept.");
  }
  const std::string file = (fs::path(tree.dir()) / "policy.toml").string();
  auto old_text = rules::read_text_file(file);
  if (!old_text) return refuse(500, "Cannot read " + file + ".");

  std::vector<rules::ManualEntry> expected = policy->manual;
  std::string new_text;
  if (change.add) {
    for (const rules::ManualEntry& m : policy->manual) {
      if (m.domain == *domain && m.allow == change.allow) {
        return refuse(409, "'" + *domain + "' already has a hand-made " +
                               (change.allow ? "allow" : "block") + " entry (policy.toml line " +
                               std::to_string(m.line) + ").");
      }
    }
    std::string table = "[[entry]]\ndomain = " + toml_string(*domain) + "\n";
    table +=
        change.allow
            ? "allow = true\n"
            : "block = true\ncategory = " + toml_string(rules::category_name(*category)) + "\n";
    table += "reason = " + toml_string(reason) + "\nby = " + toml_string(by) + "\n";
    new_text = *old_text;
    if (!new_text.empty() && new_text.back() != '\n') new_text += '\n';
    if (!new_text.empty()) new_text += '\n';
    new_text += table;
    rules::ManualEntry m;
    m.domain = *domain;
    m.allow = change.allow;
    if (category) m.category = *category;
    m.reason = reason;
    m.by = std::string(by);
    expected.push_back(std::move(m));
  } else {
    auto it = std::find_if(expected.begin(), expected.end(), [&](const rules::ManualEntry& m) {
      return m.domain == *domain && m.allow == change.allow;
    });
    if (it == expected.end()) {
      return refuse(404, "There is no hand-made " + std::string(change.allow ? "allow" : "block") +
                             " entry for '" + *domain + "'.");
    }
    auto cut = without_table(*old_text, it->line);
    if (!cut) {
      return refuse(409, "policy.toml line " + std::to_string(it->line) +
                             " is not where its [[entry]] starts; remove it by hand.");
    }
    new_text = std::move(*cut);
    expected.erase(it);
  }

  auto trial = rules::load_policy_text(tree.dir(), new_text, error);
  if (!trial) {
    return refuse(422, "The change was not made: with it policy.toml would not load: " + error);
  }
  if (!same_entries(trial->manual, expected)) {
    return refuse(422,
                  "The change was not made: policy.toml would not read back as expected; "
                  "change it by hand.");
  }
  if (!rules::RuleSnapshot::build(*trial, error)) {
    return refuse(422, "The change was not made: with it the rules tree would not load: " + error);
  }
  Candidate candidate;
  if (!candidate.write(file, new_text, error)) {
    return refuse(500, "The change was not made: " + error);
  }

  store::DecisionEntry decision;
  decision.change =
      std::string(change.add ? "add_" : "remove_") + (change.allow ? "allow" : "block");
  decision.target = *domain;
  decision.list = std::string(kManualListName);
  decision.reason = reason;
  std::string done = std::string(change.add ? "Added a hand-made " : "Removed the hand-made ") +
                     (change.allow ? "allow" : "block") + " entry for '" + *domain + "'.";
  return install_and_record(candidate, file, decision, record, std::move(done));
}

}  // namespace vigil::console::pages::admin
