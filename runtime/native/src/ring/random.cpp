#include "random.h"

#include "ntt.h"  // ifma_enabled(): whether the AVX-512 kernels may run

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hec {

static void os_random(void* dst, size_t n) {
  uint8_t* p = (uint8_t*)dst;
  while (n > 0) {
    ssize_t r = getrandom(p, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw HecErr("HEC5199", "no OS randomness: getrandom and /dev/urandom both failed");
      while (n > 0) {
        ssize_t k = read(fd, p, n);
        if (k <= 0) {
          if (k < 0 && errno == EINTR) continue;
          close(fd);
          throw HecErr("HEC5199", "reading /dev/urandom failed");
        }
        p += k;
        n -= (size_t)k;
      }
      close(fd);
      return;
    }
    p += r;
    n -= (size_t)r;
  }
}

Csprng::Csprng() : buf_(1 << 18), pos_(1 << 18) {}
Csprng::~Csprng() { secure_wipe(buf_.data(), buf_.size()); }

void Csprng::refill() {
  os_random(buf_.data(), buf_.size());
  pos_ = 0;
}

void Csprng::fill(void* dst, size_t n) {
  uint8_t* p = (uint8_t*)dst;
  while (n > 0) {
    if (pos_ == buf_.size()) refill();
    size_t k = std::min(n, buf_.size() - pos_);
    memcpy(p, buf_.data() + pos_, k);
    pos_ += k;
    p += k;
    n -= k;
  }
}

u64 Csprng::next64() {
  u64 v;
  fill(&v, 8);
  return v;
}

// The rejection rule of random.h, branch-free per candidate: every candidate is stored at out[i] and i advances only
// when it is accepted, so a rejected one is overwritten by the next.
template <class Source>
static void uniform_mod_from(Source& src, u64* out, size_t n, u64 q) {
  if (q < 2) throw HecErr("HEC5110", "uniform_mod: modulus must be at least 2");
  const int bits = 64 - __builtin_clzll(q);
  const u64 mask = bits == 64 ? ~(u64)0 : (((u64)1 << bits) - 1);
  size_t i = 0;
  while (i < n) {
    const u64 v = src.next64() & mask;
    out[i] = v;
    i += (size_t)(v < q);
  }
}

void Csprng::uniform_mod(u64* out, size_t n, u64 q) { uniform_mod_from(*this, out, n, q); }

void Csprng::cbd(int64_t* out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    u64 r = next64();
    int a = __builtin_popcountll(r & 0x1FFFFF);
    int b = __builtin_popcountll((r >> 21) & 0x1FFFFF);
    out[i] = a - b;
  }
}

void Csprng::ternary(int64_t* out, size_t n) {
  uint8_t v = 0;
  WipeOnExit wipe_v(&v, 1);
  for (size_t i = 0; i < n; i++) {
    do fill(&v, 1);
    while (v >= 255);  // 255 = 3·85: unbiased mod 3
    out[i] = (int64_t)(v % 3) - 1;
  }
}

void Csprng::sparse_ternary(int64_t* out, size_t n, size_t h) {
  if (h > n) throw HecErr("HEC5110", "Hamming weight exceeds ring degree");
  for (size_t i = 0; i < n; i++) out[i] = 0;
  // Partial Fisher–Yates over positions: the first h of a uniform permutation get ±1.
  std::vector<uint32_t> pos(n);
  WipeOnExit wipe_pos(pos);  // its first h entries are the secret's support
  for (size_t i = 0; i < n; i++) pos[i] = (uint32_t)i;
  for (size_t i = 0; i < h; i++) {
    u64 range = n - i, lim = (~(u64)0) - ((~(u64)0) % range), r;
    do r = next64();
    while (r >= lim);
    size_t j = i + (size_t)(r % range);
    std::swap(pos[i], pos[j]);
    uint8_t s;
    fill(&s, 1);
    out[pos[i]] = (s & 1) ? 1 : -1;
  }
}


