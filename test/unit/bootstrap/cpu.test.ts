/**
 * Bootstrapping on the native cpu engine at small insecure parameters (skipped when the addon is not built):
 * bootstrap, multiply, bootstrap again, each time against plain arithmetic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeParams } from '../../../ir/params.ts';
import { presetParams } from '../../../ir/presets.ts';
import type { Ciphertext, SlotValues } from '../../../runtime/backend.ts';
import { cpuBackend, loadCpuNative, setCpuThreads, type CpuClient, type CpuServer } from '../../../runtime/backends/cpu/index.ts';
import { bootstrap, bootstrapKeyRequest, bootstrapPlan, cacheSize, installBootstrap, releaseCache, runBootstrap } from '../../../runtime/bootstrap/index.ts';
import { applyLinearTransform } from '../../../runtime/bootstrap/circuit.ts';
import { ServerPrim } from '../../../runtime/bootstrap/server.ts';

const native = loadCpuNative() !== null;
const params = presetParams('TEST_INSECURE_BOOT_N12', { allowInsecure: true });
/**
 * The bounds the README quotes: mean / worst-slot bits against plain arithmetic. Measured 2026-12-02 in three runs
 * (test/bench/RESULTS.md): first bootstrap 30.0–30.2 / 27.7–28.4; x² then the second bootstrap 26.0–28.7 / 25.6–27.0;
 * through sparse-secret encapsulation 31.5 / 29.2–29.4. Each bound is ≈ 1.5–2 bits (3–4×) below the worst run.
 */
const FIRST = { mean: 28, worst: 26 };
const SECOND = { mean: 24.5, worst: 24 };
const SPARSE = { mean: 29.5, worst: 27.5 };

function precision(got: SlotValues, want: SlotValues): { mean: number; min: number } {
  let sum = 0, mx = 0;
  const n = want.re.length;
  for (let i = 0; i < n; i++) {
    const e = Math.hypot(got.re[i]! - want.re[i]!, (got.im?.[i] ?? 0) - (want.im?.[i] ?? 0));
    sum += e;
    mx = Math.max(mx, e);
  }
  return { mean: -Math.log2(sum / n), min: -Math.log2(mx) };
}

describe.skipIf(!native)('bootstrap on the cpu engine (TEST_INSECURE_BOOT_N12)', () => {
  let client: CpuClient;
  let server: CpuServer;

  beforeAll(async () => {
    setCpuThreads(2);
    client = await cpuBackend.createClient(params);
    server = await cpuBackend.createServer(params, await client.evaluationKeys(bootstrapKeyRequest(params)));
  });
  afterAll(() => {
    releaseCache(server);
    server.dispose();
    client.dispose();
  });

  const dec = (ct: Ciphertext): SlotValues => client.decrypt(server.serialize(ct));

  for (const variant of ['full', 'real'] as const) {
    it(`${variant}: bootstrap, square, bootstrap again`, () => {
      const n = params.slots;
      const re = Float64Array.from({ length: n }, () => Math.random() * 2 - 1);
      const im = Float64Array.from({ length: n }, () => (variant === 'full' ? Math.random() * 2 - 1 : 0));
      const ct = server.deserialize(client.encrypt({ re, im }, 0));
      const b1 = bootstrap(server, ct, { variant });
      expect(b1.level).toBe(params.bootstrapOutputLevel);
      const p1 = precision(dec(b1), { re, im });
      // (x)² at the output level; real and imaginary parts of the expected square computed in plain arithmetic.
      const m = server.mul(b1, b1);
      const sq = server.rescale(m);
      const want = { re: re.map((r, i) => r * r - im[i]! * im[i]!), im: re.map((r, i) => 2 * r * im[i]!) };
      const mx = Math.max(...want.re.map(Math.abs), ...want.im.map(Math.abs));
      expect(mx).toBeLessThanOrEqual(2);
      // |x²| ≤ 2 for complex inputs: the range option halves it on the way in (one level of the input).
      const b2 = bootstrap(server, sq, { variant, range: variant === 'full' ? 2 : 1 });
      const p2 = precision(dec(b2), want);
      console.log(`cpu N12 ${variant}: bootstrap 1 ${p1.mean.toFixed(2)}/${p1.min.toFixed(2)} bits, x² then bootstrap 2 ${p2.mean.toFixed(2)}/${p2.min.toFixed(2)} bits (mean/worst)`);
      expect(p1.mean).toBeGreaterThan(FIRST.mean);
      expect(p1.min).toBeGreaterThan(FIRST.worst);
      expect(p2.mean).toBeGreaterThan(SECOND.mean);
      expect(p2.min).toBeGreaterThan(SECOND.worst);
      for (const c of [ct, b1, m, sq, b2]) server.free(c);
    });
  }

  it('the fused engine linear transform gives the same words as the product-by-product path (every CtS/StC stage)', () => {
    // Plaintext products, sums and rotations are exact in Z_q, so fusing them may not change a single word.
    const n = params.slots;
    const re = Float64Array.from({ length: n }, (_, i) => Math.sin(i)), im = Float64Array.from({ length: n }, (_, i) => Math.cos(3 * i));
    const plan = bootstrapPlan(params, 'full');
    const fused = new ServerPrim(server, false, true, false), generic = new ServerPrim(server, false, false);
    const dbl = new ServerPrim(server, false, true, true);
    expect(fused.linearTransform).toBeDefined();
    expect(generic.linearTransform).toBeUndefined();
    const x = server.deserialize(client.encrypt({ re, im }, params.levels));
    for (const [i, lt] of [...plan.cts, ...plan.stc].entries()) {
      const [a] = applyLinearTransform(fused, x, lt, [2 ** 40], `t${i}`);
      const [b] = applyLinearTransform(generic, x, lt, [2 ** 40], `t${i}`);
      expect(Buffer.from(server.serialize(a!)).equals(Buffer.from(server.serialize(b!))), `stage ${i}`).toBe(true);
      // Double hoisting (plaintexts over Q ∪ P, one ModDown per giant) rounds differently but no worse: the same
      // slots within 2^-25 of the stage's output magnitude. Decrypted and compared after one rescale.
      const [c] = applyLinearTransform(dbl, x, lt, [2 ** 40], `t${i}`);
      const ra = server.rescale(a!), rc = server.rescale(c!);
      const da = dec(ra), dc = dec(rc);
      let mag = 0, err = 0;
      for (let k = 0; k < n; k++) {
        mag = Math.max(mag, Math.hypot(da.re[k]!, da.im![k]!));
        err = Math.max(err, Math.hypot(da.re[k]! - dc.re[k]!, da.im![k]! - dc.im![k]!));
      }
      expect(err / mag, `stage ${i} double hoisting`).toBeLessThan(2 ** -25);
      for (const v of [a!, b!, c!, ra, rc]) server.free(v);
    }
    server.free(x);
  });

  it('a whole bootstrap with the fused engine ops (linearTransform, linearCombination) gives the same words as op by op', () => {
    const n = params.slots;
    const re = Float64Array.from({ length: n }, (_, i) => Math.sin(2 * i));
    const plan = bootstrapPlan(params, 'real');
    const fused = new ServerPrim(server, false, true, false), generic = new ServerPrim(server, false, false);
    expect(fused.linComb).toBeDefined();
    const x = server.deserialize(client.encrypt({ re }, 0));
    const a = runBootstrap(fused, x, plan), b = runBootstrap(generic, x, plan);
    expect(Buffer.from(server.serialize(a)).equals(Buffer.from(server.serialize(b)))).toBe(true);
    for (const c of [x, a, b]) server.free(c);
  });

  it('installBootstrap makes server.bootstrap(ct, range) run the circuit; the cache is the only live residue', () => {
    installBootstrap(server, { variant: 'real' });
    const n = params.slots;
    const re = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    const ct = server.deserialize(client.encrypt({ re }, 0));
    const out = server.bootstrap(ct, 1);
    expect(precision(dec(out), { re }).mean).toBeGreaterThan(FIRST.mean);
    server.free(ct);
    server.free(out);
    expect(server.liveCount()).toBe(cacheSize(server));
    releaseCache(server);
    expect(server.liveCount()).toBe(0);
  });
});

