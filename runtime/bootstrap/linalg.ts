/**
 * @fileoverview Plain complex linear algebra for CoeffsToSlots / SlotsToCoeffs: the special DFT of CKKS, its sparse
 * butterfly factorisation, and "diagonal" matrices (the form a homomorphic linear transform consumes).
 *
 * Slot convention (HEAAN/Lattigo, matching backend.ts's left rotation by the Galois element 5^k): with n = N/2 slots,
 * M = 2N and ζ = e^{2πi/M}, slot j of the polynomial m(X) = Σ_k m_k X^k holds m(ζ^{5^j}). Writing
 * w_k = m_k + i·m_{k+n} (k < n) gives z = U·w with U_{jk} = ζ^{5^j·k}, because ζ^{5^j·n} = i for every j.
 *
 * U factorises (Cheon–Han–Kim–Kim–Song, "Improved bootstrapping for approximate HE", Eurocrypt 2019, §4) as
 * U = S_{n/2}·…·S_2·S_1·BR where BR is the bit-reversal permutation and S_h is a radix-2 butterfly stage whose only
 * nonzero diagonals sit at rotation offsets 0, +h and −h. A homomorphic transform with d diagonals costs about 2√d
 * rotations (baby-step giant-step), so merging g consecutive stages (2^{g+1}−1 diagonals) into one level trades depth
 * against rotations. BR commutes with EvalMod (slot-wise), so CtS omits it at the end and StC omits it at the start.
 */

/** A complex vector as two real arrays. */
export interface CVec {
  re: Float64Array;
  im: Float64Array;
}

/** y[p] = Σ_d diag_d[p]·x[(p + d) mod n]: keys are left-rotation offsets in [0, n). */
export type DiagMatrix = Map<number, CVec>;

export function cvec(n: number): CVec {
  return { re: new Float64Array(n), im: new Float64Array(n) };
}

export function cclone(v: CVec): CVec {
  return { re: v.re.slice(), im: v.im.slice() };
}

/** Left rotation: out[p] = v[(p + k) mod n]. */
export function crot(v: CVec, k: number): CVec {
  const n = v.re.length;
  const s = ((k % n) + n) % n;
  const out = cvec(n);
  for (let p = 0; p < n; p++) {
    const q = p + s < n ? p + s : p + s - n;
    out.re[p] = v.re[q]!;
    out.im[p] = v.im[q]!;
  }
  return out;
}

/** Bit reversal of the index (log2 n bits). */
export function bitReverse(i: number, logn: number): number {
  let r = 0;
  for (let b = 0; b < logn; b++) r |= ((i >> b) & 1) << (logn - 1 - b);
  return r;
}

function modPow5(j: number, mod: number): number {
  let r = 1;
  for (let t = 0; t < j; t++) r = (r * 5) % mod;
  return r;
}

/** The twiddle ψ_j = ζ^{(5^j mod 8h)·M/(8h)} = e^{2πi·(5^j mod 8h)/(8h)} used by butterfly stage h, j < h. */
function twiddles(h: number): CVec {
  const t = cvec(h);
  const lenq = 8 * h;
  let g = 1;
  for (let j = 0; j < h; j++) {
    const a = (2 * Math.PI * g) / lenq;
    t.re[j] = Math.cos(a);
    t.im[j] = Math.sin(a);
    g = (g * 5) % lenq;
  }
  return t;
}

/**
 * Butterfly stage S_h of the decoding DFT (or its inverse) as a diagonal matrix. Forward, for p with j = p mod 2h:
 * j < h: out[p] = in[p] + ψ_j·in[p+h];  j ≥ h: out[p] = in[p−h] − ψ_{j−h}·in[p].
 */
