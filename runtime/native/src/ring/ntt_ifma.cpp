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

HEC_IFMA void ntt_forward_ifma(const NttTable& t, u64* a) {
  const size_t N = t.N;
  if (N < 16) return ntt_forward_scalar(t, a);
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
  // Remaining layers (gap 4, 2, 1): scalar lazy butterflies with the 64-bit Shoup companions.
  const u64 q2 = 2 * q;
  for (; m < N; m <<= 1) {
    gap >>= 1;
    for (size_t i = 0; i < m; i++) {
      const u64 w = t.fw[m + i], wp = t.fwp[m + i];
      u64* x = a + 2 * i * gap;
      u64* y = x + gap;
      for (size_t j = 0; j < gap; j++) {
        u64 X = csub(x[j], q2);
        u64 T = mulshoup_lazy(y[j], w, wp, q);
        x[j] = X + T;
        y[j] = X - T + q2;
      }
    }
  }
  for (size_t j = 0; j < N; j += 8) {
    __m512i X = _mm512_loadu_si512(a + j);
    _mm512_storeu_si512(a + j, red(red(X, v2q), vq));
  }
}

HEC_IFMA void ntt_inverse_ifma(const NttTable& t, u64* a) {
  const size_t N = t.N;
  if (N < 16) return ntt_inverse_scalar(t, a);
  const u64 q = t.mod.q, q2 = 2 * q;
  size_t gap = 1, m = N >> 1;
  for (; m > 1 && gap < 8; m >>= 1) {
    for (size_t i = 0; i < m; i++) {
      const u64 w = t.iw[m + i], wp = t.iwp[m + i];
      u64* x = a + 2 * i * gap;
      u64* y = x + gap;
      for (size_t j = 0; j < gap; j++) {
        u64 X = x[j], Y = y[j];
        x[j] = csub(X + Y, q2);
        y[j] = mulshoup_lazy(X - Y + q2, w, wp, q);
      }
    }
    gap <<= 1;
  }
  const __m512i vq = _mm512_set1_epi64((long long)q), v2q = _mm512_set1_epi64((long long)q2);
  const __m512i mask52 = _mm512_set1_epi64((long long)((1ull << 52) - 1));
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
