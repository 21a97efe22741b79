/**
 * The plaintext policies against onnxruntime: `full` is the reference model, and `streaming` — one mask for every
 * layer and head — is exactly the exported graph run with that mask as its attention_mask (a hand-masked truth
 * computed by someone else's attention kernel).
 */
import { describe, expect, it } from 'vitest';
import { createState, decodeStep } from '../../../compiler/model-eval.ts';
import { evaluatePolicies } from '../../../compiler/kv-policy/evaluate.ts';
import { DEFAULT_PARAMS, kvPolicy } from '../../../compiler/kv-policy/index.ts';
import { PromptImportance } from '../../../compiler/kv-policy/importance.ts';
import { loadLlamaSync } from '../../../compiler/onnx/frontend.ts';
import { ORT_LOGIT_TOL, openOrtDecoder, ortTeacherForced } from '../../helpers/ort.ts';
import { seededRandom } from '../../helpers/seeded.ts';
import { HELD_OUT, prefillHeldOut, tracePolicy } from './harness.ts';

// model-eval vs onnxruntime (float32) is ~1e-5 on llama-py (test/unit/model-eval.test.ts); the same shared bound.
const TOL = ORT_LOGIT_TOL;

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('full', () => {
  it('equals the plain reference bit for bit and onnxruntime within ORT_LOGIT_TOL; its text cross-entropy matches one from onnxruntime logits', async () => {
    const T = 96;
    const steps = 32;
    const pre = prefillHeldOut('models/llama-py.decode.onnx', T);
    const tr = tracePolicy(pre, 'full', {}, steps);
    const plain = createState(pre.model);
    const tokens = HELD_OUT.slice(0, T + steps);
    tokens.forEach((t, i) => {
      const want = decodeStep(pre.model, plain, t, i);
      if (i >= T) expect(tr.steps[i - T]!.logits).toEqual(want);
    });
    const ort = await ortTeacherForced('models/llama-py.decode.onnx', tokens);
    const err = Math.max(...tr.steps.map((st, s) => maxAbs(st.logits, ort[T + s]!)));
    console.log(`full policy vs onnxruntime over ${steps} decoding steps: max |Δlogit| = ${err.toExponential(2)}`);
    expect(err).toBeLessThan(TOL);

    // The evaluator's scoring on one 128-byte window (prompt 96, steps feed bytes 96 … 126) against onnxruntime.
    const { full } = evaluatePolicies(pre.model, [], { text: { bytes: Uint8Array.from(HELD_OUT.slice(0, 128)), context: 128 } });
    let xent = 0;
    for (let i = 96; i <= 126; i++) {
      const row = ort[i]!;
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
      xent += lse - row[HELD_OUT[i + 1]!]!;
    }
    expect(full.text?.scoredBytes).toBe(31);
    expect(full.text?.xentNatsPerByte).toBeCloseTo(xent / 31, 4);
    expect(full.text?.klVsFull).toBe(0);
    expect(full.text?.top1Agreement).toBe(1);
    expect(full.text?.attentionMassKept).toBe(1);
  });
});

describe('streaming equals onnxruntime with the same attention_mask', () => {
  const cases = [
    { name: 'tiny-gqa (generated)', model: 'test/fixtures/models/tiny-gqa.decode.onnx', T: 40, steps: 12 },
    { name: 'llama-py', model: 'models/llama-py.decode.onnx', T: 48, steps: 6 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const model = loadLlamaSync(c.model);
      const rnd = seededRandom(5);
      const tokens = Array.from({ length: c.T + c.steps }, () => Math.floor(rnd() * model.config.vocabSize));
      for (const budget of [0.1, 0.3]) {
        const params = { ...DEFAULT_PARAMS, budget };
        const state = createState(model);
        const unmaskedState = createState(model);
        const ortDec = await openOrtDecoder(c.model);
        const selection = kvPolicy('streaming').begin(
          { state, promptLength: c.T, numHeads: model.config.numHeads, numKvHeads: model.config.numKvHeads, headDim: model.config.headDim, importance: new PromptImportance(state.layers, model.config.numHeads, c.T, params.observationFraction) },
          params,
        );
        let err = 0;
        let fromFull = 0;
        for (let pos = 0; pos < tokens.length; pos++) {
          const evicted = pos >= c.T;
          const got = decodeStep(model, state, tokens[pos]!, pos, undefined, evicted ? selection : undefined);
          const mask = evicted ? handMask(pos + 1, budget) : undefined;
          const want = await ortDec.step(tokens[pos]!, mask);
          err = Math.max(err, maxAbs(got, want));
          const unmasked = decodeStep(model, unmaskedState, tokens[pos]!, pos);
          if (evicted) fromFull = Math.max(fromFull, maxAbs(unmasked, want));
        }
        await ortDec.release();
        console.log(`${c.name} streaming ${budget}: max |Δlogit| vs masked onnxruntime = ${err.toExponential(2)}; masking moved logits by up to ${fromFull.toFixed(3)}`);
        expect(err).toBeLessThan(TOL);
        expect(fromFull).toBeGreaterThan(100 * TOL); // the mask really changed the computation
      }
    });
  }
});

/** Streaming's mask written out: 4 sinks and the most recent ⌈b·n⌉ − 4 of n positions. */
function handMask(n: number, budget: number): number[] {
  const keep = Math.ceil(budget * n);
  const sinks = Math.min(4, keep);
  return [...Array.from({ length: sinks }, (_x, i) => i), ...Array.from({ length: keep - sinks }, (_x, i) => n - (keep - sinks) + i)];
}
