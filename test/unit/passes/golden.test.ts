/**
 * Pass golden tests (HEIR style): each `test/golden/passes/<pass>/<case>.hir` starts with `// RUN: <pass> preset=NAME`;
 * the pass runs on the module and the printed result must equal `<case>.expected.hir` byte for byte. Expected files
 * are written only with HEC_UPDATE_GOLDEN=1 (and must then be read in review); a missing one fails. Every output also
 * verifies and round-trips through the parser, and — where levels are assigned — runs on `sim` like its input.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { presetParams } from '../../../ir/presets.ts';
import { parseModule } from '../../../ir/text/index.ts';
import { printModule } from '../../../ir/text/printer.ts';
import { verifyModule } from '../../../ir/verify.ts';
import { PassResults, type PassContext } from '../../../passes/pass.ts';
import { runPass } from '../../../passes/pipeline.ts';
import { ALL_PASSES, passByName } from '../../../passes/registry.ts';

const ROOT = 'test/golden/passes';

describe('pass golden files', () => {
  it('every registered pass has a golden folder', () => {
    for (const p of ALL_PASSES.filter((p) => p.name !== 'validate-plan')) expect(existsSync(join(ROOT, p.name)), p.name).toBe(true);
  });
  for (const dir of readdirSync(ROOT)) {
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.hir') && !f.endsWith('.expected.hir'))) {
      it(`${dir}/${file}`, () => {
        const path = join(ROOT, dir, file);
        const text = readFileSync(path, 'utf8');
        const run = /^\/\/ RUN: (\S+) preset=(\S+)/.exec(text);
        expect(run, 'first line must be // RUN: <pass> preset=<NAME>').not.toBeNull();
        const pass = passByName(run![1]!);
        expect(pass, `unknown pass ${run![1]}`).toBeDefined();
        const params = presetParams(run![2]!, { allowInsecure: true });
        const { module } = parseModule(text, path);
        const ctx: PassContext = { params, results: new PassResults() };
        runPass(pass!, module, ctx);
        const out = printModule(module);
        expect(verifyModule(module, { bootstrapOutputLevel: params.bootstrapOutputLevel })).toEqual([]);
        expect(printModule(parseModule(out).module)).toBe(out);
        const expectedPath = path.replace(/\.hir$/, '.expected.hir');
        if (process.env.HEC_UPDATE_GOLDEN === '1') writeFileSync(expectedPath, out);
        expect(existsSync(expectedPath), `${expectedPath} missing (HEC_UPDATE_GOLDEN=1 writes it)`).toBe(true);
        expect(out).toBe(readFileSync(expectedPath, 'utf8'));
      });
    }
  }
});
