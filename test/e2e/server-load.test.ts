/**
 * Load: 8 sessions at once against `hec serve` on 127.0.0.1 (in-process, `sim`, tiny-mha), 200 steps in all, each
 * session teacher-forced on its own token sequence. No step may fail, and each session's logits must equal a local
 * run of its own sequence bit for bit (a KV cache, key or answer crossing sessions would break that). Step latency
 * as the client sees it (queueing included) is printed, not asserted.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../ir/seeded-random.ts';
import { localLogits, openRemote, percentile, startServer, tinyPlan, type TestServer, type TinyPlan } from './server-fixture.ts';

const SESSIONS = 8;
const STEPS = 25;

let t: TinyPlan;
let server: TestServer;
beforeAll(async () => {
  t = await tinyPlan(32);
  server = await startServer(t, path.join(t.dir, 'data'));
});
afterAll(async () => server?.close());

describe('8 concurrent sessions, 200 steps', () => {
  it('no failed step, no cross-session leak; p50/p95 latency printed', async () => {
    // Four token sequences, each decoded by two sessions (the local references cost 100 steps, not 200): a cache, key
    // or answer crossing between sessions of different sequences changes their logits.
    const rand = mulberry32(10);
    const distinct = Array.from({ length: SESSIONS / 2 }, () => Array.from({ length: STEPS }, () => Math.floor(rand() * 48)));
    const seqs = Array.from({ length: SESSIONS }, (_, i) => distinct[i % distinct.length]!);
    const latencies: number[] = [];
    const t0 = performance.now();
    const results = await Promise.all(
      seqs.map(async (seq) => {
        const s = await openRemote(t, server.url);
        const out: Float64Array[] = [];
        for (const tok of seq) {
          const ts = performance.now();
          out.push(await s.step(tok));
          latencies.push(performance.now() - ts);
        }
        await s.close();
        return out;
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    expect(latencies).toHaveLength(SESSIONS * STEPS);
    const failed = server.logs.filter((l) => l.event === 'request' && Number(l.status) >= 400);
    expect(failed).toEqual([]);
    console.log(
      `server load: ${SESSIONS} sessions × ${STEPS} steps on sim (tiny-mha, ${t.plan.params.slots} slots) in ${wall.toFixed(1)} s; ` +
        `step latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms ` +
        `(queueing included: steps run one at a time)`,
    );
    const done = server.logs.filter((l) => l.event === 'step.done');
    const mean = (k: string): string => (done.reduce((s, l) => s + Number(l[k]), 0) / done.length).toFixed(0);
    console.log(`server side per step: compute ${mean('compute_ms')} ms, persist (serialise, write, fsync, rename) ${mean('persist_ms')} ms on average`);
    for (let d = 0; d < distinct.length; d++) {
      const ref = await localLogits(t, distinct[d]!);
      for (let i = d; i < SESSIONS; i += distinct.length) {
        for (let k = 0; k < STEPS; k++) expect([...results[i]![k]!], `session ${i} step ${k}`).toEqual([...ref[k]!]);
      }
    }
    expect(server.store.count).toBe(0);
  });
});
