#include "mac.h"

#include <algorithm>

#include "ntt.h"

namespace hec {

bool mac52_available() { return ifma_enabled(); }

void dot_mod(const Modulus& m, u64* out, const u64* const* a, const u64* const* b, int terms, size_t n) {
  if (terms > (int)kMac52Terms) throw HecErr("HEC5199", "dot_mod: too many terms");
  if (m.q < (1ull << 50) && mac52_available()) {
    constexpr size_t B = 512;
    alignas(64) u64 lo[B], hi[B];
    const Fold52 f(m.q);
    for (size_t i0 = 0; i0 < n; i0 += B) {
      const size_t len = std::min(B, n - i0);
      std::fill(lo, lo + len, 0);
      std::fill(hi, hi + len, 0);
      for (int t = 0; t < terms; t++) mac52_vec(lo, hi, a[t] + i0, b[t] + i0, len);
      fold52_vec(f, lo, hi, out + i0, len);
    }
    return;
  }
  for (size_t i = 0; i < n; i++) {
    u128 s = 0;
    for (int t = 0; t < terms; t++) s += (u128)a[t][i] * b[t][i];
    out[i] = m.reduce128(s);
  }
}

}  // namespace hec

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define HEC_IFMA __attribute__((target("avx512f,avx512ifma")))

namespace hec {

HEC_IFMA static inline __m512i shoup52v(__m512i y, __m512i w, __m512i wp, __m512i q) {
  const __m512i z = _mm512_setzero_si512(), mask = _mm512_set1_epi64((long long)((1ull << 52) - 1));
  __m512i h = _mm512_madd52hi_epu64(z, y, wp);
  return _mm512_and_si512(_mm512_sub_epi64(_mm512_madd52lo_epu64(z, y, w), _mm512_madd52lo_epu64(z, h, q)), mask);
}

struct VFold {
  __m512i q, q2, r, rp, one, onep, mask;
  HEC_IFMA explicit VFold(const Fold52& f) {
    q = _mm512_set1_epi64((long long)f.q);
    q2 = _mm512_set1_epi64((long long)(2 * f.q));
    r = _mm512_set1_epi64((long long)f.r52);
    rp = _mm512_set1_epi64((long long)f.r52p);
    one = _mm512_set1_epi64(1);
    onep = _mm512_set1_epi64((long long)f.onep);
    mask = _mm512_set1_epi64((long long)((1ull << 52) - 1));
  }
  HEC_IFMA inline __m512i operator()(__m512i L, __m512i H) const {
    H = _mm512_add_epi64(H, _mm512_srli_epi64(L, 52));
    L = _mm512_and_si512(L, mask);
    __m512i t = _mm512_add_epi64(shoup52v(H, r, rp, q), shoup52v(L, one, onep, q));
    t = _mm512_min_epu64(t, _mm512_sub_epi64(t, q2));
    return _mm512_min_epu64(t, _mm512_sub_epi64(t, q));
  }
};

HEC_IFMA void conv52(const Fold52& f, const u64* const* x, const u64* w, size_t terms, u64* out, size_t n) {
  const VFold fold(f);
  const __m512i z = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i L = z, H = z;
    for (size_t t = 0; t < terms; t++) {
      if (t && t % kMac52Terms == 0) {
        L = fold(L, H);
        H = z;
      }
      const __m512i vx = _mm512_loadu_si512(x[t] + i), vw = _mm512_set1_epi64((long long)w[t]);
      L = _mm512_madd52lo_epu64(L, vx, vw);
      H = _mm512_madd52hi_epu64(H, vx, vw);
    }
    _mm512_storeu_si512(out + i, fold(L, H));
  }
  Modulus m(f.q);
  for (; i < n; i++) {
    u128 s = 0;
    for (size_t t = 0; t < terms; t++) s += (u128)x[t][i] * w[t];
    out[i] = m.reduce128(s);
  }
}

HEC_IFMA void dot2_52(const Fold52& f, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms,
                      u64* out0, u64* out1, size_t n) {
  const VFold fold(f);
  const __m512i z = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i L0 = z, H0 = z, L1 = z, H1 = z;
    for (size_t t = 0; t < terms; t++) {
      if (t && t % kMac52Terms == 0) {
        L0 = fold(L0, H0);
        L1 = fold(L1, H1);
        H0 = H1 = z;
      }
      const __m512i vx = _mm512_loadu_si512(x[t] + i);
      const __m512i a = _mm512_loadu_si512(k0[t] + i), b = _mm512_loadu_si512(k1[t] + i);
      L0 = _mm512_madd52lo_epu64(L0, vx, a);
      H0 = _mm512_madd52hi_epu64(H0, vx, a);
      L1 = _mm512_madd52lo_epu64(L1, vx, b);
      H1 = _mm512_madd52hi_epu64(H1, vx, b);
    }
    _mm512_storeu_si512(out0 + i, fold(L0, H0));
    _mm512_storeu_si512(out1 + i, fold(L1, H1));
  }
  Modulus m(f.q);
  for (; i < n; i++) {
    u128 s0 = 0, s1 = 0;
    for (size_t t = 0; t < terms; t++) {
      s0 += (u128)x[t][i] * k0[t][i];
      s1 += (u128)x[t][i] * k1[t][i];
    }
    out0[i] = m.reduce128(s0);
    out1[i] = m.reduce128(s1);
  }
}

