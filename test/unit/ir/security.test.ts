/**
 * Security by secret distribution (ir/security.ts): every table row is accepted at its bound and refused above it,
 * every way of leaving the tables is refused with a coded error, and parameters are judged again wherever they enter
 * (preset, makeParams, plan header). The key file is checked in test/unit/native/secret.test.ts.
 */
import { describe, expect, it } from 'vitest';

import { HecError } from '../../../ir/diagnostics.ts';
import { makeParams, type CkksParamsLiteral } from '../../../ir/params.ts';
import { DEFAULT_PRESET, PRESETS, presetParams } from '../../../ir/presets.ts';
import { ENGINE_ERROR_STD_DEV, MAX_LOG_QP_128, SPARSE_SECRET_128, judgeInstance, judgeParams } from '../../../ir/security.ts';
import { paramsFromAttr, paramsToAttr } from '../../../runtime/plan.ts';

function literal(name: string): CkksParamsLiteral {
  const lit = PRESETS[name];
  if (lit === undefined) throw new Error(`no preset ${name}`);
  return lit;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof HecError) return e.code;
    throw e;
  }
  return undefined;
}

describe('dense (uniform ternary) secrets: the HE-standard table', () => {
  for (const [logN, bound] of Object.entries(MAX_LOG_QP_128)) {
    it(`N=2^${logN}: log QP ${bound} is secure, ${bound + 1} is not`, () => {
      const at = judgeInstance({ logN: Number(logN), logQ: bound, hammingWeight: 0, errorStdDev: ENGINE_ERROR_STD_DEV });
      expect(at).toEqual({ secure: true, bits: 128, rule: `HE-standard dense ternary, N=2^${logN}, logQP ${bound} ≤ ${bound}` });
      const above = judgeInstance({ logN: Number(logN), logQ: bound + 1, hammingWeight: 0, errorStdDev: ENGINE_ERROR_STD_DEV });
      expect(above.secure).toBe(false);
    });
  }
  it('a ring degree outside the table is refused', () => {
    expect(judgeInstance({ logN: 9, logQ: 10, hammingWeight: 0, errorStdDev: 3.2 })).toEqual({ secure: false, why: 'no HE-standard bound for dense secrets at N=2^9' });
  });
});

describe('sparse secrets: only where a published lattice estimate covers them', () => {
  for (const row of SPARSE_SECRET_128) {
    it(`h=${row.hammingWeight}, N=2^${row.logN}, σ ≥ ${row.errorStdDev}, log q ≤ ${row.logQ} (${row.source})`, () => {
      expect(row.bits).toBeGreaterThanOrEqual(128);
      const at = judgeInstance({ logN: row.logN, logQ: row.logQ, hammingWeight: row.hammingWeight, errorStdDev: row.errorStdDev });
      expect(at.secure).toBe(true);
      if (at.secure) expect(at.rule).toContain(`≤ ${row.logQ}`);
      // Above the largest published modulus of this (N, h): refused.
      const largest = Math.max(...SPARSE_SECRET_128.filter((r) => r.logN === row.logN && r.hammingWeight === row.hammingWeight).map((r) => r.logQ));
      expect(judgeInstance({ logN: row.logN, logQ: largest + 0.5, hammingWeight: row.hammingWeight, errorStdDev: 3.3 }).secure).toBe(false);
      // A weight one below the row's is not covered (fewer non-zeros are easier to guess).
      expect(judgeInstance({ logN: row.logN, logQ: 10, hammingWeight: row.hammingWeight - 1, errorStdDev: 3.3 }).secure).toBe(false);
    });
  }
  it('refusals say why: unknown weight, modulus above the estimate, error width below the tables', () => {
    expect(judgeInstance({ logN: 16, logQ: 100, hammingWeight: 1, errorStdDev: 3.2 })).toEqual({
      secure: false,
      why: 'sparse secret h=1 at N=2^16: no published lattice estimate covers this weight',
    });
    expect(judgeInstance({ logN: 16, logQ: 1681, hammingWeight: 192, errorStdDev: 3.24 })).toEqual({
      secure: false,
      why: 'sparse secret h=192 at N=2^16: log Q 1681 > 1555, the largest published 128-bit estimate',
    });
    const narrow = judgeInstance({ logN: 16, logQ: 1000, hammingWeight: 0, errorStdDev: 3.0 });
    expect(narrow.secure).toBe(false);
    if (!narrow.secure) expect(narrow.why).toMatch(/σ=3 is below 3.19/);
  });
  it('with encapsulation both secrets are judged: the ephemeral one at its key modulus q_0·p_0', () => {
    const base = { logN: 16, logQP: 1681, secretHammingWeight: 0, errorStdDev: ENGINE_ERROR_STD_DEV, bootstrapSparseWeight: 32 };
    const ok = judgeParams({ ...base, encapsulationLogQ: 121 });
    expect(ok.secure).toBe(true);
    if (ok.secure) expect(ok.rule).toMatch(/dense ternary.*; encapsulation key: sparse ternary h=32, N=2\^16, log q 121 ≤ 121/);
    const wide = judgeParams({ ...base, encapsulationLogQ: 361 }); // the key over q_0·P, as hec had it before
    expect(wide).toEqual({ secure: false, why: 'encapsulation key: sparse secret h=32 at N=2^16: log Q 361 > 121, the largest published 128-bit estimate' });
  });
});

