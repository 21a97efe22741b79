// Randomness from the OS CSPRNG only (getrandom(2), falling back to /dev/urandom); never rand().
// Buffered so that sampling a 2^16-coefficient polynomial is a few syscalls.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "modarith.h"

namespace hec {

class Csprng {
 public:
  Csprng();
  void fill(void* dst, size_t n);
  u64 next64();
  // Uniform in [0, q) by rejection from the smallest covering power of two (no modulo bias).
  void uniform_mod(u64* out, size_t n, u64 q);
  // Centred binomial with η = 21 (σ = sqrt(21/2) ≈ 3.24, the σ = 3.2 error of the HE standard), as signed ints.
  void cbd(int64_t* out, size_t n);
  // Uniform ternary {-1, 0, 1}.
  void ternary(int64_t* out, size_t n);
  // Ternary with exactly h nonzero entries (sparse secret, for bootstrapping).
  void sparse_ternary(int64_t* out, size_t n, size_t h);

 private:
  std::vector<uint8_t> buf_;
  size_t pos_;
  void refill();
};

}  // namespace hec
