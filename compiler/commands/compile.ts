/**
 * @fileoverview `hec compile MODEL.onnx -o MODEL.plan`: compile a Llama decoder into an execution plan.
 */
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { HecError } from '../../ir/diagnostics.ts';
import { insecureBanner } from '../../ir/params.ts';
import { DEFAULT_PRESET, PRESETS } from '../../ir/presets.ts';
import { isAttrDict } from '../../ir/types.ts';
import type { Module } from '../../ir/module.ts';
import { printModule } from '../../ir/text/printer.ts';
import { writePlan } from '../../runtime/plan.ts';
import type { CommandSpec } from '../args.ts';
import { readCostTable } from '../../passes/cost/table.ts';
import { PACKINGS } from '../../passes/packings/registry.ts';
import { compileModel, type CompileOptions } from '../driver.ts';
import { loadOnnxBytes, readOnnxFile } from '../onnx/load.ts';
import { COMPILE_PASSES, PLACEMENTS, type PlacementStrategy } from '../pipeline.ts';
import { stderrProgress } from './progress.ts';
import { printSummary } from './inspect.ts';

export const DEFAULT_MODEL = 'models/llama-py.decode.onnx';

/** The options that shape a plan; `hec run` refuses them beside a plan that is already compiled. */
export const COMPILE_ONLY_OPTIONS = ['preset', 'max-context', 'calibration', 'calibration-tokens'] as const;

export function compileOptionsFrom(opts: Record<string, unknown>, progress: CompileOptions['onProgress']): CompileOptions {
  const preset = String(opts.preset);
  if (PRESETS[preset] === undefined) {
    const near = Object.keys(PRESETS).find((p) => p.toLowerCase() === preset.toLowerCase());
    throw new HecError('HEC6002', `unknown parameter preset '${preset}'`, { fix: near !== undefined ? `did you mean --preset ${near}?` : `use one of: ${Object.keys(PRESETS).join(', ')}` });
  }
  const maxContext = Number(opts['max-context']);
  if (!Number.isInteger(maxContext) || maxContext < 1) {
    throw new HecError('HEC0003', `--max-context must be a positive integer, got ${opts['max-context']}`, { fix: 'e.g. --max-context 256 (positions the encrypted KV cache holds)' });
  }
  const co: CompileOptions = {
    preset,
    maxContext,
    allowInsecure: opts['allow-insecure'] === true,
    bootstrapCalibrationTokens: Number(opts['calibration-tokens']),
    onProgress: progress,
  };
  if (typeof opts.calibration === 'string') co.calibrationFile = checkInputFile(opts.calibration, '--calibration');
  const placement = String(opts.placement);
  const isPlacement = (x: string): x is PlacementStrategy => (PLACEMENTS as readonly string[]).includes(x);
  if (!isPlacement(placement)) {
    throw new HecError('HEC0003', `--placement must be one of ${PLACEMENTS.join(', ')}, got '${placement}'`, { fix: '--placement level-aware (default) or --placement greedy' });
  }
  co.placement = placement;
  if (typeof opts['cost-table'] === 'string') co.costTable = readCostTable(checkInputFile(opts['cost-table'], '--cost-table'));
  // Checked against the model's layer count by compileModel (HEC0006).
  if (opts.layers !== undefined) co.layers = Number(opts.layers);
  return co;
}

/** An input file named by an option must be a readable regular file (HEC0004), checked before any work. */
export function checkInputFile(path: string, what: string): string {
  if (!existsSync(path)) throw new HecError('HEC0004', `${what}: no such file: ${path}`, { fix: `check the path given to ${what}` });
  if (statSync(path).isDirectory()) throw new HecError('HEC0004', `${what}: ${path} is a directory, not a file`, { fix: `pass a file to ${what}` });
  return path;
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/**
 * The plan file may be written: its folder exists and is writable, it is not a directory, and it is none of the
 * inputs (the model, its external weight files, the calibration file). Checked before the compile starts (HEC0009).
 */
export function checkOutputPath(out: string, inputs: string[]): void {
  const fail = (why: string, fix: string): never => {
    throw new HecError('HEC0009', `cannot write the plan to ${out}: ${why}`, { fix });
  };
  if (out === '' || out.endsWith('/')) fail('it names a folder, not a file', 'pass -o FILE.plan');
  const target = realOrResolved(out);
  for (const input of inputs) {
    if (realOrResolved(input) === target) fail(`that is the input ${input}, which would be overwritten`, 'choose another name for the plan, e.g. -o MODEL.plan');
  }
  if (existsSync(out)) {
    if (statSync(out).isDirectory()) fail('it is a directory', `pass a file name, e.g. -o ${out.replace(/\/+$/, '')}/model.plan`);
    try {
      accessSync(out, constants.W_OK);
    } catch {
      fail('the file is not writable', 'choose a writable location with -o');
    }
  }
  const dir = dirname(resolve(out));
  if (!existsSync(dir)) fail(`the folder ${dir} does not exist`, `create it first (mkdir -p ${dir}) or choose another -o`);
  if (!statSync(dir).isDirectory()) fail(`${dir} is not a folder`, 'choose another -o');
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    fail(`the folder ${dir} is not writable`, 'choose a writable location with -o');
  }
}

