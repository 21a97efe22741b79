// The RNS layer: a chain of primes q_0..q_L and special primes p_0..p_{K-1}, with their NTT tables, fast basis
// conversion (Bajard et al., "A full RNS variant of FV-like somewhat homomorphic encryption schemes", SAC 2016 —
// approximate: the result may carry a small multiple of the source modulus, which CKKS tolerates as noise), rescale
// and ModDown (dividing by P after hybrid key switching), and exact CRT composition for decoding.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "../ring/ntt.h"
#include "../ring/poly.h"

namespace hec {

// Converts residues over basis `from` to residues over basis `to` (global prime indices), coefficient form.
struct BaseConv {
  std::vector<int> from, to;
  std::vector<u64> inv_hat, inv_hat_p;  // [B̂_i^{-1}]_{b_i} and Shoup companion
  std::vector<u64> hat;                 // [B̂_i]_{c_j}, row j = target
  std::vector<Modulus> tmods;
  std::vector<u64> B_mod;       // [B]_{c_j} for the centred (exact) variant
  std::vector<double> inv_b;    // 1/b_i
  std::vector<u64> hat31;       // [B̂_i·2^31]_{c_j}: lets sources >= 2^50 use the 52-bit kernels as y = yh·2^31 + yl
  std::vector<char> wide;       // source prime >= 2^50
  // Per target row j, m + 1 constants for the wide-prime kernel (conv64): [B̂_i]_{c_j} for i < m, then the centring
  // constant [-B]_{c_j}; and their Shoup companions.
  std::vector<u64> wrow, wrow_p;
};

class RnsContext {
 public:
  RnsContext(int logN, const std::vector<u64>& q, const std::vector<u64>& p);
  int logN;
  size_t N;
  int L;  // top level: L + 1 Q primes
  int K;  // special primes
  std::vector<u64> primes;  // q_0..q_L, p_0..p_{K-1}
  std::vector<std::unique_ptr<NttTable>> tab;

  int gidx(const RnsPoly& a, int limb) const { return limb < a.nq ? limb : L + 1 + (limb - a.nq); }
  const Modulus& mod(int g) const { return tab[g]->mod; }

  void ntt(RnsPoly& a, int l0, int l1) const;   // limbs [l0, l1)
  void intt(RnsPoly& a, int l0, int l1) const;
  void ntt(RnsPoly& a) const { ntt(a, 0, a.limbs()); }
  void intt(RnsPoly& a) const { intt(a, 0, a.limbs()); }

  const BaseConv& conv(const std::vector<int>& from, const std::vector<int>& to) const;
  // out limbs (coefficient form) over conv.to, from in limbs (coefficient form) over conv.from.
  // centred = false: fast conversion, result x + v·B with 0 <= v < |from| (Bajard et al.).
  // centred = true: also estimates v' = round(Σ y_i/b_i) in floating point and subtracts v'·B, giving the centred
  // representative of x in (-B/2, B/2] (Halevi–Polyakov–Shoup, CT-RSA 2019). ModDown uses it so that dividing by P
  // rounds instead of leaving a systematic bias of ~|P|/2 per coefficient, which concentrates in a few slots.
  void apply_conv(const BaseConv& c, const u64* const* in, u64* const* out, bool centred = false) const;

  // NTT-form a over q_0..q_l (np = 0) -> round(a / q_l) over q_0..q_{l-1}.
  RnsPoly rescale(const RnsPoly& a) const;
  // NTT-form a over Q_l ∪ P -> round(a / P) over Q_l.
  RnsPoly mod_down(const RnsPoly& a) const;
  // dst += src limb by limb over dst's limbs (src has at least as many Q limbs and the same special limbs).
  void add_to(RnsPoly& dst, const RnsPoly& src) const;
  // Coefficient-form a over q_0..q_{nq-1}: centred integer value of each coefficient, divided by `scale`.
  void compose_to_double(const RnsPoly& a, double scale, double* out) const;
  // [P]_{q_i}, P^-1 mod q_i, q_l^-1 mod q_i.
  u64 P_mod(int i) const { return P_mod_q_[i]; }

 private:
  std::vector<u64> P_mod_q_, P_inv_q_, P_inv_q_p_;
  mutable std::mutex mu_;
  mutable std::map<std::pair<std::vector<int>, std::vector<int>>, std::unique_ptr<BaseConv>> convs_;
};

}  // namespace hec
