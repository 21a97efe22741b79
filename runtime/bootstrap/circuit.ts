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
import { HecError } from '../../ir/diagnostics.ts';
import { DEFAULT_BABY_COST, planBabyGiant } from '../../ir/bsgs.ts';
import type { CkksParams } from '../../ir/params.ts';
import { ChebEvaluator, kFromHammingWeight, planEvalMod, type EvalModPlan } from './evalmod.ts';
import { crot, cvec, fftGroups, matScale, matTimesDiag, permuteBR, type CVec, type DiagMatrix } from './linalg.ts';
import { canonical, dropKeep, dropTo, exactScale, qf, type Prim } from './prim.ts';

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
  /** log2 of the plaintext scale of every CtS stage (and of x_hi's last-stage plaintexts). */
  ctsPtBits: number;
  bypass: boolean;
  evalModBaby: number;
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

/**
 * Choose the baby count minimising babyCost·babies + giants (ir/bsgs.ts, the planner the matrix–vector kernels use
 * too; a hoisted baby rotation costs `babyCost` of a full rotation: it skips the decomposition). 0.6 keeps the key
 * count and the extended-basis babies small: with 0.4 a whole N16_BOOT (now N16_BOOT_H192_INSECURE) real bootstrap
 * was 1% faster (9.99 vs 10.12 s, one thread) but needed 8 more rotation keys
 * (1.3 GB loaded). Then pre-rotate the diagonals.
 */
export function planLinearTransform(m: DiagMatrix, n: number, babyCost = DEFAULT_BABY_COST): LinearTransform {
  const keys = [...m.keys()];
  let h = 0;
  for (const k of keys) if (k !== 0) h = gcd(h, Math.abs(signed(k, n)));
  if (h === 0) h = 1;
  const idx = keys.map((k) => signed(k, n) / h);
  const n1 = planBabyGiant(idx, babyCost).babySteps;
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

/**
 * Evaluate a planned transform once per plaintext scale, sharing the hoisted baby rotations; returns the pre-rescale
 * sums (scale = scale(x)·ptScale, level unchanged).
 */
export function applyLinearTransform<C>(P: Prim<C>, x: C, lt: LinearTransform, ptScales: readonly number[], key: string): C[] {
  if (P.linearTransform !== undefined && ptScales.length === 1) return [P.linearTransform(x, lt, ptScales[0]!, `${key}/0`)];
  const rots = lt.babies.filter((b) => b !== 0);
  const hoisted = rots.length > 0 ? P.rotateHoisted(x, rots) : [];
  const baby = new Map<number, C>([[0, x]]);
  rots.forEach((r, i) => baby.set(r, hoisted[i]!));
  const outs = ptScales.map((ptScale, si) => {
    let acc: C | undefined;
    lt.giants.forEach((g, gi) => {
      let inner: C | undefined;
      g.terms.forEach((t, ti) => {
        const prod = P.mulDiag(baby.get(t.baby)!, t.diag, ptScale, `${key}/${si}/${gi}/${ti}`);
        if (inner === undefined) inner = prod;
        else { const s = P.add(inner, prod); P.free(inner); P.free(prod); inner = s; }
      });
      let r: C = inner as C;
      if (g.rot !== 0) { r = P.rotate(inner as C, g.rot); P.free(inner as C); }
      if (acc === undefined) acc = r;
      else { const s = P.add(acc, r); P.free(acc); P.free(r); acc = s; }
    });
    return acc!;
  });
  for (const c of hoisted) P.free(c);
  return outs;
}

const planCache = new Map<string, BootstrapPlan>();

export interface PlanOptions {
  ctsLevels?: number;
  stcLevels?: number;
  /** CtS plaintext scale bits (default 55: integers stay below 2^63 for |diagonal entries| ≤ 2^7). */
  ctsPtBits?: number;
  /** log2 of the tolerated probability that some |I_k| > K in one bootstrap. */
  failLog2?: number;
  /** Baby-step count of the EvalMod Chebyshev evaluation (power of two; default 2^⌈depth/2⌉). */
  evalModBaby?: number;
  /** First-order EvalMod bypass (costs the last CtS stage's giant rotations twice; pays off below ≈ 52-bit scales). */
  bypass?: boolean;
  /** Cancel sin's cubic error with one extra level (default: when the level budget leaves EvalMod ≥ 9 levels). */
  cubicCorrection?: boolean;
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
  // ModRaise's overflow I follows the secret the ciphertext is under at that moment: the ephemeral sparse one when
  // the parameters encapsulate.
  const h = (params.bootstrapSparseWeight ?? 0) > 0 ? params.bootstrapSparseWeight!
    : params.secretHammingWeight > 0 ? params.secretHammingWeight : Math.round((4 * n) / 3);
  const K = kFromHammingWeight(h, params.logN, opts.failLog2 ?? 20);
  const cubic = opts.cubicCorrection ?? emDepth >= 9;
  const evalMod = planEvalMod(K + 1, emDepth, cubic);
  const R = qf(params, 0) / canonical(params, 0);

  // CtS carries the I-part (≈ 4σ_I in t units) next to a message of ≈ 2^-logN/2 / R: its plaintexts need ≈ 48 bits
  // of relative precision, so the scalar 1/(2RK') is spread evenly over the stages instead of shrinking one of them,
  // and every stage's plaintext is encoded at 2^ctsPtBits (the ciphertext scale floats above canonical until x_hi).
  const ctsM = fftGroups(n, ctsLevels, true);
  const cScal = (1 / (2 * R * evalMod.kPrime)) ** (1 / ctsM.length);
  for (const m of ctsM) matScale(m, cScal);
  const stcM = fftGroups(n, stcLevels, false);
  const sScal = (R / (2 * Math.PI)) ** (1 / stcM.length);
  for (const m of stcM) matScale(m, sScal);
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
    params, variant, ctsLevels, stcLevels, R, K, evalMod, ctsPtBits: opts.ctsPtBits ?? 55, bypass: opts.bypass ?? false,
    evalModBaby: opts.evalModBaby ?? 2 ** Math.ceil(evalMod.depth / 2), cts, stc,
    rotations: [...rot].sort((a, b) => a - b),
  };
  planCache.set(key, plan);
  return plan;
}

