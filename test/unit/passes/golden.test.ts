/**
 * Pass golden tests (HEIR style): each `test/golden/passes/<pass>/<case>.hir` starts with `// RUN: <pass> preset=NAME`;
 * the pass runs on the module and the printed result must equal `<case>.expected.hir` byte for byte. Expected files
 * are written only with HEC_UPDATE_GOLDEN=1 (and must then be read in review); a missing one fails. Every output also
 * verifies and round-trips through the parser.
 *
 * The text alone would pass whatever the pass wrote when the golden was last regenerated, so every case also
 * EXECUTES the module before and after the pass and compares the values, before any file is written or compared.
 * Its second line, `// SIM: x in [lo, hi], … tolerance T`, declares each argument's range; three seeded random inputs
 * within those ranges run through
 * - the module after the pass on `sim` (test/helpers/ir-slots.ts `runOnSim`; where the pass leaves levels
 *   unassigned, after `bootstrap-placement` on a copy, so every op runs under sim's level, scale and bound checks);
 * - the module before the pass on `sim` too when it is a runnable plan (levels assigned, no `ckks.nonlinear`), else
 *   on the level-free slot reference (`slotReference`: exact functions, identity bookkeeping);
 * and each result's slots must agree within T · max(1, max |before|).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Module } from '../../../ir/module.ts';
import type { CkksParams } from '../../../ir/params.ts';
import { presetParams } from '../../../ir/presets.ts';
import { parseModule } from '../../../ir/text/index.ts';
import { printModule } from '../../../ir/text/printer.ts';
import { verifyModule } from '../../../ir/verify.ts';
import { bootstrapPlacementPass } from '../../../passes/bootstrap-placement.ts';
import { PassResults, type PassContext } from '../../../passes/pass.ts';
import { runPass } from '../../../passes/pipeline.ts';
import { ALL_PASSES, passByName } from '../../../passes/registry.ts';
import { packArguments, runOnSim, slotReference } from '../../helpers/ir-slots.ts';
import { seededRandom } from '../../helpers/seeded.ts';

const ROOT = 'test/golden/passes';
const SEEDS = [1, 2, 3];

interface SimCheck {
  ranges: Map<string, [number, number]>;
  tolerance: number;
}

function parseSimLine(text: string): SimCheck | null {
  const line = /^\/\/ SIM: (.*) tolerance (\S+)$/m.exec(text);
  if (line === null) return null;
  const ranges = new Map<string, [number, number]>();
  for (const m of line[1]!.matchAll(/(\S+) in \[([^,\]]+), ([^\]]+)\]/g)) ranges.set(m[1]!, [Number(m[2]), Number(m[3])]);
  return { ranges, tolerance: Number(line[2]) };
}

const runnable = (m: Module) => m.funcs[0]!.args.every((a) => a.value.type.level !== null) && m.funcs[0]!.ops.every((o) => o.name !== 'ckks.nonlinear' && o.results.every((r) => r.type.level !== null));

/** The module as a plan sim can run: as it is, or with levels assigned by bootstrap-placement on a reparsed copy. */
function asPlan(m: Module, params: CkksParams): Module {
  if (runnable(m)) return m;
  const copy = parseModule(printModule(m)).module;
  runPass(bootstrapPlacementPass, copy, { params, results: new PassResults() });
  return copy;
}

/** Worst |after − before| over every result slot, relative to max(1, max |before|) of that result. */
async function compareOnSlots(before: Module, after: Module, params: CkksParams, check: SimCheck, seed: number): Promise<number> {
  const func = before.funcs[0]!;
  const rand = seededRandom(seed);
  const tensors = new Map(func.args.map((a) => {
    const range = check.ranges.get(a.value.name);
    if (range === undefined) throw new Error(`// SIM: gives no range for %${a.value.name}`);
    return [a.value.name, Array.from({ length: params.slots }, () => range[0] + (range[1] - range[0]) * rand())] as const;
  }));
  const args = packArguments(func, params.slots, tensors);
  const want = runnable(before) ? await runOnSim(before, params, args) : slotReference(func, params.slots, args);
  const got = await runOnSim(asPlan(after, params), params, args);
  let worst = 0;
  for (const [name, w] of want) {
    const g = got.get(name);
    expect(g, `result ${name} after the pass`).toBeDefined();
    const scale = Math.max(1, ...w.map(Math.abs));
    w.forEach((v, i) => (worst = Math.max(worst, Math.abs(g![i]! - v) / scale)));
  }
  return worst;
}

describe('pass golden files', () => {
  it('every registered pass has a golden folder', () => {
    for (const p of ALL_PASSES.filter((p) => p.name !== 'validate-plan')) expect(existsSync(join(ROOT, p.name)), p.name).toBe(true);
  });
  for (const dir of readdirSync(ROOT)) {
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.hir') && !f.endsWith('.expected.hir'))) {
      it(`${dir}/${file}`, async () => {
        const path = join(ROOT, dir, file);
        const text = readFileSync(path, 'utf8');
        const run = /^\/\/ RUN: (\S+) preset=(\S+)/.exec(text);
        expect(run, 'first line must be // RUN: <pass> preset=<NAME>').not.toBeNull();
        const check = parseSimLine(text);
        expect(check, 'a line // SIM: <arg> in [lo, hi], … tolerance <T> must declare the inputs').not.toBeNull();
        const pass = passByName(run![1]!);
        expect(pass, `unknown pass ${run![1]}`).toBeDefined();
        const params = presetParams(run![2]!, { allowInsecure: true });
        const before = parseModule(text, path).module;
        const { module } = parseModule(text, path);
        const ctx: PassContext = { params, results: new PassResults() };
        runPass(pass!, module, ctx);
        const out = printModule(module);
        expect(verifyModule(module, { bootstrapOutputLevel: params.bootstrapOutputLevel })).toEqual([]);
        expect(printModule(parseModule(out).module)).toBe(out);

        for (const seed of SEEDS) {
          const worst = await compareOnSlots(before, module, params, check!, seed);
          console.log(`${dir}/${file} seed ${seed}: max |after − before| / max(1, |before|) = ${worst.toExponential(2)} (tolerance ${check!.tolerance})`);
          expect(worst).toBeLessThanOrEqual(check!.tolerance);
        }

        const expectedPath = path.replace(/\.hir$/, '.expected.hir');
        if (process.env.HEC_UPDATE_GOLDEN === '1') writeFileSync(expectedPath, out);
        expect(existsSync(expectedPath), `${expectedPath} missing (HEC_UPDATE_GOLDEN=1 writes it)`).toBe(true);
        expect(out).toBe(readFileSync(expectedPath, 'utf8'));
      });
    }
  }
});
