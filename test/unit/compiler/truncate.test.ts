/**
 * compiler/truncate.ts: which layers a truncated model keeps, the plan header attribute and its reader, HEC0006.
 */
import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import type { Module } from '../../../ir/module.ts';
import { loadLlamaSync } from '../../../compiler/onnx/frontend.ts';
import { checkLayerCount, layersAttr, planLayers, truncateModel } from '../../../compiler/truncate.ts';

const model = loadLlamaSync('models/llama-py.decode.onnx');

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof HecError) return `${e.code}: ${e.diagnostic.message}\nfix: ${e.diagnostic.fix}`;
    throw e;
  }
  return 'no error';
}

describe('truncateModel', () => {
  it('keeps the first K layers (the same tensors), the embedding, final norm and LM head, and says so', () => {
    const t = truncateModel(model, 2);
    expect(t.layers).toEqual(model.layers.slice(0, 2));
    expect(t.layers[1]!.q.weight).toBe(model.layers[1]!.q.weight);
    expect(t.config).toEqual({ ...model.config, numLayers: 2 });
    expect(t.embedding).toBe(model.embedding);
    expect(t.finalNorm).toBe(model.finalNorm);
    expect(t.lmHead).toBe(model.lmHead);
    expect(t.truncation).toEqual({ kept: 2, of: 4 });
    expect(model.layers).toHaveLength(4); // the loaded model is not changed
    expect(layersAttr(t)).toBe('2 of 4 (truncated)');
  });

  it('K = all layers is the model itself, not marked truncated', () => {
    expect(truncateModel(model, 4)).toBe(model);
    expect(layersAttr(model)).toBe('4 of 4');
  });

  it('refuses K outside 1 … layers with HEC0006 naming --layers and the valid range', () => {
    for (const bad of [0, 5, -1, 2.5, Number.NaN]) {
      const msg = code(() => truncateModel(model, bad));
      expect(msg).toMatch(/^HEC0006: --layers /);
      expect(msg).toMatch(/has 4 decoder layers/);
      expect(msg).toMatch(/fix: pass --layers K with K an integer from 1 to 4/);
    }
    expect(checkLayerCount(1, 1, 'm.onnx')).toBe(1);
  });
});

describe('planLayers', () => {
  const mod = (layers: unknown): Module => ({ version: 1, attrs: layers === undefined ? {} : { layers: layers as string }, funcs: [] });
  it('reads the header attribute', () => {
    expect(planLayers(mod('2 of 4 (truncated)'))).toEqual({ kept: 2, of: 4, truncated: true });
    expect(planLayers(mod('4 of 4'))).toEqual({ kept: 4, of: 4, truncated: false });
    expect(planLayers(mod(undefined))).toBeUndefined();
  });
  it('rejects inconsistent values with HEC5003', () => {
    for (const bad of ['2 of 4', '4 of 4 (truncated)', '5 of 4 (truncated)', '0 of 4 (truncated)', 'all']) {
      expect(code(() => planLayers(mod(bad)))).toMatch(/^HEC5003: /);
    }
  });
});
