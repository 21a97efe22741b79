#include "rns.h"

#include <cmath>

#include "../ring/mac.h"
#include "../ring/pool.h"

namespace hec {

RnsContext::RnsContext(int logN_, const std::vector<u64>& q, const std::vector<u64>& p)
    : logN(logN_), N((size_t)1 << logN_), L((int)q.size() - 1), K((int)p.size()) {
  if (q.empty()) throw HecErr("HEC5110", "empty Q prime chain");
  primes = q;
  primes.insert(primes.end(), p.begin(), p.end());
  for (size_t i = 0; i < primes.size(); i++)
    for (size_t j = 0; j < i; j++)
      if (primes[i] == primes[j]) throw HecErr("HEC5110", "duplicate prime in the chain");
  tab.resize(primes.size());
  parallel_for(primes.size(), [&](size_t i) { tab[i] = std::make_unique<NttTable>(primes[i], logN); });
  P_mod_q_.resize(L + 1);
  P_inv_q_.resize(L + 1);
  P_inv_q_p_.resize(L + 1);
  for (int i = 0; i <= L; i++) {
    const Modulus& m = mod(i);
    u64 v = 1;
    for (int k = 0; k < K; k++) v = m.mul(v, m.reduce(primes[L + 1 + k]));
    P_mod_q_[i] = v;
    P_inv_q_[i] = K > 0 ? m.inv(v) : 1;
    P_inv_q_p_[i] = shoup_precomp(P_inv_q_[i], m.q);
  }
}

void RnsContext::ntt(RnsPoly& a, int l0, int l1) const {
  parallel_for((size_t)(l1 - l0), [&](size_t k) {
    int l = l0 + (int)k;
    tab[gidx(a, l)]->forward(a.limb(l));
  });
}
void RnsContext::intt(RnsPoly& a, int l0, int l1) const {
  parallel_for((size_t)(l1 - l0), [&](size_t k) {
    int l = l0 + (int)k;
    tab[gidx(a, l)]->inverse(a.limb(l));
  });
}

const BaseConv& RnsContext::conv(const std::vector<int>& from, const std::vector<int>& to) const {
  std::lock_guard<std::mutex> g(mu_);
  auto key = std::make_pair(from, to);
  auto it = convs_.find(key);
  if (it != convs_.end()) return *it->second;
  auto c = std::make_unique<BaseConv>();
  c->from = from;
  c->to = to;
  size_t m = from.size();
  c->inv_hat.resize(m);
  c->inv_hat_p.resize(m);
  for (size_t i = 0; i < m; i++) {
    const Modulus& bi = mod(from[i]);
    u64 h = 1;
    for (size_t k = 0; k < m; k++)
      if (k != i) h = bi.mul(h, bi.reduce(primes[from[k]]));
    c->inv_hat[i] = bi.inv(h);
    c->inv_hat_p[i] = shoup_precomp(c->inv_hat[i], bi.q);
  }
  c->hat.resize(to.size() * m);
  for (size_t j = 0; j < to.size(); j++) {
    const Modulus& cj = mod(to[j]);
    c->tmods.push_back(cj);
    for (size_t i = 0; i < m; i++) {
      u64 h = 1;
      for (size_t k = 0; k < m; k++)
        if (k != i) h = cj.mul(h, cj.reduce(primes[from[k]]));
      c->hat[j * m + i] = h;
    }
    const u64 two31 = cj.reduce(1ull << 31);
    for (size_t i = 0; i < m; i++) c->hat31.push_back(cj.mul(c->hat[j * m + i], two31));
    u64 bm = 1;
    for (size_t k = 0; k < m; k++) bm = cj.mul(bm, cj.reduce(primes[from[k]]));
    c->B_mod.push_back(bm);
  }
  for (size_t j = 0; j < to.size(); j++) {
    const u64 qj = c->tmods[j].q;
    for (size_t i = 0; i <= m; i++) {
      const u64 w = i < m ? c->hat[j * m + i] : (c->B_mod[j] == 0 ? 0 : qj - c->B_mod[j]);
      c->wrow.push_back(w);
      c->wrow_p.push_back(shoup_precomp(w, qj));
    }
  }
  for (size_t i = 0; i < m; i++) c->inv_b.push_back(1.0 / (double)primes[from[i]]);
  for (size_t i = 0; i < m; i++) c->wide.push_back(primes[from[i]] >= (1ull << 50));
  // hat31 was pushed target-major above, matching hat's layout.
  auto& ref = *c;
  convs_.emplace(key, std::move(c));
  return ref;
}

void RnsContext::apply_conv(const BaseConv& c, const u64* const* in, u64* const* out, bool centred) const {
  const size_t m = c.from.size(), nt = c.to.size();
  constexpr size_t B = 256;  // coefficients per block: y (m·B words) stays in L1/L2
  const size_t nblk = (N + B - 1) / B;
  parallel_for(nblk, [&](size_t blk) {
    const size_t n0 = blk * B, n1 = std::min(N, n0 + B), len = n1 - n0;
    // Per-thread scratch, reused across blocks and calls (no allocation in the hot loop).
    struct Scratch {
      std::vector<u64> y, v, ysplit, terms_w;
      std::vector<double> frac;
      std::vector<const u64*> terms_x;
    };
    static thread_local Scratch sc;
    std::vector<u64>& y = sc.y;
    std::vector<double>& frac = sc.frac;
    std::vector<u64>& v = sc.v;
    if (y.size() < m * B) y.resize(m * B);
    if (centred) {
      if (frac.size() < B) frac.resize(B);
      if (v.size() < B) v.resize(B);
      std::fill(frac.begin(), frac.begin() + B, 0.0);
    }
    for (size_t i = 0; i < m; i++) {
      u64* yi = y.data() + i * B;
      shoup_vec(primes[c.from[i]], c.inv_hat[i], c.inv_hat_p[i], in[i] + n0, yi, len);
      if (centred) frac_acc(frac.data(), yi, c.inv_b[i], len);
    }
    // Round (frac >= 0): Σ y_i B̂_i = x + v·B with x centred.
    if (centred) round_vec(frac.data(), v.data(), len);
    const bool ifma = mac52_available();
    std::vector<u64>& ysplit = sc.ysplit;
    std::vector<u64>& terms_w = sc.terms_w;
    std::vector<const u64*>& terms_x = sc.terms_x;
    if (ifma) {
      // Wide sources (>= 2^50) are split as y = yh·2^31 + yl so every operand fits a 52-bit lane.
      ysplit.resize(2 * m * B);
      for (size_t i = 0; i < m; i++)
        if (c.wide[i]) {
          const u64* yi = y.data() + i * B;
          u64 *yh = ysplit.data() + 2 * i * B, *yl = yh + B;
          for (size_t n = 0; n < len; n++) {
            yh[n] = yi[n] >> 31;
            yl[n] = yi[n] & ((1ull << 31) - 1);
          }
        }
    }
    for (size_t j = 0; j < nt; j++) {
      const u64* h = c.hat.data() + j * m;
      if (ifma && c.tmods[j].q < (1ull << 50)) {
        // 52-bit multiply-accumulate (operands < 2^52), folded every kMac52Terms terms; the centring correction
        // -v·B is one more term v·(q_j - [B]_{q_j}).
        const Fold52 fold(c.tmods[j].q);
        u64* dst = out[j] + n0;
        const u64* h31 = c.hat31.data() + j * m;
        std::vector<const u64*>& xs = terms_x;
        std::vector<u64>& ws = terms_w;
        xs.clear();
        ws.clear();
        for (size_t i = 0; i < m; i++) {
          if (c.wide[i]) {
            const u64* yh = ysplit.data() + 2 * i * B;
            xs.push_back(yh);
            ws.push_back(h31[i]);
            xs.push_back(yh + B);
            ws.push_back(h[i]);
          } else {
            xs.push_back(y.data() + i * B);
            ws.push_back(h[i]);
          }
        }
        // The centring correction -v·B is one more term v·(q_j - [B]_{q_j}).
        if (centred) {
          xs.push_back(v.data());
          ws.push_back(c.B_mod[j] == 0 ? 0 : c.tmods[j].q - c.B_mod[j]);
        }
        conv52(fold, xs.data(), ws.data(), xs.size(), dst, len);
        continue;
      }
      // Wide target primes: Shoup products on 64-bit lanes, the centring correction as one more term.
      std::vector<const u64*>& xs = terms_x;
      xs.clear();
      for (size_t i = 0; i < m; i++) xs.push_back(y.data() + i * B);
      if (centred) xs.push_back(v.data());
      conv64(c.tmods[j].q, xs.data(), c.wrow.data() + j * (m + 1), c.wrow_p.data() + j * (m + 1), xs.size(),
             out[j] + n0, len);
    }
  });
}

RnsPoly RnsContext::rescale(const RnsPoly& a) const {
  const int l = a.nq - 1;
  if (l < 1 || a.np != 0) throw HecErr("HEC5103", "cannot rescale a level-0 ciphertext");
  // Scratch from the polynomial pool (a std::vector of 2^16 words would be a fresh mmap, page-faulted, every call).
  RnsPoly lastp(N, 1, 0);
  u64* last = lastp.limb(0);
  std::memcpy(last, a.limb(l), N * sizeof(u64));
  tab[l]->inverse(last);
  const u64 ql = primes[l], half = ql >> 1;
  for (size_t n = 0; n < N; n++) last[n] = csub(last[n] + half, ql);  // round, not floor
  RnsPoly out(N, l, 0);
  parallel_for((size_t)l, [&](size_t i) {
    const Modulus& m = mod((int)i);
    const u64 qi = m.q;
    const u64 half_i = m.reduce(half);
    const u64 inv = m.inv(m.reduce(ql)), invp = shoup_precomp(inv, qi);
    u64* t = out.limb((int)i);
    reduce_sub_vec(qi, m.r1, half_i, last, t, N);  // (x mod q_i) − [half]_{q_i}
    tab[i]->forward(t);
    sub_shoup_vec(qi, inv, invp, a.limb((int)i), t, t, N);
  });
  return out;
}

void RnsContext::add_to(RnsPoly& dst, const RnsPoly& src) const {
  parallel_for((size_t)dst.limbs(), [&](size_t li) {
    const int l = (int)li;
    const u64 q = primes[gidx(dst, l)];
    u64* d = dst.limb(l);
    const u64* x = src.limb(l < dst.nq ? l : src.nq + (l - dst.nq));
    for (size_t k = 0; k < N; k++) d[k] = addmod(d[k], x[k], q);
  });
}

RnsPoly RnsContext::mod_down(const RnsPoly& a) const {
  const int nq = a.nq;
  if (a.np != K) throw HecErr("HEC5199", "mod_down needs all special primes");
  std::vector<int> from, to;
  for (int k = 0; k < K; k++) from.push_back(L + 1 + k);
  for (int i = 0; i < nq; i++) to.push_back(i);
  const BaseConv& c = conv(from, to);
  RnsPoly pc(N, 0, K);  // P limbs in coefficient form
  std::memcpy(pc.limb(0), a.limb(nq), N * K * sizeof(u64));
  parallel_for((size_t)K, [&](size_t k) { tab[L + 1 + k]->inverse(pc.limb((int)k)); });
  RnsPoly out(N, nq, 0);
  std::vector<const u64*> in(K);
  std::vector<u64*> dst(nq);
  for (int k = 0; k < K; k++) in[k] = pc.limb(k);
  for (int i = 0; i < nq; i++) dst[i] = out.limb(i);
  apply_conv(c, in.data(), dst.data(), true);
  parallel_for((size_t)nq, [&](size_t i) {
    const u64 qi = primes[i];
    u64* t = out.limb((int)i);
    tab[i]->forward(t);
    sub_shoup_vec(qi, P_inv_q_[i], P_inv_q_p_[i], a.limb((int)i), t, t, N);
  });
  return out;
}

void RnsContext::compose_to_double(const RnsPoly& a, double scale, double* out) const {
  const int nq = a.nq;
  if (nq == 1) {
    const u64 q = primes[0], half = q >> 1;
    const u64* x = a.limb(0);
    for (size_t n = 0; n < N; n++) out[n] = (x[n] > half ? -(double)(q - x[n]) : (double)x[n]) / scale;
    return;
  }
  // Q, Q̂_i = Q/q_i as little-endian words, and [Q̂_i^-1]_{q_i}.
  const int W = nq + 1;
  std::vector<u64> Q(W, 0), Qhat((size_t)nq * W, 0), inv(nq), invp(nq);
  auto mul_small = [&](u64* v, u64 s) {
    u64 carry = 0;
    for (int w = 0; w < W; w++) {
      u128 t = (u128)v[w] * s + carry;
      v[w] = (u64)t;
      carry = (u64)(t >> 64);
    }
  };
  Q[0] = 1;
  for (int i = 0; i < nq; i++) mul_small(Q.data(), primes[i]);
  for (int i = 0; i < nq; i++) {
    u64* h = Qhat.data() + (size_t)i * W;
    h[0] = 1;
    const Modulus& m = mod(i);
    u64 hm = 1;
    for (int k = 0; k < nq; k++)
      if (k != i) {
        mul_small(h, primes[k]);
        hm = m.mul(hm, m.reduce(primes[k]));
      }
    inv[i] = m.inv(hm);
    invp[i] = shoup_precomp(inv[i], m.q);
  }
  std::vector<u64> Qhalf(Q);
  {
    u64 carry = 0;
    for (int w = W - 1; w >= 0; w--) {
      u64 v = Qhalf[w];
      Qhalf[w] = (v >> 1) | (carry << 63);
      carry = v & 1;
    }
  }
  std::vector<double> qinv(nq);
  for (int i = 0; i < nq; i++) qinv[i] = 1.0 / (double)primes[i];
  parallel_for((N + 1023) / 1024, [&](size_t blk) {
    std::vector<u64> acc(W), t(W);
    for (size_t n = blk * 1024; n < std::min(N, blk * 1024 + 1024); n++) {
      std::fill(acc.begin(), acc.end(), 0);
      double frac = 0;
      for (int i = 0; i < nq; i++) {
        u64 y = mulshoup(a.limb(i)[n], inv[i], invp[i], primes[i]);
        frac += (double)y * qinv[i];
        const u64* h = Qhat.data() + (size_t)i * W;
        u64 carry = 0;
        for (int w = 0; w < W; w++) {
          u128 s = (u128)h[w] * y + acc[w] + carry;
          acc[w] = (u64)s;
          carry = (u64)(s >> 64);
        }
      }
      // acc = Σ y_i Q̂_i = x + k·Q with k ≈ floor(frac); subtract k·Q then fix the off-by-one.
      u64 k = (u64)std::floor(frac);
      {
        u64 carry = 0, borrow = 0;
        for (int w = 0; w < W; w++) {
          u128 prod = (u128)Q[w] * k + carry;
          carry = (u64)(prod >> 64);
          u64 p = (u64)prod;
          u64 d = acc[w] - p - borrow;
          borrow = (acc[w] < p) || (acc[w] - p < borrow);
          acc[w] = d;
        }
        if (borrow) {  // went negative: add Q back
          u64 c2 = 0;
          for (int w = 0; w < W; w++) {
            u128 s = (u128)acc[w] + Q[w] + c2;
            acc[w] = (u64)s;
            c2 = (u64)(s >> 64);
          }
        }
      }
      auto geq = [&](const std::vector<u64>& x, const std::vector<u64>& y) {
        for (int w = W - 1; w >= 0; w--)
          if (x[w] != y[w]) return x[w] > y[w];
        return true;
      };
      auto sub_into = [&](const std::vector<u64>& x, const std::vector<u64>& y, std::vector<u64>& r) {
        u64 borrow = 0;
        for (int w = 0; w < W; w++) {
          u64 d = x[w] - y[w] - borrow;
          borrow = (x[w] < y[w]) || (x[w] - y[w] < borrow);
          r[w] = d;
        }
      };
      if (geq(acc, Q)) sub_into(acc, Q, acc);
      bool neg = false;
      if (geq(acc, Qhalf)) {
        sub_into(Q, acc, t);
        acc.swap(t);
        neg = true;
      }
      double v = 0;
      for (int w = W - 1; w >= 0; w--) v = v * 18446744073709551616.0 + (double)acc[w];
      out[n] = (neg ? -v : v) / scale;
    }
  });
}

}  // namespace hec
