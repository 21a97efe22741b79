// Hybrid key switching: decomposition into digits, inner product with the switching key, ModDown; and the ops
// built on it (relinearised multiplication, rotations, hoisted rotations, conjugation).
//
// Hoisting (Halevi–Shoup, "Faster homomorphic linear transformations in HElib", Crypto 2018; Bossuat et al. 2021):
// the automorphism X -> X^g permutes coefficients up to sign, so it commutes with the per-coefficient digit
// extension (up to a multiple of the digit modulus, i.e. another valid decomposition). One decomposition of c1 thus
// serves every rotation. Galois keys switch to σ_g^-1(s) (see EvalKeys), so each rotation is a plain inner product
// with its key, a ModDown, and one permutation of the two output polynomials.
#include "../ring/mac.h"
#include "../ring/pool.h"
#include "ckks.h"

namespace hec {


Decomposed CkksContext::decompose(const RnsPoly& a) const {
  const size_t N = rc.N;
  const int nq = a.nq, K = rc.K;
  Decomposed dec;
  dec.level = nq - 1;
  RnsPoly coef = a.clone();
  rc.intt(coef);
  const int ndig = (nq + alpha - 1) / alpha;
  for (int j = 0; j < ndig; j++) {
    const int l0 = j * alpha, l1 = std::min(nq, l0 + alpha);
    std::vector<int> from, to;
    for (int l = l0; l < l1; l++) from.push_back(l);
    for (int l = 0; l < nq; l++)
      if (l < l0 || l >= l1) to.push_back(l);
    for (int k = 0; k < K; k++) to.push_back(rc.L + 1 + k);
    const BaseConv& cv = rc.conv(from, to);
    RnsPoly d(N, nq, K);
    std::vector<const u64*> in;
    std::vector<u64*> out;
    for (int l = l0; l < l1; l++) in.push_back(coef.limb(l));
    for (int l = 0; l < nq; l++)
      if (l < l0 || l >= l1) out.push_back(d.limb(l));
    for (int k = 0; k < K; k++) out.push_back(d.limb(nq + k));
    // Centred digits: a digit in [0, Q_j) has mean Q_j/2, and that constant offset times the key error piles up in
    // the slots next to ζ^±1; the centred representative removes it.
    rc.apply_conv(cv, in.data(), out.data(), true);
    // The digit's own residues are the input's (already in NTT form); the extended ones need a forward NTT.
    std::memcpy(d.limb(l0), a.limb(l0), (size_t)(l1 - l0) * N * sizeof(u64));
    parallel_for(out.size(), [&](size_t i) {
      int l = i < (size_t)(nq - (l1 - l0)) ? (int)(i < (size_t)l0 ? i : i + (l1 - l0)) : (int)(i + (l1 - l0));
      rc.tab[rc.gidx(d, l)]->forward(d.limb(l));
    });
    dec.d.push_back(std::move(d));
  }
  return dec;
}

void CkksContext::ks_inner(const Decomposed& dec, const SwitchKey& key, RnsPoly& out0, RnsPoly& out1) const {
  RnsPoly acc0, acc1;
  ks_ip(dec, key, acc0, acc1);
  out0 = rc.mod_down(acc0);
  out1 = rc.mod_down(acc1);
}

void CkksContext::ks_ip(const Decomposed& dec, const SwitchKey& key, RnsPoly& acc0, RnsPoly& acc1) const {
  const size_t N = rc.N;
  const int nq = dec.level + 1, K = rc.K, nl = nq + K;
  const size_t nd = dec.d.size();
  if (key.b.size() < nd) throw HecErr("HEC5108", "switching key has too few digits for these parameters");
  // A key may cover fewer Q primes than the chain (the encapsulation key to the sparse secret exists only modulo
  // q_0·P); it serves every level up to its own.
  const int key_nq = key.b[0].nq;
  if (nq > key_nq)
    throw HecErr("HEC5109", "switching key covers levels 0.." + std::to_string(key_nq - 1) + ", the ciphertext is at level " +
                                std::to_string(nq - 1));
  acc0 = RnsPoly(N, nq, K);
  acc1 = RnsPoly(N, nq, K);
  parallel_for((size_t)nl, [&](size_t li) {
    const int l = (int)li;
    const int g = rc.gidx(acc0, l);
    const int kl = l < nq ? l : key_nq + (l - nq);  // limb index inside the key (over its Q limbs ∪ P)
    const Modulus& m = rc.mod(g);
    u64 *d0 = acc0.limb(l), *d1 = acc1.limb(l);
    std::vector<const u64*> xs(nd), kbs(nd), kas(nd);
    for (size_t j = 0; j < nd; j++) {
      xs[j] = dec.d[j].limb(l);
      kbs[j] = key.b[j].limb(kl);
      kas[j] = key.a[j].limb(kl);
    }
    dot2_mod(m, xs.data(), kbs.data(), kas.data(), nd, d0, d1, N);
  });
}

Ciphertext CkksContext::mul(const Ciphertext& a, const Ciphertext& b, const EvalKeys& ek) const {
  check_pair("mul", a, b.level, a.scale);
  if (!ek.relin) throw HecErr("HEC5109", "mul: no relinearisation key in the evaluation keys");
  const size_t N = rc.N;
  const int nq = a.level + 1;
  RnsPoly c0(N, nq, 0), c1(N, nq, 0), c2(N, nq, 0);
  parallel_for((size_t)nq, [&](size_t li) {
    const int l = (int)li;
    const Modulus& m = rc.mod(l);
    const u64 *a0 = a.c[0].limb(l), *a1 = a.c[1].limb(l), *b0 = b.c[0].limb(l), *b1 = b.c[1].limb(l);
    u64 *d0 = c0.limb(l), *d1 = c1.limb(l), *d2 = c2.limb(l);
    mul_mod(m, d0, a0, b0, N);
    const u64* x[2] = {a0, a1};
    const u64* y[2] = {b1, b0};
    dot_mod(m, d1, x, y, 2, N);
    mul_mod(m, d2, a1, b1, N);
  });
  Decomposed dec = decompose(c2);
  RnsPoly k0, k1;
  ks_inner(dec, *ek.relin, k0, k1);
  rc.add_to(c0, k0);
  rc.add_to(c1, k1);
  return Ciphertext::of(a.level, a.scale * b.scale, std::move(c0), std::move(c1));
}

const SwitchKey& CkksContext::galois_key(const EvalKeys& ek, u64 g) const {
  auto it = ek.galois.find(g);
  if (it == ek.galois.end()) throw HecErr("HEC5109", "no Galois key for element " + std::to_string(g));
  return it->second;
}

Ciphertext CkksContext::apply_galois(const Ciphertext& a, const Decomposed& dec, u64 g, const EvalKeys& ek) const {
  const SwitchKey& key = galois_key(ek, g);
  const auto& pm = perm(g);
  const size_t N = rc.N;
  const int nq = a.level + 1;
  RnsPoly u0, u1;
  ks_inner(dec, key, u0, u1);  // decrypts under σ_g^-1(s) to c1·s
  RnsPoly k0(N, nq, 0), k1(N, nq, 0);
  parallel_for((size_t)nq, [&](size_t li) {
    const int l = (int)li;
    const u64 q = rc.primes[l];
    u64 *d0 = u0.limb(l), *o0 = k0.limb(l), *o1 = k1.limb(l);
    const u64 *x0 = a.c[0].limb(l), *x1 = u1.limb(l);
    for (size_t k = 0; k < N; k++) d0[k] = addmod(d0[k], x0[k], q);
    for (size_t k = 0; k < N; k++) {  // apply σ_g to (c0 + u0, u1)
      o0[k] = d0[pm[k]];
      o1[k] = x1[pm[k]];
    }
  });
  return Ciphertext::of(a.level, a.scale, std::move(k0), std::move(k1));
}

Ciphertext CkksContext::rotate(const Ciphertext& a, long k, const EvalKeys& ek) const {
  auto v = rotate_hoisted(a, {k}, ek);
  return std::move(v[0]);
}

std::vector<Ciphertext> CkksContext::rotate_hoisted(const Ciphertext& a, const std::vector<long>& ks,
                                                    const EvalKeys& ek) const {
  check_pair("rotate", a, a.level, a.scale);
  for (long k : ks)
    if (galois_rot(k) != 1 && !ek.galois.count(galois_rot(k)))
      throw HecErr("HEC5109", "no rotation key for left rotation by " + std::to_string(k));
  std::vector<Ciphertext> out;
  bool any = false;
  for (long k : ks) any = any || galois_rot(k) != 1;
  Decomposed dec;
  if (any) dec = decompose(a.c[1]);
  for (long k : ks) {
    u64 g = galois_rot(k);
    if (g == 1) {
      Ciphertext c;
      c.level = a.level;
      c.scale = a.scale;
      for (auto& p : a.c) c.c.push_back(p.clone());
      out.push_back(std::move(c));
    } else {
      out.push_back(apply_galois(a, dec, g, ek));
    }
  }
  return out;
}

Ciphertext CkksContext::key_switch(const Ciphertext& a, const SwitchKey& key) const {
  check_pair("keySwitch", a, a.level, a.scale);
  Decomposed dec = decompose(a.c[1]);
  RnsPoly u0, u1;
  ks_inner(dec, key, u0, u1);
  rc.add_to(u0, a.c[0]);
  return Ciphertext::of(a.level, a.scale, std::move(u0), std::move(u1));
}

// The key to the sparse secret lives modulo q_0·p_0 only (ckks.h KEY_TO_SPARSE), so this is hybrid key switching
// with one digit (q_0) and one special prime: extend c1 to p_0, take the inner product with the key over {q_0, p_0},
// divide by p_0 with rounding. The added error is ≈ (q_0/p_0)·√N·σ·|c1|/q_0 + √h' ≈ 2^10 at N = 2^16, far below the
// level-0 scale.
Ciphertext CkksContext::to_sparse(const Ciphertext& a, const EvalKeys& ek) const {
  if (!ek.to_sparse) throw HecErr("HEC5109", "no encapsulation key to the sparse secret in the evaluation keys");
  if (a.level != 0) throw HecErr("HEC5101", "toSparse: the ciphertext must be at level 0 (the key exists only modulo q_0·p_0)");
  check_pair("toSparse", a, a.level, a.scale);
  const SwitchKey& key = *ek.to_sparse;
  if (key.b.size() != 1 || key.b[0].nq != 1 || key.b[0].np != 1)
    throw HecErr("HEC5108", "the encapsulation key to the sparse secret must be one digit over q_0·p_0");
  const size_t N = rc.N;
  const int gp = rc.L + 1;  // global index of p_0
  const Modulus &mq = rc.mod(0), &mp = rc.mod(gp);
  const u64 q0 = mq.q, p0 = mp.q;
  // c1 over {q_0, p_0}: its centred representative mod q_0, reduced mod p_0.
  RnsPoly d(N, 1, 1);
  std::memcpy(d.limb(0), a.c[1].limb(0), N * sizeof(u64));
  {
    u64* x = d.limb(1);
    std::memcpy(x, a.c[1].limb(0), N * sizeof(u64));
    rc.tab[0]->inverse(x);
    for (size_t k = 0; k < N; k++) x[k] = x[k] > q0 / 2 ? (p0 - (q0 - x[k]) % p0) % p0 : x[k] % p0;
    rc.tab[gp]->forward(x);
  }
  RnsPoly acc0(N, 1, 1), acc1(N, 1, 1);
  for (int l = 0; l < 2; l++) {
    const Modulus& m = l == 0 ? mq : mp;
    mul_mod(m, acc0.limb(l), d.limb(l), key.b[0].limb(l), N);
    mul_mod(m, acc1.limb(l), d.limb(l), key.a[0].limb(l), N);
  }
  // ModDown by p_0: (x - [x]_{p_0}) / p_0 over q_0, with the centred [x]_{p_0} so the division rounds.
  u64 p_inv = 1;
  for (u64 e = q0 - 2, b = p0 % q0; e > 0; e >>= 1, b = mq.mul(b, b))
    if (e & 1) p_inv = mq.mul(p_inv, b);
  auto mod_down_p0 = [&](RnsPoly& acc, u64* out) {
    u64* t = acc.limb(1);
    rc.tab[gp]->inverse(t);
    for (size_t k = 0; k < N; k++) t[k] = t[k] > p0 / 2 ? (q0 - (p0 - t[k]) % q0) % q0 : t[k] % q0;
    rc.tab[0]->forward(t);
    const u64* x = acc.limb(0);
    for (size_t k = 0; k < N; k++) out[k] = mq.mul(submod(x[k], t[k], q0), p_inv);
  };
  RnsPoly u0(N, 1, 0), u1(N, 1, 0);
  mod_down_p0(acc0, u0.limb(0));
  mod_down_p0(acc1, u1.limb(0));
  rc.add_to(u0, a.c[0]);
  return Ciphertext::of(a.level, a.scale, std::move(u0), std::move(u1));
}

Ciphertext CkksContext::from_sparse(const Ciphertext& a, const EvalKeys& ek) const {
  if (!ek.from_sparse) throw HecErr("HEC5109", "no encapsulation key from the sparse secret in the evaluation keys");
  return key_switch(a, *ek.from_sparse);
}

Ciphertext CkksContext::conjugate(const Ciphertext& a, const EvalKeys& ek) const {
  check_pair("conjugate", a, a.level, a.scale);
  if (!ek.galois.count(galois_conj())) throw HecErr("HEC5109", "no conjugation key in the evaluation keys");
  Decomposed dec = decompose(a.c[1]);
  return apply_galois(a, dec, galois_conj(), ek);
}

}  // namespace hec