/** EvalMod of one branch: y = p(x_lo), canonical at level(x_lo) − depth. */
function evalModBranch<C>(P: Prim<C>, plan: BootstrapPlan, xLo: C, imaginary: boolean): C {
  const em = plan.evalMod;
  return new ChebEvaluator(P, xLo, imaginary, plan.evalModBaby).evaluate(em.coeffs, em.depth);
}

/** ω·d rescaled once (after the multiplication) onto y's exact label, then dropped to y's level. */
function bypassTerm<C>(P: Prim<C>, d: C, omega: number, y: C): C {
  const lam = P.level(d);
  const m = P.mulConst(d, omega, (P.scale(y) * qf(P.params, lam)) / P.scale(d));
  const corr = P.rescale(m);
  P.free(m);
  const low = dropKeep(P, corr, P.level(y));
  if (low !== corr) P.free(corr);
  return low;
}

/** y + ω·(d_A [+ d_B]) at y's level (see the bypass comment at the top). Frees y and dRe. */
function addBypass<C>(P: Prim<C>, plan: BootstrapPlan, y: C, dRe: C): C {
  const omega = 2 * Math.PI * plan.evalMod.kPrime;
  let corr: C;
  if (plan.variant === 'full') corr = bypassTerm(P, dRe, 2 * omega, y);
  else {
    // Only D + conj(D) belongs to the real branch; conjugate at the bottom level, where key switching is cheap.
    const c1 = bypassTerm(P, dRe, omega, y);
    const c2 = P.conjugate(c1);
    corr = P.add(c1, c2);
    P.free(c1);
    P.free(c2);
  }
  P.free(dRe);
  const ys = P.add(y, corr);
  P.free(y);
  P.free(corr);
  return ys;
}


