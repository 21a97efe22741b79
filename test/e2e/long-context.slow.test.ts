/**
 * Issue #13 (slow tier, HEC_SLOW=1): every bundled model compiled for long contexts runs on `sim` at contexts 1,
 * 255–257, 511–513 and its maximum against onnxruntime — positions past a model's trained length included — and
 * llama-recall reproduces its reference continuation (the passkey) at --max-context 512 and 768. As in
 * long-context.test.ts, onnxruntime's cache of the earlier tokens becomes the plan's encrypted cache before each
 * window; `sim` checks every bootstrap and polynomial input against its range, and the headroom is printed.
 * llama-recall's 64 passkey documents: test/bench/passkey.ts (results in test/bench/RESULTS.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { argmax, compileForTest } from '../helpers/hec-run.ts';
import { boundaryWindows, compareWindows, longTokens, teacherForceWindows } from '../helpers/long-context.ts';

const LOGIT_TOL = 5e-3;
/** A compile at 768–1024 positions plus its windows: tens of minutes on a loaded 2-core machine. */
const TIMEOUT_MS = 4 * 3600_000;

async function checkModel(model: string, reference: string, maxContext: number, extra: [number, number][] = []): Promise<{ hec: Float64Array[]; positions: number[] }> {
  const { plan } = await compileForTest(model, { maxContext });
  const windows = [...boundaryWindows(maxContext), ...extra].sort((a, b) => a[0] - b[0]);
  const r = await teacherForceWindows(plan, model, longTokens(reference, maxContext), windows);
  const { positions, worst, flips } = compareWindows(windows, r);
  console.log(`${model} @${maxContext}: positions ${positions.join(',')}: max |logit − ort| ${worst.toExponential(3)}, flips ${flips.length}; headroom: bootstrap ${r.stats.bootstrap.ratio.toFixed(4)} of range ${r.stats.bootstrap.bound}, poly ${r.stats.poly.ratio.toFixed(4)} of domain ${r.stats.poly.bound}; by class ${JSON.stringify(r.headroom)}; bootstrap ranges ${JSON.stringify(plan.module.attrs.bootstrap_ranges)}`);
  expect(worst).toBeLessThan(LOGIT_TOL);
  expect(flips).toEqual([]);
  expect(r.stats.bootstrap.ratio).toBeLessThanOrEqual(1);
  expect(r.stats.poly.ratio).toBeLessThanOrEqual(1 + 1e-9);
  return { hec: r.hec, positions };
}

describe.skipIf(process.env.HEC_SLOW !== '1')('long contexts, every bundled model (slow)', () => {
  const recall = JSON.parse(readFileSync('models/llama-recall.reference.json', 'utf8')) as { prompt_bytes: number[]; greedy_tokens: number[] };
  for (const maxContext of [512, 768]) {
    it(`llama-recall at --max-context ${maxContext}: boundaries, and the reference passkey continuation`, async () => {
      const P = recall.prompt_bytes.length;
      const { hec, positions } = await checkModel('models/llama-recall.decode.onnx', 'models/llama-recall.reference.json', maxContext, [[P - 1, P - 1 + recall.greedy_tokens.length]]);
      const generated = recall.greedy_tokens.map((_, k) => argmax(hec[positions.indexOf(P - 1 + k)]!));
      console.log(`llama-recall @${maxContext}: ${JSON.stringify(Buffer.from(generated).toString('latin1'))}`);
      expect(generated).toEqual(recall.greedy_tokens);
    }, TIMEOUT_MS);
  }
  it('llama-py at --max-context 1024 (trained at a shorter context)', async () => {
    await checkModel('models/llama-py.decode.onnx', 'models/llama-py.reference.json', 1024);
  }, TIMEOUT_MS);
  it('llama-mqa, dynamo export, at --max-context 1024', async () => {
    await checkModel('models/llama-mqa.decode.dynamo.onnx', 'models/llama-mqa.dynamo.reference.json', 1024);
  }, TIMEOUT_MS);
  for (const maxContext of [257, 513]) {
    it(`llama-mqa at --max-context ${maxContext} (a last cache ciphertext holding one token)`, async () => {
      await checkModel('models/llama-mqa.decode.onnx', 'models/llama-mqa.reference.json', maxContext);
    }, TIMEOUT_MS);
  }
});
