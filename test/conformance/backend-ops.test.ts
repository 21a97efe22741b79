/**
 * Backend conformance: every ServerContext op, on every backend the registry can load, against plain float64
 * arithmetic computed here. Tolerances derive from the backend's own `capabilities(params).precisionBits`.
 * Backends that cannot load are reported as skipped tests carrying the load error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalScale, sameScale } from '../../runtime/backends/checks.ts';
import { BOOTSTRAP_INPUT_BOUND } from '../../runtime/backends/sim/index.ts';
import type { Backend, Ciphertext, ClientContext, ServerContext, SlotValues } from '../../runtime/backend.ts';
import type { CkksParams } from '../../ir/params.ts';
import { collectKeyParts, evaluationKeysFromParts } from '../../runtime/key-parts.ts';
import { seededVector } from '../helpers/seeded.ts';
import {
  CONF_BOOT_PARAMS, CONF_PARAMS, bits, codeOf, codeOfAsync, discoverBackends, errorStats, printTable, type PrecisionRow,
} from './harness.ts';

/** Bits an op without key switching (add, rescale, plaintext products) may lose beyond the fresh precision. */
const SLACK_BITS = 4;
/**
 * Bits a key switch (rotate, conjugate) may lose. SEAL's per-prime digits are not centred, which biases its
 * key-switching error towards the slot whose root is nearest 1 (slot 0): about 2^(log max q_i − log P) relative.
 */
const SLACK_KEYSWITCH_BITS = 10;

const P = CONF_PARAMS;
const N = P.slots;
const L = P.levels;
const ROT = [1, 2, 5, 7, -3, N - 1];

const backends = await discoverBackends();
const rows: PrecisionRow[] = [];
afterAll(() => printTable(`[conformance] precision at ${P.name} (N=2^${P.logN}, Δ=2^${P.scaleBits}):`, rows));

type C = { re: Float64Array; im: Float64Array };
const map2 = (a: C, b: C, f: (ar: number, ai: number, br: number, bi: number) => [number, number]): C => {
  const re = new Float64Array(N);
  const im = new Float64Array(N);
  for (let i = 0; i < N; i++) [re[i], im[i]] = f(a.re[i]!, a.im[i]!, b.re[i]!, b.im[i]!);
  return { re, im };
};
const rotl = (a: C, k: number): C => {
  const s = ((k % N) + N) % N;
  const re = new Float64Array(N);
  const im = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    re[i] = a.re[(i + s) % N]!;
    im[i] = a.im[(i + s) % N]!;
  }
  return { re, im };
};

