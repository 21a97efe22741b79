/**
 * @fileoverview `hec run PLAN|MODEL.onnx`: private decoding, token by token, through the decode plan.
 *
 * The prompt is run position by position (each step appends to the encrypted KV cache), then greedy decoding.
 * `--max-new-tokens 0` only scores the given tokens (teacher forcing). Output: progress on stderr, and either the
 * generated text/ids or (`--json`) one JSON object with `generated` and `positions` [{input, top1, ms, logits?}].
 */
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HecError } from '../../ir/diagnostics.ts';
import { insecureBanner, type CkksParams } from '../../ir/params.ts';
import { isAttrDict } from '../../ir/types.ts';
import { BACKENDS, resolveBackend } from '../../runtime/registry.ts';
import { assertPlanModel, readPlan, writePlan, type Plan } from '../../runtime/plan.ts';
import type { WeightStore } from '../../ir/plaintext-sources.ts';
import type { CommandSpec } from '../args.ts';
import { argmax } from '../model-eval.ts';
import { loadLlamaSync } from '../onnx/frontend.ts';
import { planLayers, truncationWarning } from '../truncate.ts';
import { weightStore } from '../weights.ts';
import { cachedPlanForModel } from '../plan-cache.ts';
import { COMPILE_ONLY_OPTIONS, COMPILE_OPTIONS, DEFAULT_MODEL, compileOptionsFrom } from './compile.ts';
import { stderrProgress } from './progress.ts';
import { openLocalDecoder, openRemoteDecoder, type Decoder } from './run-decoder.ts';

/** The prompt as the user gave it, checked for form before any plan is compiled or read. */
type PromptRequest = { kind: 'tokens'; ids: number[] } | { kind: 'text'; text: string };

/** `--tokens 1,2,3`: decimal token ids separated by commas or spaces (no hex, exponents, signs or empty fields). */
function parseTokens(text: string): number[] {
  const fields = text.trim().split(/\s*,\s*|\s+/);
  const bad = fields.find((t) => !/^\d+$/.test(t) || !Number.isSafeInteger(Number(t)));
  if (text.trim() === '' || bad !== undefined) {
    throw new HecError('HEC0003', `--tokens expects comma-separated non-negative decimal integers, got '${text}'${bad !== undefined && text.trim() !== '' ? ` ('${bad}' is not one)` : ''}`, {
      fix: 'e.g. --tokens 12,7,42',
    });
  }
  return fields.map(Number);
}

function parsePromptRequest(opts: Record<string, unknown>): PromptRequest {
  const tokens = opts.tokens;
  const prompt = opts.prompt;
  if (typeof tokens === 'string' && typeof prompt === 'string') {
    throw new HecError('HEC0003', '--prompt and --tokens are both given; the prompt is one or the other', { fix: 'keep --prompt TEXT (byte-level models) or --tokens IDS, not both' });
  }
  if (typeof tokens === 'string') return { kind: 'tokens', ids: parseTokens(tokens) };
  if (typeof prompt === 'string') {
    if (prompt === '') throw new HecError('HEC0003', 'the prompt is empty', { fix: "give at least one character: --prompt 'def f'" });
    // Node decodes argv as UTF-8 and turns bytes that are not UTF-8 into U+FFFD: running that would silently feed
    // the model the three bytes EF BF BD instead of what the user had.
    if (prompt.includes('\uFFFD')) {
      throw new HecError('HEC0003', '--prompt is not valid UTF-8 (or contains U+FFFD): hec cannot tell which bytes were meant', {
        fix: 'pass the bytes as token ids instead: --tokens 104,105 (byte-level models: one id per byte)',
      });
    }
    return { kind: 'text', text: prompt };
  }
  throw new HecError('HEC0001', 'hec run needs --prompt TEXT or --tokens IDS', { fix: "e.g. hec run --prompt 'def fib(n):' or hec run PLAN --tokens 1,2,3" });
}

/** The target must be a file: a missing path or a directory (even one named x.onnx) is HEC0004. */
function checkTarget(target: string, opts: Record<string, unknown>): void {
  if (!existsSync(target)) {
    const hint = typeof opts.prompt === 'string' && !/\.(onnx|plan)$/.test(target)
      ? `if '${target}' is part of the prompt, quote the whole prompt: --prompt '${opts.prompt} ${target}'`
      : 'pass a .plan written by hec compile, or an .onnx model';
    throw new HecError('HEC0004', `no such file: ${target}`, { fix: hint });
  }
  if (statSync(target).isDirectory()) throw new HecError('HEC0004', `${target} is a directory, not a plan or model file`, { fix: 'pass a .plan written by hec compile, or an .onnx model file' });
}