/** The bootstrap circuit. `ct` must carry the canonical scale of its level; the result is at bootstrapOutputLevel. */
export function runBootstrap<C>(P: Prim<C>, ct: C, plan: BootstrapPlan, keyPrefix = 'boot'): C {
  const params = P.params;
  const c0 = dropTo(P, ct, 0);
  let cur: C;
  if ((params.bootstrapSparseWeight ?? 0) > 0) {
    // Sparse-secret encapsulation: ModRaise under the ephemeral sparse secret (small I), then back to the main one.
    if (P.toSparse === undefined || P.fromSparse === undefined) {
      throw new HecError('HEC5105', `parameters '${params.name}' bootstrap with sparse-secret encapsulation, but this backend offers no sparse-secret key switch`, {
        fix: 'use a backend with encapsulation keys (cpu), or parameters without bootstrapSparseWeight',
      });
    }
    const s0 = P.toSparse(c0);
    const raised = P.modRaise(s0);
    P.free(s0);
    cur = P.fromSparse(raised);
    P.free(raised);
  } else {
    cur = P.modRaise(c0);
  }
  if (c0 !== ct) P.free(c0);
  // The plan's matrices assume q_0/scale = R exactly; a label off by δ would shift every I by δ·I. mulConst by 1 at
  // a scale ≈ 1 only relabels (the constant rounds to 1), making the message (1 + δ)·m instead: harmless.
  const want = qf(params, 0) / plan.R;
  if (Math.abs(P.scale(cur) / want - 1) > 1e-15) {
    const r = P.mulConst(cur, 1, want / P.scale(cur));
    P.free(cur);
    cur = r;
  }

  // CoeffsToSlots at plaintext scale 2^ctsPtBits; the last stage also yields x_lo at the canonical scale.
  const ptHi = 2 ** plan.ctsPtBits;
  let preLo: C | undefined, preD: C | undefined;
  plan.cts.forEach((lt, i) => {
    const l = P.level(cur);
    if (i < plan.cts.length - 1) {
      const [p] = applyLinearTransform(P, cur, lt, [ptHi], `${keyPrefix}/cts${i}`);
      P.free(cur);
      cur = P.rescale(p!);
      P.free(p!);
      return;
    }
    // x_lo = rescale(pre_lo) is canonical; pre_hi uses 2^k times the plaintext scale, and
    // D = pre_hi − 2^k·pre_lo keeps the precision x_lo lost (the EvalMod bypass, see file comment).
    const pLo = (exactScale(params, l - 1) * qf(params, l)) / P.scale(cur);
    const k = Math.max(0, Math.floor(Math.log2(ptHi / pLo)));
    const scales = plan.bypass ? [pLo, pLo * 2 ** k] : [pLo];
    const [lo, hi] = applyLinearTransform(P, cur, lt, scales, `${keyPrefix}/cts${i}`);
    P.free(cur);
    preLo = lo;
    if (hi === undefined) return;
    const loUp = P.mulConst(lo!, 1, 2 ** k);
    preD = P.sub(hi!, loUp);
    P.free(hi!);
    P.free(loUp);
  });

  const conj = P.conjugate(preLo!);
  const branches: { x: C; imaginary: boolean }[] = [];
  const a = P.add(preLo!, conj);
  branches.push({ x: P.rescale(a), imaginary: false });
  P.free(a);
  if (plan.variant === 'full') {
    const b = P.sub(preLo!, conj);
    branches.push({ x: P.rescale(b), imaginary: true });
    P.free(b);
  }
  P.free(conj);
  P.free(preLo!);
  // d_A + d_B = (D + conj D) + (D − conj D) = 2D: the full variant's correction needs no conjugation.
  const dRe = preD === undefined ? undefined : P.rescale(preD);
  if (preD !== undefined) P.free(preD);

  let y: C | undefined;
  for (const b of branches) {
    const yb = evalModBranch(P, plan, b.x, b.imaginary);
    P.free(b.x);
    if (y === undefined) y = yb;
    else { const s = P.add(y, yb); P.free(y); P.free(yb); y = s; }
  }
  if (dRe === undefined) cur = y!;
  else cur = addBypass(P, plan, y!, dRe);

  plan.stc.forEach((lt, i) => {
    const l = P.level(cur);
    const ptScale = (canonical(params, l - 1) * qf(params, l)) / P.scale(cur);
    const [p] = applyLinearTransform(P, cur, lt, [ptScale], `${keyPrefix}/${plan.variant}/stc${i}`);
    P.free(cur);
    cur = P.rescale(p!);
    P.free(p!);
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
