/**
 * Slow tier: `hec keygen` → `hec serve --backend cpu` → `hec run --server` under real encryption (tiny-mha with its
 * 25 bootstraps per token, TEST_INSECURE_N13_DEEP: the N16_BOOT chain at 2^13 slots, insecure, for test time), two
 * positions, against a local cpu run with the same keys and against sim on the same plan. Encryption noise differs
 * between any two runs, so logits are compared within the cpu-decode test's tolerance (1e-2 of the exact value), and
 * the greedy tokens must be identical.
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
  it('same tokens as a local cpu run with the same keys; logits within 1e-2 of sim', async (ctx) => {
    const cpu = await loadOrSkip('cpu', ctx);
    if (cpu === null) return;
    const keys = path.join(t.dir, 'keys');
    const t0 = Date.now();
    expect((await cli(['keygen', t.planPath, '-o', keys, '--backend', 'cpu', '-q'])).code).toBe(0);
    const keygenS = (Date.now() - t0) / 1000;
    server = await startServer(t, path.join(t.dir, 'data'), { maxKeyPartBytes: 2 ** 30, maxFrameBytes: 2 ** 28 }, cpu);
    const args = [t.planPath, '--tokens', '1', '--max-new-tokens', '2', '--json', '--logits', '-q', '--keys', keys];
    const t1 = Date.now();
    const remote = JSON.parse((await cli(['run', ...args, '--server', server.url])).out);
    const remoteS = (Date.now() - t1) / 1000;
    const local = JSON.parse((await cli(['run', ...args, '--backend', 'cpu'])).out);
    const sim = JSON.parse((await cli(['run', ...args.filter((a, i) => a !== '--keys' && args[i - 1] !== '--keys'), '--backend', 'sim'])).out);
    expect(remote.backend).toBe('cpu');
    expect(remote.encrypted).toBe(true);
    expect(remote.generated).toEqual(local.generated);
    expect(remote.generated).toEqual(sim.generated);
    let worst = 0;
    remote.positions.forEach((p: { logits: number[]; ms: number }, i: number) => {
      worst = Math.max(worst, maxDiff(p.logits, sim.positions[i].logits));
      expect(maxDiff(local.positions[i].logits, sim.positions[i].logits)).toBeLessThan(1e-2);
    });
    expect(worst).toBeLessThan(1e-2);
    const steps = server.logs.filter((l) => l.event === 'step.done');
    console.log(
      `cpu server: keygen ${keygenS.toFixed(0)} s; remote run (upload, key load, ${remote.positions.length} steps) ${remoteS.toFixed(0)} s; ` +
        `server step compute ${steps.map((l) => l.compute_ms).join(', ')} ms, persist ${steps.map((l) => l.persist_ms).join(', ')} ms; ` +
        `max |remote − sim| = ${worst.toExponential(2)}; tokens ${remote.generated.join(',')}`,
    );
  });
});
