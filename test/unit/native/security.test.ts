/**
 * Secure presets meet the 128-bit rule of ir/security.ts for their secret distribution, and their prime chains fit
 * the engine's constraints (NTT-friendly, below 2^62, P larger than one key-switching digit so hybrid key switching
 * adds little noise).
 */
import { describe, expect, it } from 'vitest';

import { PRESETS, presetParams } from '../../../ir/presets.ts';
import { judgeParams } from '../../../ir/security.ts';

function log2(x: bigint): number {
  return x.toString(2).length - 1 + Number(x >> BigInt(Math.max(0, x.toString(2).length - 53))) / 2 ** Math.min(52, x.toString(2).length - 1) - 1;
}

describe('secure presets', () => {
  for (const [name, lit] of Object.entries(PRESETS)) {
    if (lit.insecure) continue;
    it(`${name} meets the 128-bit rule for its secret and the engine constraints`, () => {
      const p = presetParams(name);
      expect(p.secure).toBe(true);
      const encapsulationLogQ = Math.log2(Number(p.q[0])) + Math.log2(Number(p.p[0] ?? 1n));
      const v = judgeParams({ ...p, bootstrapSparseWeight: p.bootstrapSparseWeight ?? 0, encapsulationLogQ });
      expect(v.secure).toBe(true);
      if (v.secure) expect(p.securityRule).toBe(v.rule);
      const twoN = 2n << BigInt(p.logN - 1);
      for (const q of [...p.q, ...p.p]) {
        expect(q % twoN).toBe(1n);
        expect(q < 1n << 62n).toBe(true);
      }
      // Hybrid key switching: P must exceed the largest digit modulus Q_j.
      const alpha = Math.ceil(p.q.length / p.dnum);
      const logP = p.p.reduce((s, x) => s + log2(x), 0);
      for (let j = 0; j * alpha < p.q.length; j++) {
        const digit = p.q.slice(j * alpha, (j + 1) * alpha).reduce((s, x) => s + log2(x), 0);
        expect(logP).toBeGreaterThan(digit);
      }
    });
  }
});
