// AVX-512 IFMA NTT kernels for primes q < 2^50 (so the lazy range [0, 4q) fits the 52-bit multiplier lanes).
// Shoup multiplication in 52-bit lanes: with w' = floor(w·2^52/q), hi = ⌊y·w'/2^52⌋ (vpmadd52huq) and
// y·w - hi·q ∈ [0, 2q) is recovered exactly from the low 52-bit products (vpmadd52luq) modulo 2^52.
// Compiled with target attributes (not -march) so the object links into a build for any x86-64; only called after
// __builtin_cpu_supports("avx512ifma") said yes.
#include "ntt.h"

// gcc 12 warns about _mm512_undefined_epi32() inside its own _mm512_min_epu64; harmless.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define HEC_IFMA __attribute__((target("avx512f,avx512ifma")))

namespace hec {

namespace {
HEC_IFMA inline __m512i shoup52(__m512i y, __m512i w, __m512i wp, __m512i q, __m512i mask52) {
  const __m512i z = _mm512_setzero_si512();
  __m512i hi = _mm512_madd52hi_epu64(z, y, wp);
  __m512i lo = _mm512_madd52lo_epu64(z, y, w);
  __m512i hq = _mm512_madd52lo_epu64(z, hi, q);
  return _mm512_and_si512(_mm512_sub_epi64(lo, hq), mask52);
}
HEC_IFMA inline __m512i red(__m512i x, __m512i m) { return _mm512_min_epu64(x, _mm512_sub_epi64(x, m)); }
}  // namespace

// Small-gap layers (gap 4, 2, 1) inside one 16-element window: two zmm registers are permuted so that lane k of X
// holds the k-th "upper" element of a butterfly pair and lane k of Y its partner, the butterflies run 8 wide, and
// the inverse permutation writes them back. Twiddles of the window are consecutive in the table and are spread to
// the lanes with one more permute.
struct SmallGap {
  __m512i xi, yi, back0, back1, tw;
  int ntw;
};
HEC_IFMA static SmallGap make_gap(int g) {
  alignas(64) long long xi[8], yi[8], b0[8], b1[8], tw[8];
  int k = 0;
  for (int e = 0; e < 16; e++)
    if ((e & g) == 0) {
      xi[k] = e;
      yi[k] = e + g;
      tw[k] = e / (2 * g);
      k++;
    }
  for (int e = 0; e < 16; e++) {
    long long src = 0;
    for (int j = 0; j < 8; j++) {
      if (xi[j] == e) src = j;
      if (yi[j] == e) src = 8 + j;
    }
    (e < 8 ? b0[e] : b1[e - 8]) = src;
  }
  SmallGap sg;
  sg.xi = _mm512_load_si512(xi);
  sg.yi = _mm512_load_si512(yi);
  sg.back0 = _mm512_load_si512(b0);
  sg.back1 = _mm512_load_si512(b1);
  sg.tw = _mm512_load_si512(tw);
  sg.ntw = 16 / (2 * g);
  return sg;
}

HEC_IFMA static void fwd_small(const NttTable& t, u64* a, int g, __m512i vq, __m512i v2q, __m512i mask52) {
  const size_t N = t.N, m = N / (2 * g);
  const SmallGap sg = make_gap(g);
  const __mmask8 tm = (__mmask8)((1u << sg.ntw) - 1);
  for (size_t base = 0; base < N; base += 16) {
    __m512i v0 = _mm512_loadu_si512(a + base), v1 = _mm512_loadu_si512(a + base + 8);
    __m512i X = _mm512_permutex2var_epi64(v0, sg.xi, v1), Y = _mm512_permutex2var_epi64(v0, sg.yi, v1);
    const size_t ti = m + base / (2 * g);
    __m512i w = _mm512_permutexvar_epi64(sg.tw, _mm512_maskz_loadu_epi64(tm, t.fw.data() + ti));
    __m512i wp = _mm512_permutexvar_epi64(sg.tw, _mm512_maskz_loadu_epi64(tm, t.fwp52.data() + ti));
    X = red(X, v2q);
    __m512i T = shoup52(Y, w, wp, vq, mask52);
    __m512i nx = _mm512_add_epi64(X, T), ny = _mm512_add_epi64(_mm512_sub_epi64(X, T), v2q);
    _mm512_storeu_si512(a + base, _mm512_permutex2var_epi64(nx, sg.back0, ny));
    _mm512_storeu_si512(a + base + 8, _mm512_permutex2var_epi64(nx, sg.back1, ny));
  }
}

HEC_IFMA static void inv_small(const NttTable& t, u64* a, int g, __m512i vq, __m512i v2q, __m512i mask52) {
  const size_t N = t.N, m = N / (2 * g);
  const SmallGap sg = make_gap(g);
  const __mmask8 tm = (__mmask8)((1u << sg.ntw) - 1);
  for (size_t base = 0; base < N; base += 16) {
    __m512i v0 = _mm512_loadu_si512(a + base), v1 = _mm512_loadu_si512(a + base + 8);
    __m512i X = _mm512_permutex2var_epi64(v0, sg.xi, v1), Y = _mm512_permutex2var_epi64(v0, sg.yi, v1);
    const size_t ti = m + base / (2 * g);
    __m512i w = _mm512_permutexvar_epi64(sg.tw, _mm512_maskz_loadu_epi64(tm, t.iw.data() + ti));
    __m512i wp = _mm512_permutexvar_epi64(sg.tw, _mm512_maskz_loadu_epi64(tm, t.iwp52.data() + ti));
    __m512i nx = red(_mm512_add_epi64(X, Y), v2q);
    __m512i ny = shoup52(_mm512_add_epi64(_mm512_sub_epi64(X, Y), v2q), w, wp, vq, mask52);
    _mm512_storeu_si512(a + base, _mm512_permutex2var_epi64(nx, sg.back0, ny));
    _mm512_storeu_si512(a + base + 8, _mm512_permutex2var_epi64(nx, sg.back1, ny));
  }
}

HEC_IFMA void ntt_forward_ifma(const NttTable& t, u64* a) {
  const size_t N = t.N;
  if (N < 32) return ntt_forward_scalar(t, a);
  const u64 q = t.mod.q;
  const __m512i vq = _mm512_set1_epi64((long long)q), v2q = _mm512_set1_epi64((long long)(2 * q));
  const __m512i mask52 = _mm512_set1_epi64((long long)((1ull << 52) - 1));
  size_t gap = N, m = 1;
  for (; m < N && (gap >> 1) >= 8; m <<= 1) {
    gap >>= 1;
    for (size_t i = 0; i < m; i++) {
      const __m512i w = _mm512_set1_epi64((long long)t.fw[m + i]), wp = _mm512_set1_epi64((long long)t.fwp52[m + i]);
      u64* x = a + 2 * i * gap;
      u64* y = x + gap;
      for (size_t j = 0; j < gap; j += 8) {
        __m512i X = red(_mm512_loadu_si512(x + j), v2q);
        __m512i T = shoup52(_mm512_loadu_si512(y + j), w, wp, vq, mask52);
        _mm512_storeu_si512(x + j, _mm512_add_epi64(X, T));
        _mm512_storeu_si512(y + j, _mm512_add_epi64(_mm512_sub_epi64(X, T), v2q));
      }
    }
  }
  // Remaining layers (gap 4, 2, 1): permuted windows.
  for (int g = 4; g >= 1; g >>= 1) fwd_small(t, a, g, vq, v2q, mask52);
  for (size_t j = 0; j < N; j += 8) {
    __m512i X = _mm512_loadu_si512(a + j);
    _mm512_storeu_si512(a + j, red(red(X, v2q), vq));
  }
}

HEC_IFMA void ntt_inverse_ifma(const NttTable& t, u64* a) {
  const size_t N = t.N;
  if (N < 32) return ntt_inverse_scalar(t, a);
  const u64 q = t.mod.q, q2 = 2 * q;
  const __m512i vq = _mm512_set1_epi64((long long)q), v2q = _mm512_set1_epi64((long long)q2);
  const __m512i mask52 = _mm512_set1_epi64((long long)((1ull << 52) - 1));
  for (int g = 1; g <= 4; g <<= 1) inv_small(t, a, g, vq, v2q, mask52);
  size_t gap = 8, m = N >> 4;
  for (; m > 1; m >>= 1) {
    for (size_t i = 0; i < m; i++) {
      const __m512i w = _mm512_set1_epi64((long long)t.iw[m + i]), wp = _mm512_set1_epi64((long long)t.iwp52[m + i]);
      u64* x = a + 2 * i * gap;
      u64* y = x + gap;
      for (size_t j = 0; j < gap; j += 8) {
        __m512i X = _mm512_loadu_si512(x + j), Y = _mm512_loadu_si512(y + j);
        _mm512_storeu_si512(x + j, red(_mm512_add_epi64(X, Y), v2q));
        _mm512_storeu_si512(y + j, shoup52(_mm512_add_epi64(_mm512_sub_epi64(X, Y), v2q), w, wp, vq, mask52));
      }
    }
    gap <<= 1;
  }
  const size_t h = N >> 1;
  const __m512i n1 = _mm512_set1_epi64((long long)t.ninv), n1p = _mm512_set1_epi64((long long)t.ninvp52);
  const __m512i n2 = _mm512_set1_epi64((long long)t.ninv_w), n2p = _mm512_set1_epi64((long long)t.ninv_wp52);
  for (size_t j = 0; j < h; j += 8) {
    __m512i X = _mm512_loadu_si512(a + j), Y = _mm512_loadu_si512(a + j + h);
    __m512i s = red(_mm512_add_epi64(X, Y), v2q);
    __m512i d = _mm512_add_epi64(_mm512_sub_epi64(X, Y), v2q);
    _mm512_storeu_si512(a + j, red(shoup52(s, n1, n1p, vq, mask52), vq));
    _mm512_storeu_si512(a + j + h, red(shoup52(d, n2, n2p, vq, mask52), vq));
  }
}

}  // namespace hec

#else
namespace hec {
void ntt_forward_ifma(const NttTable& t, u64* a) { ntt_forward_scalar(t, a); }
void ntt_inverse_ifma(const NttTable& t, u64* a) { ntt_inverse_scalar(t, a); }
}  // namespace hec
#endif
