// Makes stores for the CLI tests and benchmarks.
//   store_fixture current DB HITS AUDIT_ROWS   a store at the newest schema
//   store_fixture v1 DB                        a version-1 store with rows
// Hits go through the writer; audit rows through Casework.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/casework.h"
#include "store/detail/schema.h"
#include "store/detail/sqlite.h"
#include "store/writer.h"

using namespace vigil::store;

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "current") {
    const std::string db = argv[2];
    const long hits = std::strtol(argv[3], nullptr, 10);
    const long audits = std::strtol(argv[4], nullptr, 10);
    WriterOptions o;
    o.path = db;
    o.batch_delay = std::chrono::milliseconds(5);
    auto w = Writer::open(o);
    if (!w.ok()) {
      std::fprintf(stderr, "store_fixture: %s\n", w.error().message.c_str());
      return 1;
    }
    std::uint64_t last = 0;
    for (long i = 0; i < hits; ++i) {
      HitRecord h;
      h.ts_us = 1'773'576'000'000'000 + i * 1'000'000;
      h.client_ip = "10.5.0." + std::to_string(i % 20);
      h.kind = "domain";
      h.observation = "sni";
      h.value = "fixture-" + std::to_string(i) + ".example";
      h.list = "fixture";
      h.entry = "example";
      h.category = i % 2 ? "gambling" : "extremism";
      h.severity = "caution";
      h.action = "block";
      last = (*w)->append(std::move(h)).ticket;
    }
    if (hits > 0 && !(*w)->wait_acked(last, std::chrono::seconds(60))) return 1;
    (*w)->stop();
    auto cw = Casework::open({db});
    if (!cw.ok()) return 1;
    for (long i = 0; i < audits; ++i) {
      if (!(*cw)->audit("fixture", "test.row", "store", i, "row " + std::to_string(i)).ok())
        return 1;
    }
    return 0;
  }
  if (argc == 3 && std::string(argv[1]) == "v1") {
    auto c = detail::Connection::open(argv[2], detail::OpenMode::Create, std::chrono::seconds(5));
    if (!c.ok()) return 1;
    if (!detail::migrate(*c, 1).ok()) return 1;
    auto s = c->exec(
        "INSERT INTO devices VALUES (1, 'ip:10.0.0.1', '', '10.0.0.1', '', 1, 2);"
        "INSERT INTO hits(ts_us, device_id, client_ip, kind, observation, value, list, entry, "
        "category, severity, action) VALUES (1773576000000000, 1, '10.0.0.1', 'domain', 'dns', "
        "'old.example', 'l', 'old.example', 'gambling', 'advisory', 'log');"
        "INSERT INTO concerns(state, summary, raised_by, raised_us, updated_us) VALUES "
        "('raised', 'kept across the upgrade', 'teacher', 1, 1);",
        "fixture");
    return s.ok() ? 0 : 1;
  }
  std::fprintf(stderr, "usage: store_fixture current DB HITS AUDIT_ROWS | v1 DB\n");
  return 2;
}
