// Homomorphic evaluation without key switching: additions, plaintext/constant products, rescale, level changes.
#include <cmath>

#include "../ring/mac.h"
#include "../ring/pool.h"
#include "ckks.h"

namespace hec {

static std::string fmt_scale(double s) { return "2^" + std::to_string(std::log2(s)); }

void CkksContext::check_pair(const char* op, const Ciphertext& a, int level, double scale) const {
  if (a.c.size() < 2) throw HecErr("HEC5107", std::string(op) + ": freed or empty ciphertext");
  if (a.level != level)
    throw HecErr("HEC5101", std::string(op) + ": operands at levels " + std::to_string(a.level) + " and " + std::to_string(level));
  if (!same_scale(a.scale, scale))
    throw HecErr("HEC5102", std::string(op) + ": operand scales " + fmt_scale(a.scale) + " and " + fmt_scale(scale) + " differ");
}

// Apply f(limb, modulus, dst, src...) over every limb of every part.
template <class F>
static Ciphertext map_parts(const RnsContext& rc, const Ciphertext& a, F f) {
  Ciphertext r;
  r.level = a.level;
  r.scale = a.scale;
  for (size_t i = 0; i < a.c.size(); i++) r.c.emplace_back(rc.N, a.level + 1, 0);
  parallel_for((size_t)(a.level + 1), [&](size_t l) {
    const Modulus& m = rc.mod((int)l);
    for (size_t i = 0; i < a.c.size(); i++) f(i, (int)l, m, r.c[i].limb((int)l), a.c[i].limb((int)l));
  });
  return r;
}

Ciphertext CkksContext::add(const Ciphertext& a, const Ciphertext& b) const {
  check_pair("add", a, b.level, b.scale);
  const size_t N = rc.N;
  return map_parts(rc, a, [&](size_t i, int l, const Modulus& m, u64* d, const u64* x) {
    const u64* y = b.c[i].limb(l);
    for (size_t k = 0; k < N; k++) d[k] = addmod(x[k], y[k], m.q);
  });
}

Ciphertext CkksContext::sub(const Ciphertext& a, const Ciphertext& b) const {
  check_pair("sub", a, b.level, b.scale);
  const size_t N = rc.N;
  return map_parts(rc, a, [&](size_t i, int l, const Modulus& m, u64* d, const u64* x) {
    const u64* y = b.c[i].limb(l);
    for (size_t k = 0; k < N; k++) d[k] = submod(x[k], y[k], m.q);
  });
}

Ciphertext CkksContext::negate(const Ciphertext& a) const {
  check_pair("negate", a, a.level, a.scale);
  const size_t N = rc.N;
  return map_parts(rc, a, [&](size_t, int, const Modulus& m, u64* d, const u64* x) {
    for (size_t k = 0; k < N; k++) d[k] = negmod(x[k], m.q);
  });
}

Ciphertext CkksContext::add_plain(const Ciphertext& a, const Plaintext& p) const {
  check_pair("addPlain", a, p.level, p.scale);
  const size_t N = rc.N;
  return map_parts(rc, a, [&](size_t i, int l, const Modulus& m, u64* d, const u64* x) {
    if (i == 0) {
      const u64* y = p.m.limb(l);
      for (size_t k = 0; k < N; k++) d[k] = addmod(x[k], y[k], m.q);
    } else {
      std::memcpy(d, x, N * sizeof(u64));
    }
  });
}

Ciphertext CkksContext::mul_plain(const Ciphertext& a, const Plaintext& p) const {
  check_pair("mulPlain", a, p.level, a.scale);  // levels must match; scales multiply
  const size_t N = rc.N;
  Ciphertext r = map_parts(rc, a, [&](size_t, int l, const Modulus& m, u64* d, const u64* x) {
    mul_mod(m, d, x, p.m.limb(l), N);
  });
  r.scale = a.scale * p.scale;
  return r;
}

Ciphertext CkksContext::add_const(const Ciphertext& a, cplx c) const {
  check_pair("addConst", a, a.level, a.scale);
  const size_t N = rc.N;
  // A constant polynomial c·Δ is constant in the evaluation domain; i·c uses X^(N/2), whose slots are all i.
  return map_parts(rc, a, [&](size_t i, int l, const Modulus& m, u64* d, const u64* x) {
    if (i != 0) {
      std::memcpy(d, x, N * sizeof(u64));
      return;
    }
    const u64 re = double_to_mod(m, c.real() * a.scale);
    if (c.imag() == 0) {
      for (size_t k = 0; k < N; k++) d[k] = addmod(x[k], re, m.q);
    } else {
      const u64 im = double_to_mod(m, c.imag() * a.scale), imp = shoup_precomp(im, m.q);
      const u64* mono = half_monomial(l);
      for (size_t k = 0; k < N; k++) d[k] = addmod(x[k], addmod(re, mulshoup(mono[k], im, imp, m.q), m.q), m.q);
    }
  });
}

Ciphertext CkksContext::mul_const(const Ciphertext& a, cplx c, double scale) const {
  check_pair("mulConst", a, a.level, a.scale);
  if (!(scale > 0) || !std::isfinite(scale)) throw HecErr("HEC5110", "mulConst: scale must be positive and finite");
  const size_t N = rc.N;
  Ciphertext r = map_parts(rc, a, [&](size_t, int l, const Modulus& m, u64* d, const u64* x) {
    const u64 re = double_to_mod(m, c.real() * scale), rep = shoup_precomp(re, m.q);
    if (c.imag() == 0) {
      shoup_vec(m.q, re, rep, x, d, N);
    } else {
      const u64 im = double_to_mod(m, c.imag() * scale), imp = shoup_precomp(im, m.q);
      const u64* mono = half_monomial(l);
      for (size_t k = 0; k < N; k++) {
        u64 w = addmod(re, mulshoup(mono[k], im, imp, m.q), m.q);
        d[k] = m.mul(x[k], w);
      }
    }
  });
  r.scale = a.scale * scale;
  return r;
}

Ciphertext CkksContext::mul_int(const Ciphertext& a, i64 c) const {
  check_pair("mulInt", a, a.level, a.scale);
  const size_t N = rc.N;
  return map_parts(rc, a, [&](size_t, int, const Modulus& m, u64* d, const u64* x) {
    const u64 w = m.from_signed(c), wp = shoup_precomp(w, m.q);
    shoup_vec(m.q, w, wp, x, d, N);
  });
}

Ciphertext CkksContext::rescale(const Ciphertext& a) const {
  check_pair("rescale", a, a.level, a.scale);
  if (a.level == 0) throw HecErr("HEC5103", "rescale: ciphertext is at level 0");
  Ciphertext r;
  r.level = a.level - 1;
  r.scale = a.scale / (double)rc.primes[a.level];
  for (auto& p : a.c) r.c.push_back(rc.rescale(p));
  return r;
}

Ciphertext CkksContext::drop_to(const Ciphertext& a, int level) const {
  check_pair("dropLevel", a, a.level, a.scale);
  if (level < 0 || level > a.level)
    throw HecErr("HEC5103", "levelDrop: target level " + std::to_string(level) + " outside 0.." + std::to_string(a.level));
  Ciphertext r;
  r.level = level;
  r.scale = a.scale;
  for (auto& p : a.c) {
    RnsPoly q(rc.N, level + 1, 0);
    std::memcpy(q.limb(0), p.limb(0), q.words() * sizeof(u64));
    r.c.push_back(std::move(q));
  }
  return r;
}

Ciphertext CkksContext::level_drop(const Ciphertext& a, int level, double target) const {
  check_pair("levelDrop", a, a.level, a.scale);
  if (level < 0 || level > a.level)
    throw HecErr("HEC5103", "levelDrop: target level " + std::to_string(level) + " outside 0.." + std::to_string(a.level));
  // Scales equal within the 1e-9 tolerance: drop primes and adopt the target exactly (a relative change far below the
  // noise), so the result IS canonical and later additions with other canonical values agree exactly.
  if (same_scale(a.scale, target)) {
    Ciphertext r = drop_to(a, level);
    r.scale = target;
    return r;
  }
  if (level == a.level)
    throw HecErr("HEC5102", "levelDrop: scale " + fmt_scale(a.scale) + " differs from target " + fmt_scale(target) + " at the same level");
  // Drop to level+1, multiply by the integer c = round(target·q_{level+1}/scale), rescale: the scale becomes
  // scale·c/q_{level+1} = target·(1 + O(1/c)). c ≈ Δ ≈ 2^40 for canonical scales, so the error is far below the noise.
  Ciphertext d = drop_to(a, level + 1);
  const double c = target * (double)rc.primes[level + 1] / a.scale;
  if (!(c >= 1048576.0) || !(c < 9.2e18))
    throw HecErr("HEC5111", "levelDrop: scale " + fmt_scale(a.scale) + " cannot reach " + fmt_scale(target) + " exactly");
  Ciphertext m = mul_int(d, (i64)std::nearbyint(c));
  Ciphertext r = rescale(m);
  r.scale = target;
  return r;
}

Ciphertext CkksContext::mod_raise(const Ciphertext& a) const {
  check_pair("modRaise", a, a.level, a.scale);
  if (a.level != 0) throw HecErr("HEC5103", "modRaise: input must be at level 0, got " + std::to_string(a.level));
  const size_t N = rc.N;
  const u64 q0 = rc.primes[0], half = q0 >> 1;
  Ciphertext r;
  r.level = rc.L;
  r.scale = a.scale;
  for (auto& p : a.c) {
    std::vector<u64> coef(p.limb(0), p.limb(0) + N);
    rc.tab[0]->inverse(coef.data());
    RnsPoly out(N, rc.L + 1, 0);
    parallel_for((size_t)rc.L + 1, [&](size_t l) {
      const Modulus& m = rc.mod((int)l);
      u64* d = out.limb((int)l);
      // Centred representative in (-q0/2, q0/2], re-embedded mod q_l.
      for (size_t k = 0; k < N; k++) d[k] = coef[k] > half ? negmod(m.reduce(q0 - coef[k]), m.q) : m.reduce(coef[k]);
      rc.tab[l]->forward(d);
    });
    r.c.push_back(std::move(out));
  }
  return r;
}

}  // namespace hec
