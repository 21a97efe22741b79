// Fused linear algebra for bootstrapping.
//
// linear_transform: plaintext-matrix × ciphertext products (the CoeffsToSlots / SlotsToCoeffs stages, and any
// diagonal-packed linear map),
//
//   y = Σ_g rot_g( Σ_t pt_{g,t} ⊙ rot_{b(g,t)}(x) )      (baby-step giant-step, Halevi–Shoup 2018).
//
// The baby rotations share one decomposition (hoisting). All giants' inner sums are formed in one cache-blocked
// multiply-accumulate pass (products summed in 128-bit lanes, one reduction per coefficient), so no product or
// partial sum is written out; the giant rotations accumulate in place. Compared with one engine call per product and
// sum this removes two full ciphertext writes and reads per diagonal, which is what bounded these stages (they are
// memory-bound at N = 2^16). With plaintexts over Q ∪ P the transform is double-hoisted (linear_transform_ext).
//
// lin_comb: Σ_t c_t·x_t with real constants in one pass (EvalMod's baby-step sums).
#include "../ring/mac.h"
#include "../ring/pool.h"
#include "ckks.h"

namespace hec {

namespace {
// The giants' inner sums Σ_t pt_t ⊙ baby_{t.baby}, all giants in one pass over (limb, block of coefficients): a
// block of every baby stays in cache while each giant's terms read it, so babies come from memory once instead of
// once per giant; each plaintext block is read once for both ciphertext parts (dot2: shared multiplier). `nl` limbs
// (Q, then P limbs when the babies and plaintexts carry them).
std::vector<Ciphertext> giant_sums(const RnsContext& rc, const std::vector<const Ciphertext*>& baby,
                                   const std::vector<LtGiant>& giants, int level, int np, double scale) {
  const size_t N = rc.N;
  const int nq = level + 1, nl = nq + np;
  std::vector<Ciphertext> out(giants.size());
  for (auto& c : out) {
    c.level = level;
    c.scale = scale;
    c.c.emplace_back(N, nq, np);
    c.c.emplace_back(N, nq, np);
  }
  constexpr size_t B = 2048;  // coefficients per block: 16 KB per limb block
  const size_t nblk = (N + B - 1) / B;
  parallel_for((size_t)nl * nblk, [&](size_t job) {
    const int l = (int)(job / nblk);
    const size_t c0 = (job % nblk) * B, len = std::min(B, N - c0);
    const Modulus& m = rc.mod(rc.gidx(out[0].c[0], l));
    std::vector<const u64*> x, k0, k1;
    for (size_t g = 0; g < giants.size(); g++) {
      x.clear();
      k0.clear();
      k1.clear();
      for (const auto& t : giants[g].terms) {
        x.push_back(t.pt->m.limb(l) + c0);  // same level as the babies: the same limb layout over Q (∪ P)
        k0.push_back(baby[t.baby]->c[0].limb(l) + c0);
        k1.push_back(baby[t.baby]->c[1].limb(l) + c0);
      }
      dot2_mod(m, x.data(), k0.data(), k1.data(), x.size(), out[g].c[0].limb(l) + c0, out[g].c[1].limb(l) + c0, len);
    }
  });
  return out;
}

// acc += r, or acc = r when acc is still empty.
void accumulate(const RnsContext& rc, Ciphertext& acc, Ciphertext r) {
  if (acc.c.empty()) {
    acc = std::move(r);
    return;
  }
  rc.add_to(acc.c[0], r.c[0]);
  rc.add_to(acc.c[1], r.c[1]);
}
}  // namespace

Ciphertext CkksContext::linear_transform(const Ciphertext& x, const std::vector<long>& babies,
                                         const std::vector<LtGiant>& giants, const EvalKeys& ek) const {
  check_pair("linearTransform", x, x.level, x.scale);
  if (giants.empty()) throw HecErr("HEC5110", "linearTransform: no giant steps");
  double pt_scale = 0;
  bool ext = rc.K > 0;  // every plaintext also over P: double hoisting
  for (const auto& g : giants) {
    if (g.terms.empty()) throw HecErr("HEC5110", "linearTransform: a giant step without terms");
    for (const auto& t : g.terms) {
      if (t.baby < 0 || (size_t)t.baby >= babies.size())
        throw HecErr("HEC5110", "linearTransform: baby index " + std::to_string(t.baby) + " out of range");
      if (t.pt == nullptr || t.pt->m.nq == 0) throw HecErr("HEC5107", "linearTransform: freed plaintext");
      if (t.pt->level != x.level)
        throw HecErr("HEC5101", "linearTransform: plaintext at level " + std::to_string(t.pt->level) +
                                    ", ciphertext at level " + std::to_string(x.level));
      if (pt_scale == 0) pt_scale = t.pt->scale;
      else if (!same_scale(pt_scale, t.pt->scale))
        throw HecErr("HEC5102", "linearTransform: plaintexts at different scales");
      ext = ext && t.pt->m.np == rc.K;
    }
  }
  if (ext) return linear_transform_ext(x, babies, giants, ek);
  // Baby rotations, hoisted: index i of `rot` is rotation babies[i] (0 = x itself, not copied).
  std::vector<long> ks;
  for (long b : babies)
    if (galois_rot(b) != 1) ks.push_back(b);
  std::vector<Ciphertext> rotated = ks.empty() ? std::vector<Ciphertext>{} : rotate_hoisted(x, ks, ek);
  std::vector<const Ciphertext*> baby(babies.size());
  for (size_t i = 0, r = 0; i < babies.size(); i++) baby[i] = galois_rot(babies[i]) == 1 ? &x : &rotated[r++];

  std::vector<Ciphertext> inner = giant_sums(rc, baby, giants, x.level, 0, x.scale * pt_scale);
  Ciphertext acc;
  for (size_t gi = 0; gi < giants.size(); gi++) {
    Ciphertext r = galois_rot(giants[gi].rot) == 1 ? std::move(inner[gi]) : rotate(inner[gi], giants[gi].rot, ek);
    inner[gi] = Ciphertext();
    accumulate(rc, acc, std::move(r));
  }
  return acc;
}

Ciphertext CkksContext::lin_comb(const std::vector<const Ciphertext*>& xs, const std::vector<double>& cs,
                                 const std::vector<double>& scales, int level) const {
  if (xs.empty() || cs.size() != xs.size() || scales.size() != xs.size())
    throw HecErr("HEC5110", "linComb: needs one constant and one scale per ciphertext");
  const Ciphertext& x0 = *xs[0];
  if (level < 0) level = x0.level;
  const double out_scale = x0.scale * scales[0];
  for (size_t t = 0; t < xs.size(); t++) {
    check_pair("linComb", *xs[t], xs[t]->level, xs[t]->scale);
    if (xs[t]->c.size() != 2) throw HecErr("HEC5107", "linComb: ciphertexts must have two parts");
    // Inputs above the result's level contribute their first level + 1 limbs: an exact prime drop, read in place.
    if (xs[t]->level < level)
      throw HecErr("HEC5101", "linComb: a term at level " + std::to_string(xs[t]->level) + " is below the result's level " + std::to_string(level));
    if (!(scales[t] > 0) || !std::isfinite(scales[t])) throw HecErr("HEC5110", "linComb: scales must be positive and finite");
    if (!same_scale(xs[t]->scale * scales[t], out_scale))
      throw HecErr("HEC5102", "linComb: term " + std::to_string(t) + " would land at another scale than term 0");
  }
  const size_t N = rc.N, T = xs.size();
  const int nq = level + 1;
  Ciphertext r;
  r.level = level;
  r.scale = out_scale;
  r.c.emplace_back(N, nq, 0);
  r.c.emplace_back(N, nq, 0);
  parallel_for((size_t)nq * 2, [&](size_t job) {
    const int l = (int)(job / 2), part = (int)(job % 2);
    const Modulus& m = rc.mod(l);
    // The constants round exactly as mul_const's (double_to_mod of c·scale), so the result equals the sum of
    // mulConst products word for word.
    std::vector<u64> w(T), wp(T);
    std::vector<const u64*> x(T);
    for (size_t t = 0; t < T; t++) {
      w[t] = double_to_mod(m, cs[t] * scales[t]);
      wp[t] = shoup_precomp(w[t], m.q);
      x[t] = xs[t]->c[part].limb(l);
    }
    if (m.q < (1ull << 50) && mac52_available()) conv52(Fold52(m.q), x.data(), w.data(), T, r.c[part].limb(l), N);
    else conv64(m.q, x.data(), w.data(), wp.data(), T, r.c[part].limb(l), N);
  });
  return r;
}

// Double hoisting (Bossuat, Mouchet, Troncoso-Pastoriza, Hubaux, "Efficient bootstrapping for approximate
// homomorphic encryption with non-sparse keys", Eurocrypt 2021, §6): with plaintexts encoded over Q ∪ P as well,
// the baby rotations stay in the extended basis as P·rot_b(x) + noise (the inner product of the one decomposition
// with each Galois key, no ModDown), every giant's sum Σ pt ⊙ baby is formed there, and the giant rotations also
// deliver P·(...) into one extended accumulator. ModDown then runs once per giant (to decompose its sum) and once at
// the end, instead of once per rotation; the rounding of ModDown also comes after the plaintext products instead of
// being multiplied by them.
Ciphertext CkksContext::linear_transform_ext(const Ciphertext& x, const std::vector<long>& babies,
                                             const std::vector<LtGiant>& giants, const EvalKeys& ek) const {
  const size_t N = rc.N;
  const int nq = x.level + 1, K = rc.K, nl = nq + K;
  const double pt_scale = giants[0].terms[0].pt->scale;
  // (P·c0 + u0, u1) permuted by σ_g, over Q ∪ P: the rotation of P·(c0, c1) before ModDown. u = nullptr: identity.
  auto lift_rotate = [&](const RnsPoly& c0, RnsPoly* u0, RnsPoly* u1, const RnsPoly& c1, u64 g) {
    Ciphertext r;
    r.level = x.level;
    r.c.emplace_back(N, nq, K);
    r.c.emplace_back(N, nq, K);
    const std::vector<uint32_t>* pm = g == 1 ? nullptr : &perm(g);
    parallel_for((size_t)nl, [&](size_t li) {
      const int l = (int)li;
      u64 *o0 = r.c[0].limb(l), *o1 = r.c[1].limb(l);
      if (l < nq) {
        const u64 q = rc.primes[l], P = rc.P_mod(l), Pp = shoup_precomp(P, q);
        if (pm == nullptr) {  // identity: (P·c0, P·c1)
          shoup_vec(q, P, Pp, c0.limb(l), o0, N);
          shoup_vec(q, P, Pp, c1.limb(l), o1, N);
          return;
        }
        static thread_local std::vector<u64> pc;
        if (pc.size() < N) pc.resize(N);
        shoup_vec(q, P, Pp, c0.limb(l), pc.data(), N);
        u64* d0 = u0->limb(l);
        for (size_t k = 0; k < N; k++) d0[k] = addmod(d0[k], pc[k], q);
      } else if (pm == nullptr) {  // P·c ≡ 0 mod the special primes
        std::memset(o0, 0, N * sizeof(u64));
        std::memset(o1, 0, N * sizeof(u64));
        return;
      }
      const u64 *d0 = u0->limb(l), *d1 = u1->limb(l);
      const uint32_t* p = pm->data();
      for (size_t k = 0; k < N; k++) {
        o0[k] = d0[p[k]];
        o1[k] = d1[p[k]];
      }
    });
    return r;
  };

  // Babies over Q ∪ P.
  bool any = false;
  for (long b : babies) any = any || galois_rot(b) != 1;
  Decomposed dec;
  if (any) dec = decompose(x.c[1]);
  std::vector<Ciphertext> baby;
  for (long b : babies) {
    const u64 g = galois_rot(b);
    if (g == 1) {
      baby.push_back(lift_rotate(x.c[0], nullptr, nullptr, x.c[1], 1));
      continue;
    }
    RnsPoly u0, u1;
    ks_ip(dec, galois_key(ek, g), u0, u1);
    baby.push_back(lift_rotate(x.c[0], &u0, &u1, x.c[1], g));
  }

  std::vector<const Ciphertext*> bp;
  for (const auto& b : baby) bp.push_back(&b);
  std::vector<Ciphertext> inner = giant_sums(rc, bp, giants, x.level, K, 1.0);
  baby.clear();
  Ciphertext acc;
  for (size_t i = 0; i < giants.size(); i++) {
    const u64 g = galois_rot(giants[i].rot);
    Ciphertext r;
    if (g == 1) {
      r = std::move(inner[i]);
    } else {
      // The giant's sum back to Q (one ModDown), decomposed, switched, and delivered as P·rot(...) again.
      RnsPoly c0 = rc.mod_down(inner[i].c[0]), c1 = rc.mod_down(inner[i].c[1]);
      inner[i] = Ciphertext();
      Decomposed d2 = decompose(c1);
      RnsPoly u0, u1;
      ks_ip(d2, galois_key(ek, g), u0, u1);
      r = lift_rotate(c0, &u0, &u1, c1, g);
    }
    accumulate(rc, acc, std::move(r));
  }
  return Ciphertext::of(x.level, x.scale * pt_scale, rc.mod_down(acc.c[0]), rc.mod_down(acc.c[1]));
}

}  // namespace hec
