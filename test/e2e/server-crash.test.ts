/**
 * `hec serve` killed with SIGKILL during a key upload, during a step (before its cache is written) and after a
 * step's commit (before its answer), each time restarted on the same --data-dir and port while the client keeps
 * retrying: the session is never lost, every step is committed exactly once (one `step.done` across all server
 * lives), and the logits equal an uninterrupted local run bit for bit (sim is deterministic).
 * The kills land at points the server announces (HEC_TEST_STALL fault injection: it logs `test.stall` and waits).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localLogits, openRemote, tinyPlan, type TinyPlan } from './server-fixture.ts';

interface Child {
  proc: ChildProcess;
  logs: Record<string, unknown>[];
  port: number;
  /** Resolves with the first log line matching `pred`. */
  waitFor(pred: (l: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function startChild(planPath: string, dataDir: string, port: number, stall: string): Promise<Child> {
  const proc = spawn(process.execPath, ['bin/hec.mjs', 'serve', planPath, '--backend', 'sim', '--port', String(port), '--data-dir', dataDir, '--allow-insecure', '-q'], {
    env: { ...process.env, HEC_TEST_STALL: stall },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(proc);
  const logs: Record<string, unknown>[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buf = '';
  proc.stderr?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const l = JSON.parse(line) as Record<string, unknown>;
      logs.push(l);
      for (const w of [...waiters]) if (w.pred(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  const waitFor = (pred: (l: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> => {
    const seen = logs.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server never logged ${what}; log: ${JSON.stringify(logs.slice(-5))}`)), 120_000);
      waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      proc.once('exit', (code, sig) => reject(new Error(`server exited (${code ?? sig}) before ${what}`)));
    });
  };
  return waitFor((l) => l.event === 'listening', 'listening').then((l) => ({ proc, logs, waitFor, port: Number(/:(\d+)$/.exec(String(l.url))?.[1]) }));
}

async function kill(c: Child): Promise<void> {
  const exited = new Promise((r) => c.proc.once('exit', r));
  c.proc.kill('SIGKILL');
  await exited;
}

let t: TinyPlan;
beforeAll(async () => {
  t = await tinyPlan();
});

describe('SIGKILL and restart', () => {
  it('during key upload, during a step and between commit and answer: nothing lost, nothing applied twice', async () => {
    const tokens = [3, 1, 4, 1, 5, 9];
    const reference = await localLogits(t, tokens);
    const dataDir = path.join(t.dir, 'data');
    const lives: Child[] = [];

    // Life 1: killed while key part 10 is arriving.
    lives.push(await startChild(t.planPath, dataDir, 0, 'key:10'));
    const port = lives[0]!.port;
    const url = `http://127.0.0.1:${port}`;
    const opening = openRemote(t, url, 180_000);
    await lives[0]!.waitFor((l) => l.event === 'test.stall' && l.what === 'key_part', 'the key-part stall');
    await kill(lives[0]!);

    // Life 2: resumes the upload at part 10; killed during step 2, before its cache is written.
    lives.push(await startChild(t.planPath, dataDir, port, 'step:2'));
    const restored = await lives[1]!.waitFor((l) => l.event === 'session.restored', 'session.restored');
    expect(restored.keys_received).toBe(10);
    const session = await opening;
    const got: Float64Array[] = [];
    got.push(await session.step(tokens[0]!), await session.step(tokens[1]!));
    const step2 = session.step(tokens[2]!);
    await lives[1]!.waitFor((l) => l.event === 'test.stall' && l.what === 'step', 'the step stall');
    await kill(lives[1]!);

    // Life 3: the cache is at position 2, so step 2 is redone; killed after step 4 is committed but not answered.
    lives.push(await startChild(t.planPath, dataDir, port, 'commit:4'));
    expect((await lives[2]!.waitFor((l) => l.event === 'session.restored', 'session.restored')).position).toBe(2);
    got.push(await step2, await session.step(tokens[3]!));
    const step4 = session.step(tokens[4]!);
    await lives[2]!.waitFor((l) => l.event === 'test.stall' && l.what === 'commit', 'the commit stall');
    await kill(lives[2]!);

    // Life 4: the cache is at position 5 with step 4's answer stored; the retry of step 4 gets it back.
    lives.push(await startChild(t.planPath, dataDir, port, ''));
    expect((await lives[3]!.waitFor((l) => l.event === 'session.restored', 'session.restored')).position).toBe(5);
    got.push(await step4, await session.step(tokens[5]!));
    expect(lives[3]!.logs.some((l) => l.event === 'step.replayed' && l.step === 4)).toBe(true);
    await session.close();

    const done = lives.flatMap((c) => c.logs).filter((l) => l.event === 'step.done').map((l) => Number(l.step));
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const begun = lives.flatMap((c) => c.logs).filter((l) => l.event === 'step.begin').map((l) => Number(l.step));
    expect(begun.filter((s) => s === 2)).toHaveLength(2); // once killed, once redone
    for (let i = 0; i < tokens.length; i++) expect([...got[i]!], `logits of step ${i}`).toEqual([...reference[i]!]);
    await kill(lives[3]!);
  });
});
