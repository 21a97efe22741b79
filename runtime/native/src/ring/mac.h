// Multiply-accumulate kernels for the key-switching inner product and basis conversion.
//
// With AVX-512 IFMA and operands < 2^52, a product x·w < 2^104 is accumulated as two 64-bit sums: the low 52 bits
// (vpmadd52luq) and the high bits (vpmadd52huq). Up to 4096 terms fit, and one 128-bit reduction per coefficient
// finishes: value = lo + hi·2^52. That replaces a scalar 64×64→128 multiply-add per term with 2/8 of a vector op.
#pragma once
#include <cstddef>
#include <cstdint>

#include "modarith.h"

namespace hec {

// True when the IFMA kernels may be used (CPU support and not disabled by set_ifma_enabled(false)).
bool mac52_available();
// lo/hi += x[i]·w, i < n.
void mac52_bcast(u64* lo, u64* hi, const u64* x, u64 w, size_t n);
// lo/hi += x[i]·k[i].
void mac52_vec(u64* lo, u64* hi, const u64* x, const u64* k, size_t n);
// lo/hi += x[perm[i]]·k[i].
void mac52_gather(u64* lo, u64* hi, const u64* x, const uint32_t* perm, const u64* k, size_t n);

// Vector fold: out[i] = (lo[i] + hi[i]·2^52) mod q for q < 2^50, valid while hi[i] + (lo[i] >> 52) < 2^52
// (at most 15 accumulated products of two < 2^50 operands, plus one term < 2^50). Two 52-bit Shoup products:
// hi·[2^52]_q and lo·1, each in [0, 2q).
struct Fold52 {
  u64 q, r52, r52p, onep;
  explicit Fold52(u64 q_) : q(q_) {
    r52 = (u64)(((u128)1 << 52) % q);
    r52p = (u64)(((u128)r52 << 52) / q);
    onep = (u64)(((u128)1 << 52) / q);
  }
};
void fold52_vec(const Fold52& f, const u64* lo, const u64* hi, u64* out, size_t n);
constexpr size_t kMac52Terms = 15;

// Fused kernels with the accumulators in registers (operands < 2^52, q < 2^50, any number of terms; partial sums
// are folded every kMac52Terms terms):
//   conv52: out[i] = Σ_t x[t][i]·w[t] mod q                       (basis conversion, broadcast multipliers)
//   dot2_52: out0[i] = Σ_t x[t][i]·k0[t][i], out1[i] = Σ_t x[t][i]·k1[t][i] mod q  (key-switching inner product)
void conv52(const Fold52& f, const u64* const* x, const u64* w, size_t terms, u64* out, size_t n);
void dot2_52(const Fold52& f, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms, u64* out0,
             u64* out1, size_t n);

// Wide primes (q < 2^62, too wide for the 52-bit lanes): AVX-512F/DQ Shoup products when mac52_available(), portable
// loops otherwise; both give the same words.
//   shoup_vec:  out[i] = x[i]·w mod q, fully reduced (any 64-bit x), wp = ⌊w·2^64/q⌋
//   conv64:     out[i] = Σ_t x[t][i]·w[t] mod q (basis conversion with per-term constants), wp[t] = ⌊w[t]·2^64/q⌋;
//               each product lands in [0, 2q) and the running sum is kept in [0, 2q), so any number of terms fits
//   frac_acc:   frac[i] += (double)y[i]·s (the fractional CRT estimate of a centred conversion; multiply then add,
//               never fused, so both paths round alike)
//   round_vec:  v[i] = (u64)(frac[i] + 0.5)
//   dot64:      out[i] = Σ_t a[t][i]·b[t][i] mod q (t < kMac52Terms; a, b < q), 128-bit lane sums folded once as
//               hi·[2^64]_q + lo with two Shoup products
//   dot2_64:    the key-switching inner product out0/out1 = Σ_t x[t][i]·k0/k1[t][i] mod q (any number of terms;
//               folded every kMac52Terms terms)
void dot64(u64 q, u64* out, const u64* const* a, const u64* const* b, size_t terms, size_t n);
// out0/out1 = Σ_t x[t]·k0/k1[t] mod q for any prime and any number of terms: dot2_52 (IFMA) below 2^50, else dot2_64.
void dot2_mod(const Modulus& m, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms, u64* out0,
              u64* out1, size_t n);
void dot2_64(u64 q, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms, u64* out0, u64* out1,
             size_t n);
//   sub_shoup_vec: out[i] = (a[i] − b[i])·w mod q, a, b < q (the last step of rescale and ModDown)
//   reduce_sub_vec: out[i] = (x[i] mod q) − c mod q for any 64-bit x, c < q, with r = ⌊2^64/q⌋ (rescale's re-embedding)
void sub_shoup_vec(u64 q, u64 w, u64 wp, const u64* a, const u64* b, u64* out, size_t n);
void reduce_sub_vec(u64 q, u64 r, u64 c, const u64* x, u64* out, size_t n);
void shoup_vec(u64 q, u64 w, u64 wp, const u64* x, u64* out, size_t n);
void conv64(u64 q, const u64* const* x, const u64* w, const u64* wp, size_t terms, u64* out, size_t n);
void frac_acc(double* frac, const u64* y, double s, size_t n);
void round_vec(const double* frac, u64* v, size_t n);

static inline u64 fold52(const Modulus& m, u64 lo, u64 hi) { return m.reduce128(((u128)hi << 52) + lo); }

// out[i] = Σ_t a[t][i]·b[t][i] mod q for up to kMac52Terms terms (out may alias an input): IFMA for q < 2^50,
// 128-bit accumulation otherwise. The pointwise products of the evaluation domain (ct×ct tensor, ct×pt).
void dot_mod(const Modulus& m, u64* out, const u64* const* a, const u64* const* b, int terms, size_t n);
inline void mul_mod(const Modulus& m, u64* out, const u64* a, const u64* b, size_t n) { dot_mod(m, out, &a, &b, 1, n); }

}  // namespace hec
