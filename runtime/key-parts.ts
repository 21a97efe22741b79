/**
 * @fileoverview Evaluation keys as a stream of parts (see `EvaluationKeys` in backend.ts): helpers every backend and
 * caller shares, and the part framing of the backends whose keys are made in TypeScript (`sim`, `seal`).
 *
 * The `cpu` engine frames its parts natively (runtime/native/src/ckks/serialize.cpp); `sim` and `seal` use this
 * 48-byte little-endian header, then a JSON descriptor, then an opaque body:
 *   0 magic "HECP" | 4 u16 version | 6 u16 0 | 8 backend tag (4 ASCII bytes) | 12 u32 parameter fingerprint
 *   16 u64 key-set id | 24 u32 index | 28 u32 count | 32 u32 descriptor length | 36 u32 checksum | 40 u64 body length
 * Part 0's descriptor is the manifest `{keys: string[], ...}` naming the key of every later part in order; part i ≥ 1
 * has `{key: keys[i-1]}`. The checksum (a 32-bit multiply-xorshift hash of descriptor and body) catches corruption,
 * not tampering, like the native one. `KeyPartReader` enforces the sequence: HEC5108 for bytes that are not a valid
 * part, HEC5113 for a part that is missing, repeated, out of order or from another key set.
 */
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { webcrypto } from 'node:crypto';
import path from 'node:path';

import { HecError } from '../ir/diagnostics.ts';
import type { CkksParams } from '../ir/params.ts';
import type { EvaluationKeys } from './backend.ts';
import { E_BYTES, E_KEY_PARTS, paramFingerprint } from './backends/checks.ts';

const MAGIC = 0x50434548; // "HECP" read as a little-endian u32
const VERSION = 1;
export const KEY_PART_HEADER = 48;
const FIX_ORDER = 'pass every part of one evaluation-key set exactly once, in the order the client produced them';

/** A fresh 64-bit key-set id from the OS CSPRNG (not secret; it only tells key sets apart). */
export function newKeySetId(): bigint {
  return webcrypto.getRandomValues(new BigUint64Array(1))[0]!;
}

