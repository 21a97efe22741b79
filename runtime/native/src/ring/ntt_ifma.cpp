// AVX-512 NTT kernels, one template over the Shoup multiplier:
//  - Mul52 (AVX-512 IFMA, primes < 2^50 so the lazy range [0, 4q) fits 52-bit lanes): with w' = floor(w·2^52/q),
//    hi = ⌊y·w'/2^52⌋ (vpmadd52huq) and y·w - hi·q ∈ [0, 2q) is recovered from the low 52-bit products mod 2^52.
//  - Mul64 (AVX-512F/DQ, any prime < 2^62): the 64-bit Shoup product with the high half of y·w' assembled from four
//    32×32 multiplies (vpmuludq) and the low halves from vpmullq; about 3× faster than the scalar loop for the
//    60-bit q_0 and special primes.
// Both keep Harvey's lazy ranges, so they are bit-for-bit equal to the portable kernels (tested).
// Compiled with target attributes (not -march), so the library builds for any x86-64; only called after
// __builtin_cpu_supports said yes.
#include "ntt.h"
#include "simd64.h"

// gcc 12 warns about _mm512_undefined_epi32() inside its own _mm512_min_epu64; harmless.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define HEC_SIMD __attribute__((target("avx512f,avx512dq,avx512ifma")))

