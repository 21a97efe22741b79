/**
 * runtime/key-parts.ts: the part framing `sim` and `seal` use (header fields, checksum, descriptors) and the caller
 * helpers (in-memory parts, observation, directories). The sequence rules themselves run on every backend in
 * test/conformance/backend-ops.test.ts; here the framing's own failure modes, each with its code.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { HecError } from '../../../ir/diagnostics.ts';
import { makeParams } from '../../../ir/params.ts';
import { paramFingerprint } from '../../../runtime/backends/checks.ts';
import { simBackend } from '../../../runtime/backends/sim/index.ts';
import {
  KEY_PART_HEADER, KeyPartReader, collectKeyParts, encodeKeyPart, evaluationKeysFromParts, observeKeyParts, partChecksum, readKeyParts, writeKeyParts,
} from '../../../runtime/key-parts.ts';

const params = makeParams({
  name: 'TEST_INSECURE_PARTS', logN: 10, firstPrimeBits: 50, scalePrimeBits: 40, levels: 2, specialPrimeBits: [59], dnum: 3,
  scaleBits: 40, secretHammingWeight: 0, bootstrapLevels: 0, insecure: true,
});

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof HecError) return `${e.code}: ${e.diagnostic.message}`;
    throw e;
  }
  return 'no error';
}

describe('evaluation-key part framing (sim, seal)', () => {
  it('header fields, checksum and descriptor round-trip; the checksum changes with any single bit', () => {
    const body = Uint8Array.from({ length: 1001 }, (_, i) => (i * 37) & 0xff);
    const p = encodeKeyPart(params, { tag: 'test', setId: 0x1234567890abcdefn, index: 0, count: 2, desc: { keys: ['k1'] }, body });
    const dv = new DataView(p.buffer);
    expect(Buffer.from(p.subarray(0, 4)).toString()).toBe('HECP');
    expect(Buffer.from(p.subarray(8, 12)).toString()).toBe('test');
    expect(dv.getUint32(12, true)).toBe(paramFingerprint(params));
    expect(dv.getBigUint64(16, true)).toBe(0x1234567890abcdefn);
    const r = new KeyPartReader('test', 'test', params);
    const got = r.next(p);
    expect(got.desc).toEqual({ keys: ['k1'] });
    expect(Buffer.from(got.body).equals(Buffer.from(body))).toBe(true);
    const sum = partChecksum(p.subarray(KEY_PART_HEADER));
    for (const bit of [0, 7, 8 * 500 + 3, 8 * (p.length - KEY_PART_HEADER) - 1]) {
      const q = Uint8Array.from(p.subarray(KEY_PART_HEADER));
      q[bit >> 3] = q[bit >> 3]! ^ (1 << (bit & 7));
      expect(partChecksum(q)).not.toBe(sum);
    }
    // Unaligned views hash the same as aligned copies.
    const shifted = new Uint8Array(p.length + 1);
    shifted.set(p, 1);
    expect(partChecksum(shifted.subarray(1 + KEY_PART_HEADER))).toBe(sum);
  });

  it('rejects bytes that are not a valid part of this backend and parameters (HEC5108)', () => {
    const mk = (over: Partial<Parameters<typeof encodeKeyPart>[1]> = {}, pp = params) =>
      encodeKeyPart(pp, { tag: 'sim ', setId: 5n, index: 0, count: 2, desc: { keys: ['relin'], bootstrap: false }, ...over });
    const read = (b: Uint8Array) => code(() => new KeyPartReader('sim', 'sim ', params).next(b));
    expect(read(mk())).toBe('no error');
    expect(read(mk({ tag: 'seal' }))).toMatch(/^HEC5108: .*made by the 'seal' backend/);
    expect(read(mk({}, makeParams({ ...params, levels: 3 })))).toMatch(/^HEC5108: .*other parameters/);
    const v = mk();
    new DataView(v.buffer).setUint16(4, 9, true);
    expect(read(v)).toMatch(/^HEC5108: .*format version 9/);
    expect(read(mk().subarray(0, 20))).toMatch(/^HEC5108: .*shorter than the 48-byte header/);
    expect(read(mk({ desc: { keys: ['a', 'a'] }, count: 3 }))).toMatch(/^HEC5108: .*no valid key list/);
    expect(read(mk({ count: 7 }))).toMatch(/^HEC5108: .*count of 7/);
    // A forged part (valid checksum) holding another key than the manifest lists.
    const r = new KeyPartReader('sim', 'sim ', params);
    r.next(mk());
    expect(code(() => r.next(mk({ index: 1, desc: { key: 'conj' } })))).toMatch(/^HEC5108: .*holds 'conj' but the manifest lists 'relin'/);
  });

  it('observeKeyParts reports every part as it passes; a DecodeSession-like load sees count and bytes', async () => {
    const c = await simBackend.createClient(params);
    const keys = await c.evaluationKeys({ relinearize: true, conjugate: false, rotations: [3, 1, 3], bootstrap: false });
    const seen: [number, number, number][] = [];
    const s = await simBackend.createServer(params, observeKeyParts(keys, (i, n, b) => seen.push([i, n, b])));
    expect(seen.map((x) => x[0])).toEqual([0, 1, 2, 3]); // manifest, relin, rot:1, rot:3 (deduplicated)
    expect(seen.every((x) => x[1] === 4)).toBe(true);
    expect(seen.reduce((t, x) => t + x[2], 0)).toBe(keys.byteLength);
    expect(code(() => s.rotate(s.deserialize(c.encrypt({ re: new Float64Array(params.slots) }, 2)), 2))).toMatch(/^HEC5109/);
    s.dispose();
    c.dispose();
  });

  it('directories of parts: written in order, read lazily, foreign files ignored, an empty directory is HEC5113', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hec-parts-'));
    try {
      const c = await simBackend.createClient(params);
      const keys = await c.evaluationKeys({ relinearize: true, conjugate: true, rotations: [2], bootstrap: false });
      writeFileSync(path.join(dir, 'README.txt'), 'not a part');
      expect(await writeKeyParts(dir, keys)).toEqual({ count: 4, bytes: keys.byteLength });
      const back = await collectKeyParts(await readKeyParts(dir));
      expect(back.length).toBe(4);
      await simBackend.createServer(params, evaluationKeysFromParts(back));
      const empty = mkdtempSync(path.join(tmpdir(), 'hec-parts-'));
      await expect(readKeyParts(empty)).rejects.toThrow(/HEC5113.*no evaluation-key parts/);
      rmSync(empty, { recursive: true });
      c.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