for (const entry of backends) {
  describe(`conformance: ${entry.name}`, () => {
    if (entry.backend === undefined) {
      it.skip(`${entry.name} is unavailable: ${entry.reason}`, () => {});
      return;
    }
    const backend: Backend = entry.backend;
    let client: ClientContext;
    let server: ServerContext;
    let complex = true;
    let x: C;
    let y: C;
    let cx: Ciphertext;
    let cy: Ciphertext;
    const required = backend.capabilities(P).precisionBits - SLACK_BITS;

    /** Decrypt, compare with `want`, record the row, assert the precision, free the result. */
    const check = (op: string, ct: Ciphertext, want: C, level: number, scale: number, slack = SLACK_BITS): void => {
      const need = required + SLACK_BITS - slack;
      expect(ct.level, `${op}: level`).toBe(level);
      expect(sameScale(ct.scale, scale), `${op}: scale 2^${Math.log2(ct.scale)} vs 2^${Math.log2(scale)}`).toBe(true);
      const got: SlotValues = client.decrypt(server.serialize(ct));
      const e = errorStats(got, want.re, complex ? want.im : undefined);
      rows.push({ backend: entry.name, op, meanBits: bits(e.mean), worstBits: bits(e.worst), requiredBits: need });
      expect(bits(e.worst), `${op}: worst error ${e.worst} at slot ${e.worstSlot}`).toBeGreaterThanOrEqual(need);
      server.free(ct);
    };

    beforeAll(async () => {
      client = await backend.createClient(P);
      const keys = await client.evaluationKeys({ relinearize: true, conjugate: true, rotations: ROT, bootstrap: false });
      server = await backend.createServer(P, keys);
      const zero = new Float64Array(N);
      complex = codeOf(() => client.encrypt({ re: zero, im: zero.map(() => 0.5) }, L)) === 'no error';
      if (!complex) console.log(`[conformance] ${entry.name}: real slots only (complex encryption refused)`);
      x = { re: seededVector(1, N), im: complex ? seededVector(2, N) : zero };
      y = { re: seededVector(3, N), im: complex ? seededVector(4, N) : zero };
      cx = server.deserialize(client.encrypt(x, L));
      cy = server.deserialize(client.encrypt(y, L));
    });
    afterAll(() => {
      server?.dispose();
      client?.dispose();
    });

    const D = (l: number): number => canonicalScale(P, l);

    it('fresh encryption, serialize/deserialize round trip', () => {
      expect(cx.level).toBe(L);
      expect(sameScale(cx.scale, D(L))).toBe(true);
      const back = server.deserialize(server.serialize(cx));
      check('encrypt/decrypt', back, x, L, D(L));
    });
    it('add, sub, negate', () => {
      check('add', server.add(cx, cy), map2(x, y, (a, b, c, d) => [a + c, b + d]), L, D(L));
      check('sub', server.sub(cx, cy), map2(x, y, (a, b, c, d) => [a - c, b - d]), L, D(L));
      check('negate', server.negate(cx), map2(x, x, (a, b) => [-a, -b]), L, D(L));
    });
    it('addPlain, mulPlain + rescale', () => {
      const p = server.encode(y, L, cx.scale);
      check('addPlain', server.addPlain(cx, p), map2(x, y, (a, b, c, d) => [a + c, b + d]), L, D(L));
      server.free(p);
      const w = server.encode(y, L, D(L));
      const m = server.mulPlain(cx, w);
      expect(sameScale(m.scale, D(L) * D(L))).toBe(true);
      check('mulPlain+rescale', server.rescale(m), map2(x, y, (a, b, c, d) => [a * c - b * d, a * d + b * c]), L - 1, D(L - 1));
      server.free(m);
      server.free(w);
    });
    it('addConst, mulConst + rescale', () => {
      check('addConst', server.addConst(cx, 0.625), map2(x, x, (a, b) => [a + 0.625, b]), L, D(L));
      const m = server.mulConst(cx, -0.37, D(L));
      check('mulConst+rescale', server.rescale(m), map2(x, x, (a, b) => [-0.37 * a, -0.37 * b]), L - 1, D(L - 1));
      server.free(m);
    });
    it('mul (relinearised) + rescale lands on the canonical scale', () => {
      const m = server.mul(cx, cy);
      expect(m.level).toBe(L);
      expect(sameScale(m.scale, cx.scale * cy.scale)).toBe(true);
      const r = server.rescale(m);
      expect(r.scale / (m.scale / Number(P.q[L]!))).toBeCloseTo(1, 9);
      server.free(m);
      check('mul+rescale', r, map2(x, y, (a, b, c, d) => [a * c - b * d, a * d + b * c]), L - 1, D(L - 1));
    });
    it('mul chain down to level 0', () => {
      let c = cx;
      let want = x;
      for (let l = L; l > 0; l--) {
        const m = server.mul(c, c);
        const next = server.rescale(m);
        server.free(m);
        if (c !== cx) server.free(c);
        c = next;
        want = map2(want, want, (a, b, cc, d) => [a * cc - b * d, a * d + b * cc]);
      }
      check('mul^(2^L) chain', c, want, 0, D(0));
    });
    it('levelDrop keeps values and lands on the canonical scale', () => {
      check('levelDrop L→1', server.levelDrop(cx, 1), x, 1, D(1));
      check('levelDrop L→0', server.levelDrop(cx, 0), x, 0, D(0));
      check('levelDrop L→L', server.levelDrop(cx, L), x, L, D(L));
    });
    it('rotate is a LEFT rotation, rotateHoisted agrees', () => {
      for (const k of ROT) check(`rotate ${k}`, server.rotate(cx, k), rotl(x, k), L, D(L), SLACK_KEYSWITCH_BITS);
      const hs = server.rotateHoisted(cx, [2, 7, 0]);
      expect(hs.length).toBe(3);
      hs.forEach((h, i) => check(`rotateHoisted ${[2, 7, 0][i]}`, h, rotl(x, [2, 7, 0][i]!), L, D(L), SLACK_KEYSWITCH_BITS));
    });
    it('conjugate', () => {
      check('conjugate', server.conjugate(cx), map2(x, x, (a, b) => [a, -b]), L, D(L), SLACK_KEYSWITCH_BITS);
    });
    it('bootstrap refreshes to bootstrapOutputLevel (or is refused with HEC5105)', async () => {
      if (!backend.capabilities(CONF_BOOT_PARAMS).bootstrapping) {
        expect(codeOf(() => server.bootstrap(cx))).toBe('HEC5105');
        console.log(`[conformance] ${entry.name}: no bootstrapping (HEC5105 checked)`);
        return;
      }
      const bp: CkksParams = CONF_BOOT_PARAMS;
      const bc = await backend.createClient(bp);
      const bs = await backend.createServer(bp, await bc.evaluationKeys({ relinearize: true, conjugate: true, rotations: [], bootstrap: true }));
      const v = seededVector(9, bp.slots, 0.9);
      const out = bs.bootstrap(bs.deserialize(bc.encrypt({ re: v }, 0)));
      expect(out.level).toBe(bp.bootstrapOutputLevel);
      expect(sameScale(out.scale, canonicalScale(bp, bp.bootstrapOutputLevel))).toBe(true);
      const e = errorStats(bc.decrypt(bs.serialize(out)), v);
      rows.push({ backend: entry.name, op: 'bootstrap', meanBits: bits(e.mean), worstBits: bits(e.worst), requiredBits: backend.capabilities(bp).precisionBits - 2 * SLACK_BITS });
      expect(bits(e.worst)).toBeGreaterThanOrEqual(backend.capabilities(bp).precisionBits - 2 * SLACK_BITS);
      bs.dispose();
      bc.dispose();
    });
    it('bookkeeping errors carry the same codes on every backend', () => {
      const made: Ciphertext[] = [];
      const keep = (c: Ciphertext): Ciphertext => (made.push(c), c);
      try {
        const low = keep(server.levelDrop(cx, L - 1));
        expect(codeOf(() => server.add(cx, low)), 'add across levels').toBe('HEC5101');
        const sq = keep(server.mul(cx, cx));
        expect(codeOf(() => server.add(sq, cx)), 'add across scales').toBe('HEC5102');
        expect(codeOf(() => server.levelDrop(sq, 0)), 'levelDrop of a non-canonical scale').toBe('HEC5102');
        expect(codeOf(() => server.levelDrop(low, L)), 'levelDrop upwards').toBe('HEC5103');
        const z = keep(server.levelDrop(cx, 0));
        expect(codeOf(() => server.rescale(z)), 'rescale at level 0').toBe('HEC5103');
        expect(codeOf(() => server.rotate(cx, 3)), 'rotation without its key').toBe('HEC5109');
      } finally {
        // Free even when an expectation failed, so the leak test below reports leaks, not this test's failure.
        for (const v of made) server.free(v);
      }
    });
    it('evaluation keys travel in parts: counted, sized, and a broken stream is HEC5113 (sequence) or HEC5108 (bytes)', async () => {
      const req = { relinearize: true, conjugate: true, rotations: [1, 2], bootstrap: false };
      const keys = await client.evaluationKeys(req);
      const parts = await collectKeyParts(keys);
      expect(parts.length, 'manifest + relin + 2 rotations + conjugation').toBe(5);
      expect(keys.count).toBe(parts.length);
      const total = parts.reduce((s, p) => s + p.byteLength, 0);
      expect(Math.abs(keys.byteLength / total - 1), `byteLength ${keys.byteLength} vs ${total} measured`).toBeLessThan(0.25);
      // A server from the parts (collected, then replayed one by one) rotates correctly.
      const s2 = await backend.createServer(P, evaluationKeysFromParts(parts));
      const r = s2.rotate(s2.deserialize(client.encrypt(x, L)), 2);
      const e = errorStats(client.decrypt(s2.serialize(r)), rotl(x, 2).re, complex ? rotl(x, 2).im : undefined);
      expect(bits(e.worst)).toBeGreaterThanOrEqual(required + SLACK_BITS - SLACK_KEYSWITCH_BITS);
      s2.dispose();
      const load = (ps: Uint8Array[]) => codeOfAsync(() => backend.createServer(P, evaluationKeysFromParts(ps)));
      const [m, p1, p2, p3, p4] = parts as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      const other = await collectKeyParts(await client.evaluationKeys(req));
      const flip = Uint8Array.from(p2);
      flip[flip.length - 3] = flip[flip.length - 3]! ^ 0x21;
      const cases: [string, Uint8Array[], string][] = [
        ['out of order', [m, p2, p1, p3, p4], 'HEC5113'],
        ['duplicate', [m, p1, p1, p2, p3, p4], 'HEC5113'],
        ['truncated stream', [m, p1, p2, p3], 'HEC5113'],
        ['manifest missing', [p1, p2, p3, p4], 'HEC5113'],
        ['empty stream', [], 'HEC5113'],
        ['part of another key set', [m, p1, other[2]!, p3, p4], 'HEC5113'],
        ['corrupt byte', [m, p1, flip, p3, p4], 'HEC5108'],
        ['truncated part', [m, p1, p2.subarray(0, p2.length - 5), p3, p4], 'HEC5108'],
        ['not a key part', [m, p1, client.encrypt(x, L), p3, p4], 'HEC5108'],
      ];
      for (const [what, ps, code] of cases) expect(await load(ps), what).toBe(code);
    });
    it('frees everything it made (no leaks)', () => {
      expect(server.liveCount()).toBe(2); // cx, cy
      server.free(cx);
      server.free(cy);
      expect(server.liveCount()).toBe(0);
      expect(codeOf(() => server.free(cx))).toBe('HEC5107');
    });
  });
}

