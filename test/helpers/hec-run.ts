/**
 * Compile a model in-process and run it token by token on a backend (default `sim`): the e2e tests' harness.
 */
import { compileModel, type CompileOptions } from '../../compiler/driver.ts';
import { argmax } from '../../compiler/model-eval.ts';
import { loadLlamaSync } from '../../compiler/onnx/frontend.ts';
import { weightStore } from '../../compiler/weights.ts';
import type { Backend } from '../../runtime/backend.ts';
import { simBackend } from '../../runtime/backends/sim/index.ts';
import { parsePlan, serializePlan, type Plan } from '../../runtime/plan.ts';
import { DecodeSession } from '../../runtime/session.ts';

export async function compileForTest(path: string, opts: Partial<CompileOptions> = {}): Promise<{ plan: Plan; text: string }> {
  const r = await compileModel(path, { preset: 'TEST_INSECURE_N13_DEEP', allowInsecure: true, maxContext: 64, bootstrapCalibrationTokens: 8, ...opts });
  const text = serializePlan(r.module);
  const plan = parsePlan(text);
  // Every plan a test produces must print back to the identical text (issue #2: IR round trip).
  if (serializePlan(plan.module) !== text) throw new Error(`plan for ${path} does not round-trip through the parser`);
  return { plan, text };
}

/** Teacher-forced logits of every token through the plan. */
export async function runTeacherForced(plan: Plan, modelPath: string, tokens: number[], backend: Backend = simBackend): Promise<Float64Array[]> {
  return (await runTeacherForcedTimed(plan, modelPath, tokens, backend)).logits;
}

/** runTeacherForced, also timing the session set-up (keys) and each step, in seconds. */
export async function runTeacherForcedTimed(
  plan: Plan,
  modelPath: string,
  tokens: number[],
  backend: Backend = simBackend,
): Promise<{ logits: Float64Array[]; setupS: number; stepS: number[] }> {
  const t0 = performance.now();
  const session = await DecodeSession.create(plan, backend, weightStore(loadLlamaSync(modelPath)));
  const setupS = (performance.now() - t0) / 1000;
  try {
    const logits: Float64Array[] = [];
    const stepS: number[] = [];
    for (const t of tokens) {
      const ts = performance.now();
      logits.push(session.step(t));
      stepS.push((performance.now() - ts) / 1000);
      await new Promise((r) => setImmediate(r)); // let the test runner's RPC breathe between long steps
    }
    return { logits, setupS, stepS };
  } finally {
    session.dispose();
  }
}

export { argmax };

/** Gap between the best and second-best logit. */
export function topGap(v: ArrayLike<number>): number {
  const b = argmax(v);
  let second = -Infinity;
  for (let i = 0; i < v.length; i++) if (i !== b && v[i]! > second) second = v[i]!;
  return v[b]! - second;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
