// Context setup, key generation, encoding and encryption.
#include <cmath>

#include "../ring/mac.h"
#include "../ring/pool.h"
#include "ckks.h"

namespace hec {

std::atomic<long>& live_objects() {
  static std::atomic<long> n{0};
  return n;
}

u32 param_fingerprint(int logN, const std::vector<u64>& q, const std::vector<u64>& p) {
  std::string s = std::to_string(logN) + "|";
  for (size_t i = 0; i < q.size(); i++) s += (i ? "," : "") + std::to_string(q[i]);
  s += "|";
  for (size_t i = 0; i < p.size(); i++) s += (i ? "," : "") + std::to_string(p[i]);
  u32 h = 0x811c9dc5u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x01000193u;
  }
  return h;
}

bool same_scale(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b)); }

u64 double_to_mod(const Modulus& m, double c) {
  c = std::nearbyint(c);
  if (std::fabs(c) < 9.2e18) return m.from_signed((i64)c);
  if (!std::isfinite(c)) throw HecErr("HEC5104", "constant is not finite");
  int e;
  double f = std::frexp(c, &e);
  i64 mant = (i64)std::ldexp(f, 53);
  return m.mul(m.from_signed(mant), m.pow(2, (u64)(e - 53)));
}

CkksContext::CkksContext(int logN, const std::vector<u64>& q, const std::vector<u64>& p, int dnum_)
    : rc(logN, q, p), enc((size_t)1 << logN), dnum(dnum_) {
  if (dnum < 1 || dnum > (int)q.size()) throw HecErr("HEC5110", "dnum outside 1..(L+1)");
  alpha = ((int)q.size() + dnum - 1) / dnum;
  fingerprint = param_fingerprint(logN, q, p);
  mono_.resize(rc.primes.size());
}

u64 CkksContext::galois_rot(long k) const {
  const u64 M = 2 * rc.N, n = rc.N / 2;
  long kk = k % (long)n;
  if (kk < 0) kk += (long)n;
  u64 g = 1;
  for (long i = 0; i < kk; i++) g = (g * 5) % M;
  return g;
}

const std::vector<uint32_t>& CkksContext::perm(u64 g) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = perms_.find(g);
  if (it != perms_.end()) return it->second;
  const size_t N = rc.N;
  const u64 M = 2 * N;
  std::vector<uint32_t> pm(N);
  // Index i of the NTT holds the evaluation at ψ^(2·brv(i)+1); X -> X^g maps it to the point ψ^(g·(2·brv(i)+1)).
  for (size_t i = 0; i < N; i++) {
    u64 e = 2 * (u64)bitrev((uint32_t)i, rc.logN) + 1;
    u64 t = (g * e) % M;
    pm[i] = bitrev((uint32_t)((t - 1) / 2), rc.logN);
  }
  return perms_.emplace(g, std::move(pm)).first->second;
}

const u64* CkksContext::half_monomial(int g) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto& v = mono_[g];
  if (v.empty()) {
    v.assign(rc.N, 0);
    v[rc.N / 2] = 1;
    rc.tab[g]->forward(v.data());
  }
  return v.data();
}

RnsPoly CkksContext::sample_error(int nq, int np, Csprng& rng) const {
  const size_t N = rc.N;
  std::vector<int64_t> e(N);
  WipeOnExit wipe_e(e);
  rng.cbd(e.data(), N);
  RnsPoly out(N, nq, np);
  parallel_for((size_t)out.limbs(), [&](size_t l) {
    const int g = rc.gidx(out, (int)l);
    const Modulus& m = rc.mod(g);
    u64* d = out.limb((int)l);
    for (size_t k = 0; k < N; k++) d[k] = m.from_signed(e[k]);
    rc.tab[g]->forward(d);
  });
  return out;
}

void CkksContext::secret_from_coeffs(SecretKey& sk) const {
  const size_t N = rc.N;
  sk.s = RnsPoly(N, rc.L + 1, rc.K);
  parallel_for((size_t)sk.s.limbs(), [&](size_t l) {
    const int g = rc.gidx(sk.s, (int)l);
    const u64 q = rc.primes[g];
    u64* d = sk.s.limb((int)l);
    for (size_t k = 0; k < N; k++) d[k] = sk.coeffs[k] == 0 ? 0 : sk.coeffs[k] > 0 ? 1 : q - 1;
    rc.tab[g]->forward(d);
  });
}

