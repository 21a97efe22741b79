/**
 * @fileoverview onnxruntime-node as the test oracle: run a decoder-with-past ONNX model one token at a time.
 *
 * Each step feeds input_ids [1,1], attention_mask = ones [1, past + 1], position_ids [[past]] and the previous
 * step's present.{i}.key|value as past_key_values.{i}.key|value (empty [1, kvHeads, 0, D] tensors at step 0).
 */
import * as ort from 'onnxruntime-node';
import { loadOnnx, loadOnnxBytes } from '../../compiler/onnx/load.ts';

/**
 * How far hec's float64 reference of a recognised model (compiler/model-eval.ts) may be from onnxruntime's float32
 * logits: max |Δlogit| over every vocabulary entry and position. Measured 2026-12-02 (test/bench/RESULTS.md): at most
 * 1.6e-5 over the bundled models, the committed fixtures and the generated shapes; 5e-5 leaves 3× for float32
 * rounding that differs between CPUs. test/unit/model-eval.test.ts, test/unit/onnx/{fixtures,generated}.test.ts
 * assert it; the README quotes it.
 */
export const ORT_LOGIT_TOL = 5e-5;

export interface OrtDecoder {
  /**
   * Feed one token at the next position; returns its logits. `attend` (positions 0 … past, default all) becomes the
   * attention_mask: a hand-made KV-cache mask, the truth for the plaintext eviction policies.
   */
  step(token: number, attend?: readonly number[]): Promise<Float32Array>;
  readonly past: number;
  /** The KV cache after the last step: present.{layer}.key|value as [kvHeads, past, headDim] row-major data. */
  cache(): Map<string, Float32Array>;
  release(): Promise<void>;
}

/** Open a decoder session. `source` is a path or in-memory model bytes (external data then needs a path). */
export async function openOrtDecoder(source: string | Uint8Array): Promise<OrtDecoder> {
  const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'disabled' };
  const session = typeof source === 'string' ? await ort.InferenceSession.create(source, opts) : await ort.InferenceSession.create(source, opts);
  // KV shapes come from the graph's declared inputs [batch, kvHeads, past, headDim].
  const kvDims = new Map<string, [number, number]>();
  const loaded = typeof source === 'string' ? loadOnnx(source) : loadOnnxBytes(source, '<bytes>');
  for (const i of loaded.inputs) {
    if (i.name.startsWith('past_key_values.')) kvDims.set(i.name, [i.dims[1] as number, i.dims[3] as number]);
  }
  let cache = new Map<string, ort.Tensor>();
  for (const [name, [kvh, d]] of kvDims) cache.set(name, new ort.Tensor('float32', new Float32Array(0), [1, kvh, 0, d]));
  let past = 0;
  return {
    get past() {
      return past;
    },
    cache() {
      const out = new Map<string, Float32Array>();
      for (const [k, v] of cache) out.set(k.replace('past_key_values.', 'present.'), v.data as Float32Array);
      return out;
    },
    async step(token: number, attend?: readonly number[]): Promise<Float32Array> {
      const mask = new BigInt64Array(past + 1).fill(attend === undefined ? 1n : 0n);
      for (const p of attend ?? []) mask[p] = 1n;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.of(BigInt(token)), [1, 1]),
        attention_mask: new ort.Tensor('int64', mask, [1, past + 1]),
        position_ids: new ort.Tensor('int64', BigInt64Array.of(BigInt(past)), [1, 1]),
      };
      for (const [k, v] of cache) feeds[k] = v;
      const out = await session.run(feeds);
      const next = new Map<string, ort.Tensor>();
      for (const k of cache.keys()) next.set(k, out[k.replace('past_key_values.', 'present.')]!);
      cache = next;
      past++;
      return (out.logits!.data as Float32Array).slice();
    },
    async release() {
      await session.release();
    },
  };
}

/** Teacher-force `tokens` and return the logits after each one. */
export async function ortTeacherForced(source: string | Uint8Array, tokens: number[]): Promise<Float32Array[]> {
  const dec = await openOrtDecoder(source);
  const out: Float32Array[] = [];
  for (const t of tokens) out.push(await dec.step(t));
  await dec.release();
  return out;
}

/** Teacher-force `prompt`, then generate `n` greedy tokens. */
export async function ortGreedy(source: string | Uint8Array, prompt: number[], n: number): Promise<number[]> {
  const dec = await openOrtDecoder(source);
  let logits = new Float32Array(0);
  for (const t of prompt) logits = await dec.step(t);
  const toks: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j]! > logits[best]!) best = j;
    toks.push(best);
    if (i + 1 < n) logits = await dec.step(best);
  }
  await dec.release();
  return toks;
}
