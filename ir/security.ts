/**
 * @fileoverview 128-bit security by secret distribution: which (N, log QP, secret, error width) hec may call secure,
 * and the published estimate each verdict rests on. Anything no table row covers is insecure.
 *
 * Dense (uniform ternary) secrets: the HomomorphicEncryption.org standard (Albrecht et al., "Homomorphic Encryption
 * Standard", 2018, Table 1, classical 128-bit, ternary secret, σ = 8/√(2π) ≈ 3.19) for N up to 2^15, and OpenFHE's
 * extension of that table for N = 2^16 and 2^17 (`HEStd_128_classic`), the more conservative published extension.
 *
 * Sparse secrets (exactly h non-zero ternary coefficients) are weaker at the same modulus (hybrid and
 * meet-in-the-middle attacks exploit the sparsity), so they are checked only against lattice-estimator runs published
 * for that exact (N, h): the HomomorphicEncryption.org SparseLWEkit (github.com/HomomorphicEncryption/SparseLWEkit,
 * README "Parameter Sets" / "Security Estimations" and src/data/lattice_estimator_estimates.csv, lattice-estimator
 * commit 6019056). Its h = 192 rows are the main-secret sets of OpenFHE, HEaaN and Lattigo (Lattigo's
 * N16QP1546H192H32 family, circuits/ckks/bootstrapping/default_parameters.go, from Bossuat et al., "Bootstrapping for
 * approximate HE with negligible failure-probability by using sparse-secret encapsulation", ACNS 2022,
 * eprint 2022/024); its h = 32 rows are the ephemeral secrets of sparse-secret encapsulation (HEaaN: log q 117;
 * Lattigo's encapsulation key over q_0 and one special prime: log q 121). A sparse secret of another weight, a larger
 * modulus or a smaller error width than a row is refused: the estimator has not been run there.
 */

/** Largest log2(QP) with 128-bit security for a dense (uniform ternary) secret at ring degree 2^logN. */
export const MAX_LOG_QP_128: Readonly<Record<number, number>> = {
  10: 27,
  11: 54,
  12: 109,
  13: 218,
  14: 438,
  15: 881,
  16: 1747,
  17: 3523,
};

/** The error width both tables assume: σ = 8/√(2π) ≈ 3.19 (HE standard; the sparse rows use 3.19 or 3.2). */
export const MIN_ERROR_STD_DEV = 3.19;

/**
 * The error width of hec's engines: the cpu engine samples a centred binomial with η = 21 (σ = √(21/2) ≈ 3.24,
 * runtime/native/src/ring/random.h Csprng::cbd); SEAL samples a clipped Gaussian with σ = 3.2.
 */
export const ENGINE_ERROR_STD_DEV = Math.sqrt(21 / 2);

/** One published lattice-estimator result for a sparse ternary secret of exactly `hammingWeight` non-zeros. */
export interface SparseSecretRow {
  logN: number;
  hammingWeight: number;
  /** Error standard deviation the estimate assumed. */
  errorStdDev: number;
  /** log2 of the ciphertext modulus (Q·P for a key) that was estimated. */
  logQ: number;
  /** The estimator's cost of the cheapest attack, in bits. */
  bits: number;
  /** Which published row (SparseLWEkit id and the library it comes from). */
  source: string;
}

/** SparseLWEkit rows at 128 bits or more (ids as in its README; id 9 from lattice_estimator_estimates.csv). */
export const SPARSE_SECRET_128: readonly SparseSecretRow[] = [
  { logN: 16, hammingWeight: 32, errorStdDev: 3.2, logQ: 117, bits: 164.58, source: 'SparseLWEkit id 3 (HEaaN ephemeral key)' },
  { logN: 16, hammingWeight: 32, errorStdDev: 3.2, logQ: 121, bits: 171.9, source: 'SparseLWEkit id 9, lattice_estimator_estimates.csv (Lattigo encapsulation key, q_0·p_0)' },
  { logN: 15, hammingWeight: 192, errorStdDev: 3.19, logQ: 767, bits: 134.3, source: 'SparseLWEkit id 5 (OpenFHE N=2^15)' },
  { logN: 15, hammingWeight: 192, errorStdDev: 3.2, logQ: 777, bits: 132.12, source: 'SparseLWEkit id 4 (HEaaN N=2^15)' },
  { logN: 16, hammingWeight: 192, errorStdDev: 3.19, logQ: 1553, bits: 133.99, source: 'SparseLWEkit id 6 (OpenFHE, Lattigo N16QP1553H192H32)' },
  { logN: 16, hammingWeight: 192, errorStdDev: 3.2, logQ: 1555, bits: 133.84, source: 'SparseLWEkit id 2 (HEaaN N=2^16)' },
  { logN: 17, hammingWeight: 192, errorStdDev: 3.19, logQ: 3104, bits: 135.28, source: 'SparseLWEkit id 7 (OpenFHE N=2^17)' },
  { logN: 16, hammingWeight: 128, errorStdDev: 3.2, logQ: 300, bits: 321.96, source: 'SparseLWEkit id 8 (DESILO)' },
  { logN: 17, hammingWeight: 128, errorStdDev: 3.2, logQ: 2341, bits: 157.19, source: 'SparseLWEkit id 1 (HEaaN N=2^17)' },
];

