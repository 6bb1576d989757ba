#pragma once
// Who a client address belongs to. The Attributor reads the identity
// sources (dnsmasq and dhcpd lease files, the kernel neighbour table, the
// people CSV) on a housekeeping thread, builds an immutable IdentitySnapshot
// and publishes it atomically; workers look addresses up without taking a
// lock and without touching a file. A source that fails to read or parse
// keeps its previous data, and the refresh says why.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/identity/types.h"

namespace vigil::config {
class Config;
}

namespace vigil::identity {

// How far an attribution can be trusted.
//   High:   the MAC of a current lease (agreeing with the neighbour table, if
//           it knows the address) is a device of a person in the people CSV.
//   Medium: a person through a MAC only the neighbour table (or a DHCPv6
//           DUID) gives; or a device (MAC) known from a current lease or the
//           neighbour table, without a person.
//   Low:    only an expired lease, or nothing but the address.
enum class Confidence : std::uint8_t { Low, Medium, High };
std::string_view confidence_name(Confidence c) noexcept;  // "low", "medium", "high"
double confidence_score(Confidence c) noexcept;           // 0.3, 0.6, 0.9 (the store's 0..1)

// The answer for one client address. It carries the person's reference,
// not their name: the console resolves names, and nothing on the packet
// path needs more personal detail than this.
struct Attribution {
  std::optional<MacAddress> mac;
  std::string hostname;          // from the lease, "" when unknown
  std::string person_reference;  // "" when no person is known
  std::string cohort;
  std::string group;             // policy group; "" = the default group
  std::optional<bool> under_18;  // nullopt when not known
  // The MAC is locally administered (a phone's private or randomised
  // address): it may change, so a missing person is expected rather than
  // suspicious, and the console can say so.
  bool mac_randomised = false;
  bool lease_current = false;  // a lease for this address holds at the time asked
  // The lease and the neighbour table name different MACs for this
  // address; the neighbour table (what is on the wire now) was believed.
  bool conflict = false;
  // How it was worked out: "csv+dnsmasq", "csv+dhcpd", "csv+neighbour",
  // "dnsmasq", "dhcpd", "neighbour", or "ip" (nothing known). Static text.
  std::string_view source = "ip";
  Confidence confidence = Confidence::Low;

  [[nodiscard]] bool attributed() const noexcept { return !person_reference.empty(); }
};

// Everything the sources said at one refresh, indexed. Immutable once
// built; lookups are const and safe from any number of threads.
class IdentitySnapshot {
 public:
  IdentitySnapshot() = default;  // knows nobody
  IdentitySnapshot(std::vector<Lease> dnsmasq, std::vector<Lease> dhcpd,
                   const std::vector<Neighbour>& neighbours, std::vector<Person> people,
                   const std::vector<DeviceOwner>& devices);

  // The attribution of `ip` at Unix time `now_s` (packet time in a replay).
  [[nodiscard]] Attribution lookup(const IpAddress& ip, std::int64_t now_s) const;

  [[nodiscard]] const Person* person_of(const MacAddress& mac) const noexcept;
  [[nodiscard]] std::size_t leases() const noexcept { return leases_.size(); }
  [[nodiscard]] std::size_t neighbours() const noexcept { return neighbours_.size(); }
  [[nodiscard]] std::size_t people() const noexcept { return people_.size(); }
  [[nodiscard]] const std::vector<Person>& people_list() const noexcept { return people_; }
  [[nodiscard]] std::size_t devices() const noexcept { return owner_.size(); }

 private:
  struct IpHash {
    std::size_t operator()(const IpAddress& a) const noexcept;
  };
  static constexpr std::int32_t kNone = -1;
  struct LeasePair {  // at most one lease per address from each server
    std::int32_t dnsmasq = kNone;
    std::int32_t dhcpd = kNone;
  };
  const Lease* best_lease(const LeasePair& pair, std::int64_t now_s) const noexcept;

  std::vector<Lease> leases_;
  std::unordered_map<IpAddress, LeasePair, IpHash> lease_by_ip_;
  std::unordered_map<IpAddress, Neighbour, IpHash> neighbours_;
  std::vector<Person> people_;
  std::unordered_map<std::uint64_t, std::uint32_t> owner_;  // MacAddress::key -> people_ index
};

// Where the sources are. "" (or false) leaves a source out.
struct IdentitySources {
  std::string dnsmasq_leases;   // identity.dnsmasq_leases
  std::string dhcpd_leases;     // identity.dhcpd_leases
  std::string people_csv;       // identity.people_csv
  bool neighbour_table = true;  // identity.neighbour_table
};

// The sources named by identity.dnsmasq_leases, identity.dhcpd_leases,
// identity.people_csv and identity.neighbour_table.
IdentitySources sources_from_config(const config::Config& config);

// How one source fared in a refresh.
struct SourceStatus {
  std::string name;         // "dnsmasq", "dhcpd", "neighbours", "people"
  std::string path;         // the file, or how the neighbour table was read
  bool reread = false;      // read and parsed this time (new, or changed since the last read)
  bool ok = true;           // false: the latest read failed; `entries` are from an earlier one
  std::string error;        // why, one line ("file: reason" or "file:line: reason")
  ParseDiagnostics diag;    // of the latest parse (counts, first bad lines)
  std::size_t entries = 0;  // in the published snapshot
};

struct RefreshReport {
  bool published = false;        // a new snapshot replaced the previous one
  std::uint64_t generation = 0;  // of the snapshot in use afterwards
  std::vector<SourceStatus> sources;
  [[nodiscard]] bool ok() const noexcept;
  [[nodiscard]] std::vector<std::string> errors() const;  // one line per failing source
};

// Lookup outcomes since start; unattributed traffic is counted, never dropped.
struct AttributionCounters {
  std::uint64_t lookups = 0;
  std::uint64_t high = 0;
  std::uint64_t medium = 0;
  std::uint64_t low = 0;
  std::uint64_t unattributed = 0;  // no person
  std::uint64_t no_device = 0;     // not even a MAC
  std::uint64_t randomised_mac = 0;
};

class Attributor {
 public:
  // Reads the neighbour table; tests inject their own.
  using NeighbourReader = std::function<NeighbourTable()>;

