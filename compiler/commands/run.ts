/**
 * @fileoverview `hec run PLAN|MODEL.onnx`: private decoding, token by token, through the decode plan.
 *
 * The prompt is run position by position (each step appends to the encrypted KV cache), then greedy decoding.
 * `--max-new-tokens 0` only scores the given tokens (teacher forcing). Output: progress on stderr, and either the
 * generated text/ids or (`--json`) one JSON object with `generated` and `positions` [{input, top1, ms, logits?}].
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { HecError } from '../../ir/diagnostics.ts';
import { insecureBanner, type CkksParams } from '../../ir/params.ts';
import { isAttrDict } from '../../ir/types.ts';
import { resolveBackend } from '../../runtime/registry.ts';
import { readPlan, writePlan, type Plan } from '../../runtime/plan.ts';
import type { WeightStore } from '../../ir/plaintext-sources.ts';
import type { CommandSpec } from '../args.ts';
import { compileModel } from '../driver.ts';
import { argmax } from '../model-eval.ts';
import { loadLlamaSync } from '../onnx/frontend.ts';
import { planLayers, truncationWarning } from '../truncate.ts';
import { weightStore } from '../weights.ts';
import { COMPILE_OPTIONS, DEFAULT_MODEL, compileOptionsFrom } from './compile.ts';
import { stderrProgress } from './progress.ts';
import { openLocalDecoder, openRemoteDecoder, type Decoder } from './run-decoder.ts';

function parseTokens(text: string): number[] {
  const ids = text.split(/[\s,]+/).filter((t) => t !== '').map(Number);
  if (ids.length === 0 || ids.some((t) => !Number.isInteger(t) || t < 0)) {
    throw new HecError('HEC0003', `--tokens expects comma-separated non-negative integers, got '${text}'`);
  }
  return ids;
}

/** Compile an ONNX model once per (model bytes, options), caching the plan under .hec-cache/. */
export async function planForModel(model: string, opts: Record<string, unknown>, progress: (s: string, d?: string) => void): Promise<string> {
  const co = compileOptionsFrom(opts, progress);
  const sha = createHash('sha256').update(readFileSync(model)).digest('hex').slice(0, 16);
  const dir = resolve('.hec-cache');
  const out = join(dir, `${sha}-${co.preset}-ctx${co.maxContext}-cal${co.bootstrapCalibrationTokens}${co.layers !== undefined ? `-layers${co.layers}` : ''}.plan`);
  if (existsSync(out)) {
    progress('plan', `reusing ${out}`);
    return out;
  }
  mkdirSync(dir, { recursive: true });
  const r = await compileModel(model, co);
  (r.module.attrs.model as Record<string, unknown>).path = resolve(model);
  writePlan(out, r.module);
  progress('plan', `compiled to ${out}`);
  return out;
}

function modelPathOf(plan: Plan, planPath: string, override: unknown): string {
  if (typeof override === 'string') return override;
  const m = plan.module.attrs.model;
  const p = isAttrDict(m) && typeof m.path === 'string' ? m.path : '';
  return isAbsolute(p) ? p : resolve(dirname(planPath), p);
}

/**
 * Checked when a plan is used (run, keygen, serve), not only when it is compiled: a plan compiled with
 * --allow-insecure (or a header edited to say so) needs it again.
 */
export function refuseInsecurePlan(plan: Plan, planPath: string, opts: Record<string, unknown>): void {
  if (!plan.params.secure && opts['allow-insecure'] !== true) {
    throw new HecError('HEC6004', `${planPath} uses insecure CKKS parameters '${plan.params.name}': ${plan.params.securityRule}`, {
      fix: 'pass --allow-insecure (tests only), or compile the model with a secure preset',
    });
  }
}

/** The weights of the model a plan was compiled from (the header's path, or `override`), checked by sha256. */
export function weightsForPlan(plan: Plan, planPath: string, override: unknown): WeightStore {
  const modelPath = modelPathOf(plan, planPath, override);
  if (!existsSync(modelPath)) throw new HecError('HEC5030', `the plan's model ${modelPath} is not there`, { fix: 'pass --model FILE' });
  const model = loadLlamaSync(modelPath);
  const expected = (plan.module.attrs.model as Record<string, unknown>).sha256;
  if (model.source.sha256 !== expected) {
    throw new HecError('HEC5033', `${modelPath} is not the model this plan was compiled from (sha256 differs)`, { fix: 'recompile the plan for this model' });
  }
  return weightStore(model);
}