describe.skipIf(!native)('sparse-secret encapsulation on the cpu engine (TEST_INSECURE_BOOT_N12, ephemeral h = 16)', () => {
  const sp = makeParams({ ...presetParams('TEST_INSECURE_BOOT_N12', { allowInsecure: true }), name: 'TEST_INSECURE_BOOT_N12_SPARSE', bootstrapSparseWeight: 16 });

  it('keys: the set carries both encapsulation keys, the one to the sparse secret only modulo q_0·p_0', async () => {
    const client = await cpuBackend.createClient(sp);
    const keys = await client.evaluationKeys(bootstrapKeyRequest(sp));
    const plain = await client.evaluationKeys({ ...bootstrapKeyRequest(sp), bootstrap: false, relinearize: true, conjugate: true });
    expect(keys.count).toBe(plain.count + 2);
    const sizes: number[] = [];
    for await (const p of keys.parts()) sizes.push(p.byteLength);
    // One digit over q_0 and p_0 instead of dnum digits over L + 1 + K: the smallest part by far.
    const full = Math.max(...sizes);
    const expectSmall = (2 / (sp.q.length + sp.p.length)) / Math.ceil(sp.q.length / Math.ceil(sp.q.length / sp.dnum));
    expect(Math.min(...sizes.slice(1)) / full).toBeLessThan(expectSmall * 1.1);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(keys.byteLength);
    client.dispose();
  });

  it('toSparse/fromSparse keep the message; bootstrapping through them keeps the precision with a smaller K', async () => {
    const client = await cpuBackend.createClient(sp);
    const server = await cpuBackend.createServer(sp, await client.evaluationKeys(bootstrapKeyRequest(sp)));
    const n = sp.slots;
    const re = Float64Array.from({ length: n }, (_, i) => Math.sin(0.7 * i));
    const x = server.deserialize(client.encrypt({ re }, 0));
    // The key to the sparse secret exists only modulo q_0·P: at a higher level the engine refuses.
    const hi = server.deserialize(client.encrypt({ re }, 2));
    expect(() => server.toSparse(hi)).toThrow(/HEC5101/);
    // There and back at level 0: the slots are unchanged (the sparse-keyed value is not decryptable by the client).
    const back = server.fromSparse(server.toSparse(x));
    expect(precision(client.decrypt(server.serialize(back)), { re }).min).toBeGreaterThan(20);
    const plan = bootstrapPlan(sp, 'real');
    expect(plan.K).toBeLessThan(bootstrapPlan(presetParams('TEST_INSECURE_BOOT_N12', { allowInsecure: true }), 'real').K);
    const out = bootstrap(server, x, { variant: 'real' });
    const p = precision(client.decrypt(server.serialize(out)), { re });
    console.log(`cpu N12 real with encapsulation (K = ${plan.K}): ${p.mean.toFixed(2)}/${p.min.toFixed(2)} bits (mean/worst)`);
    expect(p.mean).toBeGreaterThan(SPARSE.mean);
    expect(p.min).toBeGreaterThan(SPARSE.worst);
    for (const c of [x, hi, back, out]) server.free(c);
    releaseCache(server);
    server.dispose();
    client.dispose();
  });
});
