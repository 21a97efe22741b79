/**
 * Long-context checks without running every earlier position: onnxruntime teacher-forces the tokens before `start`,
 * its KV cache (present.{layer}.key|value) is laid into the plan's cache ciphertexts (the client encrypts it), and the
 * plan runs from `start` on. The plan then sees a full, real cache — its own earlier steps are what the cache would
 * otherwise hold, and those are checked position by position by the short-context e2e tests.
 */
import { pack } from '../../ir/layout.ts';
import { isAttrDict } from '../../ir/types.ts';
import { loadLlamaSync } from '../../compiler/onnx/frontend.ts';
import { weightStore } from '../../compiler/weights.ts';
import type { Backend } from '../../runtime/backend.ts';
import { RangeStats, createSimBackend } from '../../runtime/backends/sim/index.ts';
import type { Plan } from '../../runtime/plan.ts';
import { DecodeSession } from '../../runtime/session.ts';
import { openOrtDecoder, type OrtDecoder } from './ort.ts';

/** Slot values of every cache state (`kv.l{layer}.{k|v}.c{ct}`) holding onnxruntime's cache of `past` tokens. */
export function planCacheFromOrt(plan: Plan, ortCache: Map<string, Float32Array>, past: number): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const a of plan.func.args) {
    if (a.attrs.role !== 'state') continue;
    const name = a.attrs.state as string;
    const m = /^kv\.l(\d+)\.([kv])\.c\d+$/.exec(name);
    const l = a.value.type.layout;
    if (m === null || l.kind !== 'tokens') throw new Error(`unexpected cache state ${name}`);
    const data = ortCache.get(`present.${m[1]}.${m[2] === 'k' ? 'key' : 'value'}`);
    if (data === undefined) throw new Error(`onnxruntime has no cache for ${name}`);
    // present is [1, kvHeads, past, headDim]; the plan's token t holds feature h·headDim + j at (t − base)·width + …
    if (data.length !== past * l.width) throw new Error(`cache of ${data.length} values is not ${past} tokens × ${l.width}`);
    const kvHeads = kvHeadsOf(plan);
    const d = l.width / kvHeads;
    const flat = new Float64Array(l.capacity * l.width);
    for (let t = l.base; t < Math.min(past, l.base + l.capacity); t++) {
      for (let h = 0; h < kvHeads; h++) for (let j = 0; j < d; j++) flat[(t - l.base) * l.width + h * d + j] = data[(h * past + t) * d + j]!;
    }
    out.set(name, pack(l, flat, plan.params.slots));
  }
  return out;
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
}

/**
 * Teacher-force `tokens` with the plan running only the positions in `windows` ([start, end) pairs, ascending):
 * before each window onnxruntime's cache of the `start` earlier tokens becomes the plan's encrypted cache.
 * Returns both sides' logits for the positions run (in order) and the sim run's range headroom.
 */
export async function teacherForceWindows(plan: Plan, modelPath: string, tokens: number[], windows: [number, number][], stats = new RangeStats()): Promise<WindowResult> {
  const backend: Backend = createSimBackend({ rangeStats: stats });
  const session = await DecodeSession.create(plan, backend, weightStore(loadLlamaSync(modelPath)));
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
  return { hec, ort, stats };
}
