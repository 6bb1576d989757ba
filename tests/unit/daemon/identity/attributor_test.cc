#include "daemon/identity/attributor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/identity/text_util.h"

namespace vigil::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

IpAddress ip(std::string_view s) { return *detail::parse_ip(s); }
MacAddress mac(std::string_view s) { return *MacAddress::parse(s); }

constexpr std::int64_t kNow = 1'704'877'200;  // 2024-01-10 09:00:00 UTC

const MacAddress kAliceLaptop = mac("3c:22:fb:01:02:03");
const MacAddress kAlicePhone = mac("da:a1:19:00:00:01");  // a private (randomised) address
const MacAddress kStranger = mac("3c:22:fb:99:99:99");

Lease lease(std::string_view addr, MacAddress m, std::string host, std::int64_t expires,
            LeaseSource source = LeaseSource::Dnsmasq) {
  Lease l;
  l.ip = ip(addr);
  l.mac = m;
  l.hostname = std::move(host);
  l.expires_s = expires;
  l.source = source;
  return l;
}

std::vector<Person> people() {
  return {Person{"L0001", "Alice Smith", "Plumbing L2", "learners-16-18", true},
          Person{"S0002", "Bob Jones", "", "staff", false}};
}
std::vector<DeviceOwner> devices() {
  return {DeviceOwner{kAliceLaptop, "L0001"}, DeviceOwner{kAlicePhone, "L0001"}};
}

// ------------------------------------------------------------ precedence

TEST(Attribution, CsvDeviceWithACurrentLeaseIsHigh) {
  const IdentitySnapshot s({lease("10.0.0.5", kAliceLaptop, "alice-laptop", kNow + 3600)}, {}, {},
                           people(), devices());
  const Attribution a = s.lookup(ip("10.0.0.5"), kNow);
  EXPECT_EQ(a.mac, kAliceLaptop);
  EXPECT_EQ(a.hostname, "alice-laptop");
  EXPECT_EQ(a.person_reference, "L0001");
  EXPECT_EQ(a.group, "learners-16-18");
  EXPECT_EQ(a.cohort, "Plumbing L2");
  EXPECT_EQ(a.under_18, true);
  EXPECT_EQ(a.source, "csv+dnsmasq");
  EXPECT_EQ(a.confidence, Confidence::High);
  EXPECT_TRUE(a.lease_current);
  EXPECT_FALSE(a.mac_randomised);
  EXPECT_FALSE(a.conflict);
  EXPECT_TRUE(a.attributed());
}

TEST(Attribution, AgreeingNeighbourKeepsTheLeaseAsSource) {
  const IdentitySnapshot s(
      {}, {lease("10.0.0.5", kAliceLaptop, "alice", kNow + 3600, LeaseSource::Dhcpd)},
      {Neighbour{ip("10.0.0.5"), kAliceLaptop, NeighbourState::Reachable, 2}}, people(), devices());
  const Attribution a = s.lookup(ip("10.0.0.5"), kNow);
  EXPECT_EQ(a.source, "csv+dhcpd");
  EXPECT_EQ(a.confidence, Confidence::High);
}

TEST(Attribution, LeaseOnlyIsMediumAndUnattributed) {
  const IdentitySnapshot s({lease("10.0.0.6", kStranger, "visitor", kNow + 60)}, {}, {}, people(),
                           devices());
  const Attribution a = s.lookup(ip("10.0.0.6"), kNow);
  EXPECT_EQ(a.mac, kStranger);
  EXPECT_EQ(a.hostname, "visitor");
  EXPECT_EQ(a.person_reference, "");
  EXPECT_EQ(a.under_18, std::nullopt);
  EXPECT_EQ(a.source, "dnsmasq");
  EXPECT_EQ(a.confidence, Confidence::Medium);
  EXPECT_FALSE(a.attributed());
}

