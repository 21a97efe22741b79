// Byte formats. Every file: a 40-byte header
//   magic "HECK" | u16 version | u16 type | u32 parameter fingerprint | u32 reserved | u64 payload length |
//   u64 checksum of the payload | u64 reserved
// then the payload (little-endian). The checksum is a 64-bit multiply-xorshift hash over the payload words — it
// catches corruption, not tampering (keys travel over channels the parties already trust). The secret key has its
// own type (SECRET) that no server-side loader accepts. Every residue is range-checked on load, so malformed input
// is an HEC5108 error, never undefined behaviour.
//
// Version 2 (this one): evaluation keys travel in parts — a manifest (type 4) and one part per switching key
// (type 7) — and the uniform `a` halves of public and switching keys are stored as 32-byte ChaCha20 seeds. Version 1
// objects (one evaluation-key blob, `a` in full) are refused with HEC5108 naming the version.
#include <cmath>
#include <cstring>

#include "ckks.h"

namespace hec {

enum FileType : uint16_t { T_PARAMS = 1, T_SECRET = 2, T_PUBLIC = 3, T_EVAL_MANIFEST = 4, T_CT = 5, T_PT = 6, T_SWITCH_KEY = 7 };
static const char* type_name(uint16_t t) {
  switch (t) {
    case T_PARAMS: return "parameters";
    case T_SECRET: return "secret key";
    case T_PUBLIC: return "public key";
    case T_EVAL_MANIFEST: return "evaluation-key manifest";
    case T_SWITCH_KEY: return "switching-key part";
    case T_CT: return "ciphertext";
    case T_PT: return "plaintext";
  }
  return "unknown";
}
static constexpr uint16_t VERSION = 2;
static constexpr size_t HDR = 40;

static u64 checksum(const uint8_t* p, size_t n) {
  u64 h = 0x9E3779B97F4A7C15ull ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    u64 w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  for (; i < n; i++) h = (h ^ p[i]) * 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 29);
}

struct Writer {
  std::vector<uint8_t> b;
  explicit Writer(size_t reserve) { b.reserve(HDR + reserve); b.resize(HDR); }
  void put(const void* p, size_t n) {
    const uint8_t* c = (const uint8_t*)p;
    b.insert(b.end(), c, c + n);
  }
  template <class T> void val(T v) { put(&v, sizeof v); }
  void poly(const RnsPoly& p) {
    val<u32>((u32)p.nq);
    val<u32>((u32)p.np);
    put(p.buf.get(), p.words() * 8);
  }
  std::vector<uint8_t> finish(uint16_t type, u32 fp) {
    const size_t n = b.size() - HDR;
    uint8_t* h = b.data();
    std::memcpy(h, "HECK", 4);
    uint16_t v = VERSION;
    std::memcpy(h + 4, &v, 2);
    std::memcpy(h + 6, &type, 2);
    std::memcpy(h + 8, &fp, 4);
    u32 z = 0;
    std::memcpy(h + 12, &z, 4);
    u64 len = n, cs = checksum(b.data() + HDR, n), z8 = 0;
    std::memcpy(h + 16, &len, 8);
    std::memcpy(h + 24, &cs, 8);
    std::memcpy(h + 32, &z8, 8);
    return std::move(b);
  }
};

