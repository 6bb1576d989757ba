#include "daemon/identity/attributor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <tuple>
#include <utility>

#include "daemon/config/config.h"
#include "daemon/identity/lease_files.h"
#include "daemon/identity/neighbours.h"
#include "daemon/identity/people_csv.h"

namespace vigil::identity {

namespace {

// Rank of a neighbour state when one address appears twice (two interfaces).
int state_rank(NeighbourState s) noexcept {
  switch (s) {
    case NeighbourState::Permanent:
      return 4;
    case NeighbourState::Reachable:
      return 3;
    case NeighbourState::Delay:
      return 2;
    case NeighbourState::Probe:
      return 1;
    case NeighbourState::Stale:
      return 0;
  }
  return 0;
}

std::string_view source_text(bool person, std::string_view origin) noexcept {
  if (origin == "dnsmasq") return person ? "csv+dnsmasq" : "dnsmasq";
  if (origin == "dhcpd") return person ? "csv+dhcpd" : "dhcpd";
  if (origin == "neighbour") return person ? "csv+neighbour" : "neighbour";
  return "ip";
}

// ------------------------------------------------------------ bounded file reads

struct Signature {
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
};

Signature signature_of(const struct stat& st) {
  Signature s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = static_cast<std::uint64_t>(st.st_size);
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  s.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  return s;
}

bool same(const Signature& a, const Signature& b) {
  return a.dev == b.dev && a.ino == b.ino && a.size == b.size && a.mtime_ns == b.mtime_ns &&
         a.ctime_ns == b.ctime_ns;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

enum class ReadOutcome : std::uint8_t { Ok, Failed, Changing };

// Reads a whole regular file of at most `max` bytes. `Changing` when the
// file changed while it was read (a server rewriting it in place): the
// caller keeps what it had and tries again next time.
ReadOutcome read_file(const std::string& path, std::size_t max, std::string& text, Signature& sig,
                      std::string& error) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    error = path + ": " + std::strerror(errno);
    return ReadOutcome::Failed;
  }
  struct stat before {};
  if (fstat(fd.get(), &before) != 0) {
    error = path + ": " + std::strerror(errno);
    return ReadOutcome::Failed;
  }
  if (!S_ISREG(before.st_mode)) {
    error = path + ": not a regular file";
    return ReadOutcome::Failed;
  }
  if (static_cast<std::uint64_t>(before.st_size) > max) {
    error = path + ": larger than " + std::to_string(max) + " bytes; not read";
    return ReadOutcome::Failed;
  }
  text.clear();
  text.resize(static_cast<std::size_t>(before.st_size));
  std::size_t got = 0;
  while (true) {
    if (got == text.size()) {
      if (text.size() >= max + 1) break;
      text.resize(std::min(max + 1, text.size() + 65536));  // it grew while we read
    }
    const ssize_t n = read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = path + ": " + std::strerror(errno);
      return ReadOutcome::Failed;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  struct stat after {};
  if (fstat(fd.get(), &after) != 0) {
    error = path + ": " + std::strerror(errno);
    return ReadOutcome::Failed;
  }
  sig = signature_of(before);
  if (!same(sig, signature_of(after)) || got != static_cast<std::size_t>(before.st_size)) {
    error = path + ": changed while being read; will read again at the next refresh";
    return ReadOutcome::Changing;
  }
  return ReadOutcome::Ok;
}

}  // namespace

// ------------------------------------------------------------ names

std::string_view confidence_name(Confidence c) noexcept {
  switch (c) {
    case Confidence::Low:
      return "low";
    case Confidence::Medium:
      return "medium";
    case Confidence::High:
      return "high";
  }
  return "?";
}

double confidence_score(Confidence c) noexcept {
  switch (c) {
    case Confidence::Low:
      return 0.3;
    case Confidence::Medium:
      return 0.6;
    case Confidence::High:
      return 0.9;
  }
  return 0;
}

// ------------------------------------------------------------ IdentitySnapshot

std::size_t IdentitySnapshot::IpHash::operator()(const IpAddress& a) const noexcept {
  std::uint64_t h = a.v6 ? 0x9e3779b97f4a7c15ull : 0xcbf29ce484222325ull;
  const std::size_t n = a.v6 ? 16 : 4;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ a.bytes[i]) * 0x100000001b3ull;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

IdentitySnapshot::IdentitySnapshot(std::vector<Lease> dnsmasq, std::vector<Lease> dhcpd,
                                   const std::vector<Neighbour>& neighbours,
                                   std::vector<Person> people,
                                   const std::vector<DeviceOwner>& devices) {
  leases_.reserve(dnsmasq.size() + dhcpd.size());
  for (auto* list : {&dnsmasq, &dhcpd}) {
    for (auto& l : *list) leases_.push_back(std::move(l));
  }
  lease_by_ip_.reserve(leases_.size());
  for (std::size_t i = 0; i < leases_.size(); ++i) {
    auto& pair = lease_by_ip_[leases_[i].ip];
    // A later lease for the same address from the same server wins.
    (leases_[i].source == LeaseSource::Dnsmasq ? pair.dnsmasq : pair.dhcpd) =
        static_cast<std::int32_t>(i);
  }
  neighbours_.reserve(neighbours.size());
  for (const auto& n : neighbours) {
    const auto [it, added] = neighbours_.emplace(n.ip, n);
    if (!added && state_rank(n.state) > state_rank(it->second.state)) it->second = n;
  }
  people_ = std::move(people);
  std::unordered_map<std::string_view, std::uint32_t> by_reference;
  by_reference.reserve(people_.size());
  for (std::size_t i = 0; i < people_.size(); ++i) {
    by_reference.emplace(people_[i].reference, static_cast<std::uint32_t>(i));
  }
  owner_.reserve(devices.size());
  for (const auto& d : devices) {
    const auto it = by_reference.find(d.reference);
    if (it != by_reference.end()) owner_.emplace(d.mac.key(), it->second);
  }
}

const Person* IdentitySnapshot::person_of(const MacAddress& mac) const noexcept {
  const auto it = owner_.find(mac.key());
  return it == owner_.end() ? nullptr : &people_[it->second];
}

const Lease* IdentitySnapshot::best_lease(const LeasePair& pair,
                                          std::int64_t now_s) const noexcept {
  const Lease* a = pair.dnsmasq == kNone ? nullptr : &leases_[pair.dnsmasq];
  const Lease* b = pair.dhcpd == kNone ? nullptr : &leases_[pair.dhcpd];
  if (a == nullptr) return b;
  if (b == nullptr) return a;
  const bool ca = a->current(now_s);
  const bool cb = b->current(now_s);
  if (ca != cb) return ca ? a : b;
  return b->expires_s > a->expires_s ? b : a;
}

Attribution IdentitySnapshot::lookup(const IpAddress& ip, std::int64_t now_s) const {
  Attribution a;
  const Lease* lease = nullptr;
  if (const auto it = lease_by_ip_.find(ip); it != lease_by_ip_.end()) {
    lease = best_lease(it->second, now_s);
  }
  const Neighbour* nb = nullptr;
  if (const auto it = neighbours_.find(ip); it != neighbours_.end()) nb = &it->second;

  const bool lease_now = lease != nullptr && lease->current(now_s);
  a.lease_current = lease_now;

  // Which MAC holds the address, and who says so.
  std::string_view origin;  // "", a lease source, or "neighbour"
  bool from_expired_lease = false;
  bool from_duid = false;
  if (lease != nullptr && lease->mac) {
    if (nb != nullptr && nb->mac != *lease->mac) {
      // What is on the wire now beats what the DHCP server remembers. A
      // DUID's MAC may name another interface of the same client, so that
      // is no conflict.
      a.mac = nb->mac;
      origin = "neighbour";
      a.conflict = lease_now && !lease->mac_from_duid;
    } else if (lease_now) {
      a.mac = lease->mac;
      origin = lease_source_name(lease->source);
      from_duid = lease->mac_from_duid;
    } else if (nb != nullptr) {
      a.mac = nb->mac;
      origin = "neighbour";
    } else {
      a.mac = lease->mac;
      origin = lease_source_name(lease->source);
      from_expired_lease = true;
    }
  } else if (nb != nullptr) {
    a.mac = nb->mac;
    origin = "neighbour";
  } else if (lease_now) {
    origin = lease_source_name(lease->source);  // a current lease without a MAC
  }

  // The host name belongs to the lease's client: only when that is the
  // device now holding the address.
  if (lease != nullptr) {
    const bool same_device = lease->mac ? (a.mac && *a.mac == *lease->mac) : lease_now && !nb;
    if (same_device) a.hostname = lease->hostname;
  }

  const Person* person = a.mac ? person_of(*a.mac) : nullptr;
  if (person != nullptr) {
    a.person_reference = person->reference;
    a.cohort = person->cohort;
    a.group = person->group;
    a.under_18 = person->under_18;
  }
  a.mac_randomised = a.mac && a.mac->locally_administered();

  if (!a.mac || from_expired_lease) {
    a.confidence = Confidence::Low;
  } else if (person != nullptr && origin != "neighbour" && !from_duid) {
    a.confidence = Confidence::High;
  } else {
    a.confidence = Confidence::Medium;
  }
  a.source = a.mac || !origin.empty() ? source_text(person != nullptr, origin) : "ip";
  return a;
}

// ------------------------------------------------------------ sources

IdentitySources sources_from_config(const config::Config& config) {
  IdentitySources s;
  s.dnsmasq_leases = config.get_string("identity.dnsmasq_leases");
  s.dhcpd_leases = config.get_string("identity.dhcpd_leases");
  s.people_csv = config.get_string("identity.people_csv");
  s.neighbour_table = config.get_bool("identity.neighbour_table");
  return s;
}

// ------------------------------------------------------------ RefreshReport

bool RefreshReport::ok() const noexcept {
  return std::all_of(sources.begin(), sources.end(), [](const SourceStatus& s) { return s.ok; });
}

std::vector<std::string> RefreshReport::errors() const {
  std::vector<std::string> out;
  for (const auto& s : sources) {
    if (!s.ok) out.push_back(s.error);
  }
  return out;
}

// ------------------------------------------------------------ Attributor

Attributor::Attributor(IdentitySources sources, Limits limits, NeighbourReader neighbour_reader)
    : sources_(std::move(sources)),
      limits_(limits),
      neighbour_reader_(std::move(neighbour_reader)) {
  if (!neighbour_reader_) {
    neighbour_reader_ = [this] { return read_neighbour_table(limits_); };
  }
  published_ = std::make_shared<const IdentitySnapshot>();
  published_raw_.store(published_.get(), std::memory_order_release);
}

std::shared_ptr<const IdentitySnapshot> Attributor::current() const {
  const std::lock_guard lock(publish_mutex_);
  return published_;
}

void Attributor::follow(std::shared_ptr<const IdentitySnapshot>& held) const {
  if (held.get() != published_raw_.load(std::memory_order_acquire)) held = current();
}

void Attributor::set_sources(IdentitySources sources) {
  const std::lock_guard lock(refresh_mutex_);
  if (sources.dnsmasq_leases != sources_.dnsmasq_leases) {
    dnsmasq_state_ = FileState{};
    dnsmasq_.clear();
  }
  if (sources.dhcpd_leases != sources_.dhcpd_leases) {
    dhcpd_state_ = FileState{};
    dhcpd_.clear();
  }
  if (sources.people_csv != sources_.people_csv) {
    people_state_ = FileState{};
    people_ = PeopleImport{};
  }
  if (!sources.neighbour_table) neighbours_.clear();
  sources_ = std::move(sources);
  force_publish_ = true;
}

bool Attributor::refresh_file(FileKind kind, const std::string& path, FileState& state,
                              SourceStatus& status) {
  status.path = path;
  auto keep_previous = [&](std::string error) {
    status.ok = false;
    status.error = std::move(error);
    return false;
  };

  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    state.last_attempt.reset();  // try again next time
    return keep_previous(path + ": " + std::strerror(errno));
  }
  const Signature now = signature_of(st);
  const FileState::Signature key{now.dev, now.ino, now.size, now.mtime_ns, now.ctime_ns};
  if (state.last_attempt && *state.last_attempt == key && !state.racy) {
    status.diag = state.last_diag;
    if (!state.last_error.empty()) return keep_previous(state.last_error);
    return false;  // unchanged since it was last read
  }