TEST(Attribution, NeighbourOnly) {
  const IdentitySnapshot s({}, {},
                           {Neighbour{ip("10.0.0.7"), kAliceLaptop, NeighbourState::Stale, 2},
                            Neighbour{ip("10.0.0.8"), kStranger, NeighbourState::Reachable, 2}},
                           people(), devices());
  const Attribution known = s.lookup(ip("10.0.0.7"), kNow);
  EXPECT_EQ(known.person_reference, "L0001");
  EXPECT_EQ(known.source, "csv+neighbour");
  EXPECT_EQ(known.confidence, Confidence::Medium);
  EXPECT_EQ(known.hostname, "");
  const Attribution unknown = s.lookup(ip("10.0.0.8"), kNow);
  EXPECT_EQ(unknown.source, "neighbour");
  EXPECT_EQ(unknown.confidence, Confidence::Medium);
  EXPECT_EQ(unknown.mac, kStranger);
}

TEST(Attribution, ExpiredLeaseAloneIsLow) {
  const IdentitySnapshot s({lease("10.0.0.5", kAliceLaptop, "alice", kNow - 1)}, {}, {}, people(),
                           devices());
  const Attribution a = s.lookup(ip("10.0.0.5"), kNow);
  EXPECT_EQ(a.person_reference, "L0001");
  EXPECT_EQ(a.source, "csv+dnsmasq");
  EXPECT_EQ(a.confidence, Confidence::Low);
  EXPECT_FALSE(a.lease_current);
  // The same lookup at a time the lease held is High: packet time decides.
  EXPECT_EQ(s.lookup(ip("10.0.0.5"), kNow - 2).confidence, Confidence::High);
}

TEST(Attribution, ExpiredLeaseConfirmedByTheNeighbourTable) {
  const IdentitySnapshot s({lease("10.0.0.5", kAliceLaptop, "alice", kNow - 1)}, {},
                           {Neighbour{ip("10.0.0.5"), kAliceLaptop, NeighbourState::Reachable, 2}},
                           people(), devices());
  const Attribution a = s.lookup(ip("10.0.0.5"), kNow);
  EXPECT_EQ(a.source, "csv+neighbour");
  EXPECT_EQ(a.confidence, Confidence::Medium);
  EXPECT_EQ(a.hostname, "alice");  // the same device
}

TEST(Attribution, NeighbourTableBeatsADisagreeingLease) {
  // Someone set a static address that the DHCP server leased to Alice.
  const IdentitySnapshot s({lease("10.0.0.5", kAliceLaptop, "alice", kNow + 3600)}, {},
                           {Neighbour{ip("10.0.0.5"), kStranger, NeighbourState::Reachable, 2}},
                           people(), devices());
  const Attribution a = s.lookup(ip("10.0.0.5"), kNow);
  EXPECT_EQ(a.mac, kStranger);
  EXPECT_EQ(a.person_reference, "");
  EXPECT_EQ(a.hostname, "");  // Alice's host name is not the stranger's
  EXPECT_TRUE(a.conflict);
  EXPECT_EQ(a.source, "neighbour");
  EXPECT_EQ(a.confidence, Confidence::Medium);
}

TEST(Attribution, NothingKnownIsLowAndSaysSo) {
  const IdentitySnapshot s({}, {}, {}, people(), devices());
  const Attribution a = s.lookup(ip("10.0.0.99"), kNow);
  EXPECT_FALSE(a.mac);
  EXPECT_EQ(a.source, "ip");
  EXPECT_EQ(a.confidence, Confidence::Low);
  EXPECT_FALSE(a.attributed());
}

TEST(Attribution, RandomisedMacIsRecorded) {
  const IdentitySnapshot s({lease("10.0.0.9", kAlicePhone, "iPhone", kNow + 60),
                            lease("10.0.0.10", mac("fe:00:00:00:00:01"), "android", kNow + 60)},
                           {}, {}, people(), devices());
  const Attribution listed = s.lookup(ip("10.0.0.9"), kNow);
  EXPECT_TRUE(listed.mac_randomised);
  EXPECT_EQ(listed.person_reference, "L0001");
  EXPECT_EQ(listed.confidence, Confidence::High);
  const Attribution unlisted = s.lookup(ip("10.0.0.10"), kNow);
  EXPECT_TRUE(unlisted.mac_randomised);
  EXPECT_FALSE(unlisted.attributed());
}