/** One RLWE instance a parameter set exposes: its secret, ring degree, modulus and error width. */
export interface RlweInstance {
  logN: number;
  logQ: number;
  /** 0 = dense uniform ternary; h > 0 = exactly h non-zero ternary coefficients. */
  hammingWeight: number;
  errorStdDev: number;
}

/** The verdict on one instance: the rule that made it secure, or why it is not. */
export type SecurityVerdict =
  | { secure: true; bits: number; rule: string }
  | { secure: false; why: string };

function fmt(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** Largest log2(QP) that keeps 128-bit security for a dense secret at ring degree 2^logN, or undefined if unknown. */
export function maxLogQP(logN: number): number | undefined {
  return MAX_LOG_QP_128[logN];
}

/** The table row that covers a sparse instance, if any (exact N and h, at least the row's σ, at most its modulus). */
export function coveringSparseRow(inst: RlweInstance): SparseSecretRow | undefined {
  return SPARSE_SECRET_128.find(
    (r) => r.logN === inst.logN && r.hammingWeight === inst.hammingWeight && inst.errorStdDev >= r.errorStdDev && inst.logQ <= r.logQ,
  );
}

/** Check one RLWE instance against the table for its secret distribution. */
export function judgeInstance(inst: RlweInstance): SecurityVerdict {
  const N = `N=2^${inst.logN}`;
  if (!(inst.errorStdDev >= MIN_ERROR_STD_DEV)) {
    return { secure: false, why: `error width σ=${inst.errorStdDev} is below ${MIN_ERROR_STD_DEV}, the smallest σ any table assumes` };
  }
  if (inst.hammingWeight === 0) {
    const bound = maxLogQP(inst.logN);
    if (bound === undefined) return { secure: false, why: `no HE-standard bound for dense secrets at ${N}` };
    if (inst.logQ > bound) return { secure: false, why: `dense ternary secret at ${N}: log QP ${fmt(inst.logQ)} > ${bound} (HE standard)` };
    return { secure: true, bits: 128, rule: `HE-standard dense ternary, ${N}, logQP ${fmt(inst.logQ)} ≤ ${bound}` };
  }
  const row = coveringSparseRow(inst);
  if (row === undefined) {
    const same = SPARSE_SECRET_128.filter((r) => r.logN === inst.logN && r.hammingWeight === inst.hammingWeight);
    const best = same.reduce((m, r) => Math.max(m, r.logQ), 0);
    return {
      secure: false,
      why:
        same.length === 0
          ? `sparse secret h=${inst.hammingWeight} at ${N}: no published lattice estimate covers this weight`
          : `sparse secret h=${inst.hammingWeight} at ${N}: log Q ${fmt(inst.logQ)} > ${best}, the largest published 128-bit estimate`,
    };
  }
  return {
    secure: true,
    bits: 128,
    rule: `sparse ternary h=${inst.hammingWeight}, ${N}, log q ${fmt(inst.logQ)} ≤ ${row.logQ} (${row.source}: ${row.bits} bits)`,
  };
}

/** The parameter facts security depends on (a subset of CkksParams, so ir/params.ts can call this before deriving). */
export interface SecurityInputs {
  logN: number;
  logQP: number;
  secretHammingWeight: number;
  errorStdDev: number;
  /** Ephemeral encapsulation secret weight (0 = none), and log2 of the modulus its key lives under (q_0·p_0). */
  bootstrapSparseWeight: number;
  encapsulationLogQ: number;
}

/**
 * Every RLWE instance the parameters expose, judged: the main secret at Q·P and, with sparse-secret encapsulation,
 * the ephemeral secret at the modulus of its key. Secure when all are; the rule lists each instance's rule.
 */
export function judgeParams(p: SecurityInputs): SecurityVerdict {
  const main = judgeInstance({ logN: p.logN, logQ: p.logQP, hammingWeight: p.secretHammingWeight, errorStdDev: p.errorStdDev });
  if (!main.secure || p.bootstrapSparseWeight === 0) return main;
  const eph = judgeInstance({ logN: p.logN, logQ: p.encapsulationLogQ, hammingWeight: p.bootstrapSparseWeight, errorStdDev: p.errorStdDev });
  if (!eph.secure) return { secure: false, why: `encapsulation key: ${eph.why}` };
  return { secure: true, bits: Math.min(main.bits, eph.bits), rule: `${main.rule}; encapsulation key: ${eph.rule}` };
}
