// RNS polynomial storage: `nq` limbs modulo q_0..q_{nq-1} followed by `np` limbs modulo the special primes.
// One 64-byte-aligned allocation (AVX-512 loads), uninitialised on creation: every producer writes every word.
#pragma once
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <memory>

#include "modarith.h"

namespace hec {

// Large polynomial buffers are recycled through a small size-keyed cache: glibc serves big blocks with fresh mmaps,
// and the kernel's page zeroing on first touch cost ~10% of a key switch at N = 2^16.
void* poly_alloc(size_t bytes);
void poly_free(void* p);
struct AlignedFree {
  void operator()(u64* p) const { poly_free(p); }
};


struct RnsPoly {
  size_t N = 0;
  int nq = 0, np = 0;
  std::unique_ptr<u64[], AlignedFree> buf;

  RnsPoly() = default;
  RnsPoly(size_t N_, int nq_, int np_) : N(N_), nq(nq_), np(np_) {
    size_t bytes = N * (size_t)(nq + np) * sizeof(u64);
    bytes = (bytes + 63) & ~(size_t)63;
    buf.reset((u64*)poly_alloc(bytes == 0 ? 64 : bytes));
  }
  RnsPoly(RnsPoly&&) = default;
  RnsPoly& operator=(RnsPoly&&) = default;
  int limbs() const { return nq + np; }
  u64* limb(int i) { return buf.get() + (size_t)i * N; }
  const u64* limb(int i) const { return buf.get() + (size_t)i * N; }
  size_t words() const { return N * (size_t)limbs(); }
  RnsPoly clone() const {
    RnsPoly r(N, nq, np);
    std::memcpy(r.buf.get(), buf.get(), words() * sizeof(u64));
    return r;
  }
  void zero() { std::memset(buf.get(), 0, words() * sizeof(u64)); }
};

}  // namespace hec
