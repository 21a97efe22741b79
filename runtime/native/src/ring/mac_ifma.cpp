#include "mac.h"

#include <algorithm>
#include <vector>

#include "ntt.h"
#include "simd64.h"

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
  dot64(m.q, out, a, b, (size_t)terms, n);
}

namespace {
void shoup_vec_portable(u64 q, u64 w, u64 wp, const u64* x, u64* out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = mulshoup(x[i], w, wp, q);
}
void conv64_portable(u64 q, const u64* const* x, const u64* w, const u64* wp, size_t terms, u64* out, size_t n) {
  const u64 q2 = 2 * q;
  for (size_t i = 0; i < n; i++) {
    u64 s = 0;
    for (size_t t = 0; t < terms; t++) s = csub(s + mulshoup_lazy(x[t][i], w[t], wp[t], q), q2);
    out[i] = csub(s, q);
  }
}
void dot64_portable(u64 q, u64* out, const u64* const* a, const u64* const* b, size_t terms, size_t n) {
  const Modulus m(q);
  for (size_t i = 0; i < n; i++) {
    u128 s = 0;
    for (size_t t = 0; t < terms; t++) s += (u128)a[t][i] * b[t][i];
    out[i] = m.reduce128(s);
  }
}
void dot2_64_portable(u64 q, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms, u64* out0,
                      u64* out1, size_t n) {
  const Modulus m(q);
  for (size_t i = 0; i < n; i++) {
    u128 a0 = 0, a1 = 0;
    for (size_t t = 0; t < terms; t++) {
      if (t && t % kMac52Terms == 0) {
        a0 = m.reduce128(a0);
        a1 = m.reduce128(a1);
      }
      const u64 v = x[t][i];
      a0 += (u128)v * k0[t][i];
      a1 += (u128)v * k1[t][i];
    }
    out0[i] = m.reduce128(a0);
    out1[i] = m.reduce128(a1);
  }
}
void sub_shoup_vec_portable(u64 q, u64 w, u64 wp, const u64* a, const u64* b, u64* out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = mulshoup(a[i] + q - b[i], w, wp, q);
}
void reduce_sub_vec_portable(u64 q, u64 r, u64 c, const u64* x, u64* out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = submod(csub(x[i] - mulhi64(x[i], r) * q, q), c, q);
}
void frac_acc_portable(double* frac, const u64* y, double s, size_t n) {
  for (size_t i = 0; i < n; i++) frac[i] += (double)y[i] * s;
}
void round_vec_portable(const double* frac, u64* v, size_t n) {
  for (size_t i = 0; i < n; i++) v[i] = (u64)(frac[i] + 0.5);
}
}  // namespace

// SIMD kernels (defined below when the compiler can target AVX-512, else the portable loops).
void shoup_vec_simd(u64 q, u64 w, u64 wp, const u64* x, u64* out, size_t n);
void conv64_simd(u64 q, const u64* const* x, const u64* w, const u64* wp, size_t terms, u64* out, size_t n);
void frac_acc_simd(double* frac, const u64* y, double s, size_t n);
void round_vec_simd(const double* frac, u64* v, size_t n);
void sub_shoup_vec_simd(u64 q, u64 w, u64 wp, const u64* a, const u64* b, u64* out, size_t n);
void reduce_sub_vec_simd(u64 q, u64 r, u64 c, const u64* x, u64* out, size_t n);

void sub_shoup_vec(u64 q, u64 w, u64 wp, const u64* a, const u64* b, u64* out, size_t n) {
  mac52_available() ? sub_shoup_vec_simd(q, w, wp, a, b, out, n) : sub_shoup_vec_portable(q, w, wp, a, b, out, n);
}
void reduce_sub_vec(u64 q, u64 r, u64 c, const u64* x, u64* out, size_t n) {
  mac52_available() ? reduce_sub_vec_simd(q, r, c, x, out, n) : reduce_sub_vec_portable(q, r, c, x, out, n);
}
void dot64_simd(u64 q, u64* out, const u64* const* a, const u64* const* b, size_t terms, size_t n);
void dot2_64_simd(u64 q, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms, u64* out0,
                  u64* out1, size_t n);

