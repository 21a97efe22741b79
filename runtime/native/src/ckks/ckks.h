// The CKKS scheme over the RNS layer: keys, encryption, homomorphic evaluation and hybrid key switching.
//
// Everything a ciphertext holds is in NTT (evaluation) form over q_0..q_level; switching keys live over Q_L ∪ P.
// Hybrid key switching (Han–Ki, CT-RSA 2020; the gadget of Bossuat et al., Eurocrypt 2021 / Lattigo): the Q primes
// are cut into dnum digits of α = ceil((L+1)/dnum) primes; the key for digit j encrypts P·s' on the primes of digit j
// and 0 elsewhere, so decomposing a polynomial is just reading its residues per digit and extending each digit to the
// other primes (fast basis conversion); the result is divided by P (ModDown). P must exceed one digit's modulus.
#pragma once
#include <string.h>

#include <array>
#include <atomic>
#include <complex>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "../ring/random.h"
#include "../rns/rns.h"
#include "encoder.h"

namespace hec {

using cplx = std::complex<double>;

struct Plaintext {
  RnsPoly m;  // NTT form, nq = level + 1
  int level = 0;
  double scale = 1;
};
struct Ciphertext {
  std::vector<RnsPoly> c;  // NTT form, 2 parts (3 only inside mul before relinearisation)
  int level = 0;
  double scale = 1;
  // The usual two-part ciphertext (c0, c1) at `level` and `scale`.
  static Ciphertext of(int level, double scale, RnsPoly c0, RnsPoly c1) {
    Ciphertext r;
    r.level = level;
    r.scale = scale;
    r.c.push_back(std::move(c0));
    r.c.push_back(std::move(c1));
    return r;
  }
};
struct SecretKey {
  std::vector<int8_t> coeffs;  // ternary coefficients
  int hamming = 0;             // 0 = dense
  RnsPoly s;                   // NTT form over all primes Q_L ∪ P
  SecretKey() = default;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  // Wipe the secret before its memory goes back to the allocator (and the polynomial buffer cache).
  ~SecretKey() {
    secure_wipe(coeffs.data(), coeffs.size());
    if (s.buf) secure_wipe(s.buf.get(), s.words() * sizeof(u64));
  }
};
// Seed compression: the uniform half `a` of a public or switching key is ChaCha20(seed) (ring/random.h SeededPrg)
// with a fresh 32-byte seed from the OS CSPRNG, so the bytes carry the seed instead of a (half the size) and the
// receiver regenerates a. Nonce words: (purpose, digit, limb), limb = index within the polynomial.
using Seed = std::array<uint8_t, 32>;
enum SeedPurpose : uint32_t { SEED_SWITCH_KEY = 1, SEED_PUBLIC_KEY = 2 };

struct PublicKey {
  RnsPoly b, a;  // over Q_L: b = -a·s + e, a = expand(seed)
  Seed seed{};
};
struct SwitchKey {
  std::vector<RnsPoly> b, a;  // one pair per digit, over Q_L ∪ P; a_j = expand(seed, digit j)
  Seed seed{};
};
// Evaluation keys travel as parts (runtime/backend.ts EvaluationKeys), so that no single buffer holds them all:
// part 0 is this manifest (a random key-set id and the switching keys in order), part i ≥ 1 is switching key
// keys[i-1] with its own header (set id, index, count). Key id 0 is relinearisation, an odd id < 2N a Galois
// element; other ids are reserved for further key kinds (loaders refuse them today).
// Sparse-secret encapsulation keys (bootstrapping): even ids, which no Galois element takes.
//   KEY_TO_SPARSE: main secret s -> an ephemeral sparse secret s'; only modulo q_0·p_0 (one digit, one special
//                  prime: 121 bits for hec's presets), so s' is never the secret of an RLWE sample with a larger
//                  modulus. That is the instance the sparse-secret table of ir/security.ts covers (h = 32, log q ≤ 121,
//                  as Lattigo's encapsulation key over LogQ[0] and one LogP prime).
//   KEY_FROM_SPARSE: s' -> s over the whole chain (an encryption under the main secret).
constexpr u64 KEY_TO_SPARSE = 2, KEY_FROM_SPARSE = 4;

struct KeyManifest {
  u64 set_id = 0;
  std::vector<u64> keys;
  u32 count() const { return (u32)(1 + keys.size()); }
};
struct EvalKeys {
  std::unique_ptr<SwitchKey> relin;
  // Galois element g -> key switching s to σ_g^-1(s) (conjugation = 2N-1). Rotating then needs no permuted digits:
  // (u0, u1) = KS(c1) decrypts under σ_g^-1(s) to c1·s, so σ_g(c0 + u0, u1) decrypts under s to σ_g(m) and only the
  // two outputs are permuted (Lattigo does the same), instead of every extended digit.
  std::map<u64, SwitchKey> galois;
  std::unique_ptr<SwitchKey> to_sparse, from_sparse;  // encapsulation (KEY_TO_SPARSE, KEY_FROM_SPARSE)
  // Loading from parts (server side): the manifest, the index of the next part, and whether all parts arrived.
  KeyManifest manifest;
  u32 next_part = 0;
  bool complete = true;
};
// A polynomial decomposed for key switching: one extended digit per entry, NTT form over Q_level ∪ P.
struct Decomposed {
  int level = 0;
  std::vector<RnsPoly> d;
};

// Live ciphertext/plaintext objects across all contexts (leak tests).
std::atomic<long>& live_objects();

// One giant step of a baby-step giant-step linear transform: rotate Σ_t pt_t ⊙ baby_{t.baby} by `rot`.
struct LtTerm {
  int baby;              // index into the baby rotation list
  const Plaintext* pt;   // at the ciphertext's level; every plaintext of a transform at one scale
};
struct LtGiant {
  long rot;
  std::vector<LtTerm> terms;
};

class CkksContext {
 public:
  CkksContext(int logN, const std::vector<u64>& q, const std::vector<u64>& p, int dnum);
  RnsContext rc;
  Encoder enc;
  int dnum, alpha;
  u32 fingerprint;
  size_t N() const { return rc.N; }
  int L() const { return rc.L; }

