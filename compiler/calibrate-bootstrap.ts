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
import { defaultCalibrationSequences } from './calibrate.ts';
import { magnitudeBounds } from '../passes/analysis/magnitudes.ts';
import { weightStore } from './weights.ts';

const PROBE_RANGE = 2 ** 30;
/**
 * Headroom over the largest observed input. A few calibration tokens cannot see every prompt; each factor of 2 costs
 * one bit of bootstrap precision (relative to the range), so 4× (2 bits) buys robustness cheaply.
 */
const RANGE_MARGIN = 4;
/** Never below the standard bootstrap interval [-1, 1]: a value calibration saw as ~0 may not stay so. */
const MIN_RANGE = 1;

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
  // Runs: from position 0 (ordinary magnitudes), then the last few positions of every cache ciphertext over an
  // all-zero cache (every earlier slot counts as a token with score 0: the flattest, longest softmax the plan can
  // see, where the softmax normalisers are largest, and every cache ciphertext receives a write).
  const longTail = Math.min(4, Math.max(1, Math.floor(tokens / 4)));
  const runs: { start: number; tokens: number[] }[] = [{ start: 0, tokens: seq.slice(0, maxContext) }];
  for (let c = 0; c < packing.cache_ciphertexts_per_layer; c++) {
    const end = Math.min(maxContext, (c + 1) * packing.tokens_per_cache_ciphertext);
    runs.push({ start: Math.max(0, end - longTail), tokens: seq.slice(0, longTail) });
  }
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
      session.reset(run.start);
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
  }
  return { analytic_bounds: analytic, tokens: seq.length, long_context_tokens: longTail, bootstraps: boots.length, largest_input: worst, rule: `range = 2^ceil(log2(max(analytic bound, else ${RANGE_MARGIN} * calibrated max |input|; at least ${MIN_RANGE})))` };
}
