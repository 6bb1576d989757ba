// UT1 / squidGuard category folders: "<dir>/<category>/domains" and
// "<dir>/<category>/urls". Other files in a category ("expressions",
// "usage") are left alone.

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "rules/lists/list_formats.h"

namespace vigil::rules {
namespace {

namespace fs = std::filesystem;

bool is_regular(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);  // follows symlinks, as UT1 uses them
}

}  // namespace

std::vector<Ut1Category> load_ut1_tree(const std::string& dir, std::string& error) {
  std::vector<Ut1Category> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    error = dir + ": cannot list the folder: " + ec.message();
    return out;
  }
  std::vector<fs::path> folders;
  for (const fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) break;
    std::error_code dir_ec;
    if (it->is_directory(dir_ec)) folders.push_back(it->path());
  }
  if (ec) {
    error = dir + ": cannot list the folder: " + ec.message();
    return {};
  }
  std::sort(folders.begin(), folders.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  for (const auto& folder : folders) {
    const fs::path domains = folder / "domains";
    const fs::path urls = folder / "urls";
    const bool has_domains = is_regular(domains);
    const bool has_urls = is_regular(urls);
    if (!has_domains && !has_urls) continue;
    Ut1Category cat;
    cat.folder = folder.filename().string();
    if (has_domains) {
      const auto text = read_text_file(domains.string());
      cat.domains = parse_domain_list(text ? *text : std::string(), domains.string());
      if (!text) cat.domains->diag.error = domains.string() + ": cannot read the file";
    }
    if (has_urls) {
      const auto text = read_text_file(urls.string());
      cat.urls = parse_url_list(text ? *text : std::string(), urls.string());
      if (!text) cat.urls->diag.error = urls.string() + ": cannot read the file";
    }
    out.push_back(std::move(cat));
  }
  return out;
}

}  // namespace vigil::rules