export const COMPILE_OPTIONS: CommandSpec['options'] = [
  { name: 'preset', type: 'string', default: DEFAULT_PRESET, arg: 'NAME', help: `CKKS parameters: ${Object.keys(PRESETS).join(', ')}` },
  {
    name: 'max-context', type: 'number', integer: true, min: 1, default: 256, arg: 'N', help: 'positions the encrypted KV cache holds (prompt + generated)',
    // A softmax normaliser's domain is [a, N] with e^-4 ≤ a ≤ 1. Measured on tiny-mha: a range N/a of 1.5e5 needs
    // the degree cap (127) and 3.7e5 has no scheme, so N > 65536 is at or past that edge: refused here rather than
    // after lowering a step whose cache ciphertexts grow with N (HEC4102 after a minute, or memory exhausted).
    max: { value: 65536, why: 'the softmax normaliser of a longer context has no polynomial approximation hec can place; use at most 65536 (in practice a few thousand)' },
  },
  { name: 'calibration', type: 'string', arg: 'FILE', help: 'calibration data (bytes for byte-level models, else one line of token ids per sequence)' },
  { name: 'calibration-tokens', type: 'number', integer: true, min: 1, default: 16, arg: 'N', help: 'tokens run on sim to measure bootstrap input ranges' },
  { name: 'layers', type: 'number', arg: 'K', help: 'keep only the first K decoder layers (then final norm + LM head): NOT the full model; for tests and measurements (default: all)' },
  { name: 'placement', type: 'string', default: 'level-aware', arg: 'NAME', help: 'bootstrap placement: level-aware (shortest path over levels, priced by the cost model) or greedy (bootstrap where levels run out)' },
  { name: 'cost-table', type: 'string', arg: 'FILE', help: 'cost table for level-aware placement (`hec bench ops --json`; default: the bundled cpu table)' },
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
  maxPositional: 1,
  async run({ positional, opts }) {
    const model = positional[0];
    if (model === undefined) throw new HecError('HEC0001', 'hec compile needs a model file', { fix: `e.g. hec compile ${DEFAULT_MODEL} -o llama-py.plan` });
    const progress = stderrProgress(opts.quiet === true);
    const co = compileOptionsFrom(opts, progress);
    co.verifyEach = opts['verify-each'] === true;
    co.packing = String(opts.packing);
    if (typeof opts['print-ir-after'] === 'string') co.afterPass = printIrAfter(opts['print-ir-after']);
    const out = typeof opts.output === 'string' ? opts.output : model.replace(/\.onnx$/, '') + '.plan';
    // Decoding the model names its weight files (and reports a file that is not ONNX) before anything expensive.
    const loaded = loadOnnxBytes(readOnnxFile(model), model);
    const weightFiles = loaded.externalData.map((w) => resolve(dirname(model), w.location));
    checkOutputPath(out, [model, ...weightFiles, ...(co.calibrationFile !== undefined ? [co.calibrationFile] : [])]);
    const r = await compileModel(model, co);
    if (r.params.insecure) process.stderr.write(`${insecureBanner(r.params)}\n`);
    // Store the model path relative to the plan so a plan and its model can move together.
    const header = r.module.attrs.model;
    if (isAttrDict(header)) header.path = relative(dirname(resolve(out)), resolve(model));
    try {
      writePlan(out, r.module);
    } catch (e) {
      throw new HecError('HEC0009', `cannot write the plan to ${out} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { fix: 'check the free space and permissions of the output folder' });
    }
    progress('wrote', out);
    process.stdout.write(printSummary(r.module, out));
    return 0;
  },
};
