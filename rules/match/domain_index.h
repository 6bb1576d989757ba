#pragma once
// Domain rules matched at label boundaries: a rule "example.com" matches
// "example.com" and "a.example.com", never "badexample.com". Built once per
// rule snapshot (off the packet path), then read-only and shared by all
// workers. The structure was chosen by measurement (bench/README.md).

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace vigil::rules {

class DomainIndex {
 public:
  DomainIndex();
  ~DomainIndex();
  DomainIndex(DomainIndex&&) noexcept;
  DomainIndex& operator=(DomainIndex&&) noexcept;

  // Before build(): `domain` is lowercase ASCII without a trailing dot.
  // Several rules may share a domain.
  void add(std::string_view domain, std::uint32_t rule_id);
  void build();

  // Appends the ids of every rule whose domain is `host` or a parent of it,
  // most specific (longest) domain first. `host` must be lowercase; a
  // trailing dot is ignored. No allocation beyond `out` growing.
  void match(std::string_view host, std::vector<std::uint32_t>& out) const noexcept;

  [[nodiscard]] std::size_t size() const noexcept;          // domains
  [[nodiscard]] std::size_t memory_bytes() const noexcept;  // approximate heap use

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::rules
