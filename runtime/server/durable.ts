/**
 * @fileoverview A session on disk, written so that a SIGKILL at any instant leaves either the old or the new version
 * of every file, and anything damaged afterwards is detected rather than loaded.
 *
 * Layout under `--data-dir`:
 *   sessions/ID/meta.json          id, sha256 of the bearer token (never the token), plan, backend, key-part count
 *   sessions/ID/keys/part-NNNNNN.hek   the evaluation-key parts as uploaded (runtime/key-parts.ts names)
 *   sessions/ID/keys.json          sha256 and size of every part received so far (written after each part)
 *   sessions/ID/cache.bin          the encrypted KV cache after the last completed step, the position, and that
 *                                  step's encrypted logits (a retried step gets them again instead of a second run)
 * Every file is written to a temporary name, fsynced, renamed over the old one, and the directory fsynced (POSIX
 * rename is atomic; the directory fsync makes the rename itself durable). JSON files carry a sha256 of their content;
 * cache.bin carries one of its body. Parts carry their backend's own checksum and are also hashed in keys.json.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { serverError } from './errors.ts';

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** write → fsync → rename → fsync(dir). */
export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  fsyncDir(path.dirname(file));
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A JSON file with its own checksum: `{"sha256": …, "body": {…}}`. */
export async function writeCheckedJson(file: string, body: unknown): Promise<void> {
  const text = JSON.stringify(body);
  await writeAtomic(file, JSON.stringify({ sha256: sha256(text), body: text }));
}