describe('conformance: sim-only checks', () => {
  it('bootstrap input bound, level underflow and scale mismatch', async () => {
    const sim = backends.find((b) => b.name === 'sim')?.backend;
    expect(sim, 'sim must always load').toBeDefined();
    const bp = CONF_BOOT_PARAMS;
    const c = await sim!.createClient(bp);
    const s = await sim!.createServer(bp, await c.evaluationKeys({ relinearize: true, conjugate: false, rotations: [], bootstrap: true }));
    const v = new Float64Array(bp.slots);
    v[17] = BOOTSTRAP_INPUT_BOUND * 1.5;
    const big = s.deserialize(c.encrypt({ re: v }, 0));
    expect(() => s.bootstrap(big)).toThrow(/HEC5106.*slot 17/);
    // A declared range widens the bound (the 1/range scaling is folded into the bootstrap circuit).
    const ok = s.bootstrap(big, 2);
    expect(c.decrypt(s.serialize(ok)).re[17]).toBe(BOOTSTRAP_INPUT_BOUND * 1.5);
    expect(() => s.bootstrap(big, 1.25)).toThrow(/HEC5106/);
    const a = s.deserialize(c.encrypt({ re: seededVector(5, bp.slots) }, 0));
    expect(codeOf(() => s.rescale(a))).toBe('HEC5103');
    // Level 1 holds q_0·q_1 ≈ 2^100: Δ² fits, Δ⁴ (a second mul without rescale) does not.
    const t = s.deserialize(c.encrypt({ re: seededVector(6, bp.slots) }, 1));
    const sq = s.mul(t, t);
    expect(codeOf(() => s.mul(sq, t))).toBe('HEC5102');
    expect(codeOf(() => s.mul(sq, sq))).toBe('HEC5104');
    s.dispose();
    c.dispose();
  });
});
