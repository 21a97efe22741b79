/**
 * Slow tier (HEC_SLOW=1): free greedy generation with the bundled llama-py at the secure N16_BOOT_DENSE parameters on `sim`
 * — the plan the README's first command runs — reproduces onnxruntime's 24 reference tokens.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLlamaSync } from '../../compiler/onnx/frontend.ts';
import { weightStore } from '../../compiler/weights.ts';
import { simBackend } from '../../runtime/backends/sim/index.ts';
import { DecodeSession } from '../../runtime/session.ts';
import { argmax, compileForTest } from '../helpers/hec-run.ts';

const MODEL = 'models/llama-py.decode.onnx';
const ref = JSON.parse(readFileSync('models/llama-py.reference.json', 'utf8')) as { prompt_bytes: number[]; greedy_tokens: number[] };

describe('llama-py free greedy generation at N16_BOOT_DENSE (slow)', () => {
  it('reproduces the 24 reference tokens', async () => {
    const { plan } = await compileForTest(MODEL, { preset: 'N16_BOOT_DENSE', allowInsecure: false, maxContext: 256, bootstrapCalibrationTokens: 16 });
    const session = await DecodeSession.create(plan, simBackend, weightStore(loadLlamaSync(MODEL)));
    const generated: number[] = [];
    try {
      let logits = new Float64Array();
      for (const t of ref.prompt_bytes) {
        logits = session.step(t);
        await new Promise((r) => setImmediate(r));
      }
      while (generated.length < ref.greedy_tokens.length) {
        const next = argmax(logits);
        generated.push(next);
        if (generated.length < ref.greedy_tokens.length) logits = session.step(next);
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      session.dispose();
    }
    console.log(`generated ${JSON.stringify(Buffer.from(generated).toString('latin1'))}`);
    expect(generated).toEqual(ref.greedy_tokens);
  });
});
