// AVX-512F/DQ helpers for 64-bit modular arithmetic on 8 lanes (primes < 2^62), shared by the NTT and the
// multiply-accumulate kernels. Include only from translation units that compile them with a target attribute
// (HEC_SIMD64) and call them only after cpu_has_ifma() (which also checks AVX-512F/DQ).
#pragma once
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define HEC_SIMD64 __attribute__((target("avx512f,avx512dq")))

namespace hec {

// x in [0, 2m) -> [0, m) per lane (unsigned min of x and x - m; the wrapped difference is huge when x < m).
HEC_SIMD64 inline __m512i red64v(__m512i x, __m512i m) { return _mm512_min_epu64(x, _mm512_sub_epi64(x, m)); }

// ⌊x·w / 2^64⌋ per lane from four 32×32 → 64 products (vpmuludq); exact.
HEC_SIMD64 inline __m512i mulhi64v(__m512i x, __m512i w) {
  const __m512i lo32 = _mm512_set1_epi64(0xffffffffll);
  __m512i xh = _mm512_srli_epi64(x, 32), wh = _mm512_srli_epi64(w, 32);
  __m512i ll = _mm512_mul_epu32(x, w), lh = _mm512_mul_epu32(x, wh);
  __m512i hl = _mm512_mul_epu32(xh, w), hh = _mm512_mul_epu32(xh, wh);
  __m512i t = _mm512_add_epi64(hl, _mm512_srli_epi64(ll, 32));
  __m512i u = _mm512_add_epi64(lh, _mm512_and_si512(t, lo32));
  return _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(t, 32)), _mm512_srli_epi64(u, 32));
}

// Shoup: y·w mod q in [0, 2q) for any 64-bit y, with wp = ⌊w·2^64/q⌋ (the lane form of mulshoup_lazy).
HEC_SIMD64 inline __m512i shoup64v(__m512i y, __m512i w, __m512i wp, __m512i q) {
  __m512i hi = mulhi64v(y, wp);
  return _mm512_sub_epi64(_mm512_mullo_epi64(y, w), _mm512_mullo_epi64(hi, q));
}

}  // namespace hec
#endif