TEST(Attribution, Ipv6LeaseWithADuidMacIsAtMostMedium) {
  Lease v6 = lease("fd00:10::20", kAliceLaptop, "alice", kNow + 60);
  v6.mac_from_duid = true;
  const IdentitySnapshot alone({v6}, {}, {}, people(), devices());
  const Attribution a = alone.lookup(ip("fd00:10::20"), kNow);
  EXPECT_EQ(a.person_reference, "L0001");
  EXPECT_EQ(a.source, "csv+dnsmasq");
  EXPECT_EQ(a.confidence, Confidence::Medium);
  // A DUID names some interface of the client: a different MAC on the wire is no conflict.
  const IdentitySnapshot with_nb(
      {v6}, {}, {Neighbour{ip("fd00:10::20"), kAlicePhone, NeighbourState::Reachable, 2}}, people(),
      devices());
  const Attribution b = with_nb.lookup(ip("fd00:10::20"), kNow);
  EXPECT_EQ(b.mac, kAlicePhone);
  EXPECT_FALSE(b.conflict);
  EXPECT_EQ(b.source, "csv+neighbour");
}

TEST(Attribution, CurrentLeaseWithoutAMacGivesTheHostnameOnly) {
  Lease v6 = lease("fd00:10::21", kStranger, "printer", kNow + 60);
  v6.mac.reset();
  const IdentitySnapshot s({v6}, {}, {}, people(), devices());
  const Attribution a = s.lookup(ip("fd00:10::21"), kNow);
  EXPECT_FALSE(a.mac);
  EXPECT_EQ(a.hostname, "printer");
  EXPECT_EQ(a.source, "dnsmasq");
  EXPECT_EQ(a.confidence, Confidence::Low);
}

TEST(Attribution, BothServersKnowTheAddress) {
  const IdentitySnapshot s(
      {lease("10.0.0.5", kAliceLaptop, "from-dnsmasq", kNow - 10)},
      {lease("10.0.0.5", kStranger, "from-dhcpd", kNow + 10, LeaseSource::Dhcpd)}, {}, people(),
      devices());
  // The current one wins...
  EXPECT_EQ(s.lookup(ip("10.0.0.5"), kNow).hostname, "from-dhcpd");
  // ...and when both hold, the one that holds longer.
  EXPECT_EQ(s.lookup(ip("10.0.0.5"), kNow - 20).hostname, "from-dhcpd");
  const IdentitySnapshot t(
      {lease("10.0.0.5", kAliceLaptop, "from-dnsmasq", kNow + 20)},
      {lease("10.0.0.5", kStranger, "from-dhcpd", kNow + 10, LeaseSource::Dhcpd)}, {}, people(),
      devices());
  EXPECT_EQ(t.lookup(ip("10.0.0.5"), kNow).hostname, "from-dnsmasq");
}

TEST(Attribution, InactiveBindingIsNotCurrent) {
  Lease l = lease("10.0.0.5", kAliceLaptop, "alice", kNever, LeaseSource::Dhcpd);
  l.active = false;  // binding state free
  const IdentitySnapshot s({}, {l}, {}, people(), devices());
  EXPECT_EQ(s.lookup(ip("10.0.0.5"), kNow).confidence, Confidence::Low);
}

TEST(Attribution, V4AndV6AddressesWithTheSameBytesAreDistinct) {
  // 10.0.0.5 as v4 lives in bytes[0..3]; a v6 address starting 0a00:0005 must not collide.
  const IdentitySnapshot s({lease("10.0.0.5", kAliceLaptop, "v4", kNow + 60)}, {}, {}, people(),
                           devices());
  EXPECT_EQ(s.lookup(ip("a00:5::"), kNow).source, "ip");
}

// ------------------------------------------------------------ Attributor and refresh

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-identity-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::string file(std::string_view name) const {
    return path_ + "/" + std::string(name);
  }
  // Written to a temporary name and renamed, as tools that replace files do.
  void write(std::string_view name, std::string_view text) const {
    const std::string tmp = file(std::string(name) + ".tmp");
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << text;
    }
    std::filesystem::rename(tmp, file(name));
  }

 private:
  std::string path_;
};

