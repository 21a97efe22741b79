import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import { makeParams } from '../../../ir/params.ts';
import { presetParams } from '../../../ir/presets.ts';
import { sealBackend } from '../../../runtime/backends/seal/index.ts';
import { canonicalScale, sameScale } from '../../../runtime/backends/checks.ts';

// SEAL takes primes of at most 60 bits, so q_0 and P are requested at 50 bits (makeParams rounds up to 51).
const params = makeParams({
  name: 'TEST_INSECURE_SEAL12', logN: 12, firstPrimeBits: 50, scalePrimeBits: 40, levels: 2, specialPrimeBits: [50],
  dnum: 1, scaleBits: 40, secretHammingWeight: 0, bootstrapLevels: 0, insecure: true,
});

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof HecError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('seal backend', () => {
  it('rotates LEFT for positive k and keeps the bookkeeping of sim', async () => {
    const c = await sealBackend.createClient(params);
    const s = await sealBackend.createServer(params, await c.evaluationKeys({ relinearize: true, conjugate: true, rotations: [5], bootstrap: false }));
    const n = params.slots;
    const x = Float64Array.from({ length: n }, (_, i) => (i % 97) / 97);
    const ct = s.deserialize(c.encrypt({ re: x }, 2));
    const r = c.decrypt(s.serialize(s.rotate(ct, 5))).re;
    for (let i = 0; i < n; i += 37) expect(r[i]).toBeCloseTo(x[(i + 5) % n]!, 5);
    const m = s.rescale(s.mul(ct, ct));
    expect(m.level).toBe(1);
    expect(sameScale(m.scale, canonicalScale(params, 1))).toBe(true);
    const d = s.levelDrop(m, 0);
    expect(d.scale).toBe(canonicalScale(params, 0));
    const out = c.decrypt(s.serialize(d)).re;
    for (let i = 0; i < n; i += 37) expect(out[i]).toBeCloseTo(x[i]! * x[i]!, 5);
    expect(await code(() => s.rotate(ct, 6))).toBe('HEC5109');
    expect(await code(() => s.bootstrap(ct))).toBe('HEC5105');
    expect(await code(() => c.encrypt({ re: x, im: x }, 0))).toBe('HEC5112');
    expect(await code(() => s.add(ct, m))).toBe('HEC5101');
    expect(s.liveCount()).toBe(5); // ct, rotation, product, rescaled, dropped
    s.dispose();
    c.dispose();
  });

  it('refuses what SEAL cannot hold with a coded error', async () => {
    // 60-bit q_0/special primes really have 60 bits (ir/params.ts), so SEAL accepts the 60-bit presets.
    expect(await code(sealBackend.createClient(presetParams('TEST_INSECURE_N12', { allowInsecure: true })))).toBe('no error');
    expect(await code(sealBackend.createClient(makeParams({ ...params, name: 'BIG', logN: 16 })))).toBe('HEC5112');
    expect(sealBackend.capabilities(params).bootstrapping).toBe(false);
  });
});
