import { describe, expect, it } from 'vitest';

import { presetParams } from '../../../ir/presets.ts';
import { bootstrapPlan, runBootstrap, type BootstrapVariant } from '../../../runtime/bootstrap/circuit.ts';
import { cvec, type CVec } from '../../../runtime/bootstrap/linalg.ts';
import { PlainPrim } from '../../../runtime/bootstrap/plain.ts';

function randomSlots(n: number, complex: boolean, seed: number): CVec {
  let s = seed;
  const r = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const v = cvec(n);
  for (let i = 0; i < n; i++) {
    v.re[i] = r();
    v.im[i] = complex ? r() : 0;
  }
  return v;
}

function precision(got: CVec, want: CVec): { mean: number; min: number } {
  let sum = 0, mx = 0;
  for (let i = 0; i < want.re.length; i++) {
    const e = Math.hypot(got.re[i]! - want.re[i]!, got.im[i]! - want.im[i]!);
    sum += e;
    mx = Math.max(mx, e);
  }
  return { mean: -Math.log2(sum / want.re.length), min: -Math.log2(mx) };
}

describe('bootstrap circuit in plain arithmetic', () => {
  for (const preset of ['TEST_INSECURE_BOOT_N10', 'TEST_INSECURE_BOOT_N12']) {
    for (const variant of ['full', 'real'] as BootstrapVariant[]) {
      it(`${preset} ${variant}: consumes params.bootstrapLevels, lands canonical, recovers the message`, () => {
        const params = presetParams(preset, { allowInsecure: true });
        const plan = bootstrapPlan(params, variant);
        const P = new PlainPrim(params, { seed: 11 });
        const z = randomSlots(params.slots, variant === 'full', 5);
        const out = runBootstrap(P, P.fromSlots(z, 0), plan);
        expect(out.level).toBe(params.levels - params.bootstrapLevels);
        expect(out.level).toBe(params.bootstrapOutputLevel);
        expect(Math.abs(Math.log2(out.scale) - params.logScale[out.level]!)).toBeLessThan(1e-9);
        const p = precision(out.v, z);
        console.log(`${preset} ${variant} noiseless: precision bits mean ${p.mean.toFixed(2)} worst ${p.min.toFixed(2)}`);
        expect(p.mean).toBeGreaterThan(26);
      });
    }
  }

  it('noise model (TEST_INSECURE_BOOT_N12): bootstrap, multiply, bootstrap again', () => {
    const params = presetParams('TEST_INSECURE_BOOT_N12', { allowInsecure: true });
    const plan = bootstrapPlan(params, 'real');
    const P = new PlainPrim(params, { noise: true, seed: 3 });
    const z = randomSlots(params.slots, false, 9);
    const b1 = runBootstrap(P, P.fromSlots(z, 0), plan);
    const p1 = precision(b1.v, z);
    // x² at the output level, rescaled, dropped to level 0, bootstrapped again.
    const sq = P.rescale(P.mul(b1, b1));
    const z2 = cvec(params.slots);
    for (let i = 0; i < params.slots; i++) z2.re[i] = z.re[i]! ** 2;
    const b2 = runBootstrap(P, sq, plan);
    const p2 = precision(b2.v, z2);
    console.log(`plain+noise N12 real: bootstrap 1 ${p1.mean.toFixed(2)}/${p1.min.toFixed(2)} bits, after x² + bootstrap 2 ${p2.mean.toFixed(2)}/${p2.min.toFixed(2)} bits (mean/worst)`);
    expect(p1.mean).toBeGreaterThan(22);
    expect(p2.mean).toBeGreaterThan(21);
  });

  it('a constant input (worst case for the sine) stays accurate thanks to the cubic correction', () => {
    const params = presetParams('TEST_INSECURE_BOOT_N10', { allowInsecure: true });
    const P = new PlainPrim(params, { seed: 2 });
    const z = cvec(params.slots);
    z.re.fill(1);
    const out = runBootstrap(P, P.fromSlots(z, 0), bootstrapPlan(params, 'real'));
    const p = precision(out.v, z);
    console.log(`constant 1.0, R = 2^6: ${p.mean.toFixed(2)} bits (θ⁴/30 bound ${(-Math.log2((2 * Math.PI / 64) ** 4 / 30)).toFixed(1)})`);
    expect(p.min).toBeGreaterThan(17.5);
  });
});