  u64 galois_rot(long k) const;  // 5^k mod 2N (left rotation by k)
  u64 galois_conj() const { return 2 * rc.N - 1; }
  u64 galois_inv(u64 g) const;  // g^-1 mod 2N
  const std::vector<uint32_t>& perm(u64 g) const;  // NTT-domain index map of X -> X^g

  // Keys.
  std::unique_ptr<SecretKey> gen_secret(int hamming) const;
  void secret_from_coeffs(SecretKey& sk) const;  // fill sk.s from sk.coeffs
  std::unique_ptr<PublicKey> gen_public(const SecretKey& sk) const;
  // Key switching from s_from to s_to (both NTT form over Q_L ∪ P); `a` is expanded from a fresh CSPRNG seed.
  // `qn` Q primes (default all): the key then serves levels < qn only; `pn` special primes p_0..p_{pn-1} (default
  // all K), whose product is the gadget factor.
  SwitchKey gen_switch(const RnsPoly& s_to, const RnsPoly& s_from, int qn = -1, int pn = -1) const;
  // The switching key of a key id (0 = relinearisation, Galois element g: s -> σ_g^-1(s), KEY_TO_SPARSE /
  // KEY_FROM_SPARSE with the ephemeral sparse secret `sparse`).
  SwitchKey gen_key(const SecretKey& sk, u64 key_id, const SecretKey* sparse = nullptr) const;
  // Q primes and special primes a key of this id covers (1 and 1 for KEY_TO_SPARSE), and its digit count.
  int key_q_limbs(u64 key_id) const { return key_id == KEY_TO_SPARSE ? 1 : rc.L + 1; }
  int key_p_limbs(u64 key_id) const { return key_id == KEY_TO_SPARSE ? 1 : rc.K; }
  int key_digits(u64 key_id) const { return (key_q_limbs(key_id) + alpha - 1) / alpha; }
  // sparse_weight > 0: also the encapsulation keys to and from a fresh ephemeral secret of that Hamming weight.
  std::unique_ptr<EvalKeys> gen_eval(const SecretKey& sk, bool relin, const std::vector<u64>& galois,
                                     int sparse_weight = 0) const;
  // Expand a seed into the `a` polynomial of a key (NTT form; every limb its own ChaCha20 stream).
  void expand_uniform(const Seed& seed, uint32_t purpose, uint32_t digit, RnsPoly& a) const;
  // Manifest of a key set: a fresh random set id, relinearisation first (if asked), then the Galois elements in the
  // given order without duplicates. Throws HEC5110 for invalid Galois elements.
  KeyManifest eval_manifest(bool relin, const std::vector<u64>& galois, bool sparse = false) const;