  const std::size_t max =
      kind == FileKind::People ? limits_.max_people_file_bytes : limits_.max_lease_file_bytes;
  std::string text;
  Signature sig;
  std::string error;
  const ReadOutcome r = read_file(path, max, text, sig, error);
  if (r == ReadOutcome::Changing) {
    state.last_attempt.reset();
    return keep_previous(error);
  }
  status.reread = true;
  if (r == ReadOutcome::Failed) {
    state.last_attempt = key;
    state.last_error = error;
    state.last_diag = ParseDiagnostics{};
    state.last_diag.path = path;
    state.last_diag.error = error;
    status.diag = state.last_diag;
    return keep_previous(error);
  }
  state.last_attempt = FileState::Signature{sig.dev, sig.ino, sig.size, sig.mtime_ns, sig.ctime_ns};
  timespec wall{};
  clock_gettime(CLOCK_REALTIME, &wall);
  const std::int64_t wall_ns =
      static_cast<std::int64_t>(wall.tv_sec) * 1'000'000'000 + wall.tv_nsec;
  state.racy = wall_ns - std::max(sig.mtime_ns, sig.ctime_ns) < limits_.racy_window_ms * 1'000'000;

  if (kind == FileKind::People) {
    PeopleImport import = parse_people_csv(text, path, limits_);
    status.diag = import.diag;
    state.last_diag = import.diag;
    if (!import.diag.ok()) {
      state.last_error = import.diag.error;
      return keep_previous(import.diag.error);
    }
    state.last_error.clear();
    const bool same_data =
        state.have_data && import.people == people_.people && import.devices == people_.devices;
    state.have_data = true;
    people_ = std::move(import);
    return !same_data;
  }

