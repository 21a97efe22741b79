/**
 * Cost of the primitives a bootstrap uses at one preset (dev tool): mul+relin, rotate, hoisted rotate, rescale,
 * mulPlain per level.   npx tsx test/bench/bootstrap-ops.ts [PRESET] [levels,comma,separated]
 */
import { presetParams } from '../../ir/presets.ts';
import { nativeContext, setCpuThreads } from '../../runtime/backends/cpu/index.ts';

setCpuThreads(Number(process.env.THREADS ?? 1));
const params = presetParams(process.argv[2] ?? 'N16_BOOT_DENSE', { allowInsecure: true });
const levels = (process.argv[3] ?? `${params.levels},${params.levels - 8},${params.bootstrapOutputLevel + 1}`).split(',').map(Number);
const cx = nativeContext(params);
const sk = cx.genSecretKey(params.secretHammingWeight);
let t = performance.now();
const evk = cx.genEvalKeys(sk, true, [1, 2, 3, 4], true);
console.log(`keygen (relin + 4 rot + conj): ${(performance.now() - t).toFixed(0)} ms`);
const n = params.slots;
const re = new Float64Array(n).map(() => Math.random());
const time = (f: () => { free(): void }, runs = 3): number => {
  const ts: number[] = [];
  for (let r = 0; r < runs; r++) { const t0 = performance.now(); f().free(); ts.push(performance.now() - t0); }
  return Math.min(...ts);
};
for (const l of levels) {
  const s = 2 ** params.logScale[l]!;
  const pt = cx.encode(re, null, l, s);
  const ct = cx.encryptSk(sk, pt);
  const mul = time(() => cx.mul(ct, ct, evk));
  const rot = time(() => cx.rotate(ct, 1, evk));
  const hoist = time(() => { const hs = cx.rotateHoisted(ct, [1, 2, 3, 4], evk); for (const h of hs.slice(1)) h.free(); return hs[0]!; });
  const mp = time(() => cx.mulPlain(ct, pt));
  const enc = time(() => cx.encode(re, null, l, s));
  const m2 = cx.mul(ct, ct, evk);
  const rs = time(() => cx.rescale(m2));
  console.log(JSON.stringify({ level: l, mul_relin_ms: +mul.toFixed(1), rotate_ms: +rot.toFixed(1), hoisted4_ms: +hoist.toFixed(1), mulPlain_ms: +mp.toFixed(2), encode_ms: +enc.toFixed(1), rescale_ms: +rs.toFixed(1) }));
  m2.free(); ct.free(); pt.free();
}