  // Encoding and encryption.
  Plaintext encode(const cplx* slots, int level, double scale) const;
  void decode(const Plaintext& pt, cplx* slots) const;
  Ciphertext encrypt_pk(const PublicKey& pk, const Plaintext& pt) const;
  Ciphertext encrypt_sk(const SecretKey& sk, const Plaintext& pt) const;
  Plaintext decrypt(const SecretKey& sk, const Ciphertext& ct) const;

  // Evaluation (results are new values).
  Ciphertext add(const Ciphertext& a, const Ciphertext& b) const;
  Ciphertext sub(const Ciphertext& a, const Ciphertext& b) const;
  Ciphertext negate(const Ciphertext& a) const;
  Ciphertext add_plain(const Ciphertext& a, const Plaintext& p) const;
  Ciphertext mul_plain(const Ciphertext& a, const Plaintext& p) const;
  Ciphertext add_const(const Ciphertext& a, cplx c) const;
  Ciphertext mul_const(const Ciphertext& a, cplx c, double scale) const;
  Ciphertext mul_int(const Ciphertext& a, i64 c) const;  // exact integer multiple, scale unchanged
  Ciphertext mul(const Ciphertext& a, const Ciphertext& b, const EvalKeys& ek) const;
  Ciphertext rescale(const Ciphertext& a) const;
  Ciphertext drop_to(const Ciphertext& a, int level) const;  // drop primes, scale unchanged
  Ciphertext level_drop(const Ciphertext& a, int level, double target_scale) const;
  Ciphertext rotate(const Ciphertext& a, long k, const EvalKeys& ek) const;
  std::vector<Ciphertext> rotate_hoisted(const Ciphertext& a, const std::vector<long>& ks, const EvalKeys& ek) const;
  Ciphertext conjugate(const Ciphertext& a, const EvalKeys& ek) const;
  // Switch a ciphertext to the key's target secret (level and scale unchanged); the key must cover a's level.
  Ciphertext key_switch(const Ciphertext& a, const SwitchKey& key) const;
  // Encapsulation: a level-0 ciphertext to the ephemeral sparse secret, and any ciphertext back to the main one.
  Ciphertext to_sparse(const Ciphertext& a, const EvalKeys& ek) const;
  Ciphertext from_sparse(const Ciphertext& a, const EvalKeys& ek) const;
  Ciphertext mod_raise(const Ciphertext& a) const;
  // Σ_g rot_g(Σ_t pt ⊙ rot_{babies[t.baby]}(x)): hoisted babies, fused multiply-accumulate (lintrans.cpp). Result at
  // x's level, scale x.scale·pt.scale (not rescaled).
  Ciphertext linear_transform(const Ciphertext& x, const std::vector<long>& babies, const std::vector<LtGiant>& giants,
                              const EvalKeys& ek) const;
  // Σ_t round(cs[t]·scales[t])·xs[t] (real constants; every xs[t].scale·scales[t] equal, the result's scale) at
  // `level` (default xs[0]'s; terms above it are dropped exactly, in place): the sum of mulConst products in one
  // pass (lintrans.cpp).
  Ciphertext lin_comb(const std::vector<const Ciphertext*>& xs, const std::vector<double>& cs,
                      const std::vector<double>& scales, int level = -1) const;

