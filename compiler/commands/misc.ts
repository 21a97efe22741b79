/**
 * @fileoverview Small commands: `hec passes`, `hec backends`, `hec bench ckks|bootstrap|ops`.
 */
import { HecError } from '../../ir/diagnostics.ts';
import { PRESETS } from '../../ir/presets.ts';
import { COMPILE_PASSES, COMPILE_PIPELINE } from '../pipeline.ts';
import { listBackends } from '../../runtime/registry.ts';
import { PRIMITIVES, type Primitive } from '../../passes/cost/table.ts';
import type { CommandSpec } from '../args.ts';

function assertNever(x: never): never {
  throw new HecError('HEC0001', `hec bench: unknown benchmark '${String(x)}'`, { fix: 'hec bench ckks, hec bench bootstrap, or hec bench ops' });
}

function bootstrapPresets(): string[] {
  return Object.entries(PRESETS).filter(([, p]) => p.bootstrapLevels > 0).map(([n]) => n);
}

/** `--log-n 14,15,16`: ring degrees the engine supports. */
function parseLogNs(text: string): number[] {
  const parts = text.split(',').map((t) => t.trim());
  if (parts.some((t) => !/^\d+$/.test(t) || Number(t) < 12 || Number(t) > 16)) {
    throw new HecError('HEC0003', `--log-n expects comma-separated ring degrees from 12 to 16, got '${text}'`, { fix: 'e.g. --log-n 14,15,16' });
  }
  return parts.map(Number);
}

export const passesCommand: CommandSpec = {
  name: 'passes',
  summary: 'list the compiler passes, in pipeline order, with what each requires and ensures, and their options',
  usage: 'hec passes',
  options: [],
  maxPositional: 0,
  async run() {
    const inPipeline = new Set(COMPILE_PIPELINE.map((s) => s.pass.name));
    process.stdout.write(`hec compile runs: ${COMPILE_PIPELINE.map((s) => s.pass.name).join(' → ')}\n\n`);
    const order = (name: string) => { const i = COMPILE_PIPELINE.findIndex((s) => s.pass.name === name); return i < 0 ? COMPILE_PIPELINE.length : i; };
    for (const p of [...COMPILE_PASSES].sort((a, b) => order(a.name) - order(b.name))) {
      const where = inPipeline.has(p.name) ? '' : ' (not in the compile pipeline; hec opt --passes runs it)';
      process.stdout.write(`${p.name}${where}\n  ${p.summary}\n  ${p.description}\n`);
      for (const o of p.options) process.stdout.write(`  option ${o.name}=${o.type.toUpperCase()} (default ${String(o.default)}): ${o.help}\n`);
      process.stdout.write('\n');
    }
    return 0;
  },
};

export const backendsCommand: CommandSpec = {
  name: 'backends',
  summary: 'list the runtime backends and whether each loads on this machine (and why not)',
  usage: 'hec backends',
  options: [],
  maxPositional: 0,
  async run() {
    for (const b of await listBackends()) {
      const r = b as unknown as { name: string; available: boolean; reason?: string; description?: string };
      process.stdout.write(`${r.name.padEnd(5)} ${r.available ? 'available' : `unavailable: ${r.reason ?? ''}`}${r.description ? `  — ${r.description}` : ''}\n`);
    }
    return 0;
  },
};

