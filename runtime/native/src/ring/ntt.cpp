#include "ntt.h"

#include <atomic>

namespace hec {

uint32_t bitrev(uint32_t x, int bits) {
  uint32_t r = 0;
  for (int i = 0; i < bits; i++) {
    r = (r << 1) | (x & 1);
    x >>= 1;
  }
  return r;
}

static std::atomic<bool> g_ifma_on{true};
bool cpu_has_ifma() {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool has = __builtin_cpu_supports("avx512ifma") && __builtin_cpu_supports("avx512f") &&
                          __builtin_cpu_supports("avx512dq");
  return has;
#else
  return false;
#endif
}
void set_ifma_enabled(bool on) { g_ifma_on = on; }
bool ifma_enabled() { return g_ifma_on && cpu_has_ifma(); }

static u64 find_psi(const Modulus& m, size_t N) {
  // Smallest generator-derived primitive 2N-th root: x = g^((q-1)/2N) with x^N = -1.
  u64 q = m.q;
  if ((q - 1) % (2 * N) != 0) throw HecErr("HEC5110", "prime " + std::to_string(q) + " is not 1 mod 2N");
  for (u64 g = 2; g < 1000000; g++) {
    u64 x = m.pow(g, (q - 1) / (2 * N));
    if (m.pow(x, N) == q - 1) return x;
  }
  throw HecErr("HEC5110", "no primitive 2N-th root for prime " + std::to_string(q));
}

NttTable::NttTable(u64 q, int logN_) : mod(q), logN(logN_), N((size_t)1 << logN_) {
  if (q >= ((u64)1 << 62)) throw HecErr("HEC5110", "prime above 2^62");
  psi = find_psi(mod, N);
  u64 psiinv = mod.inv(psi);
  fw.resize(N);
  fwp.resize(N);
  iw.resize(N);
  iwp.resize(N);
  u64 pw = 1, pwi = 1;
  std::vector<u64> pows(N), ipows(N);
  for (size_t i = 0; i < N; i++) {
    pows[i] = pw;
    ipows[i] = pwi;
    pw = mod.mul(pw, psi);
    pwi = mod.mul(pwi, psiinv);
  }
  for (size_t i = 0; i < N; i++) {
    uint32_t r = bitrev((uint32_t)i, logN);
    fw[i] = pows[r];
    iw[i] = ipows[r];
    fwp[i] = shoup_precomp(fw[i], q);
    iwp[i] = shoup_precomp(iw[i], q);
  }
  ninv = mod.inv((u64)N % q);
  ninvp = shoup_precomp(ninv, q);
  ninv_w = mod.mul(ninv, iw[1]);
  ninv_wp = shoup_precomp(ninv_w, q);
  ifma = q < ((u64)1 << 50);
  if (ifma) {
    auto p52 = [&](u64 w) { return (u64)(((u128)w << 52) / q); };
    fwp52.resize(N);
    iwp52.resize(N);
    for (size_t i = 0; i < N; i++) {
      fwp52[i] = p52(fw[i]);
      iwp52[i] = p52(iw[i]);
    }
    ninvp52 = p52(ninv);
    ninv_wp52 = p52(ninv_w);
  }
  if (N >= 32) {
    static const int lane_blk[8] = {0, 1, 4, 5, 2, 3, 6, 7};  // element/2 of the lanes of the gap-1 stage
    f1w.resize(N / 2);
    f1wp.resize(N / 2);
    i1w.resize(N / 2);
    i1wp.resize(N / 2);
    for (size_t base = 0; base < N; base += 16)
      for (int k = 0; k < 8; k++) {
        const size_t src = N / 2 + base / 2 + lane_blk[k], dst = base / 2 + k;
        f1w[dst] = fw[src];
        i1w[dst] = iw[src];
        f1wp[dst] = ifma ? fwp52[src] : fwp[src];
        i1wp[dst] = ifma ? iwp52[src] : iwp[src];
      }
  }
}

void NttTable::forward(u64* a) const {
  if (ifma_enabled()) ntt_forward_simd(*this, a);
  else ntt_forward_scalar(*this, a);
}
void NttTable::inverse(u64* a) const {
  if (ifma_enabled()) ntt_inverse_simd(*this, a);
  else ntt_inverse_scalar(*this, a);
}

void ntt_forward_scalar(const NttTable& t, u64* a) {
  const size_t N = t.N;
  const u64 q = t.mod.q, q2 = 2 * q;
  size_t gap = N;
  for (size_t m = 1; m < N; m <<= 1) {
    gap >>= 1;
    for (size_t i = 0; i < m; i++) {
      const u64 w = t.fw[m + i], wp = t.fwp[m + i];
      u64* x = a + 2 * i * gap;
      u64* y = x + gap;
      for (size_t j = 0; j < gap; j++) {
        u64 X = csub(x[j], q2);  // [0,4q) -> [0,2q)
        u64 T = mulshoup_lazy(y[j], w, wp, q);  // [0,2q)
        x[j] = X + T;
        y[j] = X - T + q2;
      }
    }
  }
  for (size_t i = 0; i < N; i++) a[i] = csub(csub(a[i], q2), q);
}

void ntt_inverse_scalar(const NttTable& t, u64* a) {
  const size_t N = t.N;
  const u64 q = t.mod.q, q2 = 2 * q;
  size_t gap = 1;
  for (size_t m = N >> 1; m > 1; m >>= 1) {
    for (size_t i = 0; i < m; i++) {
      const u64 w = t.iw[m + i], wp = t.iwp[m + i];
      u64* x = a + 2 * i * gap;
      u64* y = x + gap;
      for (size_t j = 0; j < gap; j++) {
        u64 X = x[j], Y = y[j];
        x[j] = csub(X + Y, q2);
        y[j] = mulshoup_lazy(X - Y + q2, w, wp, q);
      }
    }
    gap <<= 1;
  }
  // Last layer (m = 1) with N^-1 folded in.
  const size_t h = N >> 1;
  for (size_t j = 0; j < h; j++) {
    u64 X = a[j], Y = a[j + h];
    a[j] = mulshoup(csub(X + Y, q2), t.ninv, t.ninvp, q);
    a[j + h] = mulshoup(X - Y + q2, t.ninv_w, t.ninv_wp, q);
  }
}

}  // namespace hec