describe('parameters are judged wherever they enter', () => {
  it(`the default preset ${DEFAULT_PRESET}: dense main secret (log QP ≤ 1747) and an h'=32 key over q_0·p_0 (≤ 121 bits)`, () => {
    const p = presetParams(DEFAULT_PRESET);
    expect(p.secure).toBe(true);
    expect(p.secretHammingWeight).toBe(0);
    expect(p.bootstrapSparseWeight).toBe(32);
    expect(p.logQP).toBeLessThanOrEqual(1747);
    expect(p.securityRule).toMatch(/^HE-standard dense ternary, N=2\^16, logQP 1681 ≤ 1747; encapsulation key: sparse ternary h=32, N=2\^16, log q 121 ≤ 121 \(SparseLWEkit id 9/);
    expect(p.bootstrapOutputLevel).toBeGreaterThanOrEqual(9);
  });

  it('the former h=192 default exists only flagged insecure (log QP 1681 > 1555)', () => {
    expect(codeOf(() => presetParams('N16_BOOT_H192_INSECURE'))).toBe('HEC6004');
    const p = presetParams('N16_BOOT_H192_INSECURE', { allowInsecure: true });
    expect(p.secure).toBe(false);
    expect(p.securityRule).toMatch(/flagged insecure.*h=192 at N=2\^16: log Q 1681 > 1555/);
    const { insecure: _drop, ...unflagged } = literal('N16_BOOT_H192_INSECURE');
    expect(codeOf(() => makeParams(unflagged))).toBe('HEC6005');
  });

  it('makeParams refuses a weak secret instead of calling it secure (h=1, h=64, h=192 at log QP 1681)', () => {
    for (const h of [1, 64, 192]) {
      expect(codeOf(() => makeParams({ ...literal(DEFAULT_PRESET), secretHammingWeight: h, bootstrapSparseWeight: 0 }))).toBe('HEC6005');
    }
    expect(() => makeParams({ ...literal(DEFAULT_PRESET), secretHammingWeight: 1, bootstrapSparseWeight: 0 })).toThrow(/not 128-bit secure: sparse secret h=1/);
  });

  it('makeParams refuses an ephemeral weight no estimate covers, and a narrow error width', () => {
    expect(codeOf(() => makeParams({ ...literal(DEFAULT_PRESET), bootstrapSparseWeight: 16 }))).toBe('HEC6005');
    expect(codeOf(() => makeParams({ ...literal(DEFAULT_PRESET), errorStdDev: 3.0 }))).toBe('HEC6005');
  });

  it('malformed N, Hamming weight and error width are HEC6001', () => {
    const base = literal(DEFAULT_PRESET);
    for (const over of [{ logN: 15.5 }, { logN: 18 }, { secretHammingWeight: -1 }, { secretHammingWeight: 2.5 }, { secretHammingWeight: 2 ** 16 + 1 }, { errorStdDev: Number.NaN }, { errorStdDev: -3.2 }]) {
      expect(codeOf(() => makeParams({ ...base, ...over })), JSON.stringify(over)).toBe('HEC6001');
    }
  });

  it('a plan header edited to a weaker secret or narrower error is refused on load (HEC6005)', () => {
    const attr = paramsToAttr(presetParams(DEFAULT_PRESET));
    expect(paramsFromAttr(attr).securityRule).toBe(presetParams(DEFAULT_PRESET).securityRule);
    const { bootstrap_sparse_weight: _eph, ...noEncapsulation } = attr;
    expect(codeOf(() => paramsFromAttr({ ...noEncapsulation, secret_hamming_weight: 1 }))).toBe('HEC6005');
    expect(codeOf(() => paramsFromAttr({ ...attr, secret_hamming_weight: 1 }))).toBe('HEC6001'); // h' = 32 ≥ h
    expect(codeOf(() => paramsFromAttr({ ...attr, secret_hamming_weight: 192 }))).toBe('HEC6005');
    expect(codeOf(() => paramsFromAttr({ ...attr, error_std_dev: 1 }))).toBe('HEC6005');
    expect(codeOf(() => paramsFromAttr({ ...attr, bootstrap_sparse_weight: 8 }))).toBe('HEC6005');
    // A header edited to say "insecure" loads, but as insecure: `hec run` then needs --allow-insecure (cli-security).
    expect(paramsFromAttr({ ...noEncapsulation, insecure: true, secret_hamming_weight: 1 }).secure).toBe(false);
  });
});
