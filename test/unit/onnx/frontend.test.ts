import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import { loadLlama, loadLlamaSync } from '../../../compiler/onnx/frontend.ts';
import { foldGraph } from '../../../compiler/onnx/graph.ts';
import { loadOnnx } from '../../../compiler/onnx/load.ts';

describe('ONNX frontend on the bundled models', () => {
  it('llama-py: reads the config from the graph', async () => {
    const t0 = performance.now();
    const m = await loadLlama('models/llama-py.decode.onnx');
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(2000);
    expect(m.config).toEqual({
      hiddenSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 2, headDim: 32, intermediateSize: 352, vocabSize: 256,
      ropeTheta: 10000, rmsNormEps: 1e-5, tiedEmbeddings: false, ropeStyle: 'rotate_half',
    });
    expect(m.source.opset).toBe(17);
    expect(m.source.graphOnly).toBe(false);
    expect(m.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.layers).toHaveLength(4);
    const l0 = m.layers[0]!;
    expect(l0.q.weight.shape).toEqual([128, 128]);
    expect(l0.k.weight.shape).toEqual([64, 128]);
    expect(l0.gate.weight.shape).toEqual([352, 128]);
    expect(l0.down.weight.shape).toEqual([128, 352]);
    expect(m.lmHead.weight.shape).toEqual([256, 128]);
    expect(l0.q.weight.onnxNode).toContain('q_proj');
    // [out, in] orientation: the ONNX initializer is [in, out].
    const init = loadOnnx('models/llama-py.decode.onnx').initializers.get('onnx::MatMul_1253')!;
    expect(l0.k.weight.data![5 * 128 + 7]).toBe(init.data![7 * 64 + 5]);
  });

  it('llama-mqa legacy and dynamo agree, tied embeddings detected', () => {
    const a = loadLlamaSync('models/llama-mqa.decode.onnx');
    const b = loadLlamaSync('models/llama-mqa.decode.dynamo.onnx');
    for (const m of [a, b]) {
      expect(m.config).toMatchObject({ hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 1, headDim: 16,
        intermediateSize: 160, vocabSize: 256, ropeTheta: 10000, rmsNormEps: 1e-5, tiedEmbeddings: true });
      expect(m.lmHead.weight.data).toEqual(m.embedding.data);
    }
    expect(b.source.opset).toBe(18);
    expect(b.source.exporter).toContain('dynamo');
    expect(a.source.exporter).toContain('legacy');
  });

  it('folds the shape and mask soup for any past length', () => {
    const loaded = loadOnnx('models/llama-py.decode.onnx');
    for (const past of [0, 1, 17]) {
      const g = foldGraph(loaded, past);
      expect(g.tensors.get('present.0.key')!.shape).toEqual([1, 2, past + 1, 32]);
      expect(g.live.some((n) => n.opType === 'Shape' || n.opType === 'ConstantOfShape' || n.opType === 'Range')).toBe(false);
      expect(g.live.length).toBeLessThan(loaded.nodes.length / 3);
    }
  });
});

function expectHec(f: () => unknown, code: string, ...parts: (string | RegExp)[]): HecError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(HecError);
    const h = e as HecError;
    expect(h.code).toBe(code);
    const text = h.render();
    expect(text).not.toMatch(/\n\s+at /);
    for (const p of parts) expect(text).toMatch(p);
    return h;
  }
  throw new Error('expected a HecError');
}

describe('ONNX frontend on bad inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hec-onnx-'));

  it('missing file', () => {
    expectHec(() => loadLlamaSync(join(dir, 'nope.onnx')), 'HEC1001', /cannot read/);
  });

  it('not an ONNX file', () => {
    const p = join(dir, 'text.onnx');
    writeFileSync(p, 'this is a README, not a model\n'.repeat(20));
    const e = expectHec(() => loadLlamaSync(p), 'HEC1002', /not .*ONNX model/);
    expect(e.render().split('\n')).toHaveLength(2); // message + fix
  });

  it('truncated ONNX file', () => {
    const p = join(dir, 'trunc.onnx');
    const bytes = readFileSync('models/llama-mqa.decode.onnx');
    writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    expectHec(() => loadLlamaSync(p), 'HEC1002', /truncated/);
  });

  it('graph-only model (external data absent) compiles shapes with null data', () => {
    copyFileSync('models/llama-mqa.decode.dynamo.onnx', join(dir, 'graph-only.onnx'));
    const m = loadLlamaSync(join(dir, 'graph-only.onnx'));
    expect(m.source.graphOnly).toBe(true);
    expect(m.config).toMatchObject({ hiddenSize: 64, numHeads: 4, numKvHeads: 1, headDim: 16, ropeTheta: 10000, tiedEmbeddings: true });
    expect(m.layers[0]!.q.weight.data).toBeNull();
    expect(m.layers[0]!.q.weight.shape).toEqual([64, 64]);
    expect(m.embedding.data).toBeNull();
  });

  it('external data file shorter than declared', () => {
    writeFileSync(join(dir, 'llama-mqa.decode.dynamo.onnx.data'), new Uint8Array(1000));
    copyFileSync('models/llama-mqa.decode.dynamo.onnx', join(dir, 'short2.onnx'));
    expectHec(() => loadLlamaSync(join(dir, 'short2.onnx')), 'HEC1004', /truncated/);
  });
});