  explicit Attributor(IdentitySources sources, Limits limits = {},
                      NeighbourReader neighbour_reader = {});
  Attributor(const Attributor&) = delete;
  Attributor& operator=(const Attributor&) = delete;

  // Re-reads the files that changed (device, inode, size, mtime, ctime)
  // and the neighbour table, and publishes a new snapshot if anything
  // differs. A source that cannot be read or parsed keeps its previous
  // data. Call it from one housekeeping thread (calls are serialised).
  RefreshReport refresh();

  // New paths (a configuration reload); the next refresh reads every source afresh.
  void set_sources(IdentitySources sources);

  // The snapshot in use: never null (empty until the first refresh).
  [[nodiscard]] std::shared_ptr<const IdentitySnapshot> current() const;
  [[nodiscard]] std::uint64_t generation() const noexcept {
    return generation_.load(std::memory_order_acquire);
  }

  // Looks `ip` up in the current snapshot and counts the outcome. Safe
  // from any thread, and lock-free: each thread keeps its own reference to
  // the snapshot it last used (a thread_local cache) and takes the publish
  // lock only to pick up a newer one.
  [[nodiscard]] Attribution lookup(const IpAddress& ip, std::int64_t now_s) const;

  [[nodiscard]] AttributionCounters counters() const noexcept;

  // The same without a thread_local: a handle one worker owns, holding
  // its own reference to the snapshot. Not shared between threads.
  class Reader {
   public:
    explicit Reader(const Attributor& owner) : owner_(&owner) {}
    [[nodiscard]] Attribution lookup(const IpAddress& ip, std::int64_t now_s);

   private:
    const Attributor* owner_;
    std::shared_ptr<const IdentitySnapshot> snapshot_;
  };

 private:
  // What the Attributor remembers of one file source between refreshes.
  struct FileState {
    struct Signature {
      std::uint64_t dev = 0, ino = 0, size = 0;
      std::int64_t mtime_ns = 0, ctime_ns = 0;
      bool operator==(const Signature&) const = default;
    };
    std::optional<Signature> last_attempt;  // the file as it was at the last read
    bool racy = false;                      // modified within Limits::racy_window_ms of that read
    std::string last_error;                 // of that read, "" when it succeeded
    ParseDiagnostics last_diag;
    bool have_data = false;  // some read succeeded (the data below is in use)
  };
  enum class FileKind : std::uint8_t { Dnsmasq, Dhcpd, People };
  // Reads and parses one file source if it changed; returns whether its data changed.
  bool refresh_file(FileKind kind, const std::string& path, FileState& state, SourceStatus& status);
  void count(const Attribution& a) const noexcept;

  mutable std::mutex refresh_mutex_;  // serialises refresh() and set_sources()
  IdentitySources sources_;
  Limits limits_;
  NeighbourReader neighbour_reader_;
  FileState dnsmasq_state_, dhcpd_state_, people_state_;
  std::vector<Lease> dnsmasq_;
  std::vector<Lease> dhcpd_;
  std::vector<Neighbour> neighbours_;  // sorted, to compare with the last read
  PeopleImport people_;
  bool force_publish_ = false;  // set_sources() changed something

  // Publication. Not std::atomic<std::shared_ptr>: libstdc++ 12's load()
  // releases its internal lock with a relaxed store, which ThreadSanitizer
  // reports and weakly ordered CPUs (arm64) may reorder. A reader compares
  // the raw pointer with the snapshot it holds (which, being held, cannot
  // be freed and its address reused) and takes the mutex only when they differ.
  mutable std::mutex publish_mutex_;
  std::shared_ptr<const IdentitySnapshot> published_;  // guarded by publish_mutex_
  std::atomic<const IdentitySnapshot*> published_raw_{nullptr};
  std::atomic<std::uint64_t> generation_{0};
  // Brings `held` up to date with the published snapshot.
  void follow(std::shared_ptr<const IdentitySnapshot>& held) const;

  mutable std::atomic<std::uint64_t> lookups_{0}, high_{0}, medium_{0}, low_{0}, unattributed_{0},
      no_device_{0}, randomised_{0};
};

}  // namespace vigil::identity
