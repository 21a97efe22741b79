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

static inline u64 fold52(const Modulus& m, u64 lo, u64 hi) { return m.reduce128(((u128)hi << 52) + lo); }

}  // namespace hec