std::unique_ptr<SecretKey> CkksContext::gen_secret(int hamming) const {
  const size_t N = rc.N;
  Csprng rng;
  std::vector<int64_t> t(N);
  WipeOnExit wipe_t(t);
  if (hamming > 0) rng.sparse_ternary(t.data(), N, (size_t)hamming);
  else rng.ternary(t.data(), N);
  auto sk = std::make_unique<SecretKey>();
  sk->hamming = hamming;
  sk->coeffs.resize(N);
  for (size_t k = 0; k < N; k++) sk->coeffs[k] = (int8_t)t[k];
  secret_from_coeffs(*sk);
  return sk;
}

void CkksContext::expand_uniform(const Seed& seed, uint32_t purpose, uint32_t digit, RnsPoly& a) const {
  // Uniform residues are uniform in the NTT domain too, so `a` is drawn there directly (as gen_switch always did).
  parallel_for((size_t)a.limbs(), [&](size_t l) {
    SeededPrg prg(seed.data(), purpose, digit, (uint32_t)l);
    prg.uniform_mod(a.limb((int)l), rc.N, rc.primes[rc.gidx(a, (int)l)]);
  });
}

std::unique_ptr<PublicKey> CkksContext::gen_public(const SecretKey& sk) const {
  const size_t N = rc.N;
  Csprng rng;
  auto pk = std::make_unique<PublicKey>();
  rng.fill(pk->seed.data(), pk->seed.size());
  pk->a = RnsPoly(N, rc.L + 1, 0);
  expand_uniform(pk->seed, SEED_PUBLIC_KEY, 0, pk->a);
  pk->b = sample_error(rc.L + 1, 0, rng);
  parallel_for((size_t)rc.L + 1, [&](size_t l) {
    const Modulus& m = rc.mod((int)l);
    u64* b = pk->b.limb((int)l);
    const u64 *a = pk->a.limb((int)l), *s = sk.s.limb((int)l);
    for (size_t k = 0; k < N; k++) b[k] = submod(b[k], m.mul(a[k], s[k]), m.q);
  });
  return pk;
}

u64 CkksContext::galois_inv(u64 g) const {
  const u64 M = 2 * rc.N;
  // The odd residues mod 2N form a group of order N, so g^(N-1) = g^-1.
  u64 r = 1, b = g % M, e = rc.N - 1;
  while (e) {
    if (e & 1) r = (r * b) % M;
    b = (b * b) % M;
    e >>= 1;
  }
  return r;
}

SwitchKey CkksContext::gen_switch(const RnsPoly& s_to, const RnsPoly& s_from, int qn, int pn) const {
  const size_t N = rc.N;
  if (qn < 0) qn = rc.L + 1;
  if (pn < 0) pn = rc.K;
  if (pn < 1 || pn > rc.K) throw HecErr("HEC5199", "gen_switch: special prime count outside 1..K");
  const int nl = qn + pn;
  const int ndig = (qn + alpha - 1) / alpha;
  // Gadget factor [p_0···p_{pn-1}]_{q_l} (the whole P when pn = K).
  std::vector<u64> gadget((size_t)qn);
  for (int l = 0; l < qn; l++) {
    if (pn == rc.K) {
      gadget[(size_t)l] = rc.P_mod(l);
      continue;
    }
    const Modulus& m = rc.mod(l);
    u64 g = 1;
    for (int k = 0; k < pn; k++) g = m.mul(g, rc.primes[(size_t)(rc.L + 1 + k)] % m.q);
    gadget[(size_t)l] = g;
  }
  Csprng rng;
  SwitchKey key;
  rng.fill(key.seed.data(), key.seed.size());
  for (int j = 0; j < ndig; j++) {
    RnsPoly a(N, qn, pn);
    expand_uniform(key.seed, SEED_SWITCH_KEY, (uint32_t)j, a);
    RnsPoly b = sample_error(qn, pn, rng);
    parallel_for((size_t)nl, [&](size_t l) {
      const int g = rc.gidx(a, (int)l);
      const int sl = (int)l < qn ? (int)l : rc.L + 1 + ((int)l - qn);  // the same prime in the secrets (Q_L ∪ P)
      const Modulus& m = rc.mod(g);
      u64* bb = b.limb((int)l);
      const u64 *aa = a.limb((int)l), *s = s_to.limb(sl);
      for (size_t k = 0; k < N; k++) bb[k] = submod(bb[k], m.mul(aa[k], s[k]), m.q);
      // Gadget: P·s_from on the primes of digit j only (so Σ_j digit_j·g_j ≡ P·x mod Q·P).
      if ((int)l < qn && (int)l / alpha == j) {
        const u64 pm = gadget[l], pmp = shoup_precomp(pm, m.q);
        const u64* sf = s_from.limb(sl);
        for (size_t k = 0; k < N; k++) bb[k] = addmod(bb[k], mulshoup(sf[k], pm, pmp, m.q), m.q);
      }
    });
    key.b.push_back(std::move(b));
    key.a.push_back(std::move(a));
  }
  return key;
}