/** 32-bit multiply-xorshift hash of `b` (corruption check). */
export function partChecksum(b: Uint8Array): number {
  let h = 0x9e3779b9 ^ b.byteLength;
  const words = b.byteLength >>> 2;
  if ((b.byteOffset & 3) === 0) {
    const w = new Uint32Array(b.buffer, b.byteOffset, words);
    for (let i = 0; i < words; i++) {
      h = Math.imul(h ^ w[i]!, 0x85ebca6b);
      h ^= h >>> 13;
    }
  } else {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < words; i++) {
      h = Math.imul(h ^ dv.getUint32(4 * i, true), 0x85ebca6b);
      h ^= h >>> 13;
    }
  }
  for (let i = words * 4; i < b.byteLength; i++) h = Math.imul(h ^ b[i]!, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface KeyPartFrame {
  /** 4 ASCII characters naming the backend ("sim ", "seal"). */
  tag: string;
  setId: bigint;
  index: number;
  count: number;
  desc: Record<string, unknown>;
  body?: Uint8Array;
}

export function encodeKeyPart(params: CkksParams, f: KeyPartFrame): Uint8Array {
  const desc = new TextEncoder().encode(JSON.stringify(f.desc));
  const body = f.body ?? new Uint8Array(0);
  const out = new Uint8Array(KEY_PART_HEADER + desc.byteLength + body.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint16(4, VERSION, true);
  for (let i = 0; i < 4; i++) out[8 + i] = f.tag.charCodeAt(i);
  dv.setUint32(12, paramFingerprint(params), true);
  dv.setBigUint64(16, f.setId, true);
  dv.setUint32(24, f.index, true);
  dv.setUint32(28, f.count, true);
  dv.setUint32(32, desc.byteLength, true);
  dv.setBigUint64(40, BigInt(body.byteLength), true);
  out.set(desc, KEY_PART_HEADER);
  out.set(body, KEY_PART_HEADER + desc.byteLength);
  dv.setUint32(36, partChecksum(out.subarray(KEY_PART_HEADER)), true);
  return out;
}

/**
 * A manifest (part 0) and its key parts, framed lazily: `manifest.keys[i]` names part i+1, whose body `body(key)`
 * makes when that part is asked for. `byteLength` is the producer's figure; without one, a pass measures it (only for
 * cheap bodies).
 */
export function framedKeySet(
  params: CkksParams,
  tag: string,
  manifest: Record<string, unknown> & { keys: string[] },
  body: (key: string) => Uint8Array | undefined,
  byteLength?: number,
): EvaluationKeys {
  const setId = newKeySetId();
  const count = manifest.keys.length + 1;
  const parts = function* (): Iterable<Uint8Array> {
    yield encodeKeyPart(params, { tag, setId, index: 0, count, desc: manifest });
    for (let i = 0; i < manifest.keys.length; i++) {
      const key = manifest.keys[i]!;
      yield encodeKeyPart(params, { tag, setId, index: i + 1, count, desc: { key }, body: body(key) });
    }
  };
  if (byteLength === undefined) {
    byteLength = 0;
    for (const p of parts()) byteLength += p.byteLength;
  }
  return { count, byteLength, parts };
}

export interface ReadPart {
  index: number;
  /** The key this part carries (undefined for part 0, the manifest). */
  key?: string;
  desc: Record<string, unknown>;
  body: Uint8Array;
}

/**
 * Reads one key set's parts in order and checks the sequence. `next` for every part, then `finish` (which throws
 * HEC5113 if parts are missing at the end) returns the manifest.
 */
export class KeyPartReader {
  private manifest: (Record<string, unknown> & { keys: string[] }) | undefined;
  private setId = 0n;
  private nextIndex = 0;

  constructor(
    private readonly backend: string,
    private readonly tag: string,
    private readonly params: CkksParams,
  ) {}

  private bad(why: string): never {
    throw new HecError(E_BYTES, `${this.backend}: cannot read evaluation-key part ${this.nextIndex}: ${why}`, {
      fix: `pass parts produced by the ${this.backend} backend's client for parameters '${this.params.name}'`,
    });
  }
  private order(why: string): never {
    throw new HecError(E_KEY_PARTS, `${this.backend}: evaluation-key parts out of sequence: ${why}`, { fix: FIX_ORDER });
  }

  next(bytes: Uint8Array): ReadPart {
    if (!(bytes instanceof Uint8Array)) this.bad('not a Uint8Array');
    if (bytes.byteLength < KEY_PART_HEADER) this.bad(`${bytes.byteLength} bytes is shorter than the ${KEY_PART_HEADER}-byte header`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dv.getUint32(0, true) !== MAGIC) this.bad('bad magic (not an evaluation-key part)');
    const version = dv.getUint16(4, true);
    if (version !== VERSION) this.bad(`format version ${version}, this hec reads version ${VERSION}; regenerate the keys`);
    const tag = String.fromCharCode(...bytes.subarray(8, 12));
    if (tag !== this.tag) this.bad(`it was made by the '${tag.trim()}' backend`);
    if (dv.getUint32(12, true) !== paramFingerprint(this.params)) this.bad(`it was made for other parameters than '${this.params.name}'`);
    const descLen = dv.getUint32(32, true);
    const bodyLen = dv.getBigUint64(40, true);
    if (BigInt(KEY_PART_HEADER + descLen) + bodyLen !== BigInt(bytes.byteLength)) this.bad('truncated or padded (lengths do not add up)');
    if (partChecksum(bytes.subarray(KEY_PART_HEADER)) !== dv.getUint32(36, true)) this.bad('checksum mismatch: the part is corrupt');
    let desc: Record<string, unknown>;
    try {
      desc = JSON.parse(new TextDecoder().decode(bytes.subarray(KEY_PART_HEADER, KEY_PART_HEADER + descLen))) as Record<string, unknown>;
    } catch (e) {
      return this.bad(`bad descriptor: ${(e as Error).message}`);
    }
    if (desc === null || typeof desc !== 'object') this.bad('bad descriptor');
    const setId = dv.getBigUint64(16, true);
    const index = dv.getUint32(24, true);
    const count = dv.getUint32(28, true);
    const body = bytes.subarray(KEY_PART_HEADER + descLen);

    if (this.manifest === undefined) {
      if (index !== 0) this.order(`part 0 (the manifest) must come first, got part ${index} of ${count}`);
      const keys = desc.keys;
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string') || new Set(keys).size !== keys.length) this.bad('manifest has no valid key list');
      if (count !== keys.length + 1) this.bad(`manifest lists ${keys.length} keys but a count of ${count} parts`);
      this.manifest = desc as Record<string, unknown> & { keys: string[] };
      this.setId = setId;
      this.nextIndex = 1;
      return { index, desc, body };
    }
    const want = this.manifest.keys.length + 1;
    if (setId !== this.setId || count !== want) this.order(`part ${index} belongs to another evaluation-key set`);
    if (index === 0) this.order('a second manifest (part 0): parts of two key sets are mixed');
    if (index >= count) this.bad(`index ${index} is outside 0..${count - 1}`);
    if (index < this.nextIndex) this.order(`duplicate part ${index} of ${count}`);
    if (index > this.nextIndex) this.order(`part ${this.nextIndex} of ${count} is missing: got part ${index} (parts lost or out of order)`);
    const key = this.manifest.keys[index - 1]!;
    if (desc.key !== key) this.bad(`part ${index} holds '${String(desc.key)}' but the manifest lists '${key}'`);
    this.nextIndex++;
    return { index, key, desc, body };
  }

  /** The manifest, once every part arrived. */
  finish(): Record<string, unknown> & { keys: string[] } {
    if (this.manifest === undefined) {
      throw new HecError(E_KEY_PARTS, `${this.backend}: no evaluation-key parts arrived (empty stream)`, { fix: FIX_ORDER });
    }
    const count = this.manifest.keys.length + 1;
    if (this.nextIndex !== count) this.order(`only ${this.nextIndex} of ${count} parts arrived (stream truncated)`);
    return this.manifest;
  }
}

// ---- Callers' helpers ----

/** Evaluation keys from parts already in memory (tests, or parts received some other way). */
export function evaluationKeysFromParts(parts: readonly Uint8Array[]): EvaluationKeys {
  const list = [...parts];
  return { count: list.length, byteLength: list.reduce((s, p) => s + p.byteLength, 0), parts: () => list };
}

/** Every part of one pass, in memory (small key sets and tests only: this is what streaming avoids). */
export async function collectKeyParts(keys: EvaluationKeys): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const p of keys.parts()) out.push(p);
  return out;
}

