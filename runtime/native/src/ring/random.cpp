#include "random.h"

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

void Csprng::uniform_mod(u64* out, size_t n, u64 q) {
  int bits = 64 - __builtin_clzll(q);
  u64 mask = bits == 64 ? ~(u64)0 : (((u64)1 << bits) - 1);
  for (size_t i = 0; i < n; i++) {
    u64 v;
    do v = next64() & mask;
    while (v >= q);
    out[i] = v;
  }
}

void Csprng::cbd(int64_t* out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    u64 r = next64();
    int a = __builtin_popcountll(r & 0x1FFFFF);
    int b = __builtin_popcountll((r >> 21) & 0x1FFFFF);
    out[i] = a - b;
  }
}

void Csprng::ternary(int64_t* out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t v;
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

}  // namespace hec