SwitchKey CkksContext::gen_key(const SecretKey& sk, u64 key_id, const SecretKey* sparse) const {
  const size_t N = rc.N;
  if (key_id == KEY_TO_SPARSE || key_id == KEY_FROM_SPARSE) {
    if (sparse == nullptr) throw HecErr("HEC5110", "encapsulation keys need the ephemeral sparse secret");
    return key_id == KEY_TO_SPARSE ? gen_switch(sparse->s, sk.s, key_q_limbs(key_id), key_p_limbs(key_id))
                                   : gen_switch(sk.s, sparse->s);
  }
  if (key_id == 0) {  // relinearisation: s^2 -> s
    RnsPoly s2(N, rc.L + 1, rc.K);
    parallel_for((size_t)s2.limbs(), [&](size_t l) {
      const Modulus& m = rc.mod(rc.gidx(s2, (int)l));
      const u64* s = sk.s.limb((int)l);
      u64* d = s2.limb((int)l);
      for (size_t k = 0; k < N; k++) d[k] = m.mul(s[k], s[k]);
    });
    SwitchKey key = gen_switch(sk.s, s2);
    secure_wipe(s2.buf.get(), s2.words() * sizeof(u64));
    return key;
  }
  const u64 g = key_id;
  if ((g & 1) == 0 || g == 1 || g >= 2 * N) throw HecErr("HEC5110", "invalid Galois element " + std::to_string(g));
  const auto& pm = perm(galois_inv(g));
  RnsPoly sg(N, rc.L + 1, rc.K);  // σ_g^-1(s)
  for (int l = 0; l < sg.limbs(); l++) {
    const u64* s = sk.s.limb(l);
    u64* d = sg.limb(l);
    for (size_t k = 0; k < N; k++) d[k] = s[pm[k]];
  }
  SwitchKey key = gen_switch(sg, sk.s);
  secure_wipe(sg.buf.get(), sg.words() * sizeof(u64));
  return key;
}

KeyManifest CkksContext::eval_manifest(bool relin, const std::vector<u64>& galois, bool sparse) const {
  KeyManifest m;
  Csprng rng;
  m.set_id = rng.next64();
  if (relin) m.keys.push_back(0);
  for (u64 g : galois) {
    if ((g & 1) == 0 || g == 1 || g >= 2 * rc.N) throw HecErr("HEC5110", "invalid Galois element " + std::to_string(g));
    bool seen = false;
    for (u64 k : m.keys) seen |= (k == g);
    if (!seen) m.keys.push_back(g);
  }
  if (sparse) {
    m.keys.push_back(KEY_TO_SPARSE);
    m.keys.push_back(KEY_FROM_SPARSE);
  }
  return m;
}

std::unique_ptr<EvalKeys> CkksContext::gen_eval(const SecretKey& sk, bool relin, const std::vector<u64>& galois,
                                                int sparse_weight) const {
  auto ek = std::make_unique<EvalKeys>();
  ek->manifest = eval_manifest(relin, galois, sparse_weight > 0);
  std::unique_ptr<SecretKey> sparse = sparse_weight > 0 ? gen_secret(sparse_weight) : nullptr;
  for (u64 id : ek->manifest.keys) {
    if (id == 0) ek->relin = std::make_unique<SwitchKey>(gen_key(sk, 0));
    else if (id == KEY_TO_SPARSE) ek->to_sparse = std::make_unique<SwitchKey>(gen_key(sk, id, sparse.get()));
    else if (id == KEY_FROM_SPARSE) ek->from_sparse = std::make_unique<SwitchKey>(gen_key(sk, id, sparse.get()));
    else ek->galois.emplace(id, gen_key(sk, id));
  }
  return ek;
}

Plaintext CkksContext::encode(const cplx* slots, int level, double scale) const { return encode_at(slots, level, scale, 0); }
Plaintext CkksContext::encode_ext(const cplx* slots, int level, double scale) const {
  return encode_at(slots, level, scale, rc.K);
}

