import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import { createState, decodeStep } from '../../../compiler/model-eval.ts';
import { loadLlamaBytes } from '../../../compiler/onnx/frontend.ts';
import { buildLlamaOnnx, type BuildConfig } from '../../helpers/onnx-build.ts';
import { ORT_LOGIT_TOL, ortTeacherForced } from '../../helpers/ort.ts';

const base = { rmsNormEps: 1e-5, tied: false };
const configs: (BuildConfig & { label: string })[] = [
  { ...base, label: 'D=8, 8 heads / 2 KV, 3 layers, θ=500000, tied, eps 1e-6', numLayers: 3, numHeads: 8, numKvHeads: 2, headDim: 8,
    intermediateSize: 96, vocabSize: 97, ropeTheta: 500000, rmsNormEps: 1e-6, tied: true, seed: 11 },
  { ...base, label: 'D=64, 2 heads / 2 KV (MHA), 1 layer, untied', numLayers: 1, numHeads: 2, numKvHeads: 2, headDim: 64,
    intermediateSize: 200, vocabSize: 50, ropeTheta: 10000, seed: 12 },
  { ...base, label: 'D=16, 6 heads / 3 KV, 2 layers, θ=1e6, opset 18', numLayers: 2, numHeads: 6, numKvHeads: 3, headDim: 16,
    intermediateSize: 150, vocabSize: 300, ropeTheta: 1e6, seed: 13, opset: 18 },
  { ...base, label: 'hidden 48 ≠ heads·D 64, 4 heads / 1 KV', hiddenSize: 48, numLayers: 2, numHeads: 4, numKvHeads: 1, headDim: 16,
    intermediateSize: 64, vocabSize: 40, ropeTheta: 10000, seed: 14 },
];

describe('frontend + model-eval on generated Llama shapes', () => {
  for (const c of configs) {
    it(c.label, async () => {
      const { bytes } = buildLlamaOnnx(c);
      const m = loadLlamaBytes(bytes, `generated:${c.label}`);
      expect(m.config).toEqual({
        hiddenSize: c.hiddenSize ?? c.numHeads * c.headDim, numLayers: c.numLayers, numHeads: c.numHeads,
        numKvHeads: c.numKvHeads, headDim: c.headDim, intermediateSize: c.intermediateSize, vocabSize: c.vocabSize,
        ropeTheta: c.ropeTheta, rmsNormEps: c.rmsNormEps, tiedEmbeddings: c.tied, ropeStyle: 'rotate_half',
      });
      const tokens = Array.from({ length: 12 }, (_x, i) => (i * 7 + 3) % c.vocabSize);
      const want = await ortTeacherForced(bytes, tokens);
      const state = createState(m);
      let maxErr = 0;
      tokens.forEach((t, pos) => {
        const got = decodeStep(m, state, t, pos);
        for (let j = 0; j < got.length; j++) maxErr = Math.max(maxErr, Math.abs(got[j]! - want[pos]![j]!));
      });
      console.log(`${c.label}: max |logit error| vs onnxruntime = ${maxErr.toExponential(2)}`);
      expect(maxErr).toBeLessThan(ORT_LOGIT_TOL);
    });
  }
});

function hecOf(f: () => unknown): HecError {
  try {
    f();
  } catch (e) {
    if (e instanceof HecError) return e;
    throw e;
  }
  throw new Error('expected a HecError');
}

describe('frontend rejects graphs it cannot model, naming the node', () => {
  const cfg: BuildConfig = { numLayers: 1, numHeads: 4, numKvHeads: 2, headDim: 8, intermediateSize: 40, vocabSize: 30,
    ropeTheta: 10000, rmsNormEps: 1e-5, tied: false, seed: 5 };

  it('an op hec does not know (Erf GELU MLP)', () => {
    const e = hecOf(() => loadLlamaBytes(buildLlamaOnnx({ ...cfg, variant: 'erf-gelu-mlp' }).bytes));
    expect(e.code).toBe('HEC1010');
    expect(e.diagnostic.location?.onnxOp).toBe('Erf');
    expect(e.diagnostic.location?.onnxNode).toMatch(/mlp/);
    expect(e.render()).toMatch(/unsupported op Erf[\s\S]*fix:/);
  });

  it('an unknown op that reaches no output is ignored', () => {
    const m = loadLlamaBytes(buildLlamaOnnx({ ...cfg, variant: 'dead-unknown-op' }).bytes);
    expect(m.config.numHeads).toBe(4);
  });

  it('a known op in the wrong place (Tanh gate instead of SiLU)', () => {
    const e = hecOf(() => loadLlamaBytes(buildLlamaOnnx({ ...cfg, variant: 'tanh-gate' }).bytes));
    expect(e.code).toBe('HEC1020');
    expect(e.render()).toMatch(/SwiGLU.*Tanh/);
    expect(e.diagnostic.location?.onnxOp).toBe('Tanh');
  });

  it('attention without 1/√D scaling', () => {
    const e = hecOf(() => loadLlamaBytes(buildLlamaOnnx({ ...cfg, variant: 'no-attention-scale' }).bytes));
    expect(e.code).toBe('HEC1022');
    expect(e.render()).toMatch(/attention scale is 1, expected 1\/√8/);
  });

  it('opset older than 17', () => {
    const e = hecOf(() => loadLlamaBytes(buildLlamaOnnx({ ...cfg, opset: 13 }).bytes));
    expect(e.code).toBe('HEC1003');
    expect(e.render()).toMatch(/opset 13.*17/);
  });
});
