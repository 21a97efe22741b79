/**
 * `--layers K` end to end on `sim`: llama-py compiled with only its first K decoder layers (then the final RMSNorm and
 * the LM head) against two independent truths of the same truncation — the float64 reference
 * (model-eval `createState(model, {layers: K})`) and onnxruntime on the graph whose final norm is rewired to read the
 * residual stream after layer K−1 (test/helpers/onnx-truncate.ts).
 * Parameters: TEST_INSECURE_N13_DEEP (the N16 chain (h = 192 secret) at N = 2^13, 4,096 slots, insecure, for test time), as llama-py.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createState, decodeStep } from '../../compiler/model-eval.ts';
import { loadLlamaSync } from '../../compiler/onnx/frontend.ts';
import { planLayers } from '../../compiler/truncate.ts';
import type { LlamaLayer } from '../../ir/model.ts';
import { rewireFinalNormAfterLayer } from '../helpers/onnx-truncate.ts';
import { ORT_LOGIT_TOL, ortTeacherForced } from '../helpers/ort.ts';
import { argmax, compileForTest, maxAbsDiff, runTeacherForced } from '../helpers/hec-run.ts';

const MODEL = 'models/llama-py.decode.onnx';
const ref = JSON.parse(readFileSync('models/llama-py.reference.json', 'utf8')) as { prompt_bytes: number[] };
/**
 * The approximations' error against the float64 reference of the truncation (the README's figure). Measured 2026-12-02
 * over these 24 positions (test/bench/RESULTS.md): 2.04e-5 (K = 1), 1.88e-5 (K = 2); ≈ 4× over the larger.
 */
const LOGIT_TOL = 8e-5;
/** model-eval vs onnxruntime (float32) differ by < ORT_LOGIT_TOL (test/unit/model-eval.test.ts). */
const ORT_TOL = LOGIT_TOL + ORT_LOGIT_TOL;

describe('llama-py with only its first K layers on sim', () => {
  const full = loadLlamaSync(MODEL);
  const tokens = ref.prompt_bytes.slice(0, 24);
  for (const k of [1, 2]) {
    it(`K = ${k}: header says truncated, only layers < ${k} are read, logits match the truncated reference and onnxruntime`, async () => {
      const { plan, text } = await compileForTest(MODEL, { layers: k, maxContext: 32 });
      expect(plan.module.attrs.layers).toBe(`${k} of 4 (truncated)`);
      expect(planLayers(plan.module)).toEqual({ kept: k, of: 4, truncated: true });
      expect((plan.module.attrs.model as { config: { num_layers: number } }).config.num_layers).toBe(4);

      // The weights the plan reads: layer k−1's are there, no later layer's are.
      const read = new Set([...text.matchAll(/(?:weight|col_scale) = "([^"]*)"/g)].map((m) => m[1]!));
      const namesOf = (layers: LlamaLayer[]) => layers.flatMap((L) => [L.inputNorm, L.postAttentionNorm, ...[L.q, L.k, L.v, L.o, L.gate, L.up, L.down].map((l) => l.weight)].map((w) => w.name));
      expect(namesOf(full.layers.slice(k - 1, k)).every((n) => read.has(n))).toBe(true);
      expect(namesOf(full.layers.slice(k)).filter((n) => read.has(n))).toEqual([]);

      const hec = await runTeacherForced(plan, MODEL, tokens);
      const state = createState(full, { layers: k });
      const want = tokens.map((t, pos) => decodeStep(full, state, t, pos));
      const ort = await ortTeacherForced(rewireFinalNormAfterLayer(readFileSync(MODEL), k), tokens);
      const fullOrt = await ortTeacherForced(MODEL, tokens);
      let worst = 0;
      let worstOrt = 0;
      let fromFull = 0;
      hec.forEach((l, i) => {
        worst = Math.max(worst, maxAbsDiff(l, want[i]!));
        worstOrt = Math.max(worstOrt, maxAbsDiff(l, ort[i]!));
        fromFull = Math.max(fromFull, maxAbsDiff(l, fullOrt[i]!));
        expect(argmax(l), `top-1 at position ${i}`).toBe(argmax(want[i]!));
        expect(argmax(l), `top-1 at position ${i} vs onnxruntime`).toBe(argmax(ort[i]!));
      });
      console.log(`llama-py first ${k} of 4 layers on sim: ${tokens.length} positions, max |logit − float64 ref| = ${worst.toExponential(2)}, max |logit − ort (rewired)| = ${worstOrt.toExponential(2)}, max |logit − full model| = ${fromFull.toFixed(2)}`);
      expect(worst).toBeLessThan(LOGIT_TOL);
      expect(worstOrt).toBeLessThan(ORT_TOL);
      expect(fromFull).toBeGreaterThan(100 * LOGIT_TOL); // the plan is really not the full model
    });
  }
});