void dot64(u64 q, u64* out, const u64* const* a, const u64* const* b, size_t terms, size_t n) {
  mac52_available() ? dot64_simd(q, out, a, b, terms, n) : dot64_portable(q, out, a, b, terms, n);
}
void dot2_64(u64 q, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms, u64* out0, u64* out1,
             size_t n) {
  mac52_available() ? dot2_64_simd(q, x, k0, k1, terms, out0, out1, n) : dot2_64_portable(q, x, k0, k1, terms, out0, out1, n);
}
void dot2_mod(const Modulus& m, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms, u64* out0,
              u64* out1, size_t n) {
  if (m.q < (1ull << 50) && mac52_available()) dot2_52(Fold52(m.q), x, k0, k1, terms, out0, out1, n);
  else dot2_64(m.q, x, k0, k1, terms, out0, out1, n);
}

void shoup_vec(u64 q, u64 w, u64 wp, const u64* x, u64* out, size_t n) {
  mac52_available() ? shoup_vec_simd(q, w, wp, x, out, n) : shoup_vec_portable(q, w, wp, x, out, n);
}
void conv64(u64 q, const u64* const* x, const u64* w, const u64* wp, size_t terms, u64* out, size_t n) {
  mac52_available() ? conv64_simd(q, x, w, wp, terms, out, n) : conv64_portable(q, x, w, wp, terms, out, n);
}
void frac_acc(double* frac, const u64* y, double s, size_t n) {
  mac52_available() ? frac_acc_simd(frac, y, s, n) : frac_acc_portable(frac, y, s, n);
}
void round_vec(const double* frac, u64* v, size_t n) {
  mac52_available() ? round_vec_simd(frac, v, n) : round_vec_portable(frac, v, n);
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
  if (i < n) {
    std::vector<const u64*> rx(terms), r0(terms), r1(terms);
    for (size_t t = 0; t < terms; t++) rx[t] = x[t] + i, r0[t] = k0[t] + i, r1[t] = k1[t] + i;
    dot2_64_portable(f.q, rx.data(), r0.data(), r1.data(), terms, out0 + i, out1 + i, n - i);
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

HEC_SIMD64 void shoup_vec_simd(u64 q, u64 w, u64 wp, const u64* x, u64* out, size_t n) {
  const __m512i vq = _mm512_set1_epi64((long long)q), vw = _mm512_set1_epi64((long long)w);
  const __m512i vwp = _mm512_set1_epi64((long long)wp);
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm512_storeu_si512(out + i, red64v(shoup64v(_mm512_loadu_si512(x + i), vw, vwp, vq), vq));
  shoup_vec_portable(q, w, wp, x + i, out + i, n - i);
}

HEC_SIMD64 void conv64_simd(u64 q, const u64* const* x, const u64* w, const u64* wp, size_t terms, u64* out, size_t n) {
  const __m512i vq = _mm512_set1_epi64((long long)q), vq2 = _mm512_set1_epi64((long long)(2 * q));
  size_t i = 0;
  // Two 8-lane columns per iteration: each term's constants are broadcast once for 16 coefficients.
  for (; i + 16 <= n; i += 16) {
    __m512i s0 = _mm512_setzero_si512(), s1 = s0;
    for (size_t t = 0; t < terms; t++) {
      const __m512i vw = _mm512_set1_epi64((long long)w[t]), vwp = _mm512_set1_epi64((long long)wp[t]);
      s0 = red64v(_mm512_add_epi64(s0, shoup64v(_mm512_loadu_si512(x[t] + i), vw, vwp, vq)), vq2);
      s1 = red64v(_mm512_add_epi64(s1, shoup64v(_mm512_loadu_si512(x[t] + i + 8), vw, vwp, vq)), vq2);
    }
    _mm512_storeu_si512(out + i, red64v(s0, vq));
    _mm512_storeu_si512(out + i + 8, red64v(s1, vq));
  }
  if (i < n) {
    std::vector<const u64*> rest(terms);
    for (size_t t = 0; t < terms; t++) rest[t] = x[t] + i;
    conv64_portable(q, rest.data(), w, wp, terms, out + i, n - i);
  }
}

// 128-bit lane sums (lo, hi) of 64×64-bit products, and their reduction hi·[2^64]_q + lo·1 (two Shoup products).
struct Acc128 {
  __m512i lo, hi;
  HEC_SIMD64 Acc128() : lo(_mm512_setzero_si512()), hi(_mm512_setzero_si512()) {}
  HEC_SIMD64 inline void mac(__m512i a, __m512i b) {
    const __m512i pl = _mm512_mullo_epi64(a, b);
    lo = _mm512_add_epi64(lo, pl);
    hi = _mm512_add_epi64(hi, mulhi64v(a, b));
    hi = _mm512_mask_add_epi64(hi, _mm512_cmplt_epu64_mask(lo, pl), hi, _mm512_set1_epi64(1));
  }
};
struct Fold64 {
  __m512i q, q2, r, rp, one, onep;
  HEC_SIMD64 explicit Fold64(u64 q_) {
    const u64 r64 = (u64)(((u128)1 << 64) % q_);
    q = _mm512_set1_epi64((long long)q_);
    q2 = _mm512_set1_epi64((long long)(2 * q_));
    r = _mm512_set1_epi64((long long)r64);
    rp = _mm512_set1_epi64((long long)shoup_precomp(r64, q_));
    one = _mm512_set1_epi64(1);
    onep = _mm512_set1_epi64((long long)shoup_precomp(1, q_));
  }
  HEC_SIMD64 inline __m512i operator()(const Acc128& a) const {
    __m512i t = _mm512_add_epi64(shoup64v(a.hi, r, rp, q), shoup64v(a.lo, one, onep, q));  // [0, 4q) < 2^64
    return red64v(red64v(t, q2), q);
  }
};

HEC_SIMD64 void dot64_simd(u64 q, u64* out, const u64* const* a, const u64* const* b, size_t terms, size_t n) {
  const Fold64 fold(q);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    Acc128 s;
    for (size_t t = 0; t < terms; t++) s.mac(_mm512_loadu_si512(a[t] + i), _mm512_loadu_si512(b[t] + i));
    _mm512_storeu_si512(out + i, fold(s));
  }
  if (i < n) {
    std::vector<const u64*> ra(terms), rb(terms);
    for (size_t t = 0; t < terms; t++) ra[t] = a[t] + i, rb[t] = b[t] + i;
    dot64_portable(q, out + i, ra.data(), rb.data(), terms, n - i);
  }
}

HEC_SIMD64 void dot2_64_simd(u64 q, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms,
                             u64* out0, u64* out1, size_t n) {
  const Fold64 fold(q);
  const __m512i z = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    Acc128 s0, s1;
    for (size_t t = 0; t < terms; t++) {
      if (t && t % kMac52Terms == 0) {  // keep the 128-bit sums from overflowing: fold, restart from the residue
        s0.lo = fold(s0), s0.hi = z;
        s1.lo = fold(s1), s1.hi = z;
      }
      const __m512i v = _mm512_loadu_si512(x[t] + i);
      s0.mac(v, _mm512_loadu_si512(k0[t] + i));
      s1.mac(v, _mm512_loadu_si512(k1[t] + i));
    }
    _mm512_storeu_si512(out0 + i, fold(s0));
    _mm512_storeu_si512(out1 + i, fold(s1));
  }
  if (i < n) {
    std::vector<const u64*> rx(terms), r0(terms), r1(terms);
    for (size_t t = 0; t < terms; t++) rx[t] = x[t] + i, r0[t] = k0[t] + i, r1[t] = k1[t] + i;
    dot2_64_portable(q, rx.data(), r0.data(), r1.data(), terms, out0 + i, out1 + i, n - i);
  }
}

