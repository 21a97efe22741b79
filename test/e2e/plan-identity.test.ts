/**
 * Plan identity (issue #8, "a seam: pure refactor"): compiles every bundled model and the test fixtures at the
 * presets and contexts the tests use, and compares the plan text with the output recorded before the refactor
 * (sha256 and length of the whole text, plus its op counts so a mismatch says where to look). A refactor of the
 * lowering, the pass manager or the packings must leave every plan byte-identical.
 *
 * Regenerate (only for a change that is meant to alter plans, and say so in the commit):
 *   HEC_UPDATE_GOLDEN=1 npx vitest run test/e2e/plan-identity.test.ts
 * On a mismatch the new plan text is written to $TMPDIR/hec-plan-identity/<case>.plan for diffing.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileModel, type CompileOptions } from '../../compiler/driver.ts';
import { serializePlan } from '../../runtime/plan.ts';

interface IdentityCase {
  name: string;
  path: string;
  opts: Partial<CompileOptions>;
}

const TEST_PRESET: Partial<CompileOptions> = { preset: 'TEST_INSECURE_N13_DEEP', allowInsecure: true, bootstrapCalibrationTokens: 2 };

const CASES: IdentityCase[] = [
  { name: 'llama-py', path: 'models/llama-py.decode.onnx', opts: { ...TEST_PRESET, maxContext: 32 } },
  { name: 'llama-py-layers-1', path: 'models/llama-py.decode.onnx', opts: { ...TEST_PRESET, maxContext: 8, layers: 1 } },
  { name: 'llama-py-N16_BOOT_DENSE', path: 'models/llama-py.decode.onnx', opts: { preset: 'N16_BOOT_DENSE', maxContext: 8, bootstrapCalibrationTokens: 0, layers: 2 } },
  { name: 'llama-mqa', path: 'models/llama-mqa.decode.onnx', opts: { ...TEST_PRESET, maxContext: 32 } },
  { name: 'llama-mqa-dynamo', path: 'models/llama-mqa.decode.dynamo.onnx', opts: { ...TEST_PRESET, maxContext: 32 } },
  { name: 'tiny-gqa', path: 'test/fixtures/models/tiny-gqa.decode.onnx', opts: { ...TEST_PRESET, maxContext: 32 } },
  { name: 'tiny-mha', path: 'test/fixtures/models/tiny-mha.decode.onnx', opts: { ...TEST_PRESET, maxContext: 8 } },
];

interface Recorded {
  sha256: string;
  chars: number;
  opCounts: unknown;
}

const GOLDEN = 'test/golden/plans/identity.json';
const update = process.env.HEC_UPDATE_GOLDEN === '1';

function opCountsOf(text: string): unknown {
  const m = /op_counts = (\{[^}]*\})/.exec(text);
  return m === null ? null : m[1];
}

describe('plan identity across refactors (issue #8)', () => {
  const recorded: Record<string, Recorded> = existsSync(GOLDEN) ? (JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, Recorded>) : {};
  const fresh: Record<string, Recorded> = {};
  for (const c of CASES) {
    it(`${c.name} compiles to the recorded plan text`, async () => {
      const r = await compileModel(c.path, { preset: 'TEST_INSECURE_N13_DEEP', maxContext: 32, ...c.opts });
      const text = serializePlan(r.module);
      const got: Recorded = { sha256: createHash('sha256').update(text).digest('hex'), chars: text.length, opCounts: opCountsOf(text) };
      fresh[c.name] = got;
      if (update) {
        const all = { ...recorded, ...fresh };
        writeFileSync(GOLDEN, JSON.stringify(all, null, 2) + '\n');
        return;
      }
      const want = recorded[c.name];
      expect(want, `no recorded plan for ${c.name}: run with HEC_UPDATE_GOLDEN=1`).toBeDefined();
      if (want !== undefined && want.sha256 !== got.sha256) {
        const dir = join(tmpdir(), 'hec-plan-identity');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `${c.name}.plan`), text);
        console.log(`plan for ${c.name} differs; new text in ${join(dir, `${c.name}.plan`)}`);
      }
      expect(got).toEqual(want);
    });
  }
});
