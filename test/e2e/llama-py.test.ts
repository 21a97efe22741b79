/**
 * Issue #2's acceptance run: the bundled llama-py through hec's plan (polynomial approximations, bootstraps and the
 * encrypted-KV-cache layout as compiled) on `sim`, against onnxruntime-node on the same ONNX file.
 * Parameters: TEST_INSECURE_N13_DEEP (the N16 chain (h = 192 secret) at N = 2^13, 4,096 slots, so the run fits the fast tier); the
 * packing, approximations and level plan are those of any preset with that chain.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseModule } from '../../ir/text/index.ts';
import { printModule } from '../../ir/text/printer.ts';
import { argmax, compileForTest, maxAbsDiff, runTeacherForced, topGap } from '../helpers/hec-run.ts';
import { ortTeacherForced } from '../helpers/ort.ts';

const MODEL = 'models/llama-py.decode.onnx';
const ref = JSON.parse(readFileSync('models/llama-py.reference.json', 'utf8')) as { prompt_bytes: number[]; greedy_tokens: number[] };
/**
 * Logit tolerance (the README's figure): the approximations' error, measured 4.7e-4 over the 128 positions
 * (2026-11-23 and 2026-12-02, test/bench/RESULTS.md; `sim` is deterministic); ≈ 3× headroom.
 */
const LOGIT_TOL = 1.5e-3;

describe('llama-py end to end on sim vs onnxruntime (issue #2)', () => {
  it('teacher-forced prompt + 24 reference tokens: top-1 matches at every generated position, logits within tolerance', async () => {
    const { plan, text } = await compileForTest(MODEL, { maxContext: 160 });
    expect(plan.module.attrs.layers).toBe('4 of 4');
    expect(printModule(parseModule(text.slice(0, text.lastIndexOf('// sha256'))).module, { header: 'hec.plan' })).toBe(text.slice(0, text.lastIndexOf('// sha256')));
    const tokens = [...ref.prompt_bytes, ...ref.greedy_tokens];
    const hec = await runTeacherForced(plan, MODEL, tokens);
    const ort = await ortTeacherForced(MODEL, tokens);
    let worst = 0;
    const flips: string[] = [];
    hec.forEach((logits, i) => {
      worst = Math.max(worst, maxAbsDiff(logits, ort[i]!));
      if (argmax(logits) !== argmax(ort[i]!)) flips.push(`position ${i}: hec ${argmax(logits)} vs ort ${argmax(ort[i]!)} (ort gap ${topGap(ort[i]!).toFixed(4)})`);
    });
    const P = ref.prompt_bytes.length;
    const generated = ref.greedy_tokens.map((_, k) => argmax(hec[P - 1 + k]!));
    const nearTies = ref.greedy_tokens.map((_, k) => topGap(ort[P - 1 + k]!)).filter((g) => g < 0.01).length;
    console.log(`llama-py: ${tokens.length} positions, max |logit − ort| = ${worst.toExponential(3)}, top-1 flips: ${flips.length} ${flips.join('; ')}, near-ties (gap < 0.01) among generated: ${nearTies}`);
    expect(worst).toBeLessThan(LOGIT_TOL);
    expect(generated).toEqual(ref.greedy_tokens);
    expect(flips).toEqual([]);
  });
});
