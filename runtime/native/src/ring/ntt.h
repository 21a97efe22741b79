// Negacyclic number-theoretic transform over Z_q[X]/(X^N + 1).
//
// Forward: Cooley–Tukey decimation in time with the powers of a primitive 2N-th root ψ stored in bit-reversed order,
// which merges the negacyclic twist into the butterflies (Longa–Naehrig, "Speeding up the NTT...", CANS 2016).
// Butterflies are Harvey's lazy ones (Harvey 2014): values stay in [0, 4q) between layers with Shoup twiddles and only
// the last layer normalises, so q < 2^62 is required. Output index i holds the evaluation at ψ^(2·brv(i)+1).
// Inverse: Gentleman–Sande with ψ^-1, inputs in [0, 2q), with N^-1 folded into the last layer.
//
// An AVX-512 IFMA path (52-bit multiply-add lanes, primes < 2^50) is compiled with target attributes and chosen at
// run time with __builtin_cpu_supports, so the library builds and runs on any x86-64 (and falls back elsewhere).
#pragma once
#include <vector>

#include "modarith.h"

namespace hec {

struct NttTable {
  Modulus mod;
  int logN = 0;
  size_t N = 0;
  u64 psi = 0;
  std::vector<u64> fw, fwp;    // ψ^brv(i) and Shoup companions (64-bit)
  std::vector<u64> iw, iwp;    // ψ^-brv(i) (GS order) and Shoup companions
  u64 ninv = 0, ninvp = 0;     // N^-1
  u64 ninv_w = 0, ninv_wp = 0; // N^-1·ψ^-1 of the last layer
  bool ifma = false;           // use the IFMA kernels for this prime
  std::vector<u64> fwp52, iwp52;  // 52-bit Shoup companions floor(w·2^52/q) for IFMA
  // Gap-1 layer twiddles in SIMD lane order (window of 16 elements: lanes hold elements 0,2,8,10,4,6,12,14), with
  // the Shoup companion of this prime's SIMD kernel (52-bit for IFMA primes, 64-bit otherwise).
  std::vector<u64> f1w, f1wp, i1w, i1wp;
  u64 ninvp52 = 0, ninv_wp52 = 0;

  NttTable(u64 q, int logN);
  void forward(u64* a) const;  // in place, input in [0, q) (any value < 4q tolerated), output in [0, q)
  void inverse(u64* a) const;  // in place, input in [0, 2q), output in [0, q)
};

// Powers ψ^(2·brv(i)+1) index map for automorphisms in the evaluation domain.
uint32_t bitrev(uint32_t x, int bits);

bool cpu_has_ifma();
// Globally disable the IFMA path (for tests/bench comparisons).
void set_ifma_enabled(bool on);
bool ifma_enabled();

// Scalar kernels (always available).
void ntt_forward_scalar(const NttTable& t, u64* a);
void ntt_inverse_scalar(const NttTable& t, u64* a);
// AVX-512 kernels (ntt_ifma.cpp): IFMA for primes < 2^50, AVX-512F/DQ 64-bit Shoup otherwise; only called when
// cpu_has_ifma() (which also requires AVX-512F/DQ).
void ntt_forward_simd(const NttTable& t, u64* a);
void ntt_inverse_simd(const NttTable& t, u64* a);

}  // namespace hec
