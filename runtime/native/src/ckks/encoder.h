// CKKS encoder: N/2 complex slots <-> real polynomial coefficients via the canonical embedding.
//
// Slot j is the evaluation at ζ^(5^j) (ζ = e^(iπ/N)), so the Galois map X -> X^(5^k) rotates slots left by k and
// X -> X^(2N-1) conjugates them. The transform is the "special FFT" of Cheon–Han–Kim–Kim–Song (HEAAN, SAC 2018):
// an O(n log n) FFT of size n = N/2 over the orbit of 5, with coefficient i holding Re and coefficient i + N/2 Im.
#pragma once
#include <complex>
#include <vector>

#include "../rns/rns.h"

namespace hec {

class Encoder {
 public:
  explicit Encoder(size_t N);
  // slots (n = N/2 complex values) -> N real coefficients (unscaled).
  void slots_to_coeffs(const std::complex<double>* slots, double* coeffs) const;
  void coeffs_to_slots(const double* coeffs, std::complex<double>* slots) const;
  // Round scale·coeffs into residues over q_0..q_{nq-1} (coefficient form), exact for |values| beyond 2^63.
  void coeffs_to_rns(const RnsContext& rc, const double* coeffs, double scale, RnsPoly& out) const;
  size_t N, n;

 private:
  std::vector<std::complex<double>> ksi_;  // e^(2πik/2N), k = 0..2N
  std::vector<size_t> rot_;                 // 5^j mod 2N
  void emb(std::complex<double>* v) const;
  void emb_inv(std::complex<double>* v) const;
};

}  // namespace hec