  LeaseFile file = kind == FileKind::Dnsmasq ? parse_dnsmasq_leases(text, path, limits_)
                                             : parse_dhcpd_leases(text, path, limits_);
  // A file in which nothing at all parsed is more likely the wrong file
  // (or a torn write) than a server with no leases.
  if (file.diag.ok() && file.leases.empty() && file.diag.invalid != 0) {
    file.diag.error = file.diag.first_invalid.empty()
                          ? path + ": no valid lease"
                          : file.diag.first_invalid.front() + " (no valid lease in the file)";
  }
  status.diag = file.diag;
  state.last_diag = file.diag;
  if (!file.diag.ok()) {
    state.last_error = file.diag.error;
    return keep_previous(file.diag.error);
  }
  state.last_error.clear();
  auto& leases = kind == FileKind::Dnsmasq ? dnsmasq_ : dhcpd_;
  const bool same_data = state.have_data && file.leases == leases;
  state.have_data = true;
  leases = std::move(file.leases);
  return !same_data;
}

RefreshReport Attributor::refresh() {
  const std::lock_guard lock(refresh_mutex_);
  RefreshReport report;
  bool changed = force_publish_ || generation_.load(std::memory_order_relaxed) == 0;

  struct FileSource {
    const char* name;
    FileKind kind;
    const std::string* path;
    FileState* state;
  };
  const FileSource files[] = {
      {"dnsmasq", FileKind::Dnsmasq, &sources_.dnsmasq_leases, &dnsmasq_state_},
      {"dhcpd", FileKind::Dhcpd, &sources_.dhcpd_leases, &dhcpd_state_},
      {"people", FileKind::People, &sources_.people_csv, &people_state_},
  };
  for (const auto& f : files) {
    if (f.path->empty()) continue;
    SourceStatus status;
    status.name = f.name;
    try {
      if (refresh_file(f.kind, *f.path, *f.state, status)) changed = true;
    } catch (const std::exception& e) {
      status.ok = false;
      status.error = *f.path + ": " + e.what();
    }
    report.sources.push_back(std::move(status));
  }

  if (sources_.neighbour_table) {
    SourceStatus status;
    status.name = "neighbours";
    NeighbourTable table;
    try {
      table = neighbour_reader_();
    } catch (const std::exception& e) {
      table.diag.error = std::string("neighbour table: ") + e.what();
    }
    status.path = table.method;
    status.reread = true;
    status.diag = table.diag;
    if (!table.diag.ok()) {
      status.ok = false;
      status.error = table.diag.error;
    } else {
      // Order, and states coming and going (REACHABLE, STALE, DELAY), do
      // not change who holds an address: compare addresses only.
      auto by_address = [](const Neighbour& a, const Neighbour& b) {
        return std::tie(a.ip, a.mac, a.ifindex) < std::tie(b.ip, b.mac, b.ifindex);
      };
      std::sort(table.entries.begin(), table.entries.end(), by_address);
      const bool same_addresses =
          std::equal(table.entries.begin(), table.entries.end(), neighbours_.begin(),
                     neighbours_.end(), [](const Neighbour& a, const Neighbour& b) {
                       return a.ip == b.ip && a.mac == b.mac && a.ifindex == b.ifindex;
                     });
      if (!same_addresses) {
        neighbours_ = std::move(table.entries);
        changed = true;
      }
    }
    report.sources.push_back(std::move(status));
  }

  if (changed) {
    auto next = std::make_shared<const IdentitySnapshot>(dnsmasq_, dhcpd_, neighbours_,
                                                         people_.people, people_.devices);
    std::shared_ptr<const IdentitySnapshot> old;  // freed outside the lock
    {
      const std::lock_guard publish(publish_mutex_);
      old = std::exchange(published_, std::move(next));
      published_raw_.store(published_.get(), std::memory_order_release);
    }
    generation_.fetch_add(1, std::memory_order_acq_rel);
    force_publish_ = false;
    report.published = true;
  }
  report.generation = generation_.load(std::memory_order_acquire);
  for (auto& s : report.sources) {
    if (s.name == "dnsmasq") s.entries = dnsmasq_.size();
    if (s.name == "dhcpd") s.entries = dhcpd_.size();
    if (s.name == "people") s.entries = people_.people.size();
    if (s.name == "neighbours") s.entries = neighbours_.size();
  }
  return report;
}