constexpr std::string_view kDnsmasq =
    "1704880800 3c:22:fb:01:02:03 10.0.0.5 alice-laptop 01:3c:22:fb:01:02:03\n"
    "1704880800 3c:22:fb:99:99:99 10.0.0.6 visitor *\n";
constexpr std::string_view kPeople =
    "reference,name,group,under_18,devices\n"
    "L0001,Alice Smith,learners-16-18,yes,3c:22:fb:01:02:03\n";

struct FakeNeighbours {
  std::vector<Neighbour> entries;
  std::string error;
  int calls = 0;
  Attributor::NeighbourReader reader() {
    return [this] {
      ++calls;
      NeighbourTable t;
      t.method = "fake";
      t.entries = entries;
      t.diag.error = error;
      return t;
    };
  }
};

const SourceStatus* status_of(const RefreshReport& r, std::string_view name) {
  for (const auto& s : r.sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST(Attributor, SourcesComeFromTheIdentityKeys) {
  const std::vector<std::string> overrides = {
      "identity.dnsmasq_leases=/var/lib/misc/dnsmasq.leases",
      "identity.people_csv=/etc/vigil/people.csv", "identity.neighbour_table=false"};
  const auto loaded = config::load_text("", "test.toml", overrides);
  ASSERT_TRUE(loaded) << loaded.errors.front();
  const IdentitySources s = sources_from_config(*loaded.config);
  EXPECT_EQ(s.dnsmasq_leases, "/var/lib/misc/dnsmasq.leases");
  EXPECT_EQ(s.dhcpd_leases, "");
  EXPECT_EQ(s.people_csv, "/etc/vigil/people.csv");
  EXPECT_FALSE(s.neighbour_table);
  EXPECT_TRUE(sources_from_config(config::Config{}).neighbour_table);  // the default
}

TEST(Attributor, EmptyBeforeTheFirstRefresh) {
  Attributor at(IdentitySources{}, {}, [] { return NeighbourTable{}; });
  ASSERT_NE(at.current(), nullptr);
  EXPECT_EQ(at.generation(), 0u);
  EXPECT_EQ(at.lookup(ip("10.0.0.5"), kNow).source, "ip");
  EXPECT_EQ(at.counters().unattributed, 1u);
}

TEST(Attributor, RefreshReadsEverySourceAndCountsLookups) {
  TempDir dir;
  dir.write("dnsmasq.leases", kDnsmasq);
  dir.write("people.csv", kPeople);
  FakeNeighbours nb;
  nb.entries = {Neighbour{ip("10.0.0.7"), kStranger, NeighbourState::Stale, 2}};
  Attributor at(IdentitySources{dir.file("dnsmasq.leases"), "", dir.file("people.csv"), true}, {},
                nb.reader());
  const RefreshReport r = at.refresh();
  EXPECT_TRUE(r.ok()) << (r.errors().empty() ? "" : r.errors()[0]);
  EXPECT_TRUE(r.published);
  EXPECT_EQ(r.generation, 1u);
  ASSERT_THAT(r.sources, SizeIs(3));
  EXPECT_EQ(status_of(r, "dnsmasq")->entries, 2u);
  EXPECT_EQ(status_of(r, "people")->entries, 1u);
  EXPECT_EQ(status_of(r, "neighbours")->entries, 1u);
  EXPECT_TRUE(status_of(r, "dnsmasq")->reread);

  const Attribution a = at.lookup(ip("10.0.0.5"), kNow);
  EXPECT_EQ(a.person_reference, "L0001");
  EXPECT_EQ(a.source, "csv+dnsmasq");
  EXPECT_EQ(a.confidence, Confidence::High);
  EXPECT_EQ(at.lookup(ip("10.0.0.6"), kNow).source, "dnsmasq");
  EXPECT_EQ(at.lookup(ip("10.0.0.7"), kNow).source, "neighbour");
  EXPECT_EQ(at.lookup(ip("10.0.0.8"), kNow).source, "ip");
  const auto c = at.counters();
  EXPECT_EQ(c.lookups, 4u);
  EXPECT_EQ(c.high, 1u);
  EXPECT_EQ(c.medium, 2u);
  EXPECT_EQ(c.low, 1u);
  EXPECT_EQ(c.unattributed, 3u);
  EXPECT_EQ(c.no_device, 1u);
}

TEST(Attributor, UnchangedSourcesPublishNothingNew) {
  TempDir dir;
  dir.write("dnsmasq.leases", kDnsmasq);
  FakeNeighbours nb;
  nb.entries = {Neighbour{ip("10.0.0.7"), kStranger, NeighbourState::Stale, 2}};
  Attributor at(IdentitySources{dir.file("dnsmasq.leases"), "", "", true}, {}, nb.reader());
  ASSERT_TRUE(at.refresh().published);
  // The neighbour's state moves on; who holds the address does not.
  nb.entries[0].state = NeighbourState::Reachable;
  const RefreshReport r = at.refresh();
  EXPECT_FALSE(r.published);
  EXPECT_EQ(r.generation, 1u);
  EXPECT_EQ(nb.calls, 2);
  // A new neighbour is news.
  nb.entries.push_back(Neighbour{ip("10.0.0.8"), kAliceLaptop, NeighbourState::Reachable, 2});
  EXPECT_TRUE(at.refresh().published);
  EXPECT_EQ(at.generation(), 2u);
}

TEST(Attributor, AChangedFileIsReadAgain) {
  TempDir dir;
  dir.write("dnsmasq.leases", kDnsmasq);
  Attributor at(IdentitySources{dir.file("dnsmasq.leases"), "", "", false}, {});
  ASSERT_TRUE(at.refresh().published);
  EXPECT_EQ(at.lookup(ip("10.0.0.5"), kNow).hostname, "alice-laptop");
  dir.write("dnsmasq.leases", "1704880800 3c:22:fb:01:02:03 10.0.0.5 renamed *\n");
  const RefreshReport r = at.refresh();
  EXPECT_TRUE(r.published);
  EXPECT_TRUE(status_of(r, "dnsmasq")->reread);
  EXPECT_EQ(at.lookup(ip("10.0.0.5"), kNow).hostname, "renamed");
  EXPECT_EQ(at.lookup(ip("10.0.0.6"), kNow).source, "ip");
}

TEST(Attributor, ABrokenPeopleFileKeepsThePreviousPeople) {
  TempDir dir;
  dir.write("people.csv", kPeople);
  dir.write("dnsmasq.leases", kDnsmasq);
  Limits limits;
  limits.racy_window_ms = 0;  // files written by the test count as settled at once
  Attributor at(IdentitySources{dir.file("dnsmasq.leases"), "", dir.file("people.csv"), false},
                limits);
  ASSERT_TRUE(at.refresh().ok());
  dir.write("people.csv", std::string(kPeople) + "L0001,Duplicate,x,no,\n");
  const RefreshReport r = at.refresh();
  EXPECT_FALSE(r.ok());
  const SourceStatus* people = status_of(r, "people");
  ASSERT_NE(people, nullptr);
  EXPECT_FALSE(people->ok);
  EXPECT_EQ(people->error, dir.file("people.csv") + ":3: reference 'L0001' already used on line 2");
  EXPECT_EQ(people->entries, 1u);  // the previous import is still in use
  EXPECT_THAT(r.errors(), ElementsAre(people->error));
  EXPECT_TRUE(status_of(r, "dnsmasq")->ok);
  EXPECT_EQ(at.lookup(ip("10.0.0.5"), kNow).person_reference, "L0001");

  // Unchanged and still broken: not parsed again, still reported.
  const RefreshReport again = at.refresh();
  EXPECT_FALSE(status_of(again, "people")->reread);
  EXPECT_FALSE(status_of(again, "people")->ok);

  // Fixed: the new import is used.
  dir.write("people.csv",
            "reference,name,group,devices\nL0009,Someone Else,staff,3c:22:fb:01:02:03\n");
  const RefreshReport fixed = at.refresh();
  EXPECT_TRUE(fixed.ok());
  EXPECT_TRUE(fixed.published);
  EXPECT_EQ(at.lookup(ip("10.0.0.5"), kNow).person_reference, "L0009");
}

TEST(Attributor, UnreadableMissingAndOversizedFilesKeepThePreviousData) {
  TempDir dir;
  dir.write("dnsmasq.leases", kDnsmasq);
  dir.write("dhcpd.leases",
            "lease 10.0.0.20 { binding state active; hardware ethernet 3c:22:fb:01:02:03; }\n");
  Limits limits;
  limits.max_lease_file_bytes = 4096;
  Attributor at(IdentitySources{dir.file("dnsmasq.leases"), dir.file("dhcpd.leases"), "", false},
                limits);
  ASSERT_TRUE(at.refresh().ok());

  std::filesystem::remove(dir.file("dnsmasq.leases"));
  dir.write("dhcpd.leases", std::string(5000, '#'));
  RefreshReport r = at.refresh();
  EXPECT_FALSE(r.published);
  EXPECT_EQ(status_of(r, "dnsmasq")->error,
            dir.file("dnsmasq.leases") + ": No such file or directory");
  EXPECT_EQ(status_of(r, "dhcpd")->error,
            dir.file("dhcpd.leases") + ": larger than 4096 bytes; not read");
  EXPECT_EQ(at.lookup(ip("10.0.0.5"), kNow).hostname, "alice-laptop");
  EXPECT_EQ(at.lookup(ip("10.0.0.20"), kNow).source, "dhcpd");

  // A directory where a file should be.
  std::filesystem::create_directory(dir.file("dnsmasq.leases"));
  r = at.refresh();
  EXPECT_THAT(status_of(r, "dnsmasq")->error, HasSubstr("not a regular file"));
  EXPECT_EQ(at.lookup(ip("10.0.0.5"), kNow).hostname, "alice-laptop");

  // A file with no valid lease at all is taken for the wrong file.
  std::filesystem::remove(dir.file("dnsmasq.leases"));
  dir.write("dnsmasq.leases", "this is not\na lease file\n");
  r = at.refresh();
  EXPECT_THAT(status_of(r, "dnsmasq")->error, HasSubstr("dnsmasq.leases:1: expected 5 fields"));
  EXPECT_THAT(status_of(r, "dnsmasq")->error, HasSubstr("(no valid lease in the file)"));
  EXPECT_EQ(at.lookup(ip("10.0.0.5"), kNow).hostname, "alice-laptop");

  // An empty file is a server with no leases.
  dir.write("dnsmasq.leases", "");
  r = at.refresh();
  EXPECT_TRUE(status_of(r, "dnsmasq")->ok);
  EXPECT_EQ(at.lookup(ip("10.0.0.5"), kNow).source, "ip");
}

TEST(Attributor, AFileModifiedJustBeforeItWasReadIsReadAgain) {
  TempDir dir;
  dir.write("dnsmasq.leases", kDnsmasq);
  Attributor racy(IdentitySources{dir.file("dnsmasq.leases"), "", "", false});
  ASSERT_TRUE(racy.refresh().published);
  const RefreshReport r = racy.refresh();
  EXPECT_TRUE(status_of(r, "dnsmasq")->reread);  // it may have been rewritten in the same tick
  EXPECT_FALSE(r.published);                     // but nothing in it changed

  Limits settled;
  settled.racy_window_ms = 0;
  Attributor at(IdentitySources{dir.file("dnsmasq.leases"), "", "", false}, settled);
  ASSERT_TRUE(at.refresh().published);
  EXPECT_FALSE(status_of(at.refresh(), "dnsmasq")->reread);
}

TEST(Attributor, AFailingNeighbourTableKeepsThePreviousEntries) {
  FakeNeighbours nb;
  nb.entries = {Neighbour{ip("10.0.0.7"), kStranger, NeighbourState::Stale, 2}};
  Attributor at(IdentitySources{}, {}, nb.reader());
  ASSERT_TRUE(at.refresh().ok());
  nb.entries.clear();
  nb.error = "netlink: receive: Resource temporarily unavailable";
  const RefreshReport r = at.refresh();
  EXPECT_THAT(r.errors(), ElementsAre("netlink: receive: Resource temporarily unavailable"));
  EXPECT_EQ(status_of(r, "neighbours")->entries, 1u);
  EXPECT_EQ(at.lookup(ip("10.0.0.7"), kNow).source, "neighbour");
}

TEST(Attributor, NewSourcesDropTheOldData) {
  TempDir dir;
  dir.write("a.leases", kDnsmasq);
  dir.write("b.leases", "0 3c:22:fb:0a:0b:0c 10.0.0.30 other *\n");
  Attributor at(IdentitySources{dir.file("a.leases"), "", "", false});
  ASSERT_TRUE(at.refresh().published);
  at.set_sources(IdentitySources{dir.file("b.leases"), "", "", false});
  ASSERT_TRUE(at.refresh().published);
  EXPECT_EQ(at.lookup(ip("10.0.0.5"), kNow).source, "ip");
  EXPECT_EQ(at.lookup(ip("10.0.0.30"), kNow).hostname, "other");
  at.set_sources(IdentitySources{});
  ASSERT_TRUE(at.refresh().published);
  EXPECT_EQ(at.lookup(ip("10.0.0.30"), kNow).source, "ip");
}

TEST(Attributor, LookupServesEachAttributorItsOwnSnapshot) {
  // Attributor::lookup caches per thread; two live Attributors, and new
  // ones made where old ones were, must never see each other's data.
  TempDir dir;
  dir.write("a.leases", "0 3c:22:fb:01:02:03 10.0.0.5 from-a *\n");
  dir.write("b.leases", "0 3c:22:fb:01:02:03 10.0.0.5 from-b *\n");
  Attributor a(IdentitySources{dir.file("a.leases"), "", "", false});
  Attributor b(IdentitySources{dir.file("b.leases"), "", "", false});
  a.refresh();
  b.refresh();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(a.lookup(ip("10.0.0.5"), kNow).hostname, "from-a");
    EXPECT_EQ(b.lookup(ip("10.0.0.5"), kNow).hostname, "from-b");
  }
  for (int round = 0; round < 5; ++round) {
    const std::string name = "round-" + std::to_string(round);
    dir.write("c.leases", "0 3c:22:fb:01:02:03 10.0.0.5 " + name + " *\n");
    Attributor c(IdentitySources{dir.file("c.leases"), "", "", false});
    EXPECT_EQ(c.lookup(ip("10.0.0.5"), kNow).source, "ip");  // before its first refresh
    c.refresh();
    EXPECT_EQ(c.lookup(ip("10.0.0.5"), kNow).hostname, name);
  }
}

TEST(Attributor, ReadersFollowNewSnapshotsWhileRefreshesRun) {
  TempDir dir;
  dir.write("dnsmasq.leases", kDnsmasq);
  FakeNeighbours nb;
  Attributor at(IdentitySources{dir.file("dnsmasq.leases"), "", "", false}, {}, nb.reader());
  ASSERT_TRUE(at.refresh().published);

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> seen_new{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&, w] {
      Attributor::Reader reader(at);
      while (!stop.load(std::memory_order_relaxed)) {
        // Workers 0 and 2 hold a Reader; worker 1 uses the shared lookup().
        const Attribution a =
            w == 1 ? at.lookup(ip("10.0.0.5"), kNow) : reader.lookup(ip("10.0.0.5"), kNow);
        // Every answer comes from one whole snapshot: never a mix.
        if (a.hostname == "round-final") seen_new.fetch_add(1);
        if (!a.hostname.empty()) {
          EXPECT_TRUE(a.hostname == "alice-laptop" || a.hostname.starts_with("round-"));
        }
      }
    });
  }
  for (int round = 0; round < 30; ++round) {
    dir.write("dnsmasq.leases",
              "1704880800 3c:22:fb:01:02:03 10.0.0.5 round-" + std::to_string(round) + " *\n");
    at.refresh();
  }
  dir.write("dnsmasq.leases", "1704880800 3c:22:fb:01:02:03 10.0.0.5 round-final *\n");
  at.refresh();
  while (seen_new.load() < 30) std::this_thread::yield();
  stop = true;
  for (auto& t : workers) t.join();
  Attributor::Reader reader(at);
  EXPECT_EQ(reader.lookup(ip("10.0.0.5"), kNow).hostname, "round-final");
  EXPECT_GE(at.counters().lookups, 4u);
}

}  // namespace
}  // namespace vigil::identity
