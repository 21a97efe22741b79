import { describe, expect, it } from 'vitest';
import { codeOf } from '../../conformance/harness.ts';
import { makeParams, type CkksParams } from '../../../ir/params.ts';
import { HecError } from '../../../ir/diagnostics.ts';
import { BOOTSTRAP_INPUT_BOUND, createSimBackend, simBackend } from '../../../runtime/backends/sim/index.ts';
import { canonicalScale, sameScale } from '../../../runtime/backends/checks.ts';
import type { ClientContext, ServerContext } from '../../../runtime/backend.ts';
import { seededVector } from '../../helpers/seeded.ts';

const params: CkksParams = makeParams({
  name: 'TEST_INSECURE_SIM', logN: 6, firstPrimeBits: 60, scalePrimeBits: 40, levels: 4, specialPrimeBits: [60],
  dnum: 1, scaleBits: 40, secretHammingWeight: 0, bootstrapLevels: 2, insecure: true,
});
const noBoot: CkksParams = makeParams({ ...params, name: 'TEST_INSECURE_SIM_NOBOOT', bootstrapLevels: 0 });

async function setup(p = params, rotations = [1, 3, -2]): Promise<{ c: ClientContext; s: ServerContext }> {
  const c = await simBackend.createClient(p);
  const keys = await c.evaluationKeys({ relinearize: true, conjugate: true, rotations, bootstrap: p.bootstrapOutputLevel >= 0 });
  return { c, s: await simBackend.createServer(p, keys) };
}

const code = codeOf;

describe('sim backend', () => {
  it('round-trips encrypt/serialize/decrypt exactly', async () => {
    const { c, s } = await setup();
    const re = seededVector(1, params.slots);
    const im = seededVector(2, params.slots);
    const ct = s.deserialize(c.encrypt({ re, im }, 3));
    expect(ct.level).toBe(3);
    expect(ct.scale).toBe(canonicalScale(params, 3));
    const back = c.decrypt(s.serialize(ct));
    expect(Array.from(back.re)).toEqual(Array.from(re));
    expect(Array.from(back.im!)).toEqual(Array.from(im));
    expect(s.liveCount()).toBe(1);
    s.free(ct);
    expect(s.liveCount()).toBe(0);
    expect(code(() => s.serialize(ct))).toBe('HEC5107');
  });

  it('rotates left, conjugates, multiplies and rescales to canonical scales', async () => {
    const { c, s } = await setup();
    const n = params.slots;
    const re = Float64Array.from({ length: n }, (_, i) => i / n);
    const a = s.deserialize(c.encrypt({ re }, 4));
    const r = c.decrypt(s.serialize(s.rotate(a, 3))).re;
    for (let i = 0; i < n; i++) expect(r[i]).toBe(re[(i + 3) % n]);
    const r2 = c.decrypt(s.serialize(s.rotateHoisted(a, [-2])[0]!)).re;
    for (let i = 0; i < n; i++) expect(r2[i]).toBe(re[(i - 2 + n) % n]);
    const m = s.mul(a, a);
    expect(m.scale).toBe(a.scale * a.scale);
    const rs = s.rescale(m);
    expect(rs.level).toBe(3);
    expect(sameScale(rs.scale, canonicalScale(params, 3))).toBe(true);
    const d = s.levelDrop(rs, 1);
    expect(d.level).toBe(1);
    expect(d.scale).toBe(canonicalScale(params, 1));
    const out = c.decrypt(s.serialize(d)).re;
    for (let i = 0; i < n; i++) expect(out[i]).toBeCloseTo(re[i]! * re[i]!, 14);
    const cj = c.decrypt(s.serialize(s.conjugate(s.deserialize(c.encrypt({ re, im: re }, 2)))));
    expect(cj.im![5]).toBe(-re[5]!);
  });

  it('rejects mismatched levels and scales, missing keys, underflow and overflow', async () => {
    const { c, s } = await setup();
    const a = s.deserialize(c.encrypt({ re: new Float64Array([0.5]) }, 2));
    const b = s.deserialize(c.encrypt({ re: new Float64Array([0.5]) }, 1));
    expect(code(() => s.add(a, b))).toBe('HEC5101');
    const sq = s.mul(a, a);
    expect(code(() => s.add(sq, a))).toBe('HEC5102');
    expect(code(() => s.mul(sq, sq))).toBe('HEC5104'); // Δ⁴ at level 2 exceeds the 140-bit modulus
    expect(code(() => s.rotate(a, 5))).toBe('HEC5109');
    expect(code(() => s.levelDrop(b, 2))).toBe('HEC5103');
    expect(code(() => s.levelDrop(sq, 1))).toBe('HEC5102');
    const z = s.deserialize(c.encrypt({ re: new Float64Array([0.5]) }, 0));
    expect(code(() => s.rescale(z))).toBe('HEC5103');
    expect(code(() => s.rescale(a))).toBe('HEC5111'); // rescaling a Δ value leaves scale ≈ 1
    expect(code(() => c.encrypt({ re: new Float64Array([2 ** 25]) }, 0))).toBe('HEC5104'); // 2^25·2^40 ≥ 2^59
    expect(code(() => s.mulConst(z, 2 ** 20, 2 ** 40))).toBe('HEC5104');
    expect(code(() => c.encrypt({ re: new Float64Array(params.slots + 1) }, 0))).toBe('HEC5110');
  });

  it('checks the bootstrap input bound and lands on the output level', async () => {
    const { c, s } = await setup();
    const ok = s.deserialize(c.encrypt({ re: new Float64Array([BOOTSTRAP_INPUT_BOUND, -0.3]) }, 0));
    const bt = s.bootstrap(ok);
    expect(bt.level).toBe(params.bootstrapOutputLevel);
    expect(bt.scale).toBe(canonicalScale(params, params.bootstrapOutputLevel));
    const big = s.deserialize(c.encrypt({ re: new Float64Array([0.1, 0.2, -1.75]) }, 0));
    let msg = '';
    try {
      s.bootstrap(big);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain('HEC5106');
    expect(msg).toContain('slot 2');
    expect(msg).toContain('-1.75');
    const nb = await setup(noBoot);
    expect(code(() => nb.s.bootstrap(nb.s.deserialize(nb.c.encrypt({ re: new Float64Array([0.1]) }, 0))))).toBe('HEC5105');
  });

  it('quantises constants like a real encoder and refuses foreign bytes', async () => {
    const { c, s } = await setup();
    const a = s.deserialize(c.encrypt({ re: new Float64Array([1]) }, 3));
    const m = s.mulConst(a, 0.3, 4);
    expect(c.decrypt(s.serialize(m)).re[0]).toBe(0.25); // round(0.3·4)/4
    const other = await setup(makeParams({ ...noBoot, name: 'OTHER', levels: 3 }));
    expect(code(() => other.s.deserialize(c.encrypt({ re: new Float64Array([1]) }, 0)))).toBe('HEC5108');
  });

  it('adds seeded Gaussian noise when asked', async () => {
    const noisy = createSimBackend({ noiseBits: 20, seed: 7 });
    const c = await noisy.createClient(params);
    const re = seededVector(3, params.slots);
    const back = c.decrypt(c.encrypt({ re }, 2)).re;
    let worst = 0;
    for (let i = 0; i < re.length; i++) worst = Math.max(worst, Math.abs(back[i]! - re[i]!));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(2 ** -16);
    expect(noisy.capabilities(params).precisionBits).toBe(20);
  });
});
