/**
 * @fileoverview `hec compile MODEL.onnx -o MODEL.plan`: compile a Llama decoder into an execution plan.
 */
import { dirname, relative, resolve } from 'node:path';
import { HecError } from '../../ir/diagnostics.ts';
import { insecureBanner } from '../../ir/params.ts';
import { DEFAULT_PRESET, PRESETS } from '../../ir/presets.ts';
import type { Module } from '../../ir/module.ts';
import { printModule } from '../../ir/text/printer.ts';
import { writePlan } from '../../runtime/plan.ts';
import type { CommandSpec } from '../args.ts';
import { PACKINGS } from '../../passes/packings/registry.ts';
import { compileModel, type CompileOptions } from '../driver.ts';
import { COMPILE_PASSES } from '../pipeline.ts';
import { stderrProgress } from './progress.ts';
import { printSummary } from './inspect.ts';

export const DEFAULT_MODEL = 'models/llama-py.decode.onnx';

export function compileOptionsFrom(opts: Record<string, unknown>, progress: CompileOptions['onProgress']): CompileOptions {
  const preset = String(opts.preset);
  if (PRESETS[preset] === undefined) {
    throw new HecError('HEC6002', `unknown parameter preset '${preset}'`, { fix: `use one of: ${Object.keys(PRESETS).join(', ')}` });
  }
  const maxContext = Number(opts['max-context']);
  if (!Number.isInteger(maxContext) || maxContext < 1) throw new HecError('HEC0003', `--max-context must be a positive integer, got ${opts['max-context']}`);
  const co: CompileOptions = {
    preset,
    maxContext,
    allowInsecure: opts['allow-insecure'] === true,
    bootstrapCalibrationTokens: Number(opts['calibration-tokens']),
    onProgress: progress,
  };
  // Checked against the model's layer count by compileModel (HEC0006).
  if (opts.layers !== undefined) co.layers = Number(opts.layers);
  return co;
}

export const COMPILE_OPTIONS: CommandSpec['options'] = [
  { name: 'preset', type: 'string', default: DEFAULT_PRESET, arg: 'NAME', help: `CKKS parameters: ${Object.keys(PRESETS).join(', ')}` },
  { name: 'max-context', type: 'number', default: 256, arg: 'N', help: 'positions the encrypted KV cache holds (prompt + generated)' },
  { name: 'calibration', type: 'string', arg: 'FILE', help: 'calibration data (bytes for byte-level models, else one line of token ids per sequence)' },
  { name: 'calibration-tokens', type: 'number', default: 16, arg: 'N', help: 'tokens run on sim to measure bootstrap input ranges' },
  { name: 'layers', type: 'number', arg: 'K', help: 'keep only the first K decoder layers (then final norm + LM head): NOT the full model; for tests and measurements (default: all)' },
  { name: 'allow-insecure', type: 'boolean', help: 'permit TEST_INSECURE_* presets (tests only)' },
];

/** An afterPass hook printing the module to stderr after each named pass (checked against the registry first). */
export function printIrAfter(list: string): (passName: string, module: Module) => void {
  const names = list.split(',').filter((n) => n !== '');
  const known = COMPILE_PASSES.map((p) => p.name);
  for (const n of names) {
    if (n !== 'all' && !known.includes(n)) throw new HecError('HEC0003', `--print-ir-after: unknown pass '${n}'`, { fix: `passes: ${known.join(', ')}, or all` });
  }
  return (passName, module) => {
    if (names.includes('all') || names.includes(passName)) process.stderr.write(`// ----- IR after ${passName} -----\n${printModule(module)}`);
  };
}

export const compileCommand: CommandSpec = {
  name: 'compile',
  summary: 'compile an ONNX Llama decoder (decoder-with-past export) into an execution plan',
  usage: 'hec compile MODEL.onnx [-o OUT.plan] [options]',
  description:
    'Recognises the decoder in the graph, calibrates the non-linear functions on float64 runs, lowers one decoding\n' +
    'step to the HE IR, approximates, places bootstraps, lists keys and writes a versioned, human-readable plan.\n' +
    'A graph-only model (external weights missing) compiles with default ranges; such a plan cannot be run.',
  options: [
    { name: 'output', alias: 'o', type: 'string', arg: 'FILE', help: 'plan file to write (default: MODEL with .plan)' },
    ...COMPILE_OPTIONS,
    { name: 'packing', type: 'string', default: 'auto', arg: 'NAME', help: `how tensors sit in slots: auto (the cheapest registered packing per op) or ${PACKINGS.map((p) => p.name).join(', ')}` },
    { name: 'verify-each', type: 'boolean', help: 'verify the IR after every pass (names the first pass that breaks it)' },
    { name: 'print-ir-after', type: 'string', arg: 'PASS', help: "print the IR to stderr after PASS (comma-separated list, or 'all'; see hec passes)" },
    { name: 'quiet', alias: 'q', type: 'boolean', help: 'no progress on stderr' },
  ],
  async run({ positional, opts }) {
    const model = positional[0];
    if (model === undefined) throw new HecError('HEC0001', 'hec compile needs a model file', { fix: `e.g. hec compile ${DEFAULT_MODEL} -o llama-py.plan` });
    const progress = stderrProgress(opts.quiet === true);
    const co = compileOptionsFrom(opts, progress);
    if (typeof opts.calibration === 'string') co.calibrationFile = opts.calibration;
    co.verifyEach = opts['verify-each'] === true;
    co.packing = String(opts.packing);
    if (typeof opts['print-ir-after'] === 'string') co.afterPass = printIrAfter(opts['print-ir-after']);
    const out = typeof opts.output === 'string' ? opts.output : model.replace(/\.onnx$/, '') + '.plan';
    const r = await compileModel(model, co);
    if (r.params.insecure) process.stderr.write(`${insecureBanner(r.params)}\n`);
    // Store the model path relative to the plan so a plan and its model can move together.
    const attrs = r.module.attrs.model as Record<string, unknown>;
    attrs.path = relative(dirname(resolve(out)), resolve(model));
    writePlan(out, r.module);
    progress('wrote', out);
    process.stdout.write(printSummary(r.module, out));
    return 0;
  },
};