export function butterflyStage(n: number, h: number, inverse: boolean): DiagMatrix {
  const psi = twiddles(h);
  const d0 = cvec(n);
  const dp = cvec(n);
  const dm = cvec(n);
  for (let p = 0; p < n; p++) {
    const j = p % (2 * h);
    if (j < h) {
      if (!inverse) {
        d0.re[p] = 1;
        dp.re[p] = psi.re[j]!;
        dp.im[p] = psi.im[j]!;
      } else {
        d0.re[p] = 0.5;
        dp.re[p] = 0.5;
      }
    } else {
      const pr = psi.re[j - h]!;
      const pi = psi.im[j - h]!;
      if (!inverse) {
        d0.re[p] = -pr;
        d0.im[p] = -pi;
        dm.re[p] = 1;
      } else {
        // 1/(2ψ) = conj(ψ)/2 since |ψ| = 1.
        d0.re[p] = -0.5 * pr;
        d0.im[p] = 0.5 * pi;
        dm.re[p] = 0.5 * pr;
        dm.im[p] = -0.5 * pi;
      }
    }
  }
  const m: DiagMatrix = new Map();
  const put = (k: number, v: CVec): void => {
    const key = ((k % n) + n) % n;
    const old = m.get(key);
    if (old === undefined) m.set(key, v);
    else for (let p = 0; p < n; p++) { old.re[p]! += v.re[p]!; old.im[p]! += v.im[p]!; }
  };
  put(0, d0);
  put(h, dp);
  put(-h, dm);
  return m;
}

/** (A·B): apply B, then A. diag_{a+b} += A_a ⊙ rot(B_b, a). */
export function matMul(a: DiagMatrix, b: DiagMatrix, n: number): DiagMatrix {
  const out: DiagMatrix = new Map();
  for (const [ka, va] of a) {
    for (const [kb, vb] of b) {
      const k = (ka + kb) % n;
      const rb = crot(vb, ka);
      let acc = out.get(k);
      if (acc === undefined) {
        acc = cvec(n);
        out.set(k, acc);
      }
      for (let p = 0; p < n; p++) {
        const ar = va.re[p]!, ai = va.im[p]!, br = rb.re[p]!, bi = rb.im[p]!;
        acc.re[p]! += ar * br - ai * bi;
        acc.im[p]! += ar * bi + ai * br;
      }
    }
  }
  // Drop diagonals that cancelled exactly (they would cost rotations for nothing).
  for (const [k, v] of out) {
    let mx = 0;
    for (let p = 0; p < n; p++) mx = Math.max(mx, Math.abs(v.re[p]!), Math.abs(v.im[p]!));
    if (mx < 1e-300) out.delete(k);
  }
  return out;
}

/** Multiply every diagonal by a complex constant (c = cr + i·ci), in place. */
export function matScale(m: DiagMatrix, cr: number, ci = 0): DiagMatrix {
  for (const v of m.values()) {
    for (let p = 0; p < v.re.length; p++) {
      const r = v.re[p]!, i = v.im[p]!;
      v.re[p] = r * cr - i * ci;
      v.im[p] = r * ci + i * cr;
    }
  }
  return m;
}

/** Right-multiply by a diagonal (slot-wise) matrix D: (M·D) diag_k[p] = M_k[p]·D[(p + k) mod n]. */
export function matTimesDiag(m: DiagMatrix, d: CVec): DiagMatrix {
  const n = d.re.length;
  for (const [k, v] of m) {
    const rd = crot(d, k);
    for (let p = 0; p < n; p++) {
      const r = v.re[p]!, i = v.im[p]!;
      v.re[p] = r * rd.re[p]! - i * rd.im[p]!;
      v.im[p] = r * rd.im[p]! + i * rd.re[p]!;
    }
  }
  return m;
}

/** Plain evaluation y = M·x. */
export function matApply(m: DiagMatrix, x: CVec): CVec {
  const n = x.re.length;
  const y = cvec(n);
  for (const [k, v] of m) {
    for (let p = 0; p < n; p++) {
      const q = p + k < n ? p + k : p + k - n;
      const xr = x.re[q]!, xi = x.im[q]!;
      y.re[p]! += v.re[p]! * xr - v.im[p]! * xi;
      y.im[p]! += v.re[p]! * xi + v.im[p]! * xr;
    }
  }
  return y;
}