export const benchCommand: CommandSpec = {
  name: 'bench',
  summary: 'benchmarks that print numbers: `ckks` (engine ops vs node-seal), `bootstrap`, or `ops` (the cost table by level)',
  usage: 'hec bench ckks|bootstrap|ops [--json] [--threads N] [--preset LIST] [--variant LIST] [--runs N] [--ops LIST] [--levels LIST]',
  options: [
    { name: 'json', type: 'boolean', help: 'JSON lines only' },
    { name: 'threads', type: 'number', integer: true, min: 1, arg: 'N', help: 'cpu threads (default: 1 and all for ckks, 1 for bootstrap)' },
    { name: 'log-n', type: 'string', arg: 'LIST', help: 'ckks: ring degrees, e.g. 14,15,16' },
    { name: 'preset', type: 'string', arg: 'LIST', help: 'bootstrap (ops: one): parameter presets (default N16_BOOT_DENSE: dense secret, sparse-secret encapsulation; N16_BOOT_H192_INSECURE: the former h=192 default)' },
    { name: 'variant', type: 'string', arg: 'LIST', help: 'bootstrap: full,real (default both)' },
    { name: 'runs', type: 'number', integer: true, min: 1, arg: 'N', help: 'bootstrap, ops: warm timed runs per configuration (default 3)' },
    { name: 'ops', type: 'string', arg: 'LIST', help: `ops: primitives to time (default all: ${PRIMITIVES.join(',')})` },
    { name: 'levels', type: 'string', arg: 'LIST', help: 'ops: levels to time, e.g. 1,5,9,24 (default every level; the rest are interpolated)' },
    { name: 'bootstrap-levels', type: 'string', arg: 'LIST', help: 'ops: input levels to time the bootstrap at (default 1)' },
  ],
  maxPositional: 1,
  async run({ positional, opts }) {
    const what = positional[0];
    if (what !== 'ckks' && what !== 'bootstrap' && what !== 'ops') {
      throw new HecError('HEC0001', `hec bench needs 'ckks', 'bootstrap' or 'ops', got '${what ?? ''}'`, { fix: 'hec bench ckks, hec bench bootstrap, or hec bench ops' });
    }
    const opsOnly = ['ops', 'levels', 'bootstrap-levels'];
    for (const o of what === 'ckks' ? ['preset', 'variant', 'runs', ...opsOnly] : what === 'bootstrap' ? ['log-n', ...opsOnly] : ['log-n', 'variant']) {
      if (opts[o] !== undefined) throw new HecError('HEC0003', `--${o} does not apply to 'hec bench ${what}'`, { fix: "see 'hec bench --help': each option says which benchmark it is for" });
    }
    const threads = typeof opts.threads === 'number' ? [opts.threads] : undefined;
    const list = (v: unknown): string[] | undefined => (typeof v === 'string' ? v.split(',').filter((x) => x !== '') : undefined);
    if (what === 'ckks') {
      const { runCkksBench } = await import('./bench-ckks.ts');
      const logNs = typeof opts['log-n'] === 'string' ? parseLogNs(opts['log-n']) : undefined;
      await runCkksBench({ json: opts.json === true, threads, logNs });
      return 0;
    }
    if (what === 'bootstrap') {
      const { runBootstrapBench } = await import('./bench-bootstrap.ts');
      const presets = list(opts.preset);
      // Every name is checked before the first (minutes-long) bootstrap runs.
      for (const name of presets ?? []) {
        const lit = PRESETS[name];
        if (lit === undefined) throw new HecError('HEC6002', `unknown parameter preset '${name}'`, { fix: `bootstrapping presets: ${bootstrapPresets().join(', ')}` });
        if (!(lit.bootstrapLevels > 0)) throw new HecError('HEC0003', `preset '${name}' cannot bootstrap`, { fix: `bootstrapping presets: ${bootstrapPresets().join(', ')}` });
      }
      const variants = list(opts.variant);
      for (const v of variants ?? []) {
        if (v !== 'full' && v !== 'real') throw new HecError('HEC0001', `hec bench bootstrap: unknown variant '${v}'`, { fix: 'use --variant full, real or full,real' });
      }
      await runBootstrapBench({
        json: opts.json === true, threads: threads?.[0], presets,
        variants: variants as ('full' | 'real')[] | undefined, runs: typeof opts.runs === 'number' ? opts.runs : undefined,
      });
      return 0;
    }
    if (what === 'ops') {
      const { runOpsBench } = await import('./bench-ops.ts');
      const preset = list(opts.preset);
      if (preset !== undefined && preset.length !== 1) throw new HecError('HEC0001', 'hec bench ops takes one --preset', { fix: 'e.g. --preset N16_BOOT_DENSE' });
      if (preset !== undefined && PRESETS[preset[0]!] === undefined) throw new HecError('HEC6002', `unknown parameter preset '${preset[0]}'`, { fix: `use one of: ${Object.keys(PRESETS).join(', ')}` });
      const ops = list(opts.ops);
      for (const o of ops ?? []) {
        if (!(PRIMITIVES as readonly string[]).includes(o)) throw new HecError('HEC0001', `hec bench ops: unknown primitive '${o}'`, { fix: `use --ops with some of ${PRIMITIVES.join(',')}` });
      }
      const ints = (name: string): number[] | undefined => {
        const xs = list(opts[name])?.map(Number);
        if (xs?.some((l) => !Number.isInteger(l))) throw new HecError('HEC0001', `hec bench ops: --${name} '${String(opts[name])}' is not a list of integers`, { fix: 'e.g. --levels 1,5,9' });
        return xs;
      };
      const levels = ints('levels');
      const bootstrapLevels = ints('bootstrap-levels');
      await runOpsBench({
        json: opts.json === true, threads: threads?.[0], preset: preset?.[0], ops: ops as Primitive[] | undefined, levels, bootstrapLevels,
        runs: typeof opts.runs === 'number' ? opts.runs : undefined, command: `hec bench ${process.argv.slice(3).join(' ')}`,
      });
      return 0;
    }
    return assertNever(what);
  },
};
