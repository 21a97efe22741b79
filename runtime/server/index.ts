/**
 * @fileoverview `hec serve` without the command line: load sessions from --data-dir, then listen. /health answers only
 * once this resolves, so a 200 means every surviving session is known (their keys load on first use).
 */
import type { Server } from 'node:http';
import type { WeightStore } from '../../ir/plaintext-sources.ts';
import type { Backend } from '../backend.ts';
import { paramFingerprint } from '../backends/checks.ts';
import type { Plan } from '../plan.ts';
import { createHecServer } from './http.ts';
import { jsonLogger, type Logger } from './log.ts';
import { StepQueue } from './queue.ts';
import { SessionStore } from './sessions.ts';

export interface ServeOptions {
  plan: Plan;
  planSha256: string;
  backend: Backend;
  weights: WeightStore | null;
  dataDir: string;
  host: string;
  port: number;
  maxSessions: number;
  maxQueued: number;
  queueTimeoutMs: number;
  requestTimeoutMs: number;
  maxKeyPartBytes: number;
  maxFrameBytes: number;
  log?: Logger;
  stall?: { steps: Set<number>; commits: Set<number>; keyParts: Set<number> };
}

export interface RunningServer {
  server: Server;
  port: number;
  store: SessionStore;
  close(): Promise<void>;
}

/**
 * HEC_TEST_STALL="key:5,step:3,commit:4": the crash tests' fault injection. The server logs `test.stall` and stalls a
 * minute before storing key part 5, before committing step 3, after committing step 4 (before answering it).
 */
export function stallFromEnv(v: string | undefined): ServeOptions['stall'] {
  if (v === undefined || v === '') return undefined;
  const stall = { steps: new Set<number>(), commits: new Set<number>(), keyParts: new Set<number>() };
  for (const item of v.split(',')) {
    const m = /^(step|commit|key):(\d+)$/.exec(item.trim());
    if (m === null) continue;
    (m[1] === 'step' ? stall.steps : m[1] === 'commit' ? stall.commits : stall.keyParts).add(Number(m[2]));
  }
  return stall;
}

export async function serve(o: ServeOptions): Promise<RunningServer> {
  const log = o.log ?? jsonLogger();
  const queue = new StepQueue(o.maxQueued, o.queueTimeoutMs);
  const store = new SessionStore({ dataDir: o.dataDir, plan: o.plan, planSha256: o.planSha256, backend: o.backend, weights: o.weights, maxSessions: o.maxSessions, queue, log, stall: o.stall });
  await store.restore();
  const server = createHecServer({
    store, queue, log,
    health: { plan_sha256: o.planSha256, backend: o.backend.name, params: o.plan.params.name, params_fingerprint: paramFingerprint(o.plan.params), max_sessions: o.maxSessions },
    maxKeyPartBytes: o.maxKeyPartBytes, maxFrameBytes: o.maxFrameBytes, requestTimeoutMs: o.requestTimeoutMs,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  log('info', 'listening', { url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`, backend: o.backend.name, params: o.plan.params.name, sessions: store.count });
  return {
    server, port, store,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      store.dispose();
    }),
  };
}