struct Reader {
  const uint8_t* p;
  size_t n, pos = HDR;
  const CkksContext& cx;
  // want = 0 accepts any type (the caller checks type()).
  Reader(const CkksContext& c, const uint8_t* p_, size_t n_, uint16_t want) : p(p_), n(n_), cx(c) {
    if (n < HDR || std::memcmp(p, "HECK", 4) != 0) throw HecErr("HEC5108", "not an hec CKKS object (bad magic or too short)");
    uint16_t v, t;
    u32 fp;
    u64 len, cs;
    std::memcpy(&v, p + 4, 2);
    std::memcpy(&t, p + 6, 2);
    std::memcpy(&fp, p + 8, 4);
    std::memcpy(&len, p + 16, 8);
    std::memcpy(&cs, p + 24, 8);
    if (v != VERSION)
      throw HecErr("HEC5108", "unsupported format version " + std::to_string(v) + " (this engine reads version " +
                                  std::to_string(VERSION) + "); regenerate the object with this version of hec");
    if (want != 0 && t != want)
      throw HecErr("HEC5108", std::string("expected a ") + type_name(want) + ", got a " + type_name(t) + " file");
    if (fp != c.fingerprint)
      throw HecErr("HEC5108", "parameter fingerprint mismatch: object made for different CKKS parameters");
    if (len != n - HDR) throw HecErr("HEC5108", "truncated or padded object: payload length mismatch");
    if (checksum(p + HDR, len) != cs) throw HecErr("HEC5108", "checksum mismatch: object is corrupt");
  }
  uint16_t type() const {
    uint16_t t;
    std::memcpy(&t, p + 6, 2);
    return t;
  }
  void get(void* dst, size_t k) {
    if (k > n - pos) throw HecErr("HEC5108", "truncated object");
    std::memcpy(dst, p + pos, k);
    pos += k;
  }
  template <class T> T val() {
    T v;
    get(&v, sizeof v);
    return v;
  }
  RnsPoly poly(int want_nq, int want_np) {
    u32 nq = val<u32>(), np = val<u32>();
    if ((int)nq != want_nq || (int)np != want_np) throw HecErr("HEC5108", "polynomial has the wrong number of limbs");
    RnsPoly r(cx.N(), (int)nq, (int)np);
    get(r.buf.get(), r.words() * 8);
    for (int l = 0; l < r.limbs(); l++) {
      const u64 q = cx.rc.primes[cx.rc.gidx(r, l)];
      const u64* d = r.limb(l);
      u64 bad = 0;
      for (size_t k = 0; k < cx.N(); k++) bad |= (u64)(d[k] >= q);
      if (bad) throw HecErr("HEC5108", "residue out of range: object is corrupt");
    }
    return r;
  }
  void done() {
    if (pos != n) throw HecErr("HEC5108", "trailing bytes after object");
  }
};

std::vector<uint8_t> CkksContext::save_ct(const Ciphertext& ct) const {
  Writer w(ct.c.size() * ct.c[0].words() * 8 + 64);
  w.val<u32>((u32)ct.level);
  w.val<u32>((u32)ct.c.size());
  w.val<double>(ct.scale);
  for (auto& p : ct.c) w.poly(p);
  return w.finish(T_CT, fingerprint);
}

Ciphertext CkksContext::load_ct(const uint8_t* p, size_t n) const {
  Reader r(*this, p, n, T_CT);
  Ciphertext ct;
  u32 level = r.val<u32>(), parts = r.val<u32>();
  ct.scale = r.val<double>();
  if (level > (u32)rc.L) throw HecErr("HEC5108", "ciphertext level " + std::to_string(level) + " above the chain top");
  if (parts != 2) throw HecErr("HEC5108", "ciphertext must have 2 parts (got " + std::to_string(parts) + ")");
  if (!(ct.scale > 0) || !std::isfinite(ct.scale)) throw HecErr("HEC5108", "ciphertext scale is not positive and finite");
  ct.level = (int)level;
  for (u32 i = 0; i < parts; i++) ct.c.push_back(r.poly((int)level + 1, 0));
  r.done();
  return ct;
}

std::vector<uint8_t> CkksContext::save_pt(const Plaintext& pt) const {
  Writer w(pt.m.words() * 8 + 64);
  w.val<u32>((u32)pt.level);
  w.val<double>(pt.scale);
  w.poly(pt.m);
  return w.finish(T_PT, fingerprint);
}

Plaintext CkksContext::load_pt(const uint8_t* p, size_t n) const {
  Reader r(*this, p, n, T_PT);
  Plaintext pt;
  u32 level = r.val<u32>();
  pt.scale = r.val<double>();
  if (level > (u32)rc.L) throw HecErr("HEC5108", "plaintext level above the chain top");
  if (!(pt.scale > 0) || !std::isfinite(pt.scale)) throw HecErr("HEC5108", "plaintext scale is not positive and finite");
  pt.level = (int)level;
  pt.m = r.poly((int)level + 1, 0);
  r.done();
  return pt;
}