/** The prompt as token ids of the plan's vocabulary (HEC0005), before any key is generated. */
function promptForPlan(request: PromptRequest, plan: Plan, planPath: string): { prompt: number[]; vocab: number } {
  const model = plan.module.attrs.model;
  const config = isAttrDict(model) && isAttrDict(model.config) ? model.config : {};
  const vocab = typeof config.vocab_size === 'number' ? config.vocab_size : 0;
  if (request.kind === 'text') {
    if (vocab !== 256) throw new HecError('HEC0005', `--prompt needs a byte-level model (vocab 256); this one has vocab ${vocab}`, { fix: 'pass --tokens with token ids' });
    return { prompt: [...Buffer.from(request.text, 'utf8')], vocab };
  }
  const outside = request.ids.find((t) => t >= vocab);
  if (outside !== undefined) {
    throw new HecError('HEC0005', `token id ${outside} is outside the vocabulary 0..${vocab - 1} of the plan ${planPath}`, { fix: `use token ids below ${vocab}` });
  }
  return { prompt: request.ids, vocab };
}

/** Prompt + generated tokens must fit the plan's encrypted KV cache (HEC0008), checked before position 0 runs. */
function checkContext(plan: Plan, planPath: string, promptLength: number, maxNew: number): void {
  const capacity = plan.module.attrs.max_context;
  if (typeof capacity === 'number') checkPositions(promptLength, maxNew, capacity, `the plan ${planPath}`);
}

function checkPositions(promptLength: number, maxNew: number, capacity: number, what: string): void {
  // The last generated token is never fed back, so it takes no position.
  const positions = promptLength + Math.max(0, maxNew - 1);
  if (positions > capacity) {
    const fit = promptLength > capacity ? `shorten the prompt to at most ${capacity} tokens` : `lower --max-new-tokens to at most ${capacity - promptLength + 1}`;
    throw new HecError('HEC0008', `the prompt (${promptLength} token${promptLength === 1 ? '' : 's'}) and --max-new-tokens ${maxNew} need ${positions} positions, but ${what} holds ${capacity}`, {
      fix: `${fit}, or compile with --max-context ${positions}`,
    });
  }
}

/**
 * The plan of an ONNX model for `hec serve`/`keygen`: the cached entry's path (compiler/plan-cache.ts), or, where the
 * cache cannot be written, the plan in a temporary file.
 */