namespace hec {

namespace {

HEC_SIMD inline __m512i red(__m512i x, __m512i m) { return red64v(x, m); }

struct Mul52 {
  static const u64* fwp(const NttTable& t) { return t.fwp52.data(); }
  static const u64* iwp(const NttTable& t) { return t.iwp52.data(); }
  static u64 ninvp(const NttTable& t) { return t.ninvp52; }
  static u64 ninv_wp(const NttTable& t) { return t.ninv_wp52; }
  // `q` here is the lane constant 2^52 - q: lo(hi·(2^52 - q)) ≡ -hi·q (mod 2^52), so the subtraction folds into the
  // second multiply-add and only the mask remains.
  HEC_SIMD static inline __m512i mul(__m512i y, __m512i w, __m512i wp, __m512i negq) {
    const __m512i z = _mm512_setzero_si512(), mask = _mm512_set1_epi64((long long)((1ull << 52) - 1));
    __m512i hi = _mm512_madd52hi_epu64(z, y, wp);
    return _mm512_and_si512(_mm512_madd52lo_epu64(_mm512_madd52lo_epu64(z, y, w), hi, negq), mask);
  }
  static u64 mul_const(u64 q) { return (1ull << 52) - q; }
};

struct Mul64 {
  static const u64* fwp(const NttTable& t) { return t.fwp.data(); }
  static const u64* iwp(const NttTable& t) { return t.iwp.data(); }
  static u64 ninvp(const NttTable& t) { return t.ninvp; }
  static u64 ninv_wp(const NttTable& t) { return t.ninv_wp; }
  HEC_SIMD static inline __m512i mul(__m512i y, __m512i w, __m512i wp, __m512i q) { return shoup64v(y, w, wp, q); }
  static u64 mul_const(u64 q) { return q; }
};

// One butterfly of each direction on 8 lanes (Harvey's lazy ranges, as in the scalar kernels).
// LAZY (52-bit lanes, q < 2^46): no reduction of X at all; ranges grow by 2q per layer and stay below
// (2·logN + 1)·q < 2^52, the multiplier's input bound, so one reduction at the very end suffices.
template <class M, bool LAZY = false>
HEC_SIMD inline void ct_bfly(__m512i& X, __m512i& Y, __m512i w, __m512i wp, __m512i mq, __m512i v2q) {
  __m512i x = LAZY ? X : red(X, v2q);
  __m512i T = M::mul(Y, w, wp, mq);
  X = _mm512_add_epi64(x, T);
  Y = _mm512_add_epi64(_mm512_sub_epi64(x, T), v2q);
}
template <class M>
HEC_SIMD inline void gs_bfly(__m512i& X, __m512i& Y, __m512i w, __m512i wp, __m512i mq, __m512i v2q) {
  __m512i s = red(_mm512_add_epi64(X, Y), v2q);
  Y = M::mul(_mm512_add_epi64(_mm512_sub_epi64(X, Y), v2q), w, wp, mq);
  X = s;
}

// The three small-gap layers (gap 4, 2, 1) fused into one pass over 16-element windows v0 = e0..7, v1 = e8..15.
// Lane layouts (elements held by the X lanes; Y holds each partner e + gap):
//   gap 4: X = [0 1 2 3 8 9 10 11]   from (v0, v1) by 128-bit lane shuffles (vshufi64x2 0x44 / 0xEE)
//   gap 2: X = [0 1 8 9 4 5 12 13]   from the gap-4 (X, Y) by vshufi64x2 0x88 / 0xDD
//   gap 1: X = [0 2 8 10 4 6 12 14]  from the gap-2 (X, Y) by vpunpcklqdq / vpunpckhqdq
// and back to natural order with two vpermt2q at the end (the inverse transform runs the same steps backwards).
// Gap-4 and gap-2 twiddles are 2 and 4 consecutive table entries spread with one vpermq; gap-1 twiddles are stored
// in lane order (NttTable::f1w/i1w). This replaced 24 generic permutes per window by 12 mostly single-uop shuffles.
template <class M, bool FWD, bool LAZY = false>
HEC_SIMD void small_layers(const NttTable& t, u64* a, __m512i vq, __m512i v2q) {
  const size_t N = t.N;
  const __m512i mq = _mm512_set1_epi64((long long)M::mul_const(t.mod.q));
  const __m512i t4 = _mm512_set_epi64(1, 1, 1, 1, 0, 0, 0, 0);   // gap 4: lane -> block
  const __m512i t2 = _mm512_set_epi64(3, 3, 1, 1, 2, 2, 0, 0);   // gap 2: lane -> block (e/4 of [0 1 8 9 4 5 12 13])
  const __m512i out0 = _mm512_set_epi64(13, 5, 12, 4, 9, 1, 8, 0);   // natural order from gap-1 (X, Y): e0..7
  const __m512i out1 = _mm512_set_epi64(15, 7, 14, 6, 11, 3, 10, 2); // e8..15
  const __m512i in0 = _mm512_set_epi64(14, 12, 6, 4, 10, 8, 2, 0);   // gap-1 X from (v0, v1) (inverse start)
  const __m512i in1 = _mm512_set_epi64(15, 13, 7, 5, 11, 9, 3, 1);   // gap-1 Y
  const __m512i g4x = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);    // gap-4 X from gap-2 (X, Y) (inverse)
  const __m512i g4y = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
  const u64* W = FWD ? t.fw.data() : t.iw.data();
  const u64* WP = FWD ? M::fwp(t) : M::iwp(t);
  const u64* W1 = FWD ? t.f1w.data() : t.i1w.data();
  const u64* W1P = FWD ? t.f1wp.data() : t.i1wp.data();
  const size_t m4 = N / 8, m2 = N / 4;
  for (size_t base = 0; base < N; base += 16) {
    const __m512i v0 = _mm512_loadu_si512(a + base), v1 = _mm512_loadu_si512(a + base + 8);
    const __m512i w4 = _mm512_permutexvar_epi64(t4, _mm512_maskz_loadu_epi64(0x3, W + m4 + base / 8));
    const __m512i w4p = _mm512_permutexvar_epi64(t4, _mm512_maskz_loadu_epi64(0x3, WP + m4 + base / 8));
    const __m512i w2 = _mm512_permutexvar_epi64(t2, _mm512_maskz_loadu_epi64(0xF, W + m2 + base / 4));
    const __m512i w2p = _mm512_permutexvar_epi64(t2, _mm512_maskz_loadu_epi64(0xF, WP + m2 + base / 4));
    const __m512i w1 = _mm512_loadu_si512(W1 + base / 2), w1p = _mm512_loadu_si512(W1P + base / 2);
    __m512i X, Y, r0, r1;
    if (FWD) {
      X = _mm512_shuffle_i64x2(v0, v1, 0x44);
      Y = _mm512_shuffle_i64x2(v0, v1, 0xEE);
      ct_bfly<M, LAZY>(X, Y, w4, w4p, mq, v2q);
      __m512i X2 = _mm512_shuffle_i64x2(X, Y, 0x88), Y2 = _mm512_shuffle_i64x2(X, Y, 0xDD);
      ct_bfly<M, LAZY>(X2, Y2, w2, w2p, mq, v2q);
      X = _mm512_unpacklo_epi64(X2, Y2);
      Y = _mm512_unpackhi_epi64(X2, Y2);
      ct_bfly<M, LAZY>(X, Y, w1, w1p, mq, v2q);
      r0 = _mm512_permutex2var_epi64(X, out0, Y);
      r1 = _mm512_permutex2var_epi64(X, out1, Y);
      if (LAZY) {  // [0, (2·logN+1)q) -> [0, 2q) by a Shoup product with 1, then [0, q)
        const __m512i one = _mm512_set1_epi64(1), onep = _mm512_set1_epi64((long long)(((u128)1 << 52) / t.mod.q));
        r0 = red(M::mul(r0, one, onep, mq), vq);
        r1 = red(M::mul(r1, one, onep, mq), vq);
      } else {
        r0 = red(red(r0, v2q), vq);
        r1 = red(red(r1, v2q), vq);
      }
    } else {
      X = _mm512_permutex2var_epi64(v0, in0, v1);
      Y = _mm512_permutex2var_epi64(v0, in1, v1);
      gs_bfly<M>(X, Y, w1, w1p, mq, v2q);
      __m512i X2 = _mm512_unpacklo_epi64(X, Y), Y2 = _mm512_unpackhi_epi64(X, Y);
      gs_bfly<M>(X2, Y2, w2, w2p, mq, v2q);
      X = _mm512_permutex2var_epi64(X2, g4x, Y2);
      Y = _mm512_permutex2var_epi64(X2, g4y, Y2);
      gs_bfly<M>(X, Y, w4, w4p, mq, v2q);
      r0 = _mm512_shuffle_i64x2(X, Y, 0x44);
      r1 = _mm512_shuffle_i64x2(X, Y, 0xEE);
    }
    _mm512_storeu_si512(a + base, r0);
    _mm512_storeu_si512(a + base + 8, r1);
  }
}

// Forward layers with gap >= 8, two layers per pass (radix-4 shape): elements j, j+G/2, j+G, j+3G/2 of a block.
template <class M, bool LAZY>
HEC_SIMD void forward(const NttTable& t, u64* a) {
  const size_t N = t.N;
  const u64 q = t.mod.q;
  const __m512i vq = _mm512_set1_epi64((long long)q), v2q = _mm512_set1_epi64((long long)(2 * q));
  const __m512i mq = _mm512_set1_epi64((long long)M::mul_const(q));
  const u64* WP = M::fwp(t);
  int big = t.logN - 3;  // layers with gap N/2 .. 8
  size_t m = 1, gap = N >> 1;
  if (big & 1) {
    for (size_t i = 0; i < m; i++) {
      const __m512i w = _mm512_set1_epi64((long long)t.fw[m + i]), wp = _mm512_set1_epi64((long long)WP[m + i]);
      u64* x = a + 2 * i * gap;
      for (size_t j = 0; j < gap; j += 8) {
        __m512i X = _mm512_loadu_si512(x + j), Y = _mm512_loadu_si512(x + gap + j);
        ct_bfly<M, LAZY>(X, Y, w, wp, mq, v2q);
        _mm512_storeu_si512(x + j, X);
        _mm512_storeu_si512(x + gap + j, Y);
      }
    }
    m <<= 1;
    gap >>= 1;
    big--;
  }
  for (; big > 0; big -= 2, m <<= 2, gap >>= 2) {
    const size_t h = gap >> 1;
    for (size_t i = 0; i < m; i++) {
      const __m512i w1 = _mm512_set1_epi64((long long)t.fw[m + i]), w1p = _mm512_set1_epi64((long long)WP[m + i]);
      const __m512i w2 = _mm512_set1_epi64((long long)t.fw[2 * m + 2 * i]), w2p = _mm512_set1_epi64((long long)WP[2 * m + 2 * i]);
      const __m512i w3 = _mm512_set1_epi64((long long)t.fw[2 * m + 2 * i + 1]), w3p = _mm512_set1_epi64((long long)WP[2 * m + 2 * i + 1]);
      u64* x = a + 2 * i * gap;
      for (size_t j = 0; j < h; j += 8) {
        __m512i A = _mm512_loadu_si512(x + j), B = _mm512_loadu_si512(x + h + j);
        __m512i C = _mm512_loadu_si512(x + gap + j), D = _mm512_loadu_si512(x + gap + h + j);
        ct_bfly<M, LAZY>(A, C, w1, w1p, mq, v2q);
        ct_bfly<M, LAZY>(B, D, w1, w1p, mq, v2q);
        ct_bfly<M, LAZY>(A, B, w2, w2p, mq, v2q);
        ct_bfly<M, LAZY>(C, D, w3, w3p, mq, v2q);
        _mm512_storeu_si512(x + j, A);
        _mm512_storeu_si512(x + h + j, B);
        _mm512_storeu_si512(x + gap + j, C);
        _mm512_storeu_si512(x + gap + h + j, D);
      }
    }
  }
  small_layers<M, true, LAZY>(t, a, vq, v2q);
}

template <class M>
HEC_SIMD void inverse(const NttTable& t, u64* a) {
  const size_t N = t.N;
  const u64 q = t.mod.q;
  const __m512i vq = _mm512_set1_epi64((long long)q), v2q = _mm512_set1_epi64((long long)(2 * q));
  const u64* WP = M::iwp(t);
  const __m512i mq = _mm512_set1_epi64((long long)M::mul_const(q));
  small_layers<M, false>(t, a, vq, v2q);
  int big = t.logN - 4;  // layers with gap 8 .. N/4 (m = N/16 .. 2)
  size_t m = N >> 4, gap = 8;
  if (big & 1) {
    for (size_t i = 0; i < m; i++) {
      const __m512i w = _mm512_set1_epi64((long long)t.iw[m + i]), wp = _mm512_set1_epi64((long long)WP[m + i]);
      u64* x = a + 2 * i * gap;
      for (size_t j = 0; j < gap; j += 8) {
        __m512i X = _mm512_loadu_si512(x + j), Y = _mm512_loadu_si512(x + gap + j);
        gs_bfly<M>(X, Y, w, wp, mq, v2q);
        _mm512_storeu_si512(x + j, X);
        _mm512_storeu_si512(x + gap + j, Y);
      }
    }
    m >>= 1;
    gap <<= 1;
    big--;
  }
  // Two GS layers per pass: gap G with m blocks, then gap 2G with m/2 blocks; elements j, j+G, j+2G, j+3G.
  for (; big > 0; big -= 2, m >>= 2, gap <<= 2) {
    for (size_t k = 0; k < m / 2; k++) {
      const __m512i w1 = _mm512_set1_epi64((long long)t.iw[m + 2 * k]), w1p = _mm512_set1_epi64((long long)WP[m + 2 * k]);
      const __m512i w2 = _mm512_set1_epi64((long long)t.iw[m + 2 * k + 1]), w2p = _mm512_set1_epi64((long long)WP[m + 2 * k + 1]);
      const __m512i w3 = _mm512_set1_epi64((long long)t.iw[m / 2 + k]), w3p = _mm512_set1_epi64((long long)WP[m / 2 + k]);
      u64* x = a + 4 * k * gap;
      for (size_t j = 0; j < gap; j += 8) {
        __m512i A = _mm512_loadu_si512(x + j), B = _mm512_loadu_si512(x + gap + j);
        __m512i C = _mm512_loadu_si512(x + 2 * gap + j), D = _mm512_loadu_si512(x + 3 * gap + j);
        gs_bfly<M>(A, B, w1, w1p, mq, v2q);
        gs_bfly<M>(C, D, w2, w2p, mq, v2q);
        gs_bfly<M>(A, C, w3, w3p, mq, v2q);
        gs_bfly<M>(B, D, w3, w3p, mq, v2q);
        _mm512_storeu_si512(x + j, A);
        _mm512_storeu_si512(x + gap + j, B);
        _mm512_storeu_si512(x + 2 * gap + j, C);
        _mm512_storeu_si512(x + 3 * gap + j, D);
      }
    }
  }
  // Last layer with N^-1 (and N^-1·ψ^-1) folded in.
  const size_t h = N >> 1;
  const __m512i n1 = _mm512_set1_epi64((long long)t.ninv), n1p = _mm512_set1_epi64((long long)M::ninvp(t));
  const __m512i n2 = _mm512_set1_epi64((long long)t.ninv_w), n2p = _mm512_set1_epi64((long long)M::ninv_wp(t));
  for (size_t j = 0; j < h; j += 8) {
    __m512i X = _mm512_loadu_si512(a + j), Y = _mm512_loadu_si512(a + j + h);
    __m512i s = red(_mm512_add_epi64(X, Y), v2q);
    __m512i d = _mm512_add_epi64(_mm512_sub_epi64(X, Y), v2q);
    _mm512_storeu_si512(a + j, red(M::mul(s, n1, n1p, mq), vq));
    _mm512_storeu_si512(a + j + h, red(M::mul(d, n2, n2p, mq), vq));
  }
}

}  // namespace

void ntt_forward_simd(const NttTable& t, u64* a) {
  if (t.N < 32) return ntt_forward_scalar(t, a);
  if (t.ifma && t.mod.q < (1ull << 46)) forward<Mul52, true>(t, a);
  else if (t.ifma) forward<Mul52, false>(t, a);
  else forward<Mul64, false>(t, a);
}
void ntt_inverse_simd(const NttTable& t, u64* a) {
  if (t.N < 32) return ntt_inverse_scalar(t, a);
  if (t.ifma) inverse<Mul52>(t, a);
  else inverse<Mul64>(t, a);
}

}  // namespace hec

#else
namespace hec {
void ntt_forward_simd(const NttTable& t, u64* a) { ntt_forward_scalar(t, a); }
void ntt_inverse_simd(const NttTable& t, u64* a) { ntt_inverse_scalar(t, a); }
}  // namespace hec
#endif