  // Key switching internals (public for tests and benchmarks).
  Decomposed decompose(const RnsPoly& a) const;
  // Σ_j d_j·key_j, ModDown'ed to Q_level.
  void ks_inner(const Decomposed& dec, const SwitchKey& key, RnsPoly& out0, RnsPoly& out1) const;
  // Σ_j d_j·key_j over Q_level ∪ P, before ModDown (P times the switched value, plus key-switching noise).
  void ks_ip(const Decomposed& dec, const SwitchKey& key, RnsPoly& acc0, RnsPoly& acc1) const;
  // Encode over Q_level ∪ P (for products with values kept in the extended basis, e.g. double-hoisted transforms).
  Plaintext encode_ext(const cplx* slots, int level, double scale) const;
  Ciphertext apply_galois(const Ciphertext& a, const Decomposed& dec, u64 g, const EvalKeys& ek) const;
  // The switching key of Galois element g (HEC5109 when the evaluation keys lack it).
  const SwitchKey& galois_key(const EvalKeys& ek, u64 g) const;

  // Bytes.
  std::vector<uint8_t> save_ct(const Ciphertext& ct) const;
  Ciphertext load_ct(const uint8_t* p, size_t n) const;
  std::vector<uint8_t> save_pt(const Plaintext& pt) const;
  Plaintext load_pt(const uint8_t* p, size_t n) const;
  std::vector<uint8_t> save_sk(const SecretKey& sk) const;
  std::unique_ptr<SecretKey> load_sk(const uint8_t* p, size_t n) const;
  std::vector<uint8_t> save_pk(const PublicKey& pk) const;
  std::unique_ptr<PublicKey> load_pk(const uint8_t* p, size_t n) const;
  // Evaluation keys in parts (see KeyManifest). Switching-key parts carry `a` as its seed when `seeded`, else in
  // full. begin_evk starts an empty key set from part 0; add_evk_part checks each next part's set id, index, count
  // and key id (HEC5113 when parts are missing, repeated, reordered or from another key set; HEC5108 when bytes are
  // corrupt) and decodes it; finish_evk checks that every part arrived.
  std::vector<uint8_t> save_manifest(const KeyManifest& m) const;
  KeyManifest load_manifest(const uint8_t* p, size_t n) const;
  std::vector<uint8_t> save_switch_part(const SwitchKey& k, const KeyManifest& m, u32 index, bool seeded) const;
  size_t switch_part_bytes(bool seeded, u64 key_id = 0) const;  // exact size of one switching-key part
  std::unique_ptr<EvalKeys> begin_evk(const uint8_t* p, size_t n) const;
  void add_evk_part(EvalKeys& ek, const uint8_t* p, size_t n) const;
  void finish_evk(EvalKeys& ek) const;
  std::vector<uint8_t> save_params() const;

  const u64* half_monomial(int limb) const;  // NTT form of X^(N/2) mod prime `limb` (multiplies slots by i)

 private:
  mutable std::mutex mu_;
  mutable std::map<u64, std::vector<uint32_t>> perms_;
  mutable std::vector<std::vector<u64>> mono_;
  void check_pair(const char* op, const Ciphertext& a, int level, double scale) const;
  Plaintext encode_at(const cplx* slots, int level, double scale, int np) const;
  Ciphertext linear_transform_ext(const Ciphertext& x, const std::vector<long>& babies,
                                  const std::vector<LtGiant>& giants, const EvalKeys& ek) const;
  RnsPoly sample_error(int nq, int np, Csprng& rng) const;  // NTT form
};

// Parameters fingerprint (32-bit FNV-1a of "logN|q0,q1,..|p0,.."), equal to paramFingerprint() in TS.
u32 param_fingerprint(int logN, const std::vector<u64>& q, const std::vector<u64>& p);
bool same_scale(double a, double b);
u64 double_to_mod(const Modulus& m, double c);  // round(c) mod q for any finite double

}  // namespace hec