void Attributor::count(const Attribution& a) const noexcept {
  lookups_.fetch_add(1, std::memory_order_relaxed);
  switch (a.confidence) {
    case Confidence::High:
      high_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Confidence::Medium:
      medium_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Confidence::Low:
      low_.fetch_add(1, std::memory_order_relaxed);
      break;
  }
  if (!a.attributed()) unattributed_.fetch_add(1, std::memory_order_relaxed);
  if (!a.mac) no_device_.fetch_add(1, std::memory_order_relaxed);
  if (a.mac_randomised) randomised_.fetch_add(1, std::memory_order_relaxed);
}

Attribution Attributor::lookup(const IpAddress& ip, std::int64_t now_s) const {
  // The snapshot this thread last used (of whichever Attributor). Holding
  // it keeps its address from being reused, so comparing addresses is enough.
  thread_local std::shared_ptr<const IdentitySnapshot> held;
  follow(held);
  Attribution a = held->lookup(ip, now_s);
  count(a);
  return a;
}

AttributionCounters Attributor::counters() const noexcept {
  AttributionCounters c;
  c.lookups = lookups_.load(std::memory_order_relaxed);
  c.high = high_.load(std::memory_order_relaxed);
  c.medium = medium_.load(std::memory_order_relaxed);
  c.low = low_.load(std::memory_order_relaxed);
  c.unattributed = unattributed_.load(std::memory_order_relaxed);
  c.no_device = no_device_.load(std::memory_order_relaxed);
  c.randomised_mac = randomised_.load(std::memory_order_relaxed);
  return c;
}

Attribution Attributor::Reader::lookup(const IpAddress& ip, std::int64_t now_s) {
  owner_->follow(snapshot_);
  Attribution a = snapshot_->lookup(ip, now_s);
  owner_->count(a);
  return a;
}

}  // namespace vigil::identity