Plaintext CkksContext::encode_at(const cplx* slots, int level, double scale, int np) const {
  if (level < 0 || level > rc.L) throw HecErr("HEC5103", "encode: level " + std::to_string(level) + " outside 0.." + std::to_string(rc.L));
  if (!(scale > 0) || !std::isfinite(scale)) throw HecErr("HEC5110", "encode: scale must be positive and finite");
  std::vector<double> coeffs(rc.N);
  enc.slots_to_coeffs(slots, coeffs.data());
  Plaintext pt;
  pt.m = RnsPoly(rc.N, level + 1, np);
  enc.coeffs_to_rns(rc, coeffs.data(), scale, pt.m);
  rc.ntt(pt.m);
  pt.level = level;
  pt.scale = scale;
  return pt;
}

void CkksContext::decode(const Plaintext& pt, cplx* slots) const {
  RnsPoly c = pt.m.clone();
  rc.intt(c);
  std::vector<double> coeffs(rc.N);
  rc.compose_to_double(c, pt.scale, coeffs.data());
  enc.coeffs_to_slots(coeffs.data(), slots);
}

Ciphertext CkksContext::encrypt_sk(const SecretKey& sk, const Plaintext& pt) const {
  const size_t N = rc.N;
  const int nq = pt.level + 1;
  Csprng rng;
  Ciphertext ct;
  ct.level = pt.level;
  ct.scale = pt.scale;
  RnsPoly a(N, nq, 0);
  for (int l = 0; l < nq; l++) rng.uniform_mod(a.limb(l), N, rc.primes[l]);
  RnsPoly c0 = sample_error(nq, 0, rng);
  parallel_for((size_t)nq, [&](size_t l) {
    const Modulus& m = rc.mod((int)l);
    u64* d = c0.limb((int)l);
    const u64 *aa = a.limb((int)l), *s = sk.s.limb((int)l), *mm = pt.m.limb((int)l);
    for (size_t k = 0; k < N; k++) d[k] = submod(addmod(d[k], mm[k], m.q), m.mul(aa[k], s[k]), m.q);
  });
  ct.c.push_back(std::move(c0));
  ct.c.push_back(std::move(a));
  return ct;
}

Ciphertext CkksContext::encrypt_pk(const PublicKey& pk, const Plaintext& pt) const {
  const size_t N = rc.N;
  const int nq = pt.level + 1;
  Csprng rng;
  std::vector<int64_t> u(N);
  WipeOnExit wipe_u(u);  // the encryption's ephemeral ternary secret: knowing it decrypts this ciphertext
  rng.ternary(u.data(), N);
  RnsPoly un(N, nq, 0);
  WipeOnExit wipe_un(un.buf.get(), un.words() * sizeof(u64));
  for (int l = 0; l < nq; l++) {
    const u64 q = rc.primes[l];
    u64* d = un.limb(l);
    for (size_t k = 0; k < N; k++) d[k] = u[k] == 0 ? 0 : u[k] > 0 ? 1 : q - 1;
  }
  rc.ntt(un);
  RnsPoly c0 = sample_error(nq, 0, rng), c1 = sample_error(nq, 0, rng);
  parallel_for((size_t)nq, [&](size_t l) {
    const Modulus& m = rc.mod((int)l);
    u64 *d0 = c0.limb((int)l), *d1 = c1.limb((int)l);
    const u64 *uu = un.limb((int)l), *b = pk.b.limb((int)l), *a = pk.a.limb((int)l), *mm = pt.m.limb((int)l);
    for (size_t k = 0; k < N; k++) {
      d0[k] = addmod(addmod(d0[k], mm[k], m.q), m.mul(uu[k], b[k]), m.q);
      d1[k] = addmod(d1[k], m.mul(uu[k], a[k]), m.q);
    }
  });
  return Ciphertext::of(pt.level, pt.scale, std::move(c0), std::move(c1));
}

Plaintext CkksContext::decrypt(const SecretKey& sk, const Ciphertext& ct) const {
  const size_t N = rc.N;
  const int nq = ct.level + 1;
  Plaintext pt;
  pt.level = ct.level;
  pt.scale = ct.scale;
  pt.m = ct.c[0].clone();
  if (ct.c.size() != 2) throw HecErr("HEC5108", "decrypt: ciphertext must have 2 parts");
  parallel_for((size_t)nq, [&](size_t l) {
    const Modulus& m = rc.mod((int)l);
    u64* d = pt.m.limb((int)l);
    std::vector<u64> t(N);
    mul_mod(m, t.data(), ct.c[1].limb((int)l), sk.s.limb((int)l), N);  // c0 + c1·s
    for (size_t k = 0; k < N; k++) d[k] = addmod(d[k], t[k], m.q);
  });
  return pt;
}

}  // namespace hec
