/**
 * @fileoverview seal-vs-sim agreement at one ring size: the same op sequence on both, compared slot by slot.
 */
import { expect } from 'vitest';
import { makeParams, type CkksParams } from '../../ir/params.ts';
import type { Backend, Ciphertext, ServerContext } from '../../runtime/backend.ts';
import { simBackend } from '../../runtime/backends/sim/index.ts';
import { seededVector } from '../helpers/seeded.ts';
import { bits, errorStats, printTable, type PrecisionRow } from './harness.ts';

export function agreementParams(logN: number): CkksParams {
  return makeParams({
    name: `TEST_INSECURE_AGREE${logN}`, logN, firstPrimeBits: 50, scalePrimeBits: 40, levels: 3, specialPrimeBits: [59],
    // dnum 4: one prime per key-switching digit, the decomposition SEAL always uses.
    dnum: 4, scaleBits: 40, secretHammingWeight: 0, bootstrapLevels: 0, insecure: true,
  });
}

/** Bits seal may lose over the sequence (two rescales, a mul, a key switch) beyond its fresh precision. */
const SEQUENCE_SLACK_BITS = 8;

export async function checkAgreement(seal: Backend, logN: number): Promise<void> {
  const p = agreementParams(logN);
  const n = p.slots;
  const x = seededVector(logN, n);
  const y = seededVector(logN + 100, n);
  const outs: { re: Float64Array; im?: Float64Array }[][] = [];
  const t0 = Date.now();
  for (const b of [simBackend, seal]) {
    const c = await b.createClient(p);
    const s: ServerContext = await b.createServer(p, await c.evaluationKeys({ relinearize: true, conjugate: false, rotations: [1, 37], bootstrap: false }));
    const cx = s.deserialize(c.encrypt({ re: x }, p.levels));
    const cy = s.deserialize(c.encrypt({ re: y }, p.levels));
    const prod = s.mul(cx, cy);
    const r1 = s.rescale(prod); // mul_relin + rescale
    const rot = s.rotate(r1, 37); // key switch at level L-1
    const sq = s.mul(rot, rot);
    const r2 = s.rescale(sq); // second rescale, level L-2
    const results: Ciphertext[] = [r1, rot, r2];
    outs.push(results.map((ct) => c.decrypt(s.serialize(ct))));
    s.dispose();
    c.dispose();
  }
  const ms = Date.now() - t0;
  const [sim, sealOut] = outs as [typeof outs[0], typeof outs[0]];
  const need = seal.capabilities(p).precisionBits - SEQUENCE_SLACK_BITS;
  const rows: PrecisionRow[] = ['mul_relin+rescale', 'rotate 37', 'mul+rescale (L-2)'].map((op, i) => {
    const e = errorStats(sealOut[i]!, sim[i]!.re);
    return { backend: 'seal', op: `${op} vs sim`, meanBits: bits(e.mean), worstBits: bits(e.worst), requiredBits: need };
  });
  printTable(`[agreement] seal vs sim at N=2^${logN} (${ms} ms for both backends):`, rows);
  for (const r of rows) expect(r.worstBits, r.op).toBeGreaterThanOrEqual(need);
  // The plain product checks sim itself, so agreement cannot hide a shared mistake.
  for (let i = 0; i < n; i += 101) expect(sim[0]!.re[i]).toBeCloseTo(x[i]! * y[i]!, 10);
}
