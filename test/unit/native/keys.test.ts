/**
 * Evaluation keys of the cpu engine as they travel: a manifest plus one part per switching key, generated lazily,
 * loaded one at a time, `a` expanded from a 32-byte seed. Checked against plain arithmetic (ops through keys that
 * crossed in parts, from memory and from disk), measured sizes (seeded vs full parts, public key), and every way a
 * stream can go wrong: corrupt or truncated bytes (HEC5108), missing, repeated, reordered or foreign parts (HEC5113).
 */
import { mkdtempSync, rmSync, readdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HecError } from '../../../ir/diagnostics.ts';
import { CpuClient, cpuBackend, nativeContext, type CpuServer } from '../../../runtime/backends/cpu/index.ts';
import { collectKeyParts, evaluationKeysFromParts, readKeyParts, writeKeyParts } from '../../../runtime/key-parts.ts';
import { precision, report, skipReason, smallParams, vec } from './helpers.ts';

const params = smallParams();
const n = params.slots;
const L = params.levels;
const N = 2 ** params.logN;
const HDR = 40;
const REQ = { relinearize: true, conjugate: true, rotations: [1, 5, -2], bootstrap: false };

async function codeOfAsync(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (e instanceof HecError) return `${e.code}: ${e.diagnostic.message}`;
    throw e;
  }
  return 'no error';
}

