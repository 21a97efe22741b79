/**
 * @fileoverview Bootstrap ranges: run the placed plan on `sim` over calibration tokens and record, for every
 * `ckks.bootstrap`, the largest |value| it receives; the range is the next power of two above 4× that maximum.
 *
 * CKKS bootstrapping needs |x| ≤ range (backend.ts); `sim` checks it at run time, so a prompt that exceeds a range
 * fails loudly (HEC5106) rather than decrypting to garbage.
 */
import type { LlamaModel } from '../ir/model.ts';
import type { Module } from '../ir/module.ts';
import type { CkksParams } from '../ir/params.ts';
import type { AttrDict } from '../ir/types.ts';
import { simBackend } from '../runtime/backends/sim/index.ts';
import { DecodeSession } from '../runtime/session.ts';
import { defaultCalibrationSequences, longSequence } from './calibrate.ts';
import { magnitudeBounds } from '../passes/analysis/magnitudes.ts';
import { weightStore } from './weights.ts';
import { packCacheStates } from './calibrate-cache.ts';
import { createState, decodeStep } from './model-eval.ts';

const PROBE_RANGE = 2 ** 30;
/**
 * Headroom over the largest observed input. A few calibration tokens cannot see every prompt; each factor of 2 costs
 * one bit of bootstrap precision (relative to the range), so 4× (2 bits) buys robustness cheaply.
 */
const RANGE_MARGIN = 4;
/** Never below the standard bootstrap interval [-1, 1]: a value calibration saw as ~0 may not stay so. */
const MIN_RANGE = 1;

interface ContextRun {
  start: number;
  tokens: number[];
  /** The cache before `start`: the float64 model's over real text, or all zeros (every past score 0). */
  cache: 'model' | 'zeros';
}

/**
 * The positions calibration runs on `sim`, covering the whole context range: from position 0 (short contexts); the
 * first and the last `tail` positions of every cache ciphertext over the float64 model's cache of real text (every
 * cache-ciphertext boundary, and the full cache at the end); and the last position over an all-zero cache (every
 * earlier token scores 0: the flattest, longest softmax the plan can see).
 */
export function contextRuns(maxContext: number, capacity: number, cacheCiphertexts: number, first: number[], text: number[], tail: number): ContextRun[] {
  const runs: ContextRun[] = [{ start: 0, tokens: first.slice(0, maxContext), cache: 'model' }];
  for (let c = 0; c < cacheCiphertexts; c++) {
    const begin = c * capacity;
    if (c > 0 && begin < maxContext) runs.push({ start: begin, tokens: text.slice(begin, begin + 1), cache: 'model' });
    const end = Math.min(maxContext, (c + 1) * capacity);
    const start = Math.max(begin + 1, end - tail);
    if (start < end) runs.push({ start, tokens: text.slice(start, end), cache: 'model' });
  }
  runs.push({ start: maxContext - 1, tokens: text.slice(0, 1), cache: 'zeros' });
  return runs.filter((r) => r.tokens.length > 0);
}

export async function calibrateBootstrapRanges(
  module: Module,
  model: LlamaModel,
  params: CkksParams,
  tokens: number,
  onProgress?: (done: number, total: number) => void,
): Promise<AttrDict> {
  const func = module.funcs.find((f) => f.name === 'decode_step')!;
  const boots = func.ops.filter((op) => op.name === 'ckks.bootstrap');
  for (const op of boots) op.attrs.range = PROBE_RANGE;
  const maxAbs = new Map<string, number>();
  // Interleave the calibration sequences' starts so few tokens still see varied inputs.
  const seqs = defaultCalibrationSequences(model);
  const seq: number[] = [];
  for (let i = 0; seq.length < tokens && i < 1000; i++) {
    const src = seqs[i % seqs.length]!;
    const t = src[Math.floor(i / seqs.length)];
    if (t !== undefined) seq.push(t);
  }
  const maxContext = module.attrs.max_context as number;
  const packing = module.attrs.packing as { tokens_per_cache_ciphertext: number; cache_ciphertexts_per_layer: number };
  // The cache of a long run is the float64 model's over the calibration text repeated to the full context.
  const long = longSequence(seqs, maxContext);
  const runs = contextRuns(maxContext, packing.tokens_per_cache_ciphertext, packing.cache_ciphertexts_per_layer, seq, long, Math.min(4, Math.max(1, Math.floor(tokens / 4))));
  const ref = createState(model);
  for (let p = 0; p < Math.max(0, ...runs.map((r) => r.start)); p++) {
    decodeStep(model, ref, long[p]!, p);
    if (p % 32 === 31) await new Promise((r) => setImmediate(r));
  }
  const cacheAt = (start: number) => packCacheStates(func, params.slots, start, (layer, which, t) => (which === 'k' ? ref.keys : ref.values)[layer]![t]!);
  const total = runs.reduce((a, r) => a + r.tokens.length, 0);
  let done = 0;
  let session: DecodeSession | null = null;
  session = await DecodeSession.create({ module, params, func }, simBackend, weightStore(model), {
    onBootstrapInput: (name, ct) => {
      const v = session!.client.decrypt(session!.server.serialize(ct));
      let m = 0;
      for (let i = 0; i < v.re.length; i++) m = Math.max(m, Math.abs(v.re[i]!), Math.abs(v.im?.[i] ?? 0));
      maxAbs.set(name, Math.max(maxAbs.get(name) ?? 0, m));
    },
  });
  try {
    for (const run of runs) {
      const cache = run.cache === 'model' ? cacheAt(run.start) : null;
      session.reset(run.start, (name) => cache?.get(name));
      for (const t of run.tokens) {
        session.step(t);
        onProgress?.(++done, total);
        await new Promise((r) => setImmediate(r)); // keep the event loop (progress output, test runners) alive
      }
    }
  } finally {
    session.dispose();
  }
  // A guaranteed bound (magnitude analysis) wins over calibration wherever one exists.
  const bounds = magnitudeBounds(func);
  let worst = 0;
  let analytic = 0;
  for (const op of boots) {
    const m = maxAbs.get(op.results[0]!.name) ?? 0;
    worst = Math.max(worst, m);
    const known = bounds.get(op.operands[0]!);
    if (known !== undefined) analytic++;
    const need = known !== undefined ? known : RANGE_MARGIN * m;
    op.attrs.range = Math.pow(2, Math.ceil(Math.log2(Math.max(need, MIN_RANGE))));
    // Which bootstraps a prompt could push out of range (calibrated) and which no input can (proven).
    op.attrs.range_source = known !== undefined ? 'proven' : 'calibrated';
  }
  return { analytic_bounds: analytic, tokens: seq.length, context_runs: runs.map((r) => `${r.start}+${r.tokens.length}${r.cache === 'zeros' ? ' (zero cache)' : ''}`).join(', '), bootstraps: boots.length, largest_input: worst, rule: `range = 2^ceil(log2(max(analytic bound, else ${RANGE_MARGIN} * calibrated max |input|; at least ${MIN_RANGE})))` };
}