/**
 * Split the log2(n) butterfly stages into `groups` contiguous merged matrices, in application order.
 * StC (forward): stages h = 1, 2, …, n/2. CtS (inverse): h = n/2, …, 2, 1. Earlier groups get the extra stage when
 * the split is uneven (CtS runs them at the top levels where the ciphertext is largest, so it is the other way
 * round there: we give the extra stages to the later groups for CtS, which run on smaller ciphertexts).
 */
export function fftGroups(n: number, groups: number, inverse: boolean): DiagMatrix[] {
  const logn = Math.log2(n);
  if (!Number.isInteger(logn)) throw new Error(`slot count ${n} is not a power of two`);
  const g = Math.max(1, Math.min(groups, logn));
  const hs: number[] = [];
  for (let s = 0; s < logn; s++) hs.push(1 << s);
  if (inverse) hs.reverse();
  const sizes: number[] = new Array<number>(g).fill(Math.floor(logn / g));
  for (let r = 0; r < logn % g; r++) sizes[inverse ? g - 1 - r : r]!++;
  const out: DiagMatrix[] = [];
  let at = 0;
  for (const size of sizes) {
    let m: DiagMatrix | undefined;
    for (let s = 0; s < size; s++) {
      const st = butterflyStage(n, hs[at++]!, inverse);
      m = m === undefined ? st : matMul(st, m, n);
    }
    if (m === undefined) {
      const id = cvec(n);
      id.re.fill(1);
      m = new Map([[0, id]]);
    }
    out.push(m);
  }
  return out;
}

/** Bit-reversal permutation of a vector. */
export function permuteBR(v: CVec): CVec {
  const n = v.re.length;
  const logn = Math.log2(n);
  const out = cvec(n);
  for (let i = 0; i < n; i++) {
    const j = bitReverse(i, logn);
    out.re[j] = v.re[i]!;
    out.im[j] = v.im[i]!;
  }
  return out;
}

/** Naive z = U·w, O(n²): the reference the factorisation is tested against. */
export function naiveDecode(w: CVec): CVec {
  const n = w.re.length;
  const M = 4 * n;
  const z = cvec(n);
  for (let j = 0; j < n; j++) {
    const g = modPow5(j, M);
    let sr = 0, si = 0;
    for (let k = 0; k < n; k++) {
      const a = (2 * Math.PI * ((g * k) % M)) / M;
      const c = Math.cos(a), s = Math.sin(a);
      sr += w.re[k]! * c - w.im[k]! * s;
      si += w.re[k]! * s + w.im[k]! * c;
    }
    z.re[j] = sr;
    z.im[j] = si;
  }
  return z;
}

/** Fast z = U·w via the factorisation (plain). */
export function fastDecode(w: CVec): CVec {
  let v = permuteBR(w);
  for (const m of fftGroups(w.re.length, Math.log2(w.re.length), false)) v = matApply(m, v);
  return v;
}

/** Fast w = U⁻¹·z via the factorisation (plain). */
export function fastEncode(z: CVec): CVec {
  let v = z;
  for (const m of fftGroups(z.re.length, Math.log2(z.re.length), true)) v = matApply(m, v);
  return permuteBR(v);
}

/** Slot vector → real coefficient vector of length N = 2n (m_k = Re w_k, m_{k+n} = Im w_k). */
export function slotsToCoeffs(z: CVec): Float64Array {
  const w = fastEncode(z);
  const n = w.re.length;
  const m = new Float64Array(2 * n);
  m.set(w.re, 0);
  m.set(w.im, n);
  return m;
}

/** Real coefficient vector (length N) → slot vector. */
export function coeffsToSlots(m: Float64Array): CVec {
  const n = m.length / 2;
  return fastDecode({ re: m.slice(0, n), im: m.slice(n) });
}