// ---- ChaCha20 (RFC 8439 §2.1–2.4), written from the RFC's description. ----

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
static inline uint32_t load32le(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void store32le(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

// LANES consecutive blocks (counters counter .. counter+LANES-1) at once: the state is laid out word-major so each
// quarter-round step is one loop over independent lanes, which the compiler turns into SIMD adds, xors and rotates
// (always inlined, so a caller compiled for AVX-512 gets 16 lanes in zmm registers).
template <int LANES>
static inline __attribute__((always_inline)) void chacha20_blocks(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t* out) {
  uint32_t x[16][LANES], in[16][LANES];
  static const uint32_t sigma[4] = {0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u};  // "expand 32-byte k"
  for (int l = 0; l < LANES; l++) {
    for (int i = 0; i < 4; i++) in[i][l] = sigma[i];
    for (int i = 0; i < 8; i++) in[4 + i][l] = key[i];
    in[12][l] = counter + (uint32_t)l;
    for (int i = 0; i < 3; i++) in[13 + i][l] = nonce[i];
  }
  for (int i = 0; i < 16; i++)
    for (int l = 0; l < LANES; l++) x[i][l] = in[i][l];
#define HEC_QR(a, b, c, d)                                     \
  for (int l = 0; l < LANES; l++) {                            \
    x[a][l] += x[b][l]; x[d][l] = rotl32(x[d][l] ^ x[a][l], 16); \
    x[c][l] += x[d][l]; x[b][l] = rotl32(x[b][l] ^ x[c][l], 12); \
    x[a][l] += x[b][l]; x[d][l] = rotl32(x[d][l] ^ x[a][l], 8);  \
    x[c][l] += x[d][l]; x[b][l] = rotl32(x[b][l] ^ x[c][l], 7);  \
  }
  for (int r = 0; r < 10; r++) {  // 20 rounds: 10 × (column round + diagonal round)
    HEC_QR(0, 4, 8, 12) HEC_QR(1, 5, 9, 13) HEC_QR(2, 6, 10, 14) HEC_QR(3, 7, 11, 15)
    HEC_QR(0, 5, 10, 15) HEC_QR(1, 6, 11, 12) HEC_QR(2, 7, 8, 13) HEC_QR(3, 4, 9, 14)
  }
#undef HEC_QR
  for (int l = 0; l < LANES; l++)
    for (int i = 0; i < 16; i++) store32le(out + 64 * l + 4 * i, x[i][l] + in[i][l]);
}

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64]) {
  chacha20_blocks<1>(key, counter, nonce, out);
}

// 16 consecutive blocks (1 KiB) for SeededPrg: AVX-512 (16 lanes, 32 registers: ~6× the portable speed) when the
// engine's AVX-512 kernels are enabled (ring/ntt.h ifma_enabled, switched off by tests), else 2 × 8 portable lanes.
// Both produce the same bytes (checked against OpenSSL in test/unit/native/prg.test.ts).
static void chacha20_blocks16_portable(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t* out) {
  chacha20_blocks<8>(key, counter, nonce, out);
  chacha20_blocks<8>(key, counter + 8, nonce, out + 512);
}
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) static void chacha20_blocks16_avx512(const uint32_t key[8], uint32_t counter,
                                                                          const uint32_t nonce[3], uint8_t* out) {
  chacha20_blocks<16>(key, counter, nonce, out);
}
#endif
static void chacha20_blocks16(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t* out) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (ifma_enabled()) return chacha20_blocks16_avx512(key, counter, nonce, out);
#endif
  chacha20_blocks16_portable(key, counter, nonce, out);
}

void chacha20_stream(const uint8_t key[32], const uint8_t nonce[12], uint32_t counter0, uint8_t* out, size_t n) {
  uint32_t k[8], nn[3];
  for (int i = 0; i < 8; i++) k[i] = load32le(key + 4 * i);
  for (int i = 0; i < 3; i++) nn[i] = load32le(nonce + 4 * i);
  if (n > 0 && ((n - 1) >> 6) > (u64)(0xffffffffu - counter0)) throw HecErr("HEC5110", "chacha20: block counter would wrap");
  uint8_t blk[64];
  uint32_t ctr = counter0;
  for (size_t off = 0; off < n; off += 64, ctr++) {
    chacha20_block(k, ctr, nn, blk);
    std::memcpy(out + off, blk, std::min<size_t>(64, n - off));
  }
}

SeededPrg::SeededPrg(const uint8_t seed[32], uint32_t n0, uint32_t n1, uint32_t n2) {
  for (int i = 0; i < 8; i++) key_[i] = load32le(seed + 4 * i);
  nonce_[0] = n0;
  nonce_[1] = n1;
  nonce_[2] = n2;
}

SeededPrg::~SeededPrg() { secure_wipe(key_, sizeof key_); }

void SeededPrg::refill() {
  constexpr uint32_t blocks = sizeof buf_ / 64;
  static_assert(blocks == 16, "refill makes 16 blocks at a time");
  // 2^32 blocks (256 GiB) per stream is far beyond any polynomial; refuse rather than reuse keystream.
  if (counter_ > 0xffffffffu - blocks) throw HecErr("HEC5199", "seeded PRG: ChaCha20 block counter exhausted");
  chacha20_blocks16(key_, counter_, nonce_, buf_);
  counter_ += blocks;
  pos_ = 0;
}

void SeededPrg::fill(void* dst, size_t n) {
  uint8_t* p = (uint8_t*)dst;
  while (n > 0) {
    if (pos_ == sizeof buf_) refill();
    size_t k = std::min(n, sizeof buf_ - pos_);
    memcpy(p, buf_ + pos_, k);
    pos_ += k;
    p += k;
    n -= k;
  }
}

u64 SeededPrg::next64() {
  if (pos_ + 8 > sizeof buf_) refill();  // the buffer is a multiple of 8 bytes: words never straddle a refill
  u64 v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | buf_[pos_ + i];
  pos_ += 8;
  return v;
}

void SeededPrg::uniform_mod(u64* out, size_t n, u64 q) { uniform_mod_from(*this, out, n, q); }

}  // namespace hec
