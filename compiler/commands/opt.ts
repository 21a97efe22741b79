/**
 * @fileoverview `hec opt FILE.hir --passes a,b{key=value}`: run a pipeline of IR passes on IR text and print the
 * result (HEIR's heir-opt, MLIR's mlir-opt). The input is parsed and verified first; with --verify-each every pass's
 * output is verified too. Only the IR passes run here: the compiler's own passes need a model.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { HecError } from '../../ir/diagnostics.ts';
import { DEFAULT_PRESET, PRESETS, presetParams } from '../../ir/presets.ts';
import { parseModule } from '../../ir/text/index.ts';
import { printModule } from '../../ir/text/printer.ts';
import { assertValid } from '../../ir/verify.ts';
import { parsePipeline, runPipeline } from '../../passes/pipeline.ts';
import { ALL_PASSES } from '../../passes/registry.ts';
import type { CommandSpec } from '../args.ts';
import { passContextFor } from '../pipeline.ts';
import { checkInputFile, checkOutputPath, printIrAfter } from './compile.ts';

function readInput(file: string): string {
  return readFileSync(checkInputFile(file, 'hec opt'), 'utf8');
}

export const optCommand: CommandSpec = {
  name: 'opt',
  summary: 'run IR passes on an IR file and print the result (hec passes lists them)',
  usage: 'hec opt FILE.hir --passes a,b{key=value} [--preset NAME] [-o OUT.hir]',
  description: 'Passes run in the order given, with their declared options (hec passes shows them and their defaults).',
  options: [
    { name: 'passes', type: 'string', arg: 'LIST', help: 'comma-separated passes, e.g. poly-approx,cache-levels{max-rounds=2}' },
    { name: 'preset', type: 'string', default: DEFAULT_PRESET, arg: 'NAME', help: `CKKS parameters the passes assume: ${Object.keys(PRESETS).join(', ')}` },
    { name: 'allow-insecure', type: 'boolean', help: 'permit TEST_INSECURE_* presets (tests only)' },
    { name: 'verify-each', type: 'boolean', help: 'verify the IR after every pass' },
    { name: 'print-ir-after', type: 'string', arg: 'PASS', help: "print the IR to stderr after PASS (comma-separated, or 'all')" },
    { name: 'output', alias: 'o', type: 'string', arg: 'FILE', help: 'write the result here instead of stdout' },
  ],
  maxPositional: 1,
  async run({ positional, opts }) {
    const file = positional[0];
    if (file === undefined) throw new HecError('HEC0001', 'hec opt needs an IR file', { fix: 'e.g. hec opt test/golden/passes/poly-approx/silu.hir --passes poly-approx --preset TEST_INSECURE_N13_DEEP --allow-insecure' });
    if (typeof opts.passes !== 'string') throw new HecError('HEC0003', 'hec opt needs --passes LIST', { fix: `passes: ${ALL_PASSES.map((p) => p.name).join(', ')}` });
    const preset = String(opts.preset);
    if (PRESETS[preset] === undefined) throw new HecError('HEC6002', `unknown parameter preset '${preset}'`, { fix: `use one of: ${Object.keys(PRESETS).join(', ')}` });
    const steps = parsePipeline(opts.passes, ALL_PASSES);
    const params = presetParams(preset, { allowInsecure: opts['allow-insecure'] === true });
    const afterPass = typeof opts['print-ir-after'] === 'string' ? printIrAfter(opts['print-ir-after']) : undefined;
    if (typeof opts.output === 'string') checkOutputPath(opts.output, [file]);
    const { module } = parseModule(readInput(file), file);
    assertValid(module, { bootstrapOutputLevel: params.bootstrapOutputLevel });
    await runPipeline(module, passContextFor(params), steps, { verifyEach: opts['verify-each'] === true, afterPass });
    const text = printModule(module);
    if (typeof opts.output === 'string') writeFileSync(opts.output, text);
    else process.stdout.write(text);
    return 0;
  },
};
