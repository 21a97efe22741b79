/**
 * Shared set-up of the server tests: the tiny-mha plan on `sim` (TEST_INSECURE_N13_DEEP, as the other e2e tests),
 * written to a temporary plan file with its model path made absolute; an in-process `hec serve` on 127.0.0.1 with
 * its log lines captured; remote sessions with fresh sim clients; local reference runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadLlamaSync } from '../../compiler/onnx/frontend.ts';
import { weightStore } from '../../compiler/weights.ts';
import type { WeightStore } from '../../ir/plaintext-sources.ts';
import { isAttrDict } from '../../ir/types.ts';
import { simBackend } from '../../runtime/backends/sim/index.ts';
import { RemoteSession } from '../../runtime/client/remote-session.ts';
import { writePlan, type Plan, readPlan } from '../../runtime/plan.ts';
import { serve, type RunningServer, type ServeOptions } from '../../runtime/server/index.ts';
import { planDigest } from '../../runtime/server/protocol.ts';
import { keyRequestOf, DecodeSession } from '../../runtime/session.ts';
import { vi } from 'vitest';
import { main } from '../../compiler/cli.ts';
import type { Backend } from '../../runtime/backend.ts';
import { compileForTest } from '../helpers/hec-run.ts';

export const MODEL = 'test/fixtures/models/tiny-mha.decode.onnx';

export interface TinyPlan {
  dir: string;
  planPath: string;
  plan: Plan;
  planSha256: string;
  weights: WeightStore;
}

export async function tinyPlan(maxContext = 48): Promise<TinyPlan> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hec-server-'));
  const { plan: compiled } = await compileForTest(MODEL, { maxContext, bootstrapCalibrationTokens: 4 });
  const model = compiled.module.attrs.model;
  if (isAttrDict(model)) model.path = path.resolve(MODEL);
  const planPath = path.join(dir, 'tiny.plan');
  writePlan(planPath, compiled.module);
  return { dir, planPath, plan: readPlan(planPath), planSha256: planDigest(planPath), weights: weightStore(loadLlamaSync(MODEL)) };
}

export interface TestServer extends RunningServer {
  url: string;
  logs: Record<string, unknown>[];
}

export async function startServer(t: TinyPlan, dataDir: string, over: Partial<ServeOptions> = {}, backend: Backend = simBackend): Promise<TestServer> {
  const logs: Record<string, unknown>[] = [];
  const running = await serve({
    plan: t.plan, planSha256: t.planSha256, backend, weights: t.weights, dataDir, host: '127.0.0.1', port: 0,
    maxSessions: 16, maxQueued: 32, queueTimeoutMs: 120_000, requestTimeoutMs: 60_000, maxKeyPartBytes: 2 ** 20, maxFrameBytes: 2 ** 20,
    log: (level, event, fields = {}) => logs.push({ level, event, ...fields }),
    ...over,
  });
  return { ...running, url: `http://127.0.0.1:${running.port}`, logs };
}

export async function openRemote(t: TinyPlan, url: string, retryForMs = 60_000): Promise<RemoteSession> {
  const client = await simBackend.createClient(t.plan.params);
  const keys = await client.evaluationKeys(keyRequestOf(t.plan));
  return RemoteSession.open({ url, plan: t.plan, planSha256: t.planSha256, client, keys, retryForMs });
}

/** Teacher-forced logits of `tokens` in one process (the uninterrupted reference). */
export async function localLogits(t: TinyPlan, tokens: readonly number[]): Promise<Float64Array[]> {
  const s = await DecodeSession.create(t.plan, simBackend, t.weights);
  try {
    return tokens.map((tok) => s.step(tok));
  } finally {
    s.dispose();
  }
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Run the CLI in this process; returns exit code and stdout. */
export async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    return { code: await main(args), out };
  } finally {
    spy.mockRestore();
  }
}
