/**
 * The server's byte formats and queue in isolation: frames round-trip and every corruption is a coded error; the
 * cache snapshot round-trips and any flipped byte is HEC5311; the step queue runs jobs one at a time in order and
 * refuses beyond its bound with HEC5304.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeParams } from '../../../ir/params.ts';
import { PRESETS } from '../../../ir/presets.ts';
import { SessionFiles, decodeSnapshot, encodeSnapshot } from '../../../runtime/server/durable.ts';
import { decodeFrame, encodeFrame, KIND_LOGITS, KIND_TOKEN } from '../../../runtime/server/protocol.ts';
import { StepQueue } from '../../../runtime/server/queue.ts';

const params = makeParams(PRESETS.TEST_INSECURE_N12!);
const other = makeParams({ ...PRESETS.TEST_INSECURE_N12!, levels: 5, dnum: 6 });
const SESSION = 'ab'.repeat(16);
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('frames', () => {
  const frame = encodeFrame(params, { kind: KIND_TOKEN, step: 7, session: SESSION, items: new Map([['token', bytes(1000, 1)], ['x', bytes(3, 2)]]) });

  it('round-trip', () => {
    const f = decodeFrame(params, frame, { kind: KIND_TOKEN, session: SESSION });
    expect(f.step).toBe(7);
    expect([...f.items.keys()]).toEqual(['token', 'x']);
    expect([...f.items.get('token')!]).toEqual([...bytes(1000, 1)]);
  });

  it('every corruption is a coded error', () => {
    const flipped = frame.slice();
    flipped[500] = flipped[500]! ^ 1;
    expect(codeOf(() => decodeFrame(params, flipped, { kind: KIND_TOKEN, session: SESSION }))).toBe('HEC5306');
    expect(codeOf(() => decodeFrame(params, frame.subarray(0, 30), { kind: KIND_TOKEN, session: SESSION }))).toBe('HEC5306');
    expect(codeOf(() => decodeFrame(params, frame.subarray(0, frame.length - 1), { kind: KIND_TOKEN, session: SESSION }))).toBe('HEC5306');
    expect(codeOf(() => decodeFrame(params, frame, { kind: KIND_LOGITS, session: SESSION }))).toBe('HEC5306');
    expect(codeOf(() => decodeFrame(other, frame, { kind: KIND_TOKEN, session: SESSION }))).toBe('HEC5308');
    expect(codeOf(() => decodeFrame(params, frame, { kind: KIND_TOKEN, session: 'cd'.repeat(16) }))).toBe('HEC5307');
  });
});

describe('cache snapshots on disk', () => {
  it('round-trip through write, fsync, rename; a flipped byte anywhere is HEC5311', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hec-snap-'));
    const files = new SessionFiles(dir);
    const states = new Map([['kv.l0.k.c0', bytes(5000, 3)], ['kv.l0.v.c0', bytes(4000, 4)]]);
    await files.writeSnapshot({ position: 4, last: { step: 3, logits: bytes(700, 5) }, states });
    const back = await files.readSnapshot();
    expect(back?.position).toBe(4);
    expect(back?.last?.step).toBe(3);
    expect([...(back?.last?.logits ?? [])]).toEqual([...bytes(700, 5)]);
    expect([...(back?.states.get('kv.l0.v.c0') ?? [])]).toEqual([...bytes(4000, 4)]);
    const file = path.join(dir, 'cache.bin');
    const good = readFileSync(file);
    for (const at of [3, 20, 45, 100, good.length - 1]) {
      const bad = Buffer.from(good);
      bad.writeUInt8(bad.readUInt8(at) ^ 0x10, at);
      writeFileSync(file, bad);
      await expect(files.readSnapshot(), `byte ${at}`).rejects.toMatchObject({ code: 'HEC5311' });
    }
    // In-memory decode of the encoded parts (no file) gives the same.
    const joined = Buffer.concat(encodeSnapshot({ position: 0, states }));
    expect(decodeSnapshot('mem', joined).states.size).toBe(2);
  });
});

describe('step queue', () => {
  it('runs one job at a time in arrival order and refuses beyond its bound (HEC5304)', async () => {
    const q = new StepQueue(2, 60_000);
    const order: string[] = [];
    let running = 0;
    const job = (name: string) => async (): Promise<string> => {
      running++;
      expect(running).toBe(1);
      await new Promise((r) => setTimeout(r, 20));
      order.push(name);
      running--;
      return name;
    };
    const a = q.run(job('a')), b = q.run(job('b')), c = q.run(job('c'));
    await expect(q.run(job('d'))).rejects.toMatchObject({ code: 'HEC5304' });
    expect(await Promise.all([a, b, c])).toEqual(['a', 'b', 'c']);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(q.depth).toBe(0);
  });

  it('a job waiting longer than the timeout is refused (HEC5304) and the queue goes on', async () => {
    const q = new StepQueue(4, 30);
    const slow = q.run(() => new Promise((r) => setTimeout(() => r('slow'), 120)));
    await expect(q.run(async () => 'late')).rejects.toMatchObject({ code: 'HEC5304' });
    expect(await slow).toBe('slow');
    expect(await q.run(async () => 'next')).toBe('next');
  });
});