export async function readCheckedJson(file: string): Promise<Record<string, unknown>> {
  let outer: unknown;
  try {
    outer = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw serverError('HEC5311', `${file} is not readable JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const o = outer as { sha256?: unknown; body?: unknown } | null;
  if (o === null || typeof o.body !== 'string' || o.sha256 !== sha256(o.body)) throw serverError('HEC5311', `${file} fails its checksum`);
  return JSON.parse(o.body) as Record<string, unknown>;
}

export interface SessionMeta {
  id: string;
  token_sha256: string;
  plan_sha256: string;
  backend: string;
  key_parts: number;
  key_bytes: number;
  created: string;
}

export interface KeyIndex {
  /** sha256 and size of parts 0..n-1, in order. */
  parts: { sha256: string; bytes: number }[];
}

/** The KV cache after the last completed step. */
export interface CacheSnapshot {
  position: number;
  /** The step that produced this cache and its encrypted logits (absent at position 0). */
  last?: { step: number; logits: Uint8Array };
  states: Map<string, Uint8Array>;
}

const CACHE_MAGIC = 'HECKV001';

/** cache.bin: magic (8) | sha256 of the rest (32) | u32 JSON length | JSON {position, last_step, items: [[name, len]]} | bytes. */
export function encodeSnapshot(s: CacheSnapshot): Uint8Array[] {
  const items: [string, number][] = [];
  if (s.last !== undefined) items.push(['@logits', s.last.logits.byteLength]);
  for (const [n, b] of s.states) items.push([n, b.byteLength]);
  const json = new TextEncoder().encode(JSON.stringify({ position: s.position, last_step: s.last?.step ?? null, items }));
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, json.byteLength, true);
  const body = [len, json, ...(s.last !== undefined ? [s.last.logits] : []), ...s.states.values()];
  const h = createHash('sha256');
  for (const b of body) h.update(b);
  return [new TextEncoder().encode(CACHE_MAGIC), h.digest(), ...body];
}

export function decodeSnapshot(file: string, bytes: Uint8Array): CacheSnapshot {
  const bad = (why: string): never => {
    throw serverError('HEC5311', `${file} is damaged: ${why}`);
  };
  if (bytes.byteLength < 44 || new TextDecoder().decode(bytes.subarray(0, 8)) !== CACHE_MAGIC) bad('bad magic');
  const rest = bytes.subarray(40);
  if (sha256(rest) !== Buffer.from(bytes.subarray(8, 40)).toString('hex')) bad('checksum mismatch');
  const jsonLen = new DataView(rest.buffer, rest.byteOffset, rest.byteLength).getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(rest.subarray(4, 4 + jsonLen))) as { position: number; last_step: number | null; items: [string, number][] };
  let at = 4 + jsonLen;
  const states = new Map<string, Uint8Array>();
  let logits: Uint8Array | undefined;
  for (const [name, len] of head.items) {
    const b = rest.subarray(at, at + len);
    at += len;
    if (name === '@logits') logits = b;
    else states.set(name, b);
  }
  if (at !== rest.byteLength) bad('lengths do not add up');
  const last = head.last_step !== null && logits !== undefined ? { step: head.last_step, logits } : undefined;
  return { position: head.position, last, states };
}

/** One session's directory. */
export class SessionFiles {
  constructor(readonly dir: string) {}

  get keysDir(): string {
    return path.join(this.dir, 'keys');
  }
  partFile(i: number): string {
    return path.join(this.keysDir, `part-${String(i).padStart(6, '0')}.hek`);
  }

  async create(meta: SessionMeta): Promise<void> {
    await mkdir(this.keysDir, { recursive: true, mode: 0o700 });
    await writeCheckedJson(path.join(this.dir, 'keys.json'), { parts: [] } satisfies KeyIndex);
    // meta.json last: a directory without it is an interrupted create, removed at the next start.
    await writeCheckedJson(path.join(this.dir, 'meta.json'), meta);
  }

  async readMeta(): Promise<SessionMeta> {
    const file = path.join(this.dir, 'meta.json');
    const m = await readCheckedJson(file);
    const str = (k: keyof SessionMeta): string => {
      const v = m[k];
      if (typeof v !== 'string') throw serverError('HEC5311', `${file} has no ${k}`);
      return v;
    };
    const num = (k: keyof SessionMeta): number => {
      const v = m[k];
      if (typeof v !== 'number') throw serverError('HEC5311', `${file} has no ${k}`);
      return v;
    };
    return { id: str('id'), token_sha256: str('token_sha256'), plan_sha256: str('plan_sha256'), backend: str('backend'), key_parts: num('key_parts'), key_bytes: num('key_bytes'), created: str('created') };
  }

  /** Part `i` (= the number received so far), then the index that records it. */
  async addKeyPart(index: KeyIndex, i: number, bytes: Uint8Array): Promise<KeyIndex> {
    await writeAtomic(this.partFile(i), bytes);
    const next: KeyIndex = { parts: [...index.parts, { sha256: sha256(bytes), bytes: bytes.byteLength }] };
    await writeCheckedJson(path.join(this.dir, 'keys.json'), next);
    return next;
  }

  /** The index, with every recorded part checked against its hash (a part written but not indexed is dropped). */
  async readKeyIndex(): Promise<KeyIndex> {
    const file = path.join(this.dir, 'keys.json');
    const raw = (await readCheckedJson(file)).parts;
    if (!Array.isArray(raw) || !raw.every((p) => typeof p?.sha256 === 'string' && typeof p?.bytes === 'number')) throw serverError('HEC5311', `${file} has no part list`);
    const index: KeyIndex = { parts: raw.map((p: { sha256: string; bytes: number }) => ({ sha256: p.sha256, bytes: p.bytes })) };
    for (let i = 0; i < index.parts.length; i++) {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(this.partFile(i));
      } catch {
        throw serverError('HEC5311', `${this.partFile(i)} is missing`);
      }
      if (sha256(bytes) !== index.parts[i]!.sha256) throw serverError('HEC5311', `${this.partFile(i)} fails its checksum`);
    }
    for (const f of await readdir(this.keysDir)) {
      const m = /^part-(\d{6})\.hek/.exec(f);
      if (m === null || Number(m[1]) >= index.parts.length || f.includes('.tmp-')) await unlink(path.join(this.keysDir, f));
    }
    return index;
  }

  async writeSnapshot(s: CacheSnapshot): Promise<void> {
    const file = path.join(this.dir, 'cache.bin');
    const tmp = `${file}.tmp-${process.pid}`;
    // Synchronous writes of a few buffers: no event-loop interleaving between the write and the rename.
    const fd = openSync(tmp, 'w', 0o600);
    try {
      for (const b of encodeSnapshot(s)) writeSync(fd, b);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    await rename(tmp, file);
    fsyncDir(this.dir);
  }

  async readSnapshot(): Promise<CacheSnapshot | undefined> {
    const file = path.join(this.dir, 'cache.bin');
    try {
      await stat(file);
    } catch {
      return undefined;
    }
    return decodeSnapshot(file, new Uint8Array(await readFile(file)));
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
