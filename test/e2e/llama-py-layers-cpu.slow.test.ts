/**
 * Slow tier (HEC_SLOW=1): several llama-py layers under real encryption on the `cpu` engine, end to end.
 *
 * llama-py compiled with `--layers 2` (embedding → decoder layers 0 and 1 → final RMSNorm → LM head: NOT the full
 * model; 114 bootstraps per token, where the whole model needs 215 at this size: impractical in a test) at
 * TEST_INSECURE_N13_DEEP — the N16 modulus chain (h = 192 secret) (25 Q primes, 9 levels after bootstrapping) at N = 2^13 (4,096 slots):
 * INSECURE, chosen for test time; the plan's packing, approximations and bootstrap placement are those of the secure
 * chain. Two positions teacher-forced, so the encrypted KV cache written at position 0 is read at position 1.
 * The same plan runs on `sim`; both are compared with the float64 reference of the same truncation
 * (model-eval `createState(model, {layers: 2})`, itself checked against onnxruntime on a rewired graph in
 * test/unit/model-eval.test.ts).
 * HEC_LLAMA_LAYERS=K runs another layer count (1 … 4; 36, 114, 169, 215 bootstraps per token) with the same bounds.
 * HEC_LLAMA_LAYERS=4 is the whole model (not truncated); it passes, but is left out of the default for time
 * (measured times per token in test/bench/RESULTS.md).
 */
import { describe, expect, it } from 'vitest';
import { createState, decodeStep } from '../../compiler/model-eval.ts';
import { loadLlamaSync } from '../../compiler/onnx/frontend.ts';
import { planLayers } from '../../compiler/truncate.ts';
import { loadOrSkip } from '../helpers/backends.ts';
import { argmax, compileForTest, maxAbsDiff, runTeacherForced, runTeacherForcedTimed, topGap } from '../helpers/hec-run.ts';

const MODEL = 'models/llama-py.decode.onnx';
const LAYERS = Number(process.env.HEC_LLAMA_LAYERS ?? 2);
/** 'de', the start of the reference prompt "def fibonacci(n):". */
const TOKENS = [100, 101];
/**
 * |sim − float64 reference|: the polynomial approximations' error. Measured 5.4e-6 for 2 layers and 2.7e-5 for the
 * whole model over these 2 positions (test/bench/RESULTS.md); ≈ 4× over the larger, the README's figure.
 */
const SIM_TOL = 1e-4;
/**
 * |cpu − sim|: CKKS noise, from encryption, rescaling, key switching and above all the 114 bootstraps per token (the
 * circuit's precision is asserted at N = 2^12 in test/unit/bootstrap/cpu.test.ts), grown through the later
 * layers and the LM head. Measured 2.2e-3 (position 0) and 1.3e-3 (position 1) for 2 layers, 2.7e-3 for 4
 * (test/bench/RESULTS.md); ≈ 4× over the worst, the README's figure.
 */
const CPU_TOL = 1e-2;
/**
 * Measured for 2 layers (niced, other jobs on the 2-core machine): 5.2 min (110–150 s per token); 12–15 min while other
 * jobs saturated the machine (up to 530 s per token); the limit leaves room.
 */
const TIMEOUT_MS = 45 * 60_000;

describe(`llama-py, first ${LAYERS} layers, on the cpu engine under encryption (slow)`, () => {
  it(`${TOKENS.length} positions with bootstrapping: cpu decrypts to sim's logits, both match the truncated float64 reference`, async (t) => {
    const cpu = await loadOrSkip('cpu', t);
    if (cpu === null) return;
    const t0 = Date.now();
    const { plan } = await compileForTest(MODEL, { layers: LAYERS, maxContext: 8 });
    const compileS = (Date.now() - t0) / 1000;
    expect(planLayers(plan.module)).toEqual({ kept: LAYERS, of: 4, truncated: LAYERS < 4 });
    const boots = plan.func.ops.filter((o) => o.name === 'ckks.bootstrap').length;

    const model = loadLlamaSync(MODEL);
    const state = createState(model, { layers: LAYERS });
    const ref = TOKENS.map((tok, pos) => decodeStep(model, state, tok, pos));
    const sim = await runTeacherForced(plan, MODEL, TOKENS);
    const { logits: got, setupS, stepS } = await runTeacherForcedTimed(plan, MODEL, TOKENS, cpu);

    const rows = TOKENS.map((_, i) => ({
      cpuSim: maxAbsDiff(got[i]!, sim[i]!),
      simRef: maxAbsDiff(sim[i]!, ref[i]!),
      cpuRef: maxAbsDiff(got[i]!, ref[i]!),
      gap: topGap(ref[i]!),
    }));
    const worst = (k: 'cpuSim' | 'simRef' | 'cpuRef') => Math.max(...rows.map((r) => r[k]));
    console.log(
      `llama-py first ${LAYERS} of 4 layers on cpu (TEST_INSECURE_N13_DEEP, N = 2^13, 4,096 slots, insecure): ${boots} bootstraps per token, ` +
        `${stepS.map((s) => s.toFixed(1)).join(' / ')} s per token on cpu (key generation ${setupS.toFixed(1)} s; compile ${compileS.toFixed(1)} s)\n` +
        rows.map((r, i) => `  position ${i}: |cpu − sim| ${r.cpuSim.toExponential(2)}, |sim − ref| ${r.simRef.toExponential(2)}, |cpu − ref| ${r.cpuRef.toExponential(2)}, top-1 gap ${r.gap.toFixed(3)}`).join('\n') +
        `\n  max |cpu − sim| = ${worst('cpuSim').toExponential(2)} (tolerance ${CPU_TOL}), max |sim − ref| = ${worst('simRef').toExponential(2)} (tolerance ${SIM_TOL}), max |cpu − ref| = ${worst('cpuRef').toExponential(2)}`,
    );
    TOKENS.forEach((_, i) => {
      expect(argmax(sim[i]!), `sim top-1 at position ${i}`).toBe(argmax(ref[i]!));
      expect(argmax(got[i]!), `cpu top-1 at position ${i}`).toBe(argmax(ref[i]!));
    });
    expect(worst('simRef')).toBeLessThan(SIM_TOL);
    expect(worst('cpuSim')).toBeLessThan(CPU_TOL);
    expect(worst('cpuRef')).toBeLessThan(CPU_TOL + SIM_TOL);
  }, TIMEOUT_MS);
});
