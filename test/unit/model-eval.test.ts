import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OBSERVED_KINDS, createState, decodeStep, greedyGenerate, type ObservedKind } from '../../compiler/model-eval.ts';
import { loadLlamaSync } from '../../compiler/onnx/frontend.ts';
import { ORT_LOGIT_TOL, ortTeacherForced } from '../helpers/ort.ts';
import { rewireFinalNormAfterLayer } from '../helpers/onnx-truncate.ts';

// Measured max |Δlogit| vs onnxruntime (float32) over the teacher-forced prompt: py 1.2e-5 (104 positions), mqa 1.5e-6,
// mqa-dynamo 1.4e-6; first K layers ≤ 5.0e-6 (test/bench/RESULTS.md). ORT_LOGIT_TOL (5e-5) is the README's figure.
const TOL = ORT_LOGIT_TOL;

const cases = [
  { name: 'llama-py', model: 'models/llama-py.decode.onnx', ref: 'models/llama-py.reference.json', positions: Infinity },
  { name: 'llama-mqa', model: 'models/llama-mqa.decode.onnx', ref: 'models/llama-mqa.reference.json', positions: Infinity },
  { name: 'llama-mqa dynamo', model: 'models/llama-mqa.decode.dynamo.onnx', ref: 'models/llama-mqa.dynamo.reference.json', positions: 8 },
];

describe('model-eval matches onnxruntime', () => {
  for (const c of cases) {
    it(`${c.name}: teacher-forced logits and greedy tokens`, async () => {
      const ref = JSON.parse(readFileSync(c.ref, 'utf8')) as { prompt_bytes: number[]; greedy_tokens: number[] };
      const model = loadLlamaSync(c.model);
      const prompt = ref.prompt_bytes.slice(0, c.positions);
      const want = await ortTeacherForced(c.model, prompt);
      const state = createState(model);
      let maxErr = 0;
      prompt.forEach((tok, pos) => {
        const got = decodeStep(model, state, tok, pos);
        for (let j = 0; j < got.length; j++) maxErr = Math.max(maxErr, Math.abs(got[j]! - want[pos]![j]!));
      });
      console.log(`${c.name}: max |logit error| vs onnxruntime over ${prompt.length} positions = ${maxErr.toExponential(2)}`);
      expect(maxErr).toBeLessThan(TOL);
      const { tokens } = greedyGenerate(model, ref.prompt_bytes, ref.greedy_tokens.length);
      expect(tokens).toEqual(ref.greedy_tokens);
    });
  }
});

// `--layers K` truth: model-eval's first-K-layers evaluation against onnxruntime on the graph with its final norm
// rewired to read the residual stream after layer K−1 (test/helpers/onnx-truncate.ts). Same tolerance as above.
describe('model-eval with only the first K layers matches onnxruntime on the rewired graph', () => {
  const truncCases = [
    { name: 'llama-py', model: 'models/llama-py.decode.onnx', ks: [1, 2, 3], tokens: [...Buffer.from('def fibonacci(n):', 'utf8')] },
    { name: 'tiny-gqa', model: 'test/fixtures/models/tiny-gqa.decode.onnx', ks: [1], tokens: [3, 1, 4, 1, 5, 9, 2, 6] },
  ];
  for (const c of truncCases) {
    it(`${c.name}: K = ${c.ks.join(', ')}`, async () => {
      const model = loadLlamaSync(c.model);
      const full = await ortTeacherForced(c.model, c.tokens);
      for (const k of c.ks) {
        const want = await ortTeacherForced(rewireFinalNormAfterLayer(readFileSync(c.model), k), c.tokens);
        const state = createState(model, { layers: k });
        let maxErr = 0;
        let fromFull = 0;
        c.tokens.forEach((tok, pos) => {
          const got = decodeStep(model, state, tok, pos);
          for (let j = 0; j < got.length; j++) {
            maxErr = Math.max(maxErr, Math.abs(got[j]! - want[pos]![j]!));
            fromFull = Math.max(fromFull, Math.abs(want[pos]![j]! - full[pos]![j]!));
          }
        });
        console.log(`${c.name} first ${k} of ${model.config.numLayers} layers: max |logit error| vs onnxruntime = ${maxErr.toExponential(2)} (max |truncated − full| = ${fromFull.toFixed(3)})`);
        expect(maxErr).toBeLessThan(TOL);
        // The rewired graph really computes something else than the full model (else this test could not fail).
        expect(fromFull).toBeGreaterThan(100 * TOL);
        expect(state.keys).toHaveLength(k);
      }
    });
  }

  it('layers = all is the full model, bit for bit; out-of-range counts are refused', () => {
    const model = loadLlamaSync('models/llama-mqa.decode.onnx');
    const a = createState(model);
    const b = createState(model, { layers: model.config.numLayers });
    for (const [pos, tok] of [104, 101, 108].entries()) expect(decodeStep(model, b, tok, pos)).toEqual(decodeStep(model, a, tok, pos));
    for (const bad of [0, model.config.numLayers + 1, 1.5]) expect(() => createState(model, { layers: bad })).toThrow(/HEC0006/);
  });
});

describe('model-eval observer', () => {
  it('reports every kind with the documented sizes', () => {
    const model = loadLlamaSync('models/llama-mqa.decode.onnx');
    const { numLayers: L, numHeads: H, intermediateSize: F, hiddenSize, vocabSize } = model.config;
    const seen = new Map<ObservedKind, { layer: number; n: number }[]>();
    const state = createState(model);
    for (const [pos, tok] of [104, 101, 108].entries()) {
      seen.clear();
      decodeStep(model, state, tok, pos, (kind, layer, values) => {
        if (!seen.has(kind)) seen.set(kind, []);
        seen.get(kind)!.push({ layer, n: values.length });
        if (kind === 'softmax_denominator') for (const v of values) expect(v).toBeGreaterThanOrEqual(1);
        if (kind === 'rms_mean_square') expect(values[0]).toBeGreaterThan(0);
      });
      const T = pos + 1;
      expect([...seen.keys()].sort()).toEqual([...OBSERVED_KINDS].sort());
      expect(seen.get('rms_mean_square')!.map((e) => e.layer)).toEqual([...Array.from({ length: L }, (_x, l) => [l, l]).flat(), -1]);
      expect(seen.get('attention_scores')!).toEqual(Array.from({ length: L }, (_x, layer) => ({ layer, n: H * T })));
      expect(seen.get('softmax_denominator')!.every((e) => e.n === H)).toBe(true);
      expect(seen.get('silu_input')!.every((e) => e.n === F)).toBe(true);
      expect(seen.get('residual')!.length).toBe(2 * L);
      expect(seen.get('residual')!.every((e) => e.n === hiddenSize)).toBe(true);
      expect(seen.get('logits')).toEqual([{ layer: -1, n: vocabSize }]);
    }
  });
});