HEC_SIMD64 void sub_shoup_vec_simd(u64 q, u64 w, u64 wp, const u64* a, const u64* b, u64* out, size_t n) {
  const __m512i vq = _mm512_set1_epi64((long long)q), vw = _mm512_set1_epi64((long long)w);
  const __m512i vwp = _mm512_set1_epi64((long long)wp);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i d = _mm512_sub_epi64(_mm512_add_epi64(_mm512_loadu_si512(a + i), vq), _mm512_loadu_si512(b + i));
    _mm512_storeu_si512(out + i, red64v(shoup64v(d, vw, vwp, vq), vq));
  }
  sub_shoup_vec_portable(q, w, wp, a + i, b + i, out + i, n - i);
}

HEC_SIMD64 void reduce_sub_vec_simd(u64 q, u64 r, u64 c, const u64* x, u64* out, size_t n) {
  const __m512i vq = _mm512_set1_epi64((long long)q), vr = _mm512_set1_epi64((long long)r);
  const __m512i vqc = _mm512_set1_epi64((long long)(q - c));
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i v = _mm512_loadu_si512(x + i);
    __m512i t = red64v(_mm512_sub_epi64(v, _mm512_mullo_epi64(mulhi64v(v, vr), vq)), vq);  // x mod q
    _mm512_storeu_si512(out + i, red64v(_mm512_add_epi64(t, vqc), vq));
  }
  reduce_sub_vec_portable(q, r, c, x + i, out + i, n - i);
}

