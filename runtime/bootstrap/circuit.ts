/**
 * @fileoverview The bootstrap circuit, written once over Prim<C>:
 *   levelDrop(0) → ModRaise → CoeffsToSlots → [conjugate split] → EvalMod (+ precision bypass) → SlotsToCoeffs.
 *
 * Variants (both deliver the canonical scale at params.bootstrapOutputLevel):
 * - `full`: complex slots. CtS yields w' = U⁻¹z/(2RK'); A = w' + conj(w') = t_low/K' (real),
 *   B = w' − conj(w') = i·t_high/K' (imaginary). Two EvalMods (B with the imaginary-input odd recurrence, see
 *   evalmod.ts) give sin(2πt_low) + i·sin(2πt_high) directly, so StC needs no i-multiplication.
 * - `real`: real slots (activations). A real slot vector z has an anti-symmetric coefficient vector
 *   (m_{N−k} = −m_k, m_{N/2} = 0, because conjugation is X ↦ X⁻¹), so the n low coefficients determine it:
 *   z = 2·Re(U·D·m_low) with D = diag(1/2, 1, …, 1). One EvalMod on A, StC with U·D, then v + conj(v).
 *   This halves EvalMod (the dominant ct×ct cost) at the price of one conjugation at the bottom level.
 *
 * Precision bypass: EvalMod's input x = t/K' must carry the canonical scale Δ_λ, so the last CtS rescale rounds it
 * to ±2^-(logΔ−10) and EvalMod multiplies that by ω = 2πK' (≈ 2^7.5 for h = 192). Since p'(x) = ω·cos(2πt) ≈ ω for
 * t near an integer, y = p(x_lo) + ω·(x_hi − x_lo) cancels it to first order, where x_hi is the same pre-rescale
 * ciphertext multiplied by 2^k before rescaling (scale Δ_λ·2^k, k bits more precise). Cost: two rescales, one
 * subtraction and one constant multiplication per branch; no key switching.
 *
 * Scales: every plaintext is encoded at the scale that makes the rescaled result canonical (Δ_{ℓ−1}·q_ℓ/scale(ct)),
 * so the only non-canonical ciphertexts are transient pre-rescale sums and x_hi.
 */
import type { CkksParams } from '../../ir/params.ts';
import { ChebEvaluator, kFromHammingWeight, planEvalMod, type EvalModPlan } from './evalmod.ts';
import { crot, cvec, fftGroups, matScale, matTimesDiag, permuteBR, type CVec, type DiagMatrix } from './linalg.ts';
import { canonical, dropTo, qf, type Prim } from './prim.ts';

export type BootstrapVariant = 'full' | 'real';

/** One BSGS linear transform: y = Σ_a rot(Σ_b rot(diag_{a,b}, −g_a) ⊙ rot(x, b·h), g_a). */
export interface LinearTransform {
  /** Baby rotation amounts (0 first). */
  babies: number[];
  /** Giant steps: rotation amount and its (baby index, pre-rotated diagonal) terms. */
  giants: { rot: number; terms: { baby: number; diag: CVec }[] }[];
  diagonals: number;
}

export interface BootstrapPlan {
  params: CkksParams;
  variant: BootstrapVariant;
  ctsLevels: number;
  stcLevels: number;
  /** q_0 / Δ_0: the ratio between the modulus and the message scale at level 0. */
  R: number;
  K: number;
  evalMod: EvalModPlan;
  /** Extra bits of scale of the bypass copy x_hi. */
  bypassBits: number;
  cts: LinearTransform[];
  stc: LinearTransform[];
  rotations: number[];
}

