/**
 * @fileoverview A KV cache computed outside the plan, laid into the plan's cache ciphertexts (`kv.l{layer}.{k|v}.c{i}`
 * states, `#tokens` layouts), as slot values the client encrypts (DecodeSession.reset's `cache`).
 *
 * Bootstrap calibration uses it to start at any position with the cache the float64 model built over real text (a
 * full cache, every cache-ciphertext boundary) without running every earlier step on `sim`; tests use it with
 * onnxruntime's cache.
 */
import { pack } from '../ir/layout.ts';
import type { Func } from '../ir/module.ts';

/** One cached token's features (kv_heads × head_dim, head-major, as the plan's K/V projections order them). */
export type CachedToken = (layer: number, which: 'k' | 'v', position: number) => ArrayLike<number>;

/** Slot values of every cache state holding tokens 0 … past − 1. */
export function packCacheStates(func: Func, slots: number, past: number, token: CachedToken): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const a of func.args) {
    if (a.attrs.role !== 'state') continue;
    const name = String(a.attrs.state);
    const m = /^kv\.l(\d+)\.([kv])\.c\d+$/.exec(name);
    const l = a.value.type.layout;
    if (m === null || l.kind !== 'tokens') continue;
    const layer = Number(m[1]);
    const which = m[2] === 'k' ? 'k' : 'v';
    const flat = new Float64Array(l.capacity * l.width);
    for (let t = l.base; t < Math.min(past, l.base + l.capacity); t++) {
      const f = token(layer, which, t);
      for (let j = 0; j < l.width; j++) flat[(t - l.base) * l.width + j] = f[j] ?? 0;
    }
    out.set(name, pack(l, flat, slots));
  }
  return out;
}