HEC_SIMD64 void frac_acc_simd(double* frac, const u64* y, double s, size_t n) {
  const __m512d vs = _mm512_set1_pd(s);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512d p = _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_loadu_si512(y + i)), vs);
    _mm512_storeu_pd(frac + i, _mm512_add_pd(_mm512_loadu_pd(frac + i), p));
  }
  frac_acc_portable(frac + i, y + i, s, n - i);
}

HEC_SIMD64 void round_vec_simd(const double* frac, u64* v, size_t n) {
  const __m512d half = _mm512_set1_pd(0.5);
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm512_storeu_si512(v + i, _mm512_cvttpd_epu64(_mm512_add_pd(_mm512_loadu_pd(frac + i), half)));
  round_vec_portable(frac + i, v + i, n - i);
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
void shoup_vec_simd(u64 q, u64 w, u64 wp, const u64* x, u64* out, size_t n) { shoup_vec_portable(q, w, wp, x, out, n); }
void conv64_simd(u64 q, const u64* const* x, const u64* w, const u64* wp, size_t terms, u64* out, size_t n) {
  conv64_portable(q, x, w, wp, terms, out, n);
}
void dot64_simd(u64 q, u64* out, const u64* const* a, const u64* const* b, size_t terms, size_t n) {
  dot64_portable(q, out, a, b, terms, n);
}
void dot2_64_simd(u64 q, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms, u64* out0,
                  u64* out1, size_t n) {
  dot2_64_portable(q, x, k0, k1, terms, out0, out1, n);
}
void sub_shoup_vec_simd(u64 q, u64 w, u64 wp, const u64* a, const u64* b, u64* out, size_t n) {
  sub_shoup_vec_portable(q, w, wp, a, b, out, n);
}
void reduce_sub_vec_simd(u64 q, u64 r, u64 c, const u64* x, u64* out, size_t n) { reduce_sub_vec_portable(q, r, c, x, out, n); }
void frac_acc_simd(double* frac, const u64* y, double s, size_t n) { frac_acc_portable(frac, y, s, n); }
void round_vec_simd(const double* frac, u64* v, size_t n) { round_vec_portable(frac, v, n); }
void dot2_52(const Fold52& f, const u64* const* x, const u64* const* k0, const u64* const* k1, size_t terms, u64* out0,
             u64* out1, size_t n) {
  dot2_64_portable(f.q, x, k0, k1, terms, out0, out1, n);
}
}  // namespace hec
#endif
