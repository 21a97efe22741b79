/**
 * The pass manager (issue #8): pipelines as data, declared options, typed results, --verify-each naming the pass
 * that breaks the IR, --print-ir-after, `hec opt` on IR text, and the registries' duplicate check.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printIrAfter } from '../../../compiler/commands/compile.ts';
import { optCommand } from '../../../compiler/commands/opt.ts';
import { compileModel } from '../../../compiler/driver.ts';
import { COMPILE_PASSES, COMPILE_PIPELINE, passContextFor } from '../../../compiler/pipeline.ts';
import { HecError } from '../../../ir/diagnostics.ts';
import type { Module } from '../../../ir/module.ts';
import { presetParams } from '../../../ir/presets.ts';
import { parseModule } from '../../../ir/text/index.ts';
import { printModule } from '../../../ir/text/printer.ts';
import { cacheLevelsPass } from '../../../passes/cache-levels.ts';
import type { Pass } from '../../../passes/pass.ts';
import { parsePipeline, runPipeline } from '../../../passes/pipeline.ts';
import { polyApproxPass } from '../../../passes/poly-approx.ts';
import { ALL_PASSES, checkUnique } from '../../../passes/registry.ts';

const params = presetParams('TEST_INSECURE_N13_DEEP', { allowInsecure: true });
const SILU = 'test/golden/passes/poly-approx/silu.hir';
const KV = 'test/golden/passes/cache-levels/kv-state.hir';
const load = (path: string): Module => parseModule(readFileSync(path, 'utf8'), path).module;

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof HecError ? e.code : `not a HecError: ${String(e)}`;
  }
  return undefined;
}

async function asyncCodeOf(f: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await f();
  } catch (e) {
    return e instanceof HecError ? e.code : `not a HecError: ${String(e)}`;
  }
  return undefined;
}

describe('pass manager', () => {
  it('parses pipelines against the registry, with options; unknown passes and options are coded errors', () => {
    const steps = parsePipeline('poly-approx{degree-cap=15}, cache-levels{max-rounds=2 min-cache-level=2},collect-keys', ALL_PASSES);
    expect(steps.map((s) => s.pass.name)).toEqual(['poly-approx', 'cache-levels', 'collect-keys']);
    expect(steps[1]!.options).toEqual({ 'max-rounds': 2, 'min-cache-level': 2 });
    expect(codeOf(() => parsePipeline('poly-approx,frobnicate', ALL_PASSES))).toBe('HEC4404');
    expect(codeOf(() => parsePipeline('cache-levels{rounds=2}', ALL_PASSES))).toBe('HEC4402');
    expect(codeOf(() => parsePipeline('cache-levels{max-rounds=two}', ALL_PASSES))).toBe('HEC4402');
    expect(codeOf(() => parsePipeline('cache-levels{max-rounds}', ALL_PASSES))).toBe('HEC4404');
  });

  it('records each pass result, typed by the pass; reading one that has not run is HEC4401', async () => {
    const module = load(SILU);
    const ctx = passContextFor(params);
    expect(codeOf(() => ctx.results.require(polyApproxPass))).toBe('HEC4401');
    await runPipeline(module, ctx, [{ pass: polyApproxPass }]);
    const records = ctx.results.require(polyApproxPass);
    expect(records.map((r) => r.fn)).toEqual(['silu', 'inv']);
  });

  it('an option changes what the pass does (degree-cap bounds the Chebyshev degree)', async () => {
    const run = async (cap: number) => {
      const ctx = passContextFor(params);
      await runPipeline(load(SILU), ctx, parsePipeline(`poly-approx{degree-cap=${cap}}`, ALL_PASSES));
      return Math.max(...ctx.results.require(polyApproxPass).map((r) => r.degree));
    };
    expect(await run(127)).toBeGreaterThan(31);
    expect(await run(31)).toBeLessThanOrEqual(31);
  });

  it('cache-levels iterates placement: with one round the state stays at the bootstrap level, with more it settles', async () => {
    const level = async (rounds: number) => {
      const m = load(KV);
      await runPipeline(m, passContextFor(params), [{ pass: cacheLevelsPass, options: { 'max-rounds': rounds } }]);
      const arg = m.funcs[0]!.args.find((a) => a.attrs.role === 'state')!;
      return arg.value.type.level;
    };
    expect(await level(1)).toBe(params.bootstrapOutputLevel);
    expect(await level(4)).toBe(params.bootstrapOutputLevel - 1);
  });

  it('--verify-each names the first pass that leaves invalid IR (HEC4403); print-ir-after sees every pass in order', async () => {
    const breaker: Pass = {
      name: 'break-types',
      summary: 'test only: deletes the op defining a used value',
      description: 'test only',
      options: [],
      run(module) {
        const ops = module.funcs[0]!.ops;
        ops.splice(ops.findIndex((o) => o.name === 'ckks.poly'), 1);
      },
    };
    const seen: string[] = [];
    const module = load(SILU);
    const steps = [{ pass: polyApproxPass }, { pass: breaker }, { pass: cacheLevelsPass }];
    expect(await asyncCodeOf(() => runPipeline(module, passContextFor(params), steps, { verifyEach: true, afterPass: (n, m) => seen.push(`${n}:${printModule(m).length > 0}`) }))).toBe('HEC4403');
    expect(seen).toEqual(['poly-approx:true']);
    // Without verification the broken IR flows on (what --verify-each exists to catch).
    expect(await asyncCodeOf(() => runPipeline(load(SILU), passContextFor(params), steps))).toBeUndefined();
  });

  it('hec opt runs a pipeline on IR text and prints the same IR the golden test expects', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hec-opt-')), 'out.hir');
    const code = await optCommand.run({ positional: [KV], opts: { passes: 'cache-levels', preset: 'TEST_INSECURE_N13_DEEP', 'allow-insecure': true, 'verify-each': true, output: out } });
    expect(code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(KV.replace(/\.hir$/, '.expected.hir'), 'utf8'));
  });

  it('hec compile runs the pipeline with --verify-each, and --print-ir-after checks pass names (HEC0003)', async () => {
    const seen: string[] = [];
    await compileModel('test/fixtures/models/tiny-mha.decode.onnx', { preset: 'TEST_INSECURE_N13_DEEP', allowInsecure: true, maxContext: 8, bootstrapCalibrationTokens: 1, verifyEach: true, afterPass: (n) => seen.push(n) });
    expect(seen).toEqual(COMPILE_PIPELINE.map((s) => s.pass.name));
    expect(codeOf(() => printIrAfter('poly-approx,no-such-pass'))).toBe('HEC0003');
    expect(codeOf(() => printIrAfter('all'))).toBeUndefined();
  });

  it('registries are explicit lists: a duplicate name is an error; the compile pipeline only uses registered passes', () => {
    expect(() => checkUnique([polyApproxPass, polyApproxPass])).toThrow(/duplicate pass name poly-approx/);
    for (const s of COMPILE_PIPELINE) expect(COMPILE_PASSES).toContain(s.pass);
  });
});
