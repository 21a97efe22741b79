/**
 * llama-recall's 64 held-out passkey documents decoded greedily through a hec plan on `sim`, against onnxruntime's
 * own greedy decoding of the same documents (issue #13). A document is correct when the 8 bytes after its prompt
 * equal its key.
 *
 * To fit this machine, onnxruntime teacher-forces each prompt except its last token and its KV cache becomes the
 * plan's encrypted cache (test/helpers/long-context.ts); the plan then runs the last prompt token and the 7 greedy
 * steps that produce the key — the steps that must retrieve the key from ~350 positions back, through the plan's
 * attention over a full cache. Usage: npx tsx test/bench/passkey.ts [--max-context 512] [--documents 64]
 */
import { readFileSync } from 'node:fs';
import { argmax } from '../../compiler/model-eval.ts';
import { loadLlamaSync } from '../../compiler/onnx/frontend.ts';
import { weightStore } from '../../compiler/weights.ts';
import { RangeStats, createSimBackend } from '../../runtime/backends/sim/index.ts';
import { DecodeSession } from '../../runtime/session.ts';
import { compileForTest } from '../helpers/hec-run.ts';
import { planCacheFromOrt } from '../helpers/long-context.ts';
import { openOrtDecoder } from '../helpers/ort.ts';

const MODEL = 'models/llama-recall.decode.onnx';
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const maxContext = arg('--max-context', 512);
const count = arg('--documents', 64);
const { documents } = JSON.parse(readFileSync('models/llama-recall.passkey.json', 'utf8')) as { documents: { prompt_bytes: number[]; key: string }[] };

const t0 = performance.now();
const { plan } = await compileForTest(MODEL, { maxContext });
console.log(`compiled at --max-context ${maxContext} (TEST_INSECURE_N13_DEEP) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const stats = new RangeStats();
const session = await DecodeSession.create(plan, createSimBackend({ rangeStats: stats }), weightStore(loadLlamaSync(MODEL)));
let hecRight = 0;
let ortRight = 0;
let agree = 0;
for (const [i, doc] of documents.slice(0, count).entries()) {
  const key = [...Buffer.from(doc.key, 'latin1')];
  const prompt = doc.prompt_bytes;
  const dec = await openOrtDecoder(MODEL);
  for (const t of prompt.slice(0, -1)) await dec.step(t);
  const cache = planCacheFromOrt(plan, dec.cache(), prompt.length - 1);
  session.reset(prompt.length - 1, (s) => cache.get(s));
  // onnxruntime's own greedy continuation from the same cache.
  const ortOut: number[] = [];
  let ol = await dec.step(prompt[prompt.length - 1]!);
  for (let k = 0; k < key.length; k++) {
    ortOut.push(argmax(ol));
    if (k + 1 < key.length) ol = await dec.step(ortOut[k]!);
  }
  await dec.release();
  const hecOut: number[] = [];
  let hl = session.step(prompt[prompt.length - 1]!);
  for (let k = 0; k < key.length; k++) {
    hecOut.push(argmax(hl));
    if (k + 1 < key.length) hl = session.step(hecOut[k]!);
  }
  const eq = (a: number[]) => a.length === key.length && a.every((t, k) => t === key[k]);
  if (eq(hecOut)) hecRight++;
  if (eq(ortOut)) ortRight++;
  if (hecOut.every((t, k) => t === ortOut[k])) agree++;
  console.log(`doc ${i}: key ${doc.key} hec ${JSON.stringify(Buffer.from(hecOut).toString('latin1'))} ort ${JSON.stringify(Buffer.from(ortOut).toString('latin1'))} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
session.dispose();
console.log(`passkey accuracy at --max-context ${maxContext}: hec on sim ${hecRight}/${count}, onnxruntime ${ortRight}/${count}, identical continuations ${agree}/${count}`);
console.log(`range headroom: bootstrap max |x|/range ${stats.bootstrap.ratio.toFixed(4)} (range ${stats.bootstrap.bound}), poly max |x − mid|/half-width ${stats.poly.ratio.toFixed(4)} (domain ${stats.poly.bound})`);
