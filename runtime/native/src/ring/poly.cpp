#include "poly.h"

#include <sys/mman.h>

#include <map>
#include <mutex>
#include <vector>

namespace hec {

namespace {
constexpr size_t kCacheBytes = size_t(1) << 30;  // at most 1 GiB kept for reuse
struct Cache {
  std::mutex mu;
  std::multimap<size_t, void*> free;  // size -> block
  std::map<void*, size_t> sizes;      // every live or cached block we handed out
  size_t cached = 0;
};
Cache& cache() {
  static Cache* c = new Cache();  // leaked on purpose: buffers may be freed during static destruction
  return *c;
}
}  // namespace

void* poly_alloc(size_t bytes) {
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> g(c.mu);
    auto it = c.free.find(bytes);
    if (it != c.free.end()) {
      void* p = it->second;
      c.free.erase(it);
      c.cached -= bytes;
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
  size_t bytes = it == c.sizes.end() ? 0 : it->second;
  if (bytes == 0 || c.cached + bytes > kCacheBytes) {
    if (it != c.sizes.end()) c.sizes.erase(it);
    std::free(p);
    return;
  }
  c.free.emplace(bytes, p);
  c.cached += bytes;
}

}  // namespace hec
