/**
 * Long-context checks without running every earlier position: onnxruntime teacher-forces the tokens before `start`,
 * its KV cache (present.{layer}.key|value) is laid into the plan's cache ciphertexts (the client encrypts it), and the
 * plan runs from `start` on. The plan then sees a full, real cache — its own earlier steps are what the cache would
 * otherwise hold, and those are checked position by position by the short-context e2e tests.
 */
import { readFileSync } from 'node:fs';
import { packCacheStates } from '../../compiler/calibrate-cache.ts';
import { argmax } from '../../compiler/model-eval.ts';
import { isAttrDict } from '../../ir/types.ts';
import { loadLlamaSync } from '../../compiler/onnx/frontend.ts';
import { weightStore } from '../../compiler/weights.ts';
import type { Backend } from '../../runtime/backend.ts';
import { RangeStats, createSimBackend } from '../../runtime/backends/sim/index.ts';
import type { Plan } from '../../runtime/plan.ts';
import type { Op } from '../../ir/module.ts';
import { DecodeSession } from '../../runtime/session.ts';
import { openOrtDecoder, type OrtDecoder } from './ort.ts';

/** Slot values of every cache state (`kv.l{layer}.{k|v}.c{ct}`) holding onnxruntime's cache of `past` tokens. */
export function planCacheFromOrt(plan: Plan, ortCache: Map<string, Float32Array>, past: number): Map<string, Float64Array> {
  const kvHeads = kvHeadsOf(plan);
  return packCacheStates(plan.func, plan.params.slots, past, (layer, which, t) => {
    // present.{layer}.key|value is [1, kvHeads, past, headDim]; the plan wants feature h·headDim + j of token t.
    const data = ortCache.get(`present.${layer}.${which === 'k' ? 'key' : 'value'}`);
    if (data === undefined) throw new Error(`onnxruntime has no cache for layer ${layer}`);
    const d = data.length / past / kvHeads;
    const f = new Float64Array(kvHeads * d);
    for (let h = 0; h < kvHeads; h++) for (let j = 0; j < d; j++) f[h * d + j] = data[(h * past + t) * d + j]!;
    return f;
  });
}

function kvHeadsOf(plan: Plan): number {
  const model = plan.module.attrs.model;
  const config = isAttrDict(model) ? model.config : undefined;
  const n = isAttrDict(config) ? config.num_kv_heads : undefined;
  if (typeof n !== 'number') throw new Error('plan header has no model.config.num_kv_heads');
  return n;
}

export interface WindowResult {
  hec: Float64Array[];
  ort: Float32Array[];
  stats: RangeStats;
  /** The largest ratio to its bound per class: bootstraps and polynomials whose range is proven or calibrated. */
  headroom: Record<'bootstrap proven' | 'bootstrap calibrated' | 'poly proven' | 'poly calibrated', number>;
}

/** Polynomial domains by their approximated function (plan header); inv_sqrt's come from calibrated mean squares. */
function provenDomains(plan: Plan): Set<string> {
  const out = new Set<string>();
  const approx = plan.module.attrs.approximations;
  for (const a of Array.isArray(approx) ? approx : []) {
    if (!isAttrDict(a) || a.fn === 'inv_sqrt' || !Array.isArray(a.domain)) continue;
    out.add(JSON.stringify(a.domain));
  }
  return out;
}

/**
 * Teacher-force `tokens` with the plan running only the positions in `windows` ([start, end) pairs, ascending):
 * before each window onnxruntime's cache of the `start` earlier tokens becomes the plan's encrypted cache.
 * Returns both sides' logits for the positions run (in order) and the sim run's range headroom.
 */
export async function teacherForceWindows(plan: Plan, modelPath: string, tokens: number[], windows: [number, number][], stats = new RangeStats()): Promise<WindowResult> {
  const backend: Backend = createSimBackend({ rangeStats: stats });
  const headroom: WindowResult['headroom'] = { 'bootstrap proven': 0, 'bootstrap calibrated': 0, 'poly proven': 0, 'poly calibrated': 0 };
  const proven = provenDomains(plan);
  const onOp = (_i: number, op: Op) => {
    let key: keyof WindowResult['headroom'] | null = null;
    if (op.name === 'ckks.bootstrap') key = op.attrs.range_source === 'proven' ? 'bootstrap proven' : 'bootstrap calibrated';
    if (op.name === 'ckks.poly') key = proven.has(JSON.stringify(op.attrs.domain)) ? 'poly proven' : 'poly calibrated';
    if (key !== null) headroom[key] = Math.max(headroom[key], stats.last);
  };
  const session = await DecodeSession.create(plan, backend, weightStore(loadLlamaSync(modelPath)), { onOp });
  const dec: OrtDecoder = await openOrtDecoder(modelPath);
  const hec: Float64Array[] = [];
  const ort: Float32Array[] = [];
  try {
    for (const [start, end] of windows) {
      while (dec.past < start) await dec.step(tokens[dec.past]!);
      const cache = planCacheFromOrt(plan, dec.cache(), start);
      session.reset(start, (s) => cache.get(s));
      for (let p = start; p < end; p++) {
        hec.push(session.step(tokens[p]!));
        ort.push(await dec.step(tokens[p]!));
        await new Promise((r) => setImmediate(r));
      }
    }
  } finally {
    session.dispose();
    await dec.release();
  }
  return { hec, ort, stats, headroom };
}

/** A token sequence of `length`: the model's reference prompt and tokens, then llama-recall's passkey documents. */
export function longTokens(referenceJson: string, length: number): number[] {
  const ref = JSON.parse(readFileSync(referenceJson, 'utf8')) as { prompt_bytes: number[]; greedy_tokens: number[] };
  const docs = (JSON.parse(readFileSync('models/llama-recall.passkey.json', 'utf8')) as { documents: { prompt_bytes: number[] }[] }).documents;
  const out = [...ref.prompt_bytes, ...ref.greedy_tokens];
  for (let i = 0; out.length < length; i++) out.push(...docs[i % docs.length]!.prompt_bytes);
  return out.slice(0, length);
}

/** Positions 0, 254–256, 510–512 and the last (contexts 1, 255–257, 511–513 and the maximum) that fit `maxContext`. */
export function boundaryWindows(maxContext: number): [number, number][] {
  const w: [number, number][] = [[0, 1], [254, 257], [510, 513], [maxContext - 1, maxContext]];
  return w.map(([a, b]): [number, number] => [a, Math.min(b, maxContext)]).filter(([a, b], i, all) => a < b && (i === 0 || a >= all[i - 1]![1]));
}

/** Per position: |hec − ort| and whether the top-1 tokens agree. */
export function compareWindows(windows: [number, number][], r: WindowResult): { positions: number[]; worst: number; flips: string[] } {
  const positions = windows.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
  let worst = 0;
  const flips: string[] = [];
  r.hec.forEach((h, i) => {
    const o = r.ort[i]!;
    for (let j = 0; j < o.length; j++) worst = Math.max(worst, Math.abs(h[j]! - o[j]!));
    if (argmax(h) !== argmax(o)) flips.push(`position ${positions[i]}: hec ${argmax(h)} vs ort ${argmax(o)}`);
  });
  return { positions, worst, flips };
}
