/**
 * @fileoverview `hec serve PLAN|MODEL.onnx --port N --data-dir DIR`: the model holder's side. It never sees a secret
 * key; sessions (evaluation keys, encrypted KV cache) live in --data-dir and survive restarts. Logs: one JSON object
 * per line on stderr, without tokens or key material.
 */
import { existsSync } from 'node:fs';
import { HecError } from '../../ir/diagnostics.ts';
import { insecureBanner } from '../../ir/params.ts';
import { readPlan } from '../../runtime/plan.ts';
import { resolveBackend } from '../../runtime/registry.ts';
import { serve, stallFromEnv } from '../../runtime/server/index.ts';
import { jsonLogger } from '../../runtime/server/log.ts';
import { planDigest } from '../../runtime/server/protocol.ts';
import type { CommandSpec } from '../args.ts';
import { COMPILE_OPTIONS } from './compile.ts';
import { stderrProgress } from './progress.ts';
import { planForModel, refuseInsecurePlan, weightsForPlan } from './run.ts';

function positive(opts: Record<string, unknown>, name: string): number {
  const v = Number(opts[name]);
  if (!(v > 0)) throw new HecError('HEC0003', `--${name} must be a positive number, got ${String(opts[name])}`);
  return v;
}

export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'serve a plan over HTTP: encrypted sessions with durable KV caches (clients: hec run --server URL)',
  usage: 'hec serve PLAN|MODEL.onnx --port N --data-dir DIR [--backend NAME] [--host ADDR] [--max-sessions N] …',
  description:
    'Routes: GET /health (200 when ready), POST /v1/sessions, PUT /v1/sessions/ID/keys/I, POST …/start, POST …/steps,\n' +
    'GET and DELETE /v1/sessions/ID (bearer token per session). Steps run one at a time in arrival order; beyond\n' +
    '--max-queue waiting requests the answer is 503 with Retry-After. Each step is written to --data-dir (write,\n' +
    'fsync, rename) before it is answered, so a restarted server resumes every session at its last completed step.',
  options: [
    { name: 'port', type: 'number', arg: 'N', help: 'TCP port (0 = any free port; the log line "listening" says which)' },
    { name: 'data-dir', type: 'string', arg: 'DIR', help: 'where sessions live (created if absent)' },
    { name: 'host', type: 'string', default: '127.0.0.1', arg: 'ADDR', help: 'address to listen on' },
    { name: 'backend', type: 'string', default: 'auto', arg: 'NAME', help: 'cpu | seal | sim | auto' },
    { name: 'model', type: 'string', arg: 'FILE', help: 'the ONNX model a plan was compiled from (default: the path in the plan header)' },
    { name: 'max-sessions', type: 'number', default: 16, arg: 'N', help: 'sessions held at once (503 HEC5305 beyond)' },
    { name: 'max-queue', type: 'number', default: 32, arg: 'N', help: 'steps waiting behind the running one (503 HEC5304 beyond)' },
    { name: 'queue-timeout-s', type: 'number', default: 600, arg: 'S', help: 'longest wait in the step queue' },
    { name: 'request-timeout-s', type: 'number', default: 600, arg: 'S', help: 'a request must arrive within this time' },
    { name: 'max-body-mib', type: 'number', default: 256, arg: 'MIB', help: 'largest request body (one key part, or one ciphertext frame)' },
    ...COMPILE_OPTIONS,
    { name: 'quiet', alias: 'q', type: 'boolean', help: 'no compile progress on stderr' },
  ],
  maxPositional: 1,
  async run({ positional, opts }) {
    const target = positional[0];
    if (target === undefined || !existsSync(target)) throw new HecError('HEC0004', `hec serve needs a plan or model file${target === undefined ? '' : `; no such file: ${target}`}`, { fix: 'hec serve PLAN --port N --data-dir DIR' });
    if (typeof opts['data-dir'] !== 'string') throw new HecError('HEC0001', 'hec serve needs --data-dir DIR', { fix: 'sessions are kept there across restarts' });
    if (typeof opts.port !== 'number' || !Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
      throw new HecError('HEC0003', 'hec serve needs --port N (0..65535)');
    }
    const progress = stderrProgress(opts.quiet === true);
    const planPath = target.endsWith('.onnx') ? await planForModel(target, opts, progress) : target;
    const plan = readPlan(planPath);
    refuseInsecurePlan(plan, planPath, opts);
    const weights = weightsForPlan(plan, planPath, opts.model);
    const backend = await resolveBackend([String(opts.backend)]);
    if (plan.params.insecure) process.stderr.write(`${insecureBanner(plan.params)}\n`);
    if (backend.name === 'sim') process.stderr.write('*** WARNING: the sim backend encrypts NOTHING: clients\' tokens reach this server in the clear (tests only) ***\n');
    const maxBody = positive(opts, 'max-body-mib') * 2 ** 20;
    const running = await serve({
      plan, planSha256: planDigest(planPath), backend, weights,
      dataDir: opts['data-dir'], host: String(opts.host), port: opts.port,
      maxSessions: positive(opts, 'max-sessions'), maxQueued: positive(opts, 'max-queue'),
      queueTimeoutMs: positive(opts, 'queue-timeout-s') * 1000, requestTimeoutMs: positive(opts, 'request-timeout-s') * 1000,
      maxKeyPartBytes: maxBody, maxFrameBytes: maxBody,
      log: jsonLogger(), stall: stallFromEnv(process.env.HEC_TEST_STALL),
    });
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        void running.close().then(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