describe.skipIf(skipReason !== undefined)('cpu evaluation keys in parts', () => {
  let client: CpuClient;
  let parts: Uint8Array[];
  const a = { re: vec(n, 11), im: vec(n, 12) };
  const b = { re: vec(n, 13), im: vec(n, 14) };

  beforeAll(async () => {
    client = await cpuBackend.createClient(params);
    parts = await collectKeyParts(await client.evaluationKeys(REQ));
  });
  afterAll(() => client.dispose());

  /** mul, rotations and conjugation through `server` against plain complex arithmetic (≥ 20 bits worst slot). */
  function checkOps(server: CpuServer, label: string): void {
    const x = server.deserialize(client.encrypt(a, L));
    const y = server.deserialize(client.encrypt(b, L));
    const dec = (c: Parameters<typeof server.serialize>[0]) => client.decrypt(server.serialize(c));
    let d = dec(server.rescale(server.mul(x, y)));
    let p = precision(d.re, a.re.map((v, i) => v * b.re[i]! - a.im[i]! * b.im[i]!), d.im!, a.re.map((v, i) => v * b.im[i]! + a.im[i]! * b.re[i]!));
    report(`${label} mul+rescale`, p);
    expect(p.worstBits).toBeGreaterThan(20);
    for (const k of [1, 5, -2]) {
      const s = ((k % n) + n) % n;
      d = dec(server.rotate(x, k));
      p = precision(d.re, a.re.map((_, i) => a.re[(i + s) % n]!), d.im!, a.im.map((_, i) => a.im[(i + s) % n]!));
      report(`${label} rotate ${k}`, p);
      expect(p.worstBits).toBeGreaterThan(20);
    }
    d = dec(server.conjugate(x));
    p = precision(d.re, a.re, d.im!, a.im.map((v) => -v));
    expect(p.worstBits).toBeGreaterThan(20);
    expect(() => server.rotate(x, 3)).toThrow(/HEC5109/);
  }

  it('one manifest + one part per switching key; count and byteLength are exact', async () => {
    const keys = await client.evaluationKeys(REQ);
    expect(keys.count).toBe(1 + 1 + 3 + 1); // manifest, relin, 3 rotations, conjugation
    expect(parts.length).toBe(keys.count);
    expect(parts.reduce((s, p) => s + p.byteLength, 0)).toBe(keys.byteLength);
    const dv = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset, p.byteLength);
    expect(Buffer.from(parts[0]!.subarray(0, 4)).toString()).toBe('HECK');
    expect(dv(parts[0]!).getUint16(4, true)).toBe(2); // format version 2
    expect(dv(parts[0]!).getUint16(6, true)).toBe(4); // manifest
    const setId = dv(parts[0]!).getBigUint64(HDR, true);
    parts.slice(1).forEach((p, i) => {
      expect(dv(p).getUint16(6, true)).toBe(7); // switching-key part
      expect(dv(p).getBigUint64(HDR, true)).toBe(setId);
      expect(dv(p).getUint32(HDR + 8, true)).toBe(i + 1);
      expect(dv(p).getUint32(HDR + 12, true)).toBe(keys.count);
    });
    // Same manifest on every pass, fresh switching keys (new seeds and errors) each time.
    const again = await collectKeyParts(keys);
    const first = await collectKeyParts(keys);
    expect(Buffer.from(again[0]!).equals(Buffer.from(first[0]!))).toBe(true);
    expect(Buffer.from(again[1]!).equals(Buffer.from(first[1]!))).toBe(false);
  });

  it('a server built from streamed seeded parts computes mul, rotations and conjugation', async () => {
    const server = await cpuBackend.createServer(params, evaluationKeysFromParts(parts));
    checkOps(server, 'seeded');
    server.dispose();
  });

  it('seeded parts are about half the size of full ones (measured ratio < 0.55), and full parts work too', async () => {
    const full = await cpuBackend.createClient(params, { seedCompression: false });
    const fullKeys = await full.evaluationKeys(REQ);
    const fullParts = await collectKeyParts(fullKeys);
    expect(fullParts.reduce((s, p) => s + p.byteLength, 0)).toBe(fullKeys.byteLength);
    const digits = Math.ceil(params.q.length / Math.ceil(params.q.length / params.dnum));
    const poly = 8 + (params.q.length + params.p.length) * N * 8;
    expect(fullParts[1]!.byteLength).toBe(HDR + 32 + digits * 2 * poly);
    expect(parts[1]!.byteLength).toBe(HDR + 32 + 32 + digits * poly);
    const ratio = parts.reduce((s, p) => s + p.byteLength, 0) / fullParts.reduce((s, p) => s + p.byteLength, 0);
    console.log(`[keys] ${parts.length - 1} switching keys at N=2^${params.logN}: seeded ${parts[1]!.byteLength} B/key, full ${fullParts[1]!.byteLength} B/key, total ratio ${ratio.toFixed(4)}`);
    expect(ratio).toBeLessThan(0.55);
    expect(ratio).toBeGreaterThan(0.45);
    // A server from full parts (no expansion) is as correct; its client encrypts, so use it for the check.
    const server = await cpuBackend.createServer(params, evaluationKeysFromParts(fullParts));
    const x = server.deserialize(full.encrypt(a, L));
    const d = full.decrypt(server.serialize(server.rotate(x, 5)));
    expect(precision(d.re, a.re.map((_, i) => a.re[(i + 5) % n]!)).worstBits).toBeGreaterThan(20);
    server.dispose();
    full.dispose();
  });

  it('the public key is seeded too: half the bytes, and a loaded public key encrypts correctly', () => {
    const pkBytes = client.publicKeyBytes();
    expect(pkBytes.byteLength).toBe(HDR + 8 + (L + 1) * N * 8 + 32); // b + seed (a would add (L+1)·N·8 + 8)
    const cx = nativeContext(params);
    const pk = cx.loadPublicKey(pkBytes);
    const pt = cx.encode(a.re, a.im, L, 2 ** 40);
    const ct = cx.encryptPk(pk, pt);
    const d = client.decrypt(cx.serialize(ct));
    expect(precision(d.re, a.re, d.im!, a.im).worstBits).toBeGreaterThan(20);
    for (const o of [pk, pt, ct]) o.free();
    // And a public-key-encrypting client (its own expanded key) round-trips.
    const pub = CpuClient.fromSecretKey(params, client.secretKeyBytes(), { encryption: 'public' });
    const e = client.decrypt(pub.encrypt(a, 2));
    expect(precision(e.re, a.re, e.im!, a.im).worstBits).toBeGreaterThan(20);
    pub.dispose();
  });

  it('parts written to disk one by one load back (and a missing file is HEC5113)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hec-keys-'));
    try {
      const keys = await client.evaluationKeys(REQ);
      const w = await writeKeyParts(dir, keys);
      expect(w).toEqual({ count: keys.count, bytes: keys.byteLength });
      expect(readdirSync(dir).sort()).toEqual(Array.from({ length: keys.count }, (_, i) => `part-${String(i).padStart(6, '0')}.hek`));
      const back = await readKeyParts(dir);
      expect(back.count).toBe(keys.count);
      expect(back.byteLength).toBe(keys.byteLength);
      const server = await cpuBackend.createServer(params, back);
      checkOps(server, 'from disk');
      server.dispose();
      await expect(writeKeyParts(dir, keys)).rejects.toThrow(/HEC5110.*already holds/);
      unlinkSync(path.join(dir, 'part-000003.hek'));
      expect(await codeOfAsync(async () => cpuBackend.createServer(params, await readKeyParts(dir)))).toMatch(/^HEC5113: .*part 3 of 6 is missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parts are made lazily, one switching key per request of the consumer', async () => {
    const c = await cpuBackend.createClient(params);
    const keys = await c.evaluationKeys(REQ);
    const iter = (keys.parts() as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    expect((await iter.next()).value.byteLength).toBe(parts[0]!.byteLength); // the manifest
    c.dispose();
    // The secret key is gone, so the next switching key cannot be generated any more: nothing was made in advance.
    await expect(iter.next()).rejects.toThrow(/HEC5107.*secret key/);
  });

  it('a broken stream is one clear error: HEC5113 for sequence, HEC5108 for bytes', async () => {
    const load = (ps: Uint8Array[]) => codeOfAsync(() => cpuBackend.createServer(params, evaluationKeysFromParts(ps)));
    const [m, p1, p2, p3, p4, p5] = parts as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    expect(await load([m, p2, p1, p3, p4, p5])).toMatch(/^HEC5113: evaluation-key part 1 of 6 is missing: got part 2/);
    expect(await load([m, p1, p1, p2, p3, p4, p5])).toMatch(/^HEC5113: duplicate evaluation-key part 1 of 6/);
    expect(await load([m, p1, p2, p3, p4])).toMatch(/^HEC5113: evaluation keys are incomplete: 5 of 6 parts arrived/);
    expect(await load([m, p1, p2, p3, p4, p5, p5])).toMatch(/^HEC5113: duplicate evaluation-key part 5 of 6/);
    expect(await load([p1, p2, p3, p4, p5])).toMatch(/^HEC5113: evaluation-key part 0 is a switching key/);
    expect(await load([m, m, p1])).toMatch(/^HEC5113: .*second manifest/);
    expect(await load([])).toMatch(/^HEC5113: no evaluation-key parts arrived/);
    // Parts of another key set of the same client (another set id) do not mix.
    const other = await collectKeyParts(await client.evaluationKeys(REQ));
    expect(await load([m, p1, other[2]!, p3, p4, p5])).toMatch(/^HEC5113: switching-key part 2 belongs to another evaluation-key set/);
    // Bytes: a flipped byte, a cut part, another object type.
    const flip = Uint8Array.from(p3);
    flip[flip.length - 100] = flip[flip.length - 100]! ^ 0x40;
    expect(await load([m, p1, p2, flip, p4, p5])).toMatch(/^HEC5108: checksum mismatch/);
    expect(await load([m, p1, p2, p3.subarray(0, p3.length - 8), p4, p5])).toMatch(/^HEC5108: truncated/);
    expect(await load([m, p1, client.encrypt(a, L), p3])).toMatch(/^HEC5108: expected a switching-key part, got a ciphertext/);
    expect(await load([client.secretKeyBytes()])).toMatch(/^HEC5108: expected an evaluation-key manifest, got a secret key/);
    const err = await cpuBackend.createServer(params, evaluationKeysFromParts([m, p2])).catch((e: HecError) => e);
    expect((err as HecError).diagnostic.fix).toMatch(/exactly once, in the order/);
  });

  it('version 1 objects (one evaluation-key blob) are refused with HEC5108 naming the version', async () => {
    const v1 = Uint8Array.from(parts[0]!);
    new DataView(v1.buffer).setUint16(4, 1, true);
    expect(await codeOfAsync(() => cpuBackend.createServer(params, evaluationKeysFromParts([v1])))).toMatch(
      /^HEC5108: unsupported format version 1 \(this engine reads version 2\)/,
    );
  });

  it('keys made for other parameters or another dnum are refused (HEC5108)', async () => {
    const other = smallParams({ levels: 4 });
    const c2 = await cpuBackend.createClient(other);
    expect(await codeOfAsync(async () => cpuBackend.createServer(params, await c2.evaluationKeys(REQ)))).toMatch(/^HEC5108: parameter fingerprint mismatch/);
    c2.dispose();
    const dnum2 = smallParams({ dnum: 2 });
    expect(await codeOfAsync(() => cpuBackend.createServer(dnum2, evaluationKeysFromParts(parts)))).toMatch(/^HEC5108: .*different dnum/);
  });

  it('an evaluation-key object still loading cannot be used (HEC5113)', () => {
    const cx = nativeContext(params);
    const evk = cx.beginEvalKeys(parts[0]!);
    cx.addEvalKeyPart(evk, parts[1]!);
    const ct = cx.loadCiphertext(client.encrypt(a, L));
    expect(() => cx.mul(ct, ct, evk)).toThrow(/HEC5113.*still loading \(2 of 6 parts\)/);
    expect(() => cx.finishEvalKeys(evk)).toThrow(/HEC5113.*2 of 6 parts arrived/);
    for (const o of [evk, ct]) o.free();
  });
});
