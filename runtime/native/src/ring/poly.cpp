#include "poly.h"

#include <malloc.h>
#include <sys/mman.h>

#include <list>
#include <map>
#include <mutex>
#include <unordered_map>

namespace hec {

namespace {
// Freed blocks are kept for reuse up to this many bytes (1 GiB; HEC_POLY_CACHE_MB overrides). The cache is least-recently-
// freed first out: a bootstrap walks down the levels, so blocks of sizes no longer in use must make room for the
// current ones. A cache that refused new blocks once full kept stale sizes and let every later allocation fault in
// fresh pages (the kernel's page clearing was 24% of a bootstrap's time).
size_t cache_budget() {
  static const size_t b = [] {
    const char* e = getenv("HEC_POLY_CACHE_MB");
    if (e != nullptr && e[0] >= '0' && e[0] <= '9') return (size_t)strtoull(e, nullptr, 10) << 20;
    return size_t(1) << 30;
  }();
  return b;
}
struct Cache {
  std::mutex mu;
  std::list<std::pair<size_t, void*>> lru;  // cached blocks, oldest first
  std::multimap<size_t, std::list<std::pair<size_t, void*>>::iterator> by_size;
  std::unordered_map<void*, size_t> sizes;  // every live or cached block we handed out
  size_t cached = 0;
};
Cache& cache() {
  static Cache* c = [] {
    // Polynomials (up to 2^16 × 31 limbs × 8 B ≈ 16 MB) come from glibc's heap rather than one mmap each, and freed
    // heap memory is not trimmed back to the kernel: a bootstrap allocates and frees gigabytes, and with glibc's
    // defaults each reuse faulted in (and the kernel zeroed) fresh pages — 3–5 s of system time per bootstrap at
    // N = 2^16. The process keeps its peak heap for reuse instead.
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
    return new Cache();  // leaked on purpose: buffers may be freed during static destruction
  }();
  return *c;
}
void evict_oldest(Cache& c) {
  auto [bytes, p] = c.lru.front();
  auto range = c.by_size.equal_range(bytes);
  for (auto it = range.first; it != range.second; ++it)
    if (it->second == c.lru.begin()) {
      c.by_size.erase(it);
      break;
    }
  c.lru.pop_front();
  c.sizes.erase(p);
  c.cached -= bytes;
  std::free(p);
}
}  // namespace

void* poly_alloc(size_t bytes) {
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> g(c.mu);
    // Best fit up to 1.5× the request: a bootstrap walks down the levels, so blocks freed at one level serve the
    // next ones (smaller by a limb or two) instead of each level faulting in fresh pages.
    auto it = c.by_size.lower_bound(bytes);
    if (it != c.by_size.end() && it->first <= bytes + bytes / 2) {
      void* p = it->second->second;
      c.cached -= it->first;
      c.lru.erase(it->second);
      c.by_size.erase(it);
      return p;
    }
  }
  // Large buffers are 2 MiB aligned; with HEC_THP=1 they are also marked for transparent huge pages (fewer page
  // faults for keys of hundreds of MiB, but first touches cost more and may stall on compaction, so it is opt-in).
  constexpr size_t kHuge = size_t(2) << 20;
  void* p = bytes >= 2 * kHuge ? std::aligned_alloc(kHuge, (bytes + kHuge - 1) & ~(kHuge - 1)) : std::aligned_alloc(64, bytes);
  if (!p) throw HecErr("HEC5199", "out of memory allocating a polynomial");
#ifdef MADV_HUGEPAGE
  static const bool thp = getenv("HEC_THP") != nullptr && getenv("HEC_THP")[0] == '1';
  if (bytes >= 2 * kHuge && thp) madvise(p, (bytes + kHuge - 1) & ~(kHuge - 1), MADV_HUGEPAGE);
#endif
  std::lock_guard<std::mutex> g(c.mu);
  c.sizes[p] = bytes;
  return p;
}

void poly_free(void* p) {
  if (!p) return;
  Cache& c = cache();
  std::lock_guard<std::mutex> g(c.mu);
  auto it = c.sizes.find(p);
  const size_t bytes = it == c.sizes.end() ? 0 : it->second;
  if (bytes == 0 || bytes > cache_budget()) {
    if (it != c.sizes.end()) c.sizes.erase(it);
    std::free(p);
    return;
  }
  while (c.cached + bytes > cache_budget() && !c.lru.empty()) evict_oldest(c);
  c.lru.emplace_back(bytes, p);
  c.by_size.emplace(bytes, std::prev(c.lru.end()));
  c.cached += bytes;
}

}  // namespace hec