std::vector<uint8_t> CkksContext::save_sk(const SecretKey& sk) const {
  Writer w(sk.coeffs.size() + 16);
  w.val<u32>((u32)sk.hamming);
  w.val<u32>((u32)sk.coeffs.size());
  w.put(sk.coeffs.data(), sk.coeffs.size());
  return w.finish(T_SECRET, fingerprint);
}

std::unique_ptr<SecretKey> CkksContext::load_sk(const uint8_t* p, size_t n) const {
  Reader r(*this, p, n, T_SECRET);
  auto sk = std::make_unique<SecretKey>();
  sk->hamming = (int)r.val<u32>();
  u32 len = r.val<u32>();
  if (len != rc.N) throw HecErr("HEC5108", "secret key has the wrong ring degree");
  sk->coeffs.resize(len);
  r.get(sk->coeffs.data(), len);
  size_t nonzero = 0;
  for (int8_t c : sk->coeffs) {
    if (c < -1 || c > 1) throw HecErr("HEC5108", "secret key is not ternary: corrupt");
    nonzero += c != 0;
  }
  // The declared distribution must be the one the coefficients have: a sparse key exactly h non-zeros, a dense one
  // about 2N/3 (N/2 is > 100 standard deviations below that at any N ≥ 2^10).
  if (sk->hamming < 0 || (size_t)sk->hamming > rc.N) throw HecErr("HEC5108", "secret key Hamming weight is corrupt");
  if (sk->hamming > 0 && nonzero != (size_t)sk->hamming)
    throw HecErr("HEC5108", "secret key declares Hamming weight " + std::to_string(sk->hamming) + " but has " +
                                std::to_string(nonzero) + " non-zero coefficients: corrupt or edited");
  if (sk->hamming == 0 && nonzero < rc.N / 2)
    throw HecErr("HEC5108", "secret key declares a dense ternary secret but has " + std::to_string(nonzero) + " of " +
                                std::to_string(rc.N) + " non-zero coefficients: corrupt or edited");
  r.done();
  secret_from_coeffs(*sk);
  return sk;
}

// Public key: b, then the seed of a.
std::vector<uint8_t> CkksContext::save_pk(const PublicKey& pk) const {
  Writer w(pk.b.words() * 8 + 64);
  w.poly(pk.b);
  w.put(pk.seed.data(), pk.seed.size());
  return w.finish(T_PUBLIC, fingerprint);
}

std::unique_ptr<PublicKey> CkksContext::load_pk(const uint8_t* p, size_t n) const {
  Reader r(*this, p, n, T_PUBLIC);
  auto pk = std::make_unique<PublicKey>();
  pk->b = r.poly(rc.L + 1, 0);
  r.get(pk->seed.data(), pk->seed.size());
  r.done();
  pk->a = RnsPoly(rc.N, rc.L + 1, 0);
  expand_uniform(pk->seed, SEED_PUBLIC_KEY, 0, pk->a);
  return pk;
}

// Evaluation keys in parts.
//   manifest (type 4):  u64 set id | u32 count (parts, manifest included) | u32 dnum | u32 digits | u32 keys |
//                       u64 key id × keys (0 = relinearisation, else a Galois element)
//   switching key (7):  u64 set id | u32 index (1..count-1) | u32 count | u64 key id | u32 digits | u32 flags
//                       (bit 0: seeded) | [seeded: 32-byte seed] | per digit: poly b_j, [not seeded: poly a_j]
static constexpr u32 F_SEEDED = 1;
// A message may end in "\nfix: ..." (runtime/backends/cpu/native.ts turns it into the HecError's fix line).
static const char* const FIX_PARTS =
    "\nfix: pass every part of one evaluation-key set exactly once, in the order the client produced them";

static std::string key_name(u64 id) {
  if (id == 0) return "relinearisation";
  if (id == KEY_TO_SPARSE) return "encapsulation (to the sparse secret)";
  if (id == KEY_FROM_SPARSE) return "encapsulation (from the sparse secret)";
  return "Galois " + std::to_string(id);
}
static u32 n_digits(const CkksContext& cx) { return (u32)((cx.L() + 1 + cx.alpha - 1) / cx.alpha); }

