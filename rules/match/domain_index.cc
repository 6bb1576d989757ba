#include "rules/match/domain_index.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <random>
#include <string>

// A hashed suffix index. Every rule domain is stored once in an
// open-addressing table keyed by a 64-bit hash of its labels. A host is
// walked right to left one label at a time; the hash of each label-boundary
// suffix extends the previous one, so the host is hashed once, 8 bytes at a
// time, however many suffixes it has. All probe slots are prefetched before
// any is read so that the cache misses of one host overlap. A slot matches
// only when a second, independent hash chain agrees as well (a 29-bit check
// stored in the slot), so a false match needs both a 64-bit and a 29-bit
// collision under seeds drawn at random for each build: about N * 2^-93 per
// probe with N rule domains (2^-73 at a million). Comparing the stored domain instead costs a
// dependent cache miss on every hit (24.4 -> 16.5 M lookups/s at 1 M rules; rules/match/README.md).
// bench/micro/rules_bench.cc compares this with a naive suffix walk through
// std::unordered_set and with Hyperscan literals; rules/match/README.md has
// the numbers.

namespace vigil::rules {
namespace {

constexpr std::uint64_t kChunkKey = 0xa0761d6478bd642fULL;
constexpr std::uint64_t kLabelKey = 0xe7037ed1a0b428dbULL;
constexpr std::uint64_t kChunkKey2 = 0x8ebc6af09c88c6e3ULL;
constexpr std::uint64_t kLabelKey2 = 0x589965cc75374cc3ULL;
constexpr std::uint32_t kIndirect = 0x80000000U;  // ids field points into ids_
// Slot::meta: three flags, then the check bits of the second hash.
constexpr std::uint32_t kUsed = 0x80000000U;
constexpr std::uint32_t kChildren = 0x40000000U;  // longer rules lie below
constexpr std::uint32_t kRule = 0x20000000U;      // a rule domain (not only a suffix)
constexpr std::uint32_t kCheckMask = 0x1FFFFFFFU;
constexpr std::size_t kMaxDomain = 253;             // longest rule domain
constexpr std::size_t kMaxLabels = kMaxDomain + 1;  // empty labels included

inline std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept {
  __extension__ using U128 = unsigned __int128;
  const U128 r = static_cast<U128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The low `n` bytes (n may exceed 8) of a little-endian word.
inline std::uint64_t keep_bytes(std::uint64_t w, std::size_t n) noexcept {
  return n >= 8 ? w : w & ((std::uint64_t{1} << (8 * n)) - 1);
}

// A name copied into a stack buffer with zeroed padding, so that labels are
// read 8 and 16 bytes at a time without branching on where the name ends.
struct Padded {
  alignas(8) char bytes[kMaxDomain + 32];
  std::size_t size;
  explicit Padded(std::string_view s) noexcept : size(s.size()) {
    std::memcpy(bytes, s.data(), s.size());
    std::memset(bytes + s.size(), 0, 24);
  }
  // Positions of the dots, left to right; returns how many.
  std::size_t dots(std::uint8_t* out) const noexcept {
    constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
    constexpr std::uint64_t kDots = 0x2e2e2e2e2e2e2e2eULL;
    std::size_t n = 0;
    for (std::size_t j = 0; j < size; j += 8) {
      const std::uint64_t x = load8(bytes + j) ^ kDots;  // zero bytes were dots
      std::uint64_t m = ~(((x & kLow7) + kLow7) | x | kLow7);
      while (m != 0) {
        out[n++] = static_cast<std::uint8_t>(j + static_cast<std::size_t>(std::countr_zero(m)) / 8);
        m &= m - 1;
      }
    }
    return n;
  }
};

// The two suffix hashes of a name: `hash` places the slot, `check` confirms
// it. Both chains have their own seed and keys, so they are independent.
struct SuffixHash {
  std::uint64_t hash;
  std::uint64_t check;
  [[nodiscard]] std::uint32_t check_bits() const noexcept {
    return static_cast<std::uint32_t>(check >> 35) & kCheckMask;
  }
};

// Extends the suffix hashes by one label on their left. Labels are hashed
// whole (bytes and length), so the result depends only on the label
// sequence: "example.com" hashes the same alone and inside "a.example.com".
// One multiply per chain for labels up to 16 bytes, which is nearly all of
// them; the two chains' multiplies are independent and overlap.
inline SuffixHash extend(SuffixHash h, const char* label, std::size_t len) noexcept {
  std::size_t i = 0;
  for (; len - i > 16; i += 16) {
    const std::uint64_t a = load8(label + i);
    const std::uint64_t b = load8(label + i + 8);
    h.hash = mum(h.hash ^ a ^ kChunkKey, b ^ kLabelKey);
    h.check = mum(h.check ^ b ^ kChunkKey2, a ^ kLabelKey2);
  }
  const std::size_t rest = len - i;
  const std::uint64_t w0 = keep_bytes(load8(label + i), rest);
  const std::uint64_t w1 = rest > 8 ? keep_bytes(load8(label + i + 8), rest - 8) : 0;
  const std::uint64_t tail = len << 1 | 1;
  return {mum(h.hash ^ w0 ^ kChunkKey, w1 ^ kLabelKey ^ tail) + h.hash,
          mum(h.check ^ w1 ^ kChunkKey2, w0 ^ kLabelKey2 ^ tail) + h.check};
}

// Memory for the big read-only arrays, on transparent huge pages where the
// kernel allows (madvise mode): a 32 MB table on 4 KB pages costs a TLB miss
// on most probes.
template <class T>
class LargeArray {
 public:
  LargeArray() = default;
  explicit LargeArray(std::size_t n) : n_(n) {
    if (n == 0) return;
    if (n > (std::size_t{1} << 40) / sizeof(T)) throw std::bad_alloc();
    const std::size_t bytes = (n * sizeof(T) + kHuge - 1) / kHuge * kHuge;
    void* p = bytes >= kHuge ? std::aligned_alloc(kHuge, bytes) : std::malloc(n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    if (bytes >= kHuge) ::madvise(p, bytes, MADV_HUGEPAGE);
#endif
    p_.reset(static_cast<T*>(p));
    for (std::size_t i = 0; i < n; ++i) new (p_.get() + i) T{};
  }
  T& operator[](std::size_t i) noexcept { return p_.get()[i]; }
  const T& operator[](std::size_t i) const noexcept { return p_.get()[i]; }
  T* data() noexcept { return p_.get(); }
  const T* data() const noexcept { return p_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }

 private:
  static constexpr std::size_t kHuge = 2U << 20;
  struct Free {
    void operator()(T* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<T, Free> p_;
  std::size_t n_ = 0;
};

}  // namespace

struct DomainIndex::Impl {
  // One slot per rule domain and per proper label-suffix of one ("com",
  // "example.com" for "a.example.com"), so a host's walk from the right stops
  // at the first suffix that is absent or has nothing longer below it.
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t meta = 0;  // kUsed | kChildren | kRule | check bits (of the rule)
    std::uint32_t ids = 0;   // a rule id, or kIndirect | offset in ids_
  };
  struct Pending {
    SuffixHash hash;
    std::uint32_t str;
    std::uint32_t id;
  };

  std::string staging_;             // length byte then domain, per add(); freed by build()
  std::vector<Pending> pending_;    // emptied by build()
  LargeArray<Slot> slots_;          // power of two, load <= 0.7
  std::vector<std::uint32_t> ids_;  // count, then ids, per shared domain
  SuffixHash seed_{0, 0};
  unsigned shift_ = 63;
  std::size_t used_ = 0;
  std::size_t domains_ = 0;

  [[nodiscard]] std::size_t home(std::uint64_t h) const noexcept {
    return static_cast<std::size_t>(h >> shift_);
  }
  [[nodiscard]] std::string_view staged(std::uint32_t off) const noexcept {
    return {staging_.data() + off + 1, static_cast<unsigned char>(staging_[off])};
  }
  // The slot holding `h`, or nullptr.
  [[nodiscard]] const Slot* find(std::uint64_t h) const noexcept {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = home(h);; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.meta == 0) return nullptr;
      if (s.hash == h) return &s;
    }
  }
  Slot& insert(std::uint64_t h);
  bool build_with_seed();
};

namespace {

SuffixHash hash_domain(std::string_view d, SuffixHash seed) noexcept {
  const Padded name(d);
  std::uint8_t dots[kMaxLabels];
  std::size_t n = name.dots(dots);
  SuffixHash h = seed;
  std::size_t label_end = d.size();
  while (n > 0) {
    const std::size_t dot = dots[--n];
    h = extend(h, name.bytes + dot + 1, label_end - dot - 1);
    label_end = dot;
  }
  return extend(h, name.bytes, label_end);
}

}  // namespace

DomainIndex::Impl::Slot& DomainIndex::Impl::insert(std::uint64_t h) {
  if ((used_ + 1) * 10 > slots_.size() * 7) {
    LargeArray<Slot> old = std::move(slots_);
    slots_ = LargeArray<Slot>(std::max<std::size_t>(16, old.size() * 2));
    shift_ = 64U - static_cast<unsigned>(std::countr_zero(slots_.size()));
    for (std::size_t i = 0; i < old.size(); ++i) {
      if (old[i].meta == 0) continue;
      std::size_t at = home(old[i].hash);
      while (slots_[at].meta != 0) at = (at + 1) & (slots_.size() - 1);
      slots_[at] = old[i];
    }
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(h);
  for (; slots_[i].meta != 0; i = (i + 1) & mask) {
    if (slots_[i].hash == h) return slots_[i];
  }
  ++used_;
  slots_[i].hash = h;
  slots_[i].meta = kUsed;
  return slots_[i];
}

// False if two different rule domains share a slot hash under this seed.
bool DomainIndex::Impl::build_with_seed() {
  for (auto& p : pending_) p.hash = hash_domain(staged(p.str), seed_);
  // Equal domains become adjacent; stable so that rule ids keep add() order.
  std::stable_sort(pending_.begin(), pending_.end(), [&](const auto& a, const auto& b) {
    if (a.hash.hash != b.hash.hash) return a.hash.hash < b.hash.hash;
    return staged(a.str) < staged(b.str);
  });
  std::size_t unique = 0;
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    if (i > 0 && pending_[i].hash.hash == pending_[i - 1].hash.hash) {
      if (staged(pending_[i].str) != staged(pending_[i - 1].str)) return false;
      continue;
    }
    ++unique;
  }
  slots_ = LargeArray<Slot>(std::bit_ceil(std::max<std::size_t>(16, unique * 10 / 7 + 1)));
  shift_ = 64U - static_cast<unsigned>(std::countr_zero(slots_.size()));
  used_ = 0;
  ids_.clear();
  domains_ = unique;
  for (std::size_t i = 0; i < pending_.size();) {
    std::size_t j = i + 1;
    while (j < pending_.size() && pending_[j].hash.hash == pending_[i].hash.hash) ++j;
    const Pending& p = pending_[i];
    std::uint32_t ids = p.id;
    if (j - i > 1 || (ids & kIndirect) != 0) {
      ids = kIndirect | static_cast<std::uint32_t>(ids_.size());
      ids_.push_back(static_cast<std::uint32_t>(j - i));
      for (std::size_t k = i; k < j; ++k) ids_.push_back(pending_[k].id);
    }
    Slot& s = insert(p.hash.hash);
    s.meta = (s.meta & (kUsed | kChildren)) | kRule | p.hash.check_bits();
    s.ids = ids;
    // Mark every proper label-suffix as having something longer below it.
    const Padded name(staged(p.str));
    std::uint8_t dots[kMaxLabels];
    std::size_t n = name.dots(dots);
    SuffixHash h = seed_;
    std::size_t label_end = name.size;
    while (n > 0) {
      const std::size_t dot = dots[--n];
      h = extend(h, name.bytes + dot + 1, label_end - dot - 1);
      label_end = dot;
      insert(h.hash).meta |= kChildren;
    }
    i = j;
  }
  return true;
}

DomainIndex::DomainIndex() : impl_(std::make_unique<Impl>()) {}
DomainIndex::~DomainIndex() = default;
DomainIndex::DomainIndex(DomainIndex&&) noexcept = default;
DomainIndex& DomainIndex::operator=(DomainIndex&&) noexcept = default;

void DomainIndex::add(std::string_view domain, std::uint32_t rule_id) {
  Impl& m = *impl_;
  if (domain.empty() || domain.size() > kMaxDomain) return;  // lists validate first
  assert(m.staging_.size() + domain.size() + 1 < std::numeric_limits<std::uint32_t>::max());
  const auto off = static_cast<std::uint32_t>(m.staging_.size());
  m.staging_.push_back(static_cast<char>(domain.size()));
  m.staging_.append(domain);
  m.pending_.push_back({SuffixHash{0, 0}, off, rule_id});
}

void DomainIndex::build() {
  Impl& m = *impl_;
  // Fresh seeds for every build, so nobody outside can aim a name at a
  // collision. Two rule domains sharing a 64-bit hash is vanishingly rare;
  // when it happens, draw again so that one slot means one domain.
  std::random_device entropy;
  auto draw = [&entropy] { return (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy(); };
  do {
    m.seed_ = {draw(), draw()};
  } while (!m.build_with_seed());
  std::string().swap(m.staging_);
  std::vector<Impl::Pending>().swap(m.pending_);
  m.ids_.shrink_to_fit();
}

void DomainIndex::match(std::string_view host, std::vector<std::uint32_t>& out) const noexcept {
  const Impl& m = *impl_;
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || m.domains_ == 0) return;
  // No rule is longer than kMaxDomain, so only the host's tail can match; a
  // cut inside a label leaves no boundary at the cut.
  bool boundary_at_start = true;
  if (host.size() > kMaxDomain) {
    boundary_at_start = host[host.size() - kMaxDomain - 1] == '.';
    host.remove_prefix(host.size() - kMaxDomain);
  }

  // Pass 1: the hash and start of every label-boundary suffix, shortest
  // first, with its home slot prefetched so that the misses overlap.
  const Padded name(host);
  std::uint8_t dots[kMaxLabels];
  std::size_t d = name.dots(dots);
  std::uint64_t hashes[kMaxLabels];
  std::uint32_t checks[kMaxLabels];
  std::size_t n = 0;
  SuffixHash h = m.seed_;
  std::size_t label_end = host.size();
  auto push = [&](std::size_t start) noexcept {
    h = extend(h, name.bytes + start, label_end - start);
    hashes[n] = h.hash;
    checks[n] = h.check_bits();
    __builtin_prefetch(&m.slots_[m.home(h.hash)]);
    ++n;
  };
  while (d > 0) {
    const std::size_t dot = dots[--d];
    push(dot + 1);
    label_end = dot;
  }
  if (boundary_at_start) push(0);

  // Pass 2: walk shortest first and stop at the first suffix that is absent
  // or has no longer rule below it; usually after the TLD or the
  // registrable domain.
  const Impl::Slot* found[kMaxLabels];
  std::size_t hits = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const Impl::Slot* s = m.find(hashes[k]);
    if (s == nullptr) break;
    if ((s->meta & (kRule | kCheckMask)) == (kRule | checks[k])) found[hits++] = s;
    if ((s->meta & kChildren) == 0) break;
  }
  // Most specific first.
  while (hits > 0) {
    const Impl::Slot* s = found[--hits];
    if ((s->ids & kIndirect) == 0) {
      out.push_back(s->ids);
    } else {
      const std::uint32_t* ids = m.ids_.data() + (s->ids & ~kIndirect);
      out.insert(out.end(), ids + 1, ids + 1 + ids[0]);
    }
  }
}

std::size_t DomainIndex::size() const noexcept { return impl_->domains_; }

std::size_t DomainIndex::memory_bytes() const noexcept {
  const Impl& m = *impl_;
  return sizeof(Impl) + m.staging_.capacity() + m.pending_.capacity() * sizeof(Impl::Pending) +
         m.slots_.size() * sizeof(Impl::Slot) + m.ids_.capacity() * sizeof(std::uint32_t);
}

}  // namespace vigil::rules
