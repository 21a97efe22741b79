/**
 * Issue #13 (fast tier): llama-mqa compiled for its maximum context (1024 positions, 4 cache ciphertexts per layer at
 * 2^12 slots) runs on `sim` at contexts 1, 255–257, 511–513 and 1024 — every cache-ciphertext boundary and the full
 * cache — against onnxruntime. Before each window onnxruntime's cache of the earlier tokens becomes the plan's
 * encrypted cache (test/helpers/long-context.ts), so the long positions cost a few steps, not a thousand. Every
 * bootstrap and polynomial input is checked against its range by `sim` (HEC5106 / HEC5114); the headroom is printed.
 * The other bundled models and llama-recall's passkey run in long-context.slow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { compileForTest } from '../helpers/hec-run.ts';
import { boundaryWindows, compareWindows, longTokens, teacherForceWindows } from '../helpers/long-context.ts';

/** As test/e2e/llama-py.test.ts: the approximations' error is ~1e-4 on logits (printed); 10–50× headroom. */
const LOGIT_TOL = 5e-3;

describe('long contexts on sim vs onnxruntime (issue #13)', () => {
  it('llama-mqa at --max-context 1024: top-1 equal and logits within tolerance at positions 0, 254–256, 510–512, 1023', async () => {
    const maxContext = 1024;
    const { plan } = await compileForTest('models/llama-mqa.decode.onnx', { maxContext });
    const windows = boundaryWindows(maxContext);
    const r = await teacherForceWindows(plan, 'models/llama-mqa.decode.onnx', longTokens('models/llama-mqa.reference.json', maxContext), windows);
    const { positions, worst, flips } = compareWindows(windows, r);
    console.log(`llama-mqa @${maxContext}: positions ${positions.join(',')}: max |logit − ort| ${worst.toExponential(3)}, flips ${flips.length}; headroom: bootstrap ${r.stats.bootstrap.ratio.toFixed(4)} of range ${r.stats.bootstrap.bound}, poly ${r.stats.poly.ratio.toFixed(4)} of domain ${r.stats.poly.bound}; by class ${JSON.stringify(r.headroom)}`);
    expect(positions).toEqual([0, 254, 255, 256, 510, 511, 512, 1023]);
    expect(worst).toBeLessThan(LOGIT_TOL);
    expect(flips).toEqual([]);
    expect(r.stats.count.bootstrap).toBeGreaterThan(0);
    expect(r.stats.bootstrap.ratio).toBeLessThanOrEqual(1);
    expect(r.stats.poly.ratio).toBeLessThanOrEqual(1 + 1e-9);
  });
});