/** The same keys, calling `onPart(index, count, bytes)` as each part passes (progress reports, byte counts). */
export function observeKeyParts(keys: EvaluationKeys, onPart: (index: number, count: number, bytes: number) => void): EvaluationKeys {
  return {
    count: keys.count,
    byteLength: keys.byteLength,
    parts: async function* () {
      let i = 0;
      for await (const p of keys.parts()) {
        yield p;
        onPart(i++, keys.count, p.byteLength);
      }
    },
  };
}

const partFile = (i: number): string => `part-${String(i).padStart(6, '0')}.hek`;

/**
 * Write one pass of `keys` into `dir` as `part-000000.hek`, `part-000001.hek`, …, one part at a time (a part is
 * written and dropped before the next is generated). Returns the number of parts and bytes written.
 */
export async function writeKeyParts(dir: string, keys: EvaluationKeys): Promise<{ count: number; bytes: number }> {
  await mkdir(dir, { recursive: true });
  const stale = (await readdir(dir)).filter((f) => /^part-\d{6}\.hek$/.test(f));
  if (stale.length > 0) {
    throw new HecError('HEC5110', `${dir} already holds ${stale.length} evaluation-key part files`, { fix: 'write the keys into an empty directory' });
  }
  let count = 0, bytes = 0;
  for await (const p of keys.parts()) {
    await writeFile(path.join(dir, partFile(count)), p);
    count++;
    bytes += p.byteLength;
  }
  return { count, bytes };
}

/** Evaluation keys stored by `writeKeyParts`: each part is read from disk only when the consumer asks for it. */
export async function readKeyParts(dir: string): Promise<EvaluationKeys> {
  const files = (await readdir(dir)).filter((f) => /^part-\d{6}\.hek$/.test(f)).sort();
  if (files.length === 0) throw new HecError(E_KEY_PARTS, `${dir} holds no evaluation-key parts (part-NNNNNN.hek)`, { fix: 'write keys there with writeKeyParts' });
  let byteLength = 0;
  for (const f of files) byteLength += (await stat(path.join(dir, f))).size;
  return {
    count: files.length,
    byteLength,
    parts: async function* () {
      for (const f of files) yield new Uint8Array(await readFile(path.join(dir, f)));
    },
  };
}