std::vector<uint8_t> CkksContext::save_manifest(const KeyManifest& m) const {
  Writer w(32 + 8 * m.keys.size());
  w.val<u64>(m.set_id);
  w.val<u32>(m.count());
  w.val<u32>((u32)dnum);
  w.val<u32>(n_digits(*this));
  w.val<u32>((u32)m.keys.size());
  for (u64 k : m.keys) w.val<u64>(k);
  return w.finish(T_EVAL_MANIFEST, fingerprint);
}

KeyManifest CkksContext::load_manifest(const uint8_t* p, size_t n) const {
  Reader r(*this, p, n, 0);
  if (r.type() == T_SWITCH_KEY)
    throw HecErr("HEC5113", std::string("evaluation-key part 0 is a switching key, not the manifest: parts are out of "
                                        "order or the manifest is missing") + FIX_PARTS);
  if (r.type() != T_EVAL_MANIFEST)
    throw HecErr("HEC5108", std::string("expected an evaluation-key manifest, got a ") + type_name(r.type()) + " file");
  KeyManifest m;
  m.set_id = r.val<u64>();
  u32 count = r.val<u32>(), d = r.val<u32>(), nd = r.val<u32>(), nk = r.val<u32>();
  if ((int)d != dnum || nd != n_digits(*this)) throw HecErr("HEC5108", "evaluation keys were made with a different dnum");
  if (nk > 2 * rc.N || count != nk + 1) throw HecErr("HEC5108", "evaluation-key manifest header is corrupt");
  std::map<u64, bool> seen;
  for (u32 i = 0; i < nk; i++) {
    u64 id = r.val<u64>();
    if (id != 0 && id != KEY_TO_SPARSE && id != KEY_FROM_SPARSE && ((id & 1) == 0 || id == 1 || id >= 2 * rc.N))
      throw HecErr("HEC5108", "invalid Galois element " + std::to_string(id) + " in the evaluation-key manifest");
    if (!seen.emplace(id, true).second) throw HecErr("HEC5108", "evaluation-key manifest lists " + key_name(id) + " twice");
    m.keys.push_back(id);
  }
  r.done();
  return m;
}

size_t CkksContext::switch_part_bytes(bool seeded, u64 key_id) const {
  const size_t poly = 8 + rc.N * (size_t)(key_q_limbs(key_id) + key_p_limbs(key_id)) * 8;
  return HDR + 32 + (seeded ? 32 : 0) + key_digits(key_id) * poly * (seeded ? 1 : 2);
}

std::vector<uint8_t> CkksContext::save_switch_part(const SwitchKey& k, const KeyManifest& m, u32 index, bool seeded) const {
  if (index < 1 || index >= m.count()) throw HecErr("HEC5110", "switching-key part index outside 1..count-1");
  const u64 id = m.keys[index - 1];
  if (k.b.size() != (size_t)key_digits(id)) throw HecErr("HEC5199", "switching key has the wrong number of digits");
  Writer w(switch_part_bytes(seeded, id) - HDR);
  w.val<u64>(m.set_id);
  w.val<u32>(index);
  w.val<u32>(m.count());
  w.val<u64>(m.keys[index - 1]);
  w.val<u32>((u32)k.b.size());
  w.val<u32>(seeded ? F_SEEDED : 0);
  if (seeded) w.put(k.seed.data(), k.seed.size());
  for (size_t j = 0; j < k.b.size(); j++) {
    w.poly(k.b[j]);
    if (!seeded) w.poly(k.a[j]);
  }
  return w.finish(T_SWITCH_KEY, fingerprint);
}

std::unique_ptr<EvalKeys> CkksContext::begin_evk(const uint8_t* p, size_t n) const {
  auto ek = std::make_unique<EvalKeys>();
  ek->manifest = load_manifest(p, n);
  ek->next_part = 1;
  ek->complete = false;
  return ek;
}

