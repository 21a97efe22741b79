/**
 * Slow tier: `hec keygen` → `hec serve --backend cpu` → `hec run --server` under real encryption (tiny-mha with its
 * 25 bootstraps per token, TEST_INSECURE_N13_DEEP: N = 2^13, the N16_BOOT chain, insecure, for test time), one
 * position, against sim on the same plan (the slot-exact reference; a local cpu run of the same keys is the same
 * computation, and costs another ~10 min per position on a loaded 2-core machine). Encryption noise makes logits
 * differ from sim, so they are compared within the cpu-decode test's bound (1e-2); the greedy token must be equal.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrSkip } from '../helpers/backends.ts';
import { cli, startServer, tinyPlan, type TestServer, type TinyPlan } from './server-fixture.ts';

let t: TinyPlan;
let server: TestServer | undefined;
beforeAll(async () => {
  t = await tinyPlan(8);
});
afterAll(async () => server?.close());

const maxDiff = (a: number[], b: number[]): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('keygen → serve → run --server on the cpu engine', () => {
  it('same token as sim; logits within 1e-2 of sim', async (ctx) => {
    const cpu = await loadOrSkip('cpu', ctx);
    if (cpu === null) return;
    const keys = path.join(t.dir, 'keys');
    const t0 = Date.now();
    expect((await cli(['keygen', t.planPath, '-o', keys, '--backend', 'cpu', '--allow-insecure', '-q'])).code).toBe(0);
    const keygenS = (Date.now() - t0) / 1000;
    server = await startServer(t, path.join(t.dir, 'data'), { maxKeyPartBytes: 2 ** 30, maxFrameBytes: 2 ** 28 }, cpu);
    const args = [t.planPath, '--tokens', '1', '--max-new-tokens', '1', '--json', '--logits', '--allow-insecure', '-q', '--keys', keys];
    const t1 = Date.now();
    const remote = JSON.parse((await cli(['run', ...args, '--server', server.url])).out);
    const remoteS = (Date.now() - t1) / 1000;
    const sim = JSON.parse((await cli(['run', ...args.filter((a, i) => a !== '--keys' && args[i - 1] !== '--keys'), '--backend', 'sim'])).out);
    expect(remote.backend).toBe('cpu');
    expect(remote.encrypted).toBe(true);
    expect(remote.generated).toEqual(sim.generated);
    let worst = 0;
    remote.positions.forEach((p: { logits: number[]; ms: number }, i: number) => {
      worst = Math.max(worst, maxDiff(p.logits, sim.positions[i].logits));
    });
    expect(worst).toBeLessThan(1e-2);
    const steps = server.logs.filter((l) => l.event === 'step.done');
    console.log(
      `cpu server: keygen ${keygenS.toFixed(0)} s; remote run (upload, key load, ${remote.positions.length} steps) ${remoteS.toFixed(0)} s; ` +
        `server step compute ${steps.map((l) => l.compute_ms).join(', ')} ms, persist ${steps.map((l) => l.persist_ms).join(', ')} ms; ` +
        `max |remote − sim| = ${worst.toExponential(2)}; tokens ${remote.generated.join(',')}`,
    );
  }, 3_600_000);
});
