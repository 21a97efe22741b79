// Byte formats. Every file: a 40-byte header
//   magic "HECK" | u16 version | u16 type | u32 parameter fingerprint | u32 reserved | u64 payload length |
//   u64 checksum of the payload | u64 reserved
// then the payload (little-endian). The checksum is a 64-bit multiply-xorshift hash over the payload words — it
// catches corruption, not tampering (keys travel over channels the parties already trust). The secret key has its
// own type (SECRET) that no server-side loader accepts. Every residue is range-checked on load, so malformed input
// is an HEC5108 error, never undefined behaviour.
#include <cmath>
#include <cstring>

#include "ckks.h"

namespace hec {

enum FileType : uint16_t { T_PARAMS = 1, T_SECRET = 2, T_PUBLIC = 3, T_EVAL = 4, T_CT = 5, T_PT = 6 };
static const char* type_name(uint16_t t) {
  switch (t) {
    case T_PARAMS: return "parameters";
    case T_SECRET: return "secret key";
    case T_PUBLIC: return "public key";
    case T_EVAL: return "evaluation keys";
    case T_CT: return "ciphertext";
    case T_PT: return "plaintext";
  }
  return "unknown";
}
static constexpr uint16_t VERSION = 1;
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
    if (v != VERSION) throw HecErr("HEC5108", "unsupported format version " + std::to_string(v));
    if (t != want)
      throw HecErr("HEC5108", std::string("expected a ") + type_name(want) + ", got a " + type_name(t) + " file");
    if (fp != c.fingerprint)
      throw HecErr("HEC5108", "parameter fingerprint mismatch: object made for different CKKS parameters");
    if (len != n - HDR) throw HecErr("HEC5108", "truncated or padded object: payload length mismatch");
    if (checksum(p + HDR, len) != cs) throw HecErr("HEC5108", "checksum mismatch: object is corrupt");
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
  for (int8_t c : sk->coeffs)
    if (c < -1 || c > 1) throw HecErr("HEC5108", "secret key is not ternary: corrupt");
  r.done();
  secret_from_coeffs(*sk);
  return sk;
}

std::vector<uint8_t> CkksContext::save_pk(const PublicKey& pk) const {
  Writer w(2 * pk.a.words() * 8 + 32);
  w.poly(pk.b);
  w.poly(pk.a);
  return w.finish(T_PUBLIC, fingerprint);
}

std::unique_ptr<PublicKey> CkksContext::load_pk(const uint8_t* p, size_t n) const {
  Reader r(*this, p, n, T_PUBLIC);
  auto pk = std::make_unique<PublicKey>();
  pk->b = r.poly(rc.L + 1, 0);
  pk->a = r.poly(rc.L + 1, 0);
  r.done();
  return pk;
}

static void put_key(Writer& w, const SwitchKey& k) {
  w.val<u32>((u32)k.b.size());
  for (size_t j = 0; j < k.b.size(); j++) {
    w.poly(k.b[j]);
    w.poly(k.a[j]);
  }
}

std::vector<uint8_t> CkksContext::save_evk(const EvalKeys& ek) const {
  size_t digits = (size_t)((rc.L + alpha) / alpha);
  size_t per = digits * 2 * rc.N * (size_t)(rc.L + 1 + rc.K) * 8 + 64;
  Writer w(per * ((ek.relin ? 1 : 0) + ek.galois.size()) + 64);
  w.val<u32>((u32)dnum);
  w.val<u32>(ek.relin ? 1 : 0);
  w.val<u32>((u32)ek.galois.size());
  if (ek.relin) put_key(w, *ek.relin);
  for (auto& kv : ek.galois) {
    w.val<u64>(kv.first);
    put_key(w, kv.second);
  }
  return w.finish(T_EVAL, fingerprint);
}

std::unique_ptr<EvalKeys> CkksContext::load_evk(const uint8_t* p, size_t n) const {
  Reader r(*this, p, n, T_EVAL);
  auto ek = std::make_unique<EvalKeys>();
  if ((int)r.val<u32>() != dnum) throw HecErr("HEC5108", "evaluation keys were made with a different dnum");
  u32 has_relin = r.val<u32>(), ng = r.val<u32>();
  const u32 ndig = (u32)((rc.L + 1 + alpha - 1) / alpha);
  auto get_key = [&]() {
    SwitchKey k;
    if (r.val<u32>() != ndig) throw HecErr("HEC5108", "switching key has the wrong number of digits");
    for (u32 j = 0; j < ndig; j++) {
      k.b.push_back(r.poly(rc.L + 1, rc.K));
      k.a.push_back(r.poly(rc.L + 1, rc.K));
    }
    return k;
  };
  if (has_relin > 1) throw HecErr("HEC5108", "evaluation keys header is corrupt");
  if (has_relin) ek->relin = std::make_unique<SwitchKey>(get_key());
  if (ng > 2 * rc.N) throw HecErr("HEC5108", "evaluation keys header is corrupt");
  for (u32 i = 0; i < ng; i++) {
    u64 g = r.val<u64>();
    if ((g & 1) == 0 || g >= 2 * rc.N) throw HecErr("HEC5108", "invalid Galois element in evaluation keys");
    ek->galois.emplace(g, get_key());
  }
  r.done();
  return ek;
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