function signed(k: number, n: number): number {
  return k > n / 2 ? k - n : k;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Choose the baby count minimising (hoisted babies ≈ 0.6 of a rotation) + giants, and pre-rotate the diagonals. */
export function planLinearTransform(m: DiagMatrix, n: number): LinearTransform {
  const keys = [...m.keys()];
  let h = 0;
  for (const k of keys) if (k !== 0) h = gcd(h, Math.abs(signed(k, n)));
  if (h === 0) h = 1;
  const idx = keys.map((k) => signed(k, n) / h);
  let best: { n1: number; cost: number } | undefined;
  for (let n1 = 1; n1 <= 2 * keys.length; n1 *= 2) {
    const babies = new Set<number>(), giants = new Set<number>();
    for (const i of idx) {
      const b = ((i % n1) + n1) % n1;
      babies.add(b);
      giants.add((i - b) / n1);
    }
    const cost = 0.6 * [...babies].filter((b) => b !== 0).length + [...giants].filter((g) => g !== 0).length;
    if (best === undefined || cost < best.cost) best = { n1, cost };
  }
  const n1 = best!.n1;
  const babySet = new Set<number>([0]);
  const giantMap = new Map<number, { baby: number; diag: CVec }[]>();
  keys.forEach((k, t) => {
    const i = idx[t]!;
    const b = ((i % n1) + n1) % n1;
    const a = (i - b) / n1;
    const g = (((a * n1 * h) % n) + n) % n;
    const rotB = (b * h) % n;
    babySet.add(rotB);
    let list = giantMap.get(g);
    if (list === undefined) giantMap.set(g, (list = []));
    list.push({ baby: rotB, diag: crot(m.get(k)!, -g) });
  });
  const babies = [...babySet].sort((x, y) => x - y);
  const giants = [...giantMap.entries()].sort((x, y) => x[0] - y[0]).map(([rot, terms]) => ({ rot, terms }));
  return { babies, giants, diagonals: keys.length };
}

/** Evaluate a planned transform; returns the pre-rescale sum (scale = scale(x)·ptScale, level unchanged). */
export function applyLinearTransform<C>(P: Prim<C>, x: C, lt: LinearTransform, ptScale: number, key: string): C {
  const rots = lt.babies.filter((b) => b !== 0);
  const hoisted = rots.length > 0 ? P.rotateHoisted(x, rots) : [];
  const baby = new Map<number, C>([[0, x]]);
  rots.forEach((r, i) => baby.set(r, hoisted[i]!));
  let acc: C | undefined;
  lt.giants.forEach((g, gi) => {
    let inner: C | undefined;
    g.terms.forEach((t, ti) => {
      const prod = P.mulDiag(baby.get(t.baby)!, t.diag, ptScale, `${key}/${gi}/${ti}`);
      if (inner === undefined) inner = prod;
      else { const s = P.add(inner, prod); P.free(inner); P.free(prod); inner = s; }
    });
    let r = inner!;
    if (g.rot !== 0) { r = P.rotate(inner!, g.rot); P.free(inner!); }
    if (acc === undefined) acc = r;
    else { const s = P.add(acc, r); P.free(acc); P.free(r); acc = s; }
  });
  for (const c of hoisted) P.free(c);
  return acc!;
}

const planCache = new Map<string, BootstrapPlan>();

export interface PlanOptions {
  ctsLevels?: number;
  stcLevels?: number;
  bypassBits?: number;
  /** log2 of the tolerated probability that some |I_k| > K in one bootstrap. */
  failLog2?: number;
}

/** Build (and cache) the bootstrap plan of a parameter set: level split, matrices, EvalMod polynomial, rotations. */
export function bootstrapPlan(params: CkksParams, variant: BootstrapVariant, opts: PlanOptions = {}): BootstrapPlan {
  const key = `${params.name}|${params.logN}|${params.q.join(',')}|${variant}|${JSON.stringify(opts)}`;
  const hit = planCache.get(key);
  if (hit !== undefined) return hit;
  const n = params.slots;
  const logn = Math.log2(n);
  if (params.bootstrapLevels <= 0) throw new Error(`parameters '${params.name}' have no bootstrap levels`);
  const ctsLevels = Math.min(opts.ctsLevels ?? 3, logn);
  const stcLevels = Math.min(opts.stcLevels ?? 3, logn);
  const emDepth = params.bootstrapLevels - ctsLevels - stcLevels;
  const h = params.secretHammingWeight > 0 ? params.secretHammingWeight : Math.round((4 * n) / 3);
  const K = kFromHammingWeight(h, params.logN, opts.failLog2 ?? 20);
  const evalMod = planEvalMod(K + 1, emDepth);
  const R = qf(params, 0) / canonical(params, 0);

  const ctsM = fftGroups(n, ctsLevels, true);
  matScale(ctsM[ctsM.length - 1]!, 1 / (2 * R * evalMod.kPrime));
  const stcM = fftGroups(n, stcLevels, false);
  matScale(stcM[0]!, R / (2 * Math.PI));
  if (variant === 'real') {
    const d = cvec(n);
    d.re.fill(1);
    d.re[0] = 0.5; // bit reversal fixes index 0
    matTimesDiag(stcM[0]!, permuteBR(d));
  }
  const cts = ctsM.map((m) => planLinearTransform(m, n));
  const stc = stcM.map((m) => planLinearTransform(m, n));
  const rot = new Set<number>();
  for (const lt of [...cts, ...stc]) {
    for (const b of lt.babies) if (b !== 0) rot.add(b);
    for (const g of lt.giants) if (g.rot !== 0) rot.add(g.rot);
  }
  const plan: BootstrapPlan = {
    params, variant, ctsLevels, stcLevels, R, K, evalMod, bypassBits: opts.bypassBits ?? 20, cts, stc,
    rotations: [...rot].sort((a, b) => a - b),
  };
  planCache.set(key, plan);
  return plan;
}

/** EvalMod of one branch with the first-order bypass; x_lo canonical at λ, d = x_hi − x_lo at scale Δ_λ·2^k. */
function evalModBranch<C>(P: Prim<C>, plan: BootstrapPlan, xLo: C, d: C, imaginary: boolean): C {
  const em = plan.evalMod;
  const lam = P.level(xLo);
  const baby = 2 ** Math.ceil(em.depth / 2);
  const y = new ChebEvaluator(P, xLo, imaginary, baby).evaluate(em.coeffs, em.depth);
  // ω·d rescaled straight to the canonical scale of λ−1 (one rounding, after the ω multiplication).
  const omega = 2 * Math.PI * em.kPrime;
  const sc = (canonical(P.params, lam - 1) * qf(P.params, lam)) / P.scale(d);
  const m = P.mulConst(d, omega, sc);
  const corr = P.rescale(m);
  P.free(m);
  const corrLow = dropTo(P, corr, P.level(y));
  if (corrLow !== corr) P.free(corr);
  const out = P.add(y, corrLow);
  P.free(y);
  P.free(corrLow);
  return out;
}

/** Split the pre-rescale ciphertext into x_lo (canonical) and d = x_hi − x_lo (scale Δ·2^k). */
function splitBypass<C>(P: Prim<C>, pre: C, k: number): { lo: C; d: C } {
  const lo = P.rescale(pre);
  const up = P.mulConst(pre, 1, 2 ** k);
  const hi = P.rescale(up);
  P.free(up);
  const loUp = P.mulConst(lo, 1, 2 ** k);
  const d = P.sub(hi, loUp);
  P.free(hi);
  P.free(loUp);
  return { lo, d };
}

/** The bootstrap circuit. `ct` must carry the canonical scale of its level; the result is at bootstrapOutputLevel. */
export function runBootstrap<C>(P: Prim<C>, ct: C, plan: BootstrapPlan, keyPrefix = 'boot'): C {
  const params = P.params;
  const c0 = dropTo(P, ct, 0);
  let cur = P.modRaise(c0);
  if (c0 !== ct) P.free(c0);

  // CoeffsToSlots: all but the last stage rescale straight to canonical scales.
  let pre: C | undefined;
  plan.cts.forEach((lt, i) => {
    const l = P.level(cur);
    const ptScale = (canonical(params, l - 1) * qf(params, l)) / P.scale(cur);
    const p = applyLinearTransform(P, cur, lt, ptScale, `${keyPrefix}/cts${i}`);
    P.free(cur);
    if (i < plan.cts.length - 1) { cur = P.rescale(p); P.free(p); }
    else pre = p;
  });

  const branches: { pre: C; imaginary: boolean }[] = [];
  const conj = P.conjugate(pre!);
  branches.push({ pre: P.add(pre!, conj), imaginary: false });
  if (plan.variant === 'full') branches.push({ pre: P.sub(pre!, conj), imaginary: true });
  P.free(conj);
  P.free(pre!);

  let y: C | undefined;
  for (const b of branches) {
    const { lo, d } = splitBypass(P, b.pre, plan.bypassBits);
    P.free(b.pre);
    const yb = evalModBranch(P, plan, lo, d, b.imaginary);
    P.free(lo);
    P.free(d);
    if (y === undefined) y = yb;
    else { const s = P.add(y, yb); P.free(y); P.free(yb); y = s; }
  }

  cur = y!;
  plan.stc.forEach((lt, i) => {
    const l = P.level(cur);
    const ptScale = (canonical(params, l - 1) * qf(params, l)) / P.scale(cur);
    const p = applyLinearTransform(P, cur, lt, ptScale, `${keyPrefix}/stc${i}`);
    P.free(cur);
    cur = P.rescale(p);
    P.free(p);
  });

  if (plan.variant === 'real') {
    const cj = P.conjugate(cur);
    const out = P.add(cur, cj);
    P.free(cj);
    P.free(cur);
    cur = out;
  }
  return cur;
}
