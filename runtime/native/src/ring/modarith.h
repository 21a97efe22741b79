// Modular arithmetic on 64-bit words for NTT-friendly primes q < 2^62.
//
// Why these forms:
//  - Shoup multiplication (V. Shoup, NTL; Harvey, "Faster arithmetic for number-theoretic transforms", 2014): for a
//    fixed multiplicand w with w' = floor(w·2^64/q), x·w mod q is computed from one high and two low products and lands
//    in [0, 2q) for any 64-bit x. It is the workhorse of NTT butterflies and of multiplication by per-prime constants.
//  - Barrett reduction of a 128-bit value with the 128-bit ratio floor(2^128/q) (Barrett 1986, the form SEAL uses)
//    for products of two variable operands.
//  - Every conditional subtraction is written with masks: g++ turns `x >= q ? x - q : x` into a branch in loops, and
//    mispredicted branches dominate a butterfly.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace hec {

using u64 = uint64_t;
using u128 = unsigned __int128;
using i64 = int64_t;
using u32 = uint32_t;

// An engine error carrying an HEC5xxx code; the N-API layer turns it into a JS Error "HEC5xxx: message".
struct HecErr : std::runtime_error {
  std::string code;
  HecErr(const char* c, const std::string& m) : std::runtime_error(m), code(c) {}
};

static inline u64 mulhi64(u64 a, u64 b) { return (u64)(((u128)a * b) >> 64); }

// x in [0, 2q) -> [0, q), branch-free.
static inline u64 csub(u64 x, u64 q) {
  u64 y = x - q;
  u64 mask = (u64)0 - (y >> 63);  // all ones when x < q (y wrapped: q < 2^62 keeps bit 63 meaningful)
  return y + (q & mask);
}
static inline u64 addmod(u64 a, u64 b, u64 q) { return csub(a + b, q); }
static inline u64 submod(u64 a, u64 b, u64 q) { return csub(a + q - b, q); }
static inline u64 negmod(u64 a, u64 q) {
  u64 nz = (u64)0 - (u64)(a != 0);
  return (q - a) & nz;
}

static inline u64 shoup_precomp(u64 w, u64 q) { return (u64)(((u128)w << 64) / q); }
// x·w mod q in [0, 2q) for any x < 2^64.
static inline u64 mulshoup_lazy(u64 x, u64 w, u64 wp, u64 q) { return x * w - mulhi64(x, wp) * q; }
static inline u64 mulshoup(u64 x, u64 w, u64 wp, u64 q) { return csub(mulshoup_lazy(x, w, wp, q), q); }

// Per-prime constants for Barrett reduction.
struct Modulus {
  u64 q = 0;
  u64 r1 = 0, r0 = 0;  // floor(2^128 / q) = r1·2^64 + r0
  int bits = 0;
  Modulus() = default;
  explicit Modulus(u64 q_) : q(q_) {
    u128 hi = ((u128)1 << 127) / q;  // 2^128/q = 2·(2^127/q) + correction
    u128 r = (((u128)1 << 127) % q) * 2;
    u128 ratio = hi * 2 + (r >= q ? 1 : 0);
    r1 = (u64)(ratio >> 64);
    r0 = (u64)ratio;
    bits = 64 - __builtin_clzll(q);
  }
  // x mod q for a full 128-bit x (SEAL's barrett_reduce_128 scheme: the estimate is off by at most one q).
  inline u64 reduce128(u128 x) const {
    u64 x0 = (u64)x, x1 = (u64)(x >> 64);
    u64 carry = mulhi64(x0, r0);
    u128 t2 = (u128)x0 * r1;
    u64 t1 = (u64)t2 + carry;
    u64 t3 = (u64)(t2 >> 64) + (t1 < carry);
    t2 = (u128)x1 * r0;
    u64 lo = (u64)t2 + t1;
    carry = (u64)(t2 >> 64) + (lo < t1);
    u64 quot = x1 * r1 + t3 + carry;
    u64 res = x0 - quot * q;
    return csub(res, q);
  }
  // x mod q for a 64-bit x: the quotient estimate ⌊x·⌊2^64/q⌋/2^64⌋ is short by at most 1, so one conditional
  // subtraction finishes (⌊2^64/q⌋ is the high word r1 of the 128-bit ratio).
  inline u64 reduce(u64 x) const { return csub(x - mulhi64(x, r1) * q, q); }
  inline u64 mul(u64 a, u64 b) const { return reduce128((u128)a * b); }
  u64 pow(u64 b, u64 e) const {
    u64 r = 1;
    b = reduce(b);
    while (e) {
      if (e & 1) r = mul(r, b);
      b = mul(b, b);
      e >>= 1;
    }
    return r;
  }
  u64 inv(u64 a) const { return pow(a, q - 2); }  // q prime
  // Reduce a signed 64-bit integer.
  inline u64 from_signed(i64 v) const {
    u64 m = reduce((u64)(v < 0 ? -(u128)(__int128)v : (u128)v));
    return v < 0 ? negmod(m, q) : m;
  }
};

}  // namespace hec
