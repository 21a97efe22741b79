/**
 * Other Llama shapes through the whole pipeline (compile → plan text → sim) against onnxruntime-node:
 * multi-query attention with tied embeddings (legacy and dynamo exports), tiny GQA and MHA fixtures, and a model
 * generated here (6 heads / 3 KV heads, head dim 16, θ = 10^6, vocab 200). Nothing in hec assumes a shape.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { argmax, compileForTest, maxAbsDiff, runTeacherForced } from '../helpers/hec-run.ts';
import { buildLlamaOnnx } from '../helpers/onnx-build.ts';
import { ortTeacherForced } from '../helpers/ort.ts';

const generated = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'hec-shapes-'));
  const path = join(dir, 'gqa-6x3-hd16.onnx');
  writeFileSync(path, buildLlamaOnnx({ numLayers: 2, numHeads: 6, numKvHeads: 3, headDim: 16, intermediateSize: 120, vocabSize: 200, ropeTheta: 1e6, rmsNormEps: 1e-6, tied: false, seed: 7 }).bytes);
  return path;
})();

const CASES: { name: string; path: string }[] = [
  { name: 'llama-mqa (legacy export, MQA, tied)', path: 'models/llama-mqa.decode.onnx' },
  { name: 'llama-mqa (dynamo export, external data)', path: 'models/llama-mqa.decode.dynamo.onnx' },
  { name: 'tiny-gqa fixture (head dim 8, θ 5e5, tied)', path: 'test/fixtures/models/tiny-gqa.decode.onnx' },
  { name: 'tiny-mha fixture (1 layer, MHA)', path: 'test/fixtures/models/tiny-mha.decode.onnx' },
  { name: 'generated 6 heads / 3 KV heads, head dim 16', path: generated },
];
const TOKENS = [1, 5, 9, 17, 33, 2, 40, 11];
/**
 * max |logit − onnxruntime| ≤ REL_TOL · max |logit| (the README's figure). Measured 2026-12-02 (test/bench/RESULTS.md):
 * 3.3e-5 relative for llama-mqa (8.1e-5 at logit scale 2.43), ≤ 5e-7 relative for the others; 3× headroom.
 */
const REL_TOL = 1e-4;

describe('other Llama shapes on sim vs onnxruntime', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { plan } = await compileForTest(c.path, { maxContext: 32 });
      const hec = await runTeacherForced(plan, c.path, TOKENS);
      const ort = await ortTeacherForced(c.path, TOKENS);
      let err = 0;
      let scale = 1;
      hec.forEach((l, i) => {
        err = Math.max(err, maxAbsDiff(l, ort[i]!));
        for (const v of ort[i]!) scale = Math.max(scale, Math.abs(v));
        expect(argmax(l), `top-1 at position ${i}`).toBe(argmax(ort[i]!));
      });
      console.log(`${c.name}: max |logit − ort| = ${err.toExponential(3)} (logit scale ${scale.toFixed(2)})`);
      expect(err).toBeLessThan(REL_TOL * scale);
    });
  }
});