HEC_IFMA void fold52_vec(const Fold52& f, const u64* lo, const u64* hi, u64* out, size_t n) {
  const __m512i q = _mm512_set1_epi64((long long)f.q), q2 = _mm512_set1_epi64((long long)(2 * f.q));
  const __m512i r = _mm512_set1_epi64((long long)f.r52), rp = _mm512_set1_epi64((long long)f.r52p);
  const __m512i one = _mm512_set1_epi64(1), onep = _mm512_set1_epi64((long long)f.onep);
  const __m512i mask = _mm512_set1_epi64((long long)((1ull << 52) - 1));
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i L = _mm512_loadu_si512(lo + i);
    __m512i H = _mm512_add_epi64(_mm512_loadu_si512(hi + i), _mm512_srli_epi64(L, 52));
    L = _mm512_and_si512(L, mask);
    __m512i t = _mm512_add_epi64(shoup52v(H, r, rp, q), shoup52v(L, one, onep, q));
    t = _mm512_min_epu64(t, _mm512_sub_epi64(t, q2));
    t = _mm512_min_epu64(t, _mm512_sub_epi64(t, q));
    _mm512_storeu_si512(out + i, t);
  }
  Modulus m(f.q);
  for (; i < n; i++) out[i] = fold52(m, lo[i], hi[i]);
}

HEC_IFMA void mac52_bcast(u64* lo, u64* hi, const u64* x, u64 w, size_t n) {
  const __m512i vw = _mm512_set1_epi64((long long)w);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i vx = _mm512_loadu_si512(x + i);
    _mm512_storeu_si512(lo + i, _mm512_madd52lo_epu64(_mm512_loadu_si512(lo + i), vx, vw));
    _mm512_storeu_si512(hi + i, _mm512_madd52hi_epu64(_mm512_loadu_si512(hi + i), vx, vw));
  }
  for (; i < n; i++) {
    u128 p = (u128)x[i] * w;
    lo[i] += (u64)p & ((1ull << 52) - 1);
    hi[i] += (u64)(p >> 52);
  }
}

HEC_IFMA void mac52_vec(u64* lo, u64* hi, const u64* x, const u64* k, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i vx = _mm512_loadu_si512(x + i), vk = _mm512_loadu_si512(k + i);
    _mm512_storeu_si512(lo + i, _mm512_madd52lo_epu64(_mm512_loadu_si512(lo + i), vx, vk));
    _mm512_storeu_si512(hi + i, _mm512_madd52hi_epu64(_mm512_loadu_si512(hi + i), vx, vk));
  }
  for (; i < n; i++) {
    u128 p = (u128)x[i] * k[i];
    lo[i] += (u64)p & ((1ull << 52) - 1);
    hi[i] += (u64)(p >> 52);
  }
}

HEC_IFMA void mac52_gather(u64* lo, u64* hi, const u64* x, const uint32_t* perm, const u64* k, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i idx = _mm256_loadu_si256((const __m256i*)(perm + i));
    __m512i vx = _mm512_i32gather_epi64(idx, (const long long*)x, 8), vk = _mm512_loadu_si512(k + i);
    _mm512_storeu_si512(lo + i, _mm512_madd52lo_epu64(_mm512_loadu_si512(lo + i), vx, vk));
    _mm512_storeu_si512(hi + i, _mm512_madd52hi_epu64(_mm512_loadu_si512(hi + i), vx, vk));
  }
  for (; i < n; i++) {
    u128 p = (u128)x[perm[i]] * k[i];
    lo[i] += (u64)p & ((1ull << 52) - 1);
    hi[i] += (u64)(p >> 52);
  }
}

}  // namespace hec
#else
namespace hec {
static void mac_scalar(u64* lo, u64* hi, u64 x, u64 k) {
  u128 p = (u128)x * k;
  *lo += (u64)p & ((1ull << 52) - 1);
  *hi += (u64)(p >> 52);
}
void mac52_bcast(u64* lo, u64* hi, const u64* x, u64 w, size_t n) {
  for (size_t i = 0; i < n; i++) mac_scalar(lo + i, hi + i, x[i], w);
}
void mac52_vec(u64* lo, u64* hi, const u64* x, const u64* k, size_t n) {
  for (size_t i = 0; i < n; i++) mac_scalar(lo + i, hi + i, x[i], k[i]);
}
void mac52_gather(u64* lo, u64* hi, const u64* x, const uint32_t* perm, const u64* k, size_t n) {
  for (size_t i = 0; i < n; i++) mac_scalar(lo + i, hi + i, x[perm[i]], k[i]);
}
void fold52_vec(const Fold52& f, const u64* lo, const u64* hi, u64* out, size_t n) {
  Modulus m(f.q);
  for (size_t i = 0; i < n; i++) out[i] = fold52(m, lo[i], hi[i]);
}
void conv52(const Fold52& f, const u64* const* x, const u64* w, size_t terms, u64* out, size_t n) {
  Modulus m(f.q);
  for (size_t i = 0; i < n; i++) {
    u128 s = 0;
    for (size_t t = 0; t < terms; t++) s += (u128)x[t][i] * w[t];
    out[i] = m.reduce128(s);
  }
}
void dot2_52(const Fold52& f, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms, u64* out0,
             u64* out1, size_t n) {
  Modulus m(f.q);
  for (size_t i = 0; i < n; i++) {
    u128 s0 = 0, s1 = 0;
    for (size_t t = 0; t < terms; t++) {
      s0 += (u128)x[t][i] * k0[t][i];
      s1 += (u128)x[t][i] * k1[t][i];
    }
    out0[i] = m.reduce128(s0);
    out1[i] = m.reduce128(s1);
  }
}
}  // namespace hec
#endif