void CkksContext::add_evk_part(EvalKeys& ek, const uint8_t* p, size_t n) const {
  const KeyManifest& m = ek.manifest;
  if (ek.complete) throw HecErr("HEC5113", "evaluation keys are already complete: no more parts can be added");
  Reader r(*this, p, n, 0);
  if (r.type() == T_EVAL_MANIFEST)
    throw HecErr("HEC5113", "evaluation-key part " + std::to_string(ek.next_part) +
                                " is a second manifest: parts of two key sets are mixed" + FIX_PARTS);
  if (r.type() != T_SWITCH_KEY)
    throw HecErr("HEC5108", std::string("expected a switching-key part, got a ") + type_name(r.type()) + " file");
  const u64 set = r.val<u64>();
  const u32 index = r.val<u32>(), count = r.val<u32>();
  const u64 id = r.val<u64>();
  if (set != m.set_id || count != m.count())
    throw HecErr("HEC5113", "switching-key part " + std::to_string(index) + " belongs to another evaluation-key set" + FIX_PARTS);
  if (index == 0 || index >= count) throw HecErr("HEC5108", "switching-key part index " + std::to_string(index) + " is corrupt");
  if (index < ek.next_part)
    throw HecErr("HEC5113", "duplicate evaluation-key part " + std::to_string(index) + " of " + std::to_string(count) +
                                " (" + key_name(id) + ")" + FIX_PARTS);
  if (index > ek.next_part)
    throw HecErr("HEC5113", "evaluation-key part " + std::to_string(ek.next_part) + " of " + std::to_string(count) +
                                " is missing: got part " + std::to_string(index) + " (parts lost or out of order)" + FIX_PARTS);
  if (id != m.keys[index - 1])
    throw HecErr("HEC5108", "switching-key part " + std::to_string(index) + " holds " + key_name(id) + " but the manifest lists " +
                                key_name(m.keys[index - 1]) + ": corrupt");
  const u32 nd = r.val<u32>(), flags = r.val<u32>();
  if (nd != (u32)key_digits(id)) throw HecErr("HEC5108", "switching key has the wrong number of digits");
  const int qn = key_q_limbs(id), pn = key_p_limbs(id);
  if (flags & ~F_SEEDED) throw HecErr("HEC5108", "switching-key part has unknown flags: corrupt");
  SwitchKey k;
  const bool seeded = flags & F_SEEDED;
  if (seeded) r.get(k.seed.data(), k.seed.size());
  for (u32 j = 0; j < nd; j++) {
    k.b.push_back(r.poly(qn, pn));
    if (!seeded) k.a.push_back(r.poly(qn, pn));
  }
  r.done();
  if (seeded) {
    for (u32 j = 0; j < nd; j++) {
      RnsPoly a(rc.N, qn, pn);
      expand_uniform(k.seed, SEED_SWITCH_KEY, j, a);
      k.a.push_back(std::move(a));
    }
  }
  if (id == 0) ek.relin = std::make_unique<SwitchKey>(std::move(k));
  else if (id == KEY_TO_SPARSE) ek.to_sparse = std::make_unique<SwitchKey>(std::move(k));
  else if (id == KEY_FROM_SPARSE) ek.from_sparse = std::make_unique<SwitchKey>(std::move(k));
  else ek.galois.emplace(id, std::move(k));
  ek.next_part++;
}

void CkksContext::finish_evk(EvalKeys& ek) const {
  if (ek.complete) return;
  const u32 count = ek.manifest.count();
  if (ek.next_part != count)
    throw HecErr("HEC5113", "evaluation keys are incomplete: " + std::to_string(ek.next_part) + " of " + std::to_string(count) +
                                " parts arrived (stream truncated)" + FIX_PARTS);
  ek.complete = true;
}

std::vector<uint8_t> CkksContext::save_params() const {
  Writer w(64 + 8 * rc.primes.size());
  w.val<u32>((u32)rc.logN);
  w.val<u32>((u32)(rc.L + 1));
  w.val<u32>((u32)rc.K);
  w.val<u32>((u32)dnum);
  for (u64 q : rc.primes) w.val<u64>(q);
  return w.finish(T_PARAMS, fingerprint);
}

}  // namespace hec