export async function planForModel(model: string, opts: Record<string, unknown>, progress: (s: string, d?: string) => void): Promise<string> {
  const { plan, path, cached } = await cachedPlanForModel(model, compileOptionsFrom(opts, progress), { progress, warn: (line) => process.stderr.write(`${line}\n`) });
  if (cached) return path;
  const out = join(tmpdir(), `hec-plan-${process.pid}-${Date.now()}.plan`);
  writePlan(out, plan.module);
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

/**
 * The weights of the model a plan was compiled from (the header's path, or `override`), checked by the sha256 of the
 * .onnx and of each external weight file (runtime/plan.ts assertPlanModel: HEC5033, HEC5034).
 */
export function weightsForPlan(plan: Plan, planPath: string, override: unknown): WeightStore {
  const modelPath = modelPathOf(plan, planPath, override);
  if (!existsSync(modelPath)) throw new HecError('HEC5030', `the plan's model ${modelPath} is not there`, { fix: 'pass --model FILE' });
  const model = loadLlamaSync(modelPath);
  assertPlanModel(plan, model.source);
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
    { name: 'max-new-tokens', type: 'number', integer: true, min: 0, default: 16, arg: 'N', help: 'greedy tokens to generate (0 = score the given tokens only)' },
    { name: 'backend', type: 'string', default: 'sim', arg: 'NAME', help: 'sim | seal | cpu | cuda | auto' },
    { name: 'model', type: 'string', arg: 'FILE', help: 'the ONNX model a plan was compiled from (default: the path in the plan header)' },
    { name: 'json', type: 'boolean', help: 'print one JSON object: generated, positions [{input, top1, ms}]' },
    { name: 'logits', type: 'boolean', help: 'with --json, add every position\'s logits' },
    { name: 'server', type: 'string', arg: 'URL', help: 'run the steps on `hec serve` at URL (this process keeps the secret key; the server\'s backend is used)' },
    { name: 'keys', type: 'string', arg: 'DIR', help: 'use the keys `hec keygen` wrote to DIR (default: fresh keys for this run)' },
    ...COMPILE_OPTIONS,
    { name: 'quiet', alias: 'q', type: 'boolean', help: 'no progress on stderr' },
  ],
  maxPositional: 1,
  positionalHint: "hec run takes one PLAN or MODEL.onnx; quote values that contain spaces: --prompt 'def fib(n):', --tokens '1, 2'",
  async run({ positional, opts, given }) {
    const json = opts.json === true;
    const progress = stderrProgress(opts.quiet === true);
    // The bundled model is found beside hec itself, so `hec run --prompt …` works from any folder.
    const bundled = relative('.', fileURLToPath(new URL(`../../${DEFAULT_MODEL}`, import.meta.url))) || DEFAULT_MODEL;
    const target = positional[0] ?? bundled;
    const isModel = target.endsWith('.onnx');
    checkTarget(target, opts);
    // Everything the user typed is checked before a compile or key generation can start.
    const request = parsePromptRequest(opts);
    const backendName = String(opts.backend);
    if (backendName !== 'auto' && !BACKENDS.some((b) => b.name === backendName)) {
      throw new HecError('HEC5202', `unknown backend '${backendName}'`, { fix: `use one of: auto, ${BACKENDS.map((b) => b.name).join(', ')}` });
    }
    if (!isModel) {
      const misplaced = COMPILE_ONLY_OPTIONS.filter((o) => given?.has(o) === true);
      if (misplaced.length > 0) {
        throw new HecError('HEC0006', `${misplaced.map((o) => `--${o}`).join(', ')} ${misplaced.length > 1 ? 'are compile options' : 'is a compile option'} and ${target} is a plan that is already compiled`, {
          fix: `drop ${misplaced.length > 1 ? 'them' : 'it'}, or compile again: hec compile MODEL.onnx ${misplaced.map((o) => `--${o} …`).join(' ')} (or hec run MODEL.onnx with ${misplaced.length > 1 ? 'them' : 'it'})`,
        });
      }
    } else if (given?.has('model') === true) {
      throw new HecError('HEC0006', `--model names the model of a plan, and ${target} is itself the model`, { fix: `drop --model, or pass a plan: hec run PLAN --model ${target}` });
    }
    if (opts.logits === true && !json) throw new HecError('HEC0006', '--logits adds logits to the --json output and does nothing without it', { fix: 'add --json, or drop --logits' });
    const co = isModel ? compileOptionsFrom(opts, progress) : undefined;
    // The context a compile would get is known now: a prompt that cannot fit is refused before the compile.
    if (co !== undefined) checkPositions(request.kind === 'tokens' ? request.ids.length : Buffer.byteLength(request.text, 'utf8'), Number(opts['max-new-tokens']), co.maxContext, `the plan compiled with --max-context ${co.maxContext}`);
    const { plan, path: planPath } = co !== undefined
      ? await cachedPlanForModel(target, co, { progress, warn: (line) => process.stderr.write(`${line}\n`) })
      : { plan: readPlan(target), path: target };
    refuseInsecurePlan(plan, planPath, opts);
    const layers = planLayers(plan.module);
    if (!isModel && opts.layers !== undefined && Number(opts.layers) !== (layers?.kept ?? Number.NaN)) {
      throw new HecError('HEC0006', `--layers ${opts.layers} does not apply to the plan ${target}, which computes ${layers === undefined ? 'every layer' : `${layers.kept} of ${layers.of} decoder layers`}`, {
        fix: `--layers is a compile option: hec compile MODEL.onnx --layers ${opts.layers}, or hec run MODEL.onnx --layers ${opts.layers}`,
      });
    }
    const { prompt, vocab } = promptForPlan(request, plan, planPath);
    const maxNew = Number(opts['max-new-tokens']);
    checkContext(plan, planPath, prompt.length, maxNew);

    const remote = typeof opts.server === 'string';
    // A remote run's client holds no model: the server has the weights.
    // `hec run MODEL.onnx` runs the model it was given; a plan names its model relative to itself (or --model).
    const weights = remote ? null : weightsForPlan(plan, planPath, isModel ? target : opts.model);
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
