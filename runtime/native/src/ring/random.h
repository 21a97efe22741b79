// Randomness.
//  - Csprng: the OS CSPRNG only (getrandom(2), falling back to /dev/urandom); never rand(). Every secret, error and
//    seed comes from here. Buffered so that sampling a 2^16-coefficient polynomial is a few syscalls.
//  - SeededPrg: ChaCha20 (RFC 8439) keyed by a 32-byte seed, a deterministic PRG that expands a seed into the public
//    uniform half `a` of a key (seed compression: keys travel as (b, seed), the receiver regenerates a). Only public
//    values are ever derived from it; its seeds come from Csprng.
#pragma once
#include <string.h>  // explicit_bzero

#include <cstddef>
#include <cstdint>
#include <vector>

#include "modarith.h"

namespace hec {

// uniform_mod (both generators): uniform in [0, q) by rejection. Draw little-endian 64-bit words, keep the low
// bit_length(q) bits, accept if < q (no modulo bias; at least half of the draws are accepted). For SeededPrg the
// output is therefore a pure function of (seed, nonce, q, n): keystream word i is candidate i.
// Zero memory that held secret-derived values (CSPRNG output, secret coefficients, error samples). explicit_bzero
// (glibc ≥ 2.25, the BSDs) is specified to survive dead-store elimination, unlike a memset before a free.
inline void secure_wipe(void* p, size_t n) {
  if (p != nullptr && n > 0) explicit_bzero(p, n);
}
// Wipes a buffer when the scope ends, also when an exception leaves it.
class WipeOnExit {
 public:
  WipeOnExit(void* p, size_t n) : p_(p), n_(n) {}
  template <class T>
  explicit WipeOnExit(std::vector<T>& v) : p_(v.data()), n_(v.size() * sizeof(T)) {}
  ~WipeOnExit() { secure_wipe(p_, n_); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  void* p_;
  size_t n_;
};

class Csprng {
 public:
  Csprng();
  ~Csprng();  // wipes the buffered OS randomness (future secrets and errors are drawn from it)
  Csprng(const Csprng&) = delete;
  Csprng& operator=(const Csprng&) = delete;
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

// The ChaCha20 block function of RFC 8439 §2.3: 256-bit key (8 little-endian words), 32-bit block counter, 96-bit
// nonce (3 words) -> 64 bytes of keystream.
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64]);
// Keystream bytes [64·counter0, 64·counter0 + n) of (key, nonce), as RFC 8439 §2.4 XORs with the plaintext.
void chacha20_stream(const uint8_t key[32], const uint8_t nonce[12], uint32_t counter0, uint8_t* out, size_t n);

class SeededPrg {
 public:
  // Keystream of ChaCha20(seed, nonce = (n0, n1, n2) as little-endian words), block counter from 0. Callers give each
  // independent stream its own nonce (key purpose, digit, limb), so one seed serves a whole key.
  SeededPrg(const uint8_t seed[32], uint32_t n0, uint32_t n1, uint32_t n2);
  ~SeededPrg();
  void fill(void* dst, size_t n);
  u64 next64();
  void uniform_mod(u64* out, size_t n, u64 q);

 private:
  uint32_t key_[8], nonce_[3], counter_ = 0;
  uint8_t buf_[1024];  // 16 ChaCha20 blocks
  size_t pos_ = sizeof buf_;
  void refill();
};

}  // namespace hec
