#include "encoder.h"

#include <cmath>

#include "../ring/pool.h"

namespace hec {

Encoder::Encoder(size_t N_) : N(N_), n(N_ / 2) {
  const size_t M = 2 * N;
  ksi_.resize(M + 1);
  for (size_t k = 0; k <= M; k++) {
    long double a = 2.0L * 3.14159265358979323846264338327950288L * (long double)k / (long double)M;
    ksi_[k] = std::complex<double>((double)cosl(a), (double)sinl(a));
  }
  rot_.resize(n);
  size_t r = 1;
  for (size_t j = 0; j < n; j++) {
    rot_[j] = r;
    r = (r * 5) % M;
  }
}

static void bit_reverse(std::complex<double>* v, size_t n) {
  for (size_t i = 1, j = 0; i < n; i++) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(v[i], v[j]);
  }
}

void Encoder::emb(std::complex<double>* v) const {
  const size_t M = 2 * N;
  bit_reverse(v, n);
  for (size_t len = 2; len <= n; len <<= 1) {
    const size_t lenh = len >> 1, lenq = len << 2, gap = M / lenq;
    for (size_t i = 0; i < n; i += len)
      for (size_t j = 0; j < lenh; j++) {
        std::complex<double> u = v[i + j], w = v[i + j + lenh] * ksi_[(rot_[j] % lenq) * gap];
        v[i + j] = u + w;
        v[i + j + lenh] = u - w;
      }
  }
}

void Encoder::emb_inv(std::complex<double>* v) const {
  const size_t M = 2 * N;
  for (size_t len = n; len >= 2; len >>= 1) {
    const size_t lenh = len >> 1, lenq = len << 2, gap = M / lenq;
    for (size_t i = 0; i < n; i += len)
      for (size_t j = 0; j < lenh; j++) {
        std::complex<double> u = v[i + j] + v[i + j + lenh];
        std::complex<double> w = (v[i + j] - v[i + j + lenh]) * ksi_[(lenq - rot_[j] % lenq) * gap];
        v[i + j] = u;
        v[i + j + lenh] = w;
      }
  }
  bit_reverse(v, n);
  const double inv = 1.0 / (double)n;
  for (size_t i = 0; i < n; i++) v[i] *= inv;
}

void Encoder::slots_to_coeffs(const std::complex<double>* slots, double* coeffs) const {
  std::vector<std::complex<double>> v(slots, slots + n);
  emb_inv(v.data());
  for (size_t i = 0; i < n; i++) {
    coeffs[i] = v[i].real();
    coeffs[i + n] = v[i].imag();
  }
}

void Encoder::coeffs_to_slots(const double* coeffs, std::complex<double>* slots) const {
  for (size_t i = 0; i < n; i++) slots[i] = std::complex<double>(coeffs[i], coeffs[i + n]);
  emb(slots);
}

void Encoder::coeffs_to_rns(const RnsContext& rc, const double* coeffs, double scale, RnsPoly& out) const {
  const int nl = out.limbs();  // Q limbs, then any special-prime limbs
  // Round once per coefficient; values beyond 2^63 (large scales) take the exact mantissa·2^e path per prime.
  std::vector<i64> ints(N);
  std::vector<size_t> big;
  for (size_t k = 0; k < N; k++) {
    double c = std::nearbyint(coeffs[k] * scale);
    if (!std::isfinite(c)) throw HecErr("HEC5104", "encoded value is not finite");
    if (std::fabs(c) < 9.2e18) {
      ints[k] = (i64)c;
    } else {
      ints[k] = 0;
      big.push_back(k);
    }
  }
  parallel_for((size_t)nl, [&](size_t i) {
    const Modulus& m = rc.mod(rc.gidx(out, (int)i));
    u64* dst = out.limb((int)i);
    const u64 q = m.q;
    for (size_t k = 0; k < N; k++) {
      const i64 v = ints[k];
      const u64 r = m.reduce(v < 0 ? (u64)0 - (u64)v : (u64)v);
      dst[k] = v < 0 ? negmod(r, q) : r;
    }
    for (size_t k : big) {
      // c = mant·2^e with a 53-bit integer mantissa: reduce mant, then multiply by 2^e mod q.
      int e;
      double f = std::frexp(std::nearbyint(coeffs[k] * scale), &e);
      i64 mant = (i64)std::ldexp(f, 53);
      dst[k] = m.mul(m.from_signed(mant), m.pow(2, (u64)(e - 53)));
    }
  });
}

}  // namespace hec