export const runCommand: CommandSpec = {
  name: 'run',
  summary: 'run private decoding through a plan (or compile an ONNX model first) on a backend',
  usage: 'hec run [PLAN | MODEL.onnx] (--prompt TEXT | --tokens ID,ID,…) [--max-new-tokens N] [--backend NAME] [--server URL] [--keys DIR] [--json] [--logits]',
  description:
    `Without a file, runs the bundled ${DEFAULT_MODEL}. Backends: sim (slot-exact simulation, no encryption),\n` +
    'seal (node-seal, shallow plans only), cpu (native RNS-CKKS), cuda (where built). The client encrypts each token,\n' +
    'the server runs the step with the KV cache encrypted, the client decrypts the logits.',
  options: [
    { name: 'prompt', type: 'string', arg: 'TEXT', help: 'prompt text (byte-level models, vocab 256)' },
    { name: 'tokens', type: 'string', arg: 'IDS', help: 'prompt token ids, comma-separated' },
    { name: 'max-new-tokens', type: 'number', default: 16, arg: 'N', help: 'greedy tokens to generate (0 = score the given tokens only)' },
    { name: 'backend', type: 'string', default: 'sim', arg: 'NAME', help: 'sim | seal | cpu | cuda | auto' },
    { name: 'model', type: 'string', arg: 'FILE', help: 'the ONNX model a plan was compiled from (default: the path in the plan header)' },
    { name: 'json', type: 'boolean', help: 'print one JSON object: generated, positions [{input, top1, ms}]' },
    { name: 'logits', type: 'boolean', help: 'with --json, add every position\'s logits' },
    { name: 'server', type: 'string', arg: 'URL', help: 'run the steps on `hec serve` at URL (this process keeps the secret key; the server\'s backend is used)' },
    { name: 'keys', type: 'string', arg: 'DIR', help: 'use the keys `hec keygen` wrote to DIR (default: fresh keys for this run)' },
    ...COMPILE_OPTIONS,
    { name: 'quiet', alias: 'q', type: 'boolean', help: 'no progress on stderr' },
  ],
  async run({ positional, opts }) {
    const json = opts.json === true;
    const progress = stderrProgress(opts.quiet === true);
    const target = positional[0] ?? DEFAULT_MODEL;
    if (!existsSync(target)) throw new HecError('HEC0004', `no such file: ${target}`, { fix: 'pass a .plan written by hec compile, or an .onnx model' });
    const planPath = target.endsWith('.onnx') ? await planForModel(target, opts, progress) : target;
    const plan = readPlan(planPath);
    refuseInsecurePlan(plan, planPath, opts);
    const layers = planLayers(plan.module);
    if (planPath === target && opts.layers !== undefined && Number(opts.layers) !== (layers?.kept ?? Number.NaN)) {
      throw new HecError('HEC0006', `--layers ${opts.layers} does not apply to the plan ${target}, which computes ${layers === undefined ? 'every layer' : `${layers.kept} of ${layers.of} decoder layers`}`, {
        fix: `--layers is a compile option: hec compile MODEL.onnx --layers ${opts.layers}, or hec run MODEL.onnx --layers ${opts.layers}`,
      });
    }
    const vocab = ((plan.module.attrs.model as Record<string, Record<string, number>>).config ?? {}).vocab_size ?? 0;
    let prompt: number[];
    if (typeof opts.tokens === 'string') prompt = parseTokens(opts.tokens);
    else if (typeof opts.prompt === 'string') {
      if (vocab !== 256) throw new HecError('HEC0005', `--prompt needs a byte-level model (vocab 256); this one has vocab ${vocab}`, { fix: 'pass --tokens with token ids' });
      prompt = [...Buffer.from(opts.prompt, 'utf8')];
    } else throw new HecError('HEC0001', 'hec run needs --prompt TEXT or --tokens IDS');
    if (prompt.length === 0) throw new HecError('HEC0003', 'the prompt is empty');
    const maxNew = Number(opts['max-new-tokens']);
    if (!Number.isInteger(maxNew) || maxNew < 0) throw new HecError('HEC0003', `--max-new-tokens must be a non-negative integer`);

    const remote = typeof opts.server === 'string';
    // A remote run's client holds no model: the server has the weights.
    const weights = remote ? null : weightsForPlan(plan, planPath, opts.model);
    const backend = remote ? null : await resolveBackend([String(opts.backend)]);
    if (plan.params.insecure) process.stderr.write(`${insecureBanner(plan.params)}\n`);
    if (layers?.truncated) process.stderr.write(`${truncationWarning(layers)}\n`);
    const keysT0 = Date.now();
    let keyBytes = 0;
    const onKeyPart = (i: number, count: number, bytes: number): void => {
      keyBytes += bytes;
      // Streamed one switching key at a time; report the slow (real) engines as they go, every backend at the end.
      if (i + 1 === count || (backend?.name !== 'sim' && !json)) {
        progress('keys', `${i + 1}/${count} parts, ${(keyBytes / 2 ** 20).toFixed(1)} MiB, ${((Date.now() - keysT0) / 1000).toFixed(1)} s`);
      }
    };
    const session: Decoder = backend === null
      ? await openRemoteDecoder(plan, planPath, { url: String(opts.server), keysDir: typeof opts.keys === 'string' ? opts.keys : undefined, onKeyPart, progress })
      : await openLocalDecoder(plan, planPath, backend, weights, { keysDir: typeof opts.keys === 'string' ? opts.keys : undefined, onKeyPart, progress });
    if (!session.encrypts && !json) progress('backend', `${session.backend}: slot-exact simulation WITHOUT encryption (use --backend cpu for real CKKS)`);
    const positions: { input: number; top1: number; ms: number; logits?: number[] }[] = [];
    const generated: number[] = [];
    const total = prompt.length + Math.max(0, maxNew - 1);
    const t0 = Date.now();
    try {
      let input = prompt[0]!;
      for (let i = 0; i < total; i++) {
        const t = Date.now();
        const logits = await session.step(input);
        const top1 = argmax(logits);
        const entry: (typeof positions)[number] = { input, top1, ms: Date.now() - t };
        if (opts.logits) entry.logits = [...logits];
        positions.push(entry);
        if (i + 1 >= prompt.length && generated.length < maxNew) generated.push(top1);
        input = i + 1 < prompt.length ? prompt[i + 1]! : top1;
        if (!json) progress("position", `${i + 1}/${total}: input ${entry.input} → top1 ${top1} (${entry.ms} ms)`);
      }
    } finally {
      await session.close();
    }
    const result = {
      plan: planPath,
      backend: session.backend,
      encrypted: session.encrypts,
      security_bits_claimed: securityClaim(plan.params, session.encrypts),
      params: plan.params.name,
      layers: layers === undefined ? undefined : { kept: layers.kept, of: layers.of, truncated: layers.truncated },
      prompt,
      generated,
      generated_text: vocab === 256 ? Buffer.from(generated).toString('latin1') : undefined,
      positions,
      total_ms: Date.now() - t0,
    };
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(`generated ids: ${generated.join(',')}\n`);
      if (vocab === 256) process.stdout.write(`generated text: ${JSON.stringify(Buffer.from(generated).toString('latin1'))}\n`);
      process.stdout.write(`${positions.length} positions in ${(result.total_ms / 1000).toFixed(1)} s on ${session.backend}${remote ? ` at ${String(opts.server)}` : ''}\n`);
      if (layers?.truncated) process.stdout.write(`(first ${layers.kept} of ${layers.of} decoder layers only: not the full model's output)\n`);
    }
    return 0;
  },
};

/** What `--json` claims about security, and the rule behind it: nothing on a backend that does not encrypt. */
export function securityClaim(params: CkksParams, encrypted: boolean): { bits: number; rule: string } {
  if (!encrypted) return { bits: 0, rule: `no encryption on this backend (parameters: ${params.securityRule})` };
  return { bits: params.secure ? 128 : 0, rule: params.securityRule };
}
