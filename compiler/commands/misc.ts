/**
 * @fileoverview Small commands: `hec passes`, `hec backends`, `hec bench ckks|bootstrap`.
 */
import { HecError } from '../../ir/diagnostics.ts';
import { COMPILE_PASSES, COMPILE_PIPELINE } from '../pipeline.ts';
import { listBackends } from '../../runtime/registry.ts';
import type { CommandSpec } from '../args.ts';

export const passesCommand: CommandSpec = {
  name: 'passes',
  summary: 'list the compiler passes, in pipeline order, with what each requires and ensures, and their options',
  usage: 'hec passes',
  options: [],
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
  summary: 'benchmarks that print numbers: `ckks` (engine ops vs node-seal) or `bootstrap`',
  usage: 'hec bench ckks|bootstrap [--json] [--threads N] [--preset LIST] [--variant LIST] [--runs N]',
  options: [
    { name: 'json', type: 'boolean', help: 'JSON lines only' },
    { name: 'threads', type: 'number', arg: 'N', help: 'cpu threads (default: 1 and all for ckks, 1 for bootstrap)' },
    { name: 'log-n', type: 'string', arg: 'LIST', help: 'ckks: ring degrees, e.g. 14,15,16' },
    { name: 'preset', type: 'string', arg: 'LIST', help: 'bootstrap: parameter presets (default N16_BOOT_DENSE: dense secret, sparse-secret encapsulation; N16_BOOT_H192_INSECURE: the former h=192 default)' },
    { name: 'variant', type: 'string', arg: 'LIST', help: 'bootstrap: full,real (default both)' },
    { name: 'runs', type: 'number', arg: 'N', help: 'bootstrap: warm timed runs per configuration (default 3)' },
  ],
  async run({ positional, opts }) {
    const what = positional[0];
    const threads = typeof opts.threads === 'number' ? [opts.threads] : undefined;
    if (what === 'ckks') {
      const { runCkksBench } = await import('./bench-ckks.ts');
      const logNs = typeof opts['log-n'] === 'string' ? opts['log-n'].split(',').map(Number) : undefined;
      await runCkksBench({ json: opts.json === true, threads, logNs });
      return 0;
    }
    if (what === 'bootstrap') {
      const { runBootstrapBench } = await import('./bench-bootstrap.ts');
      const list = (v: unknown): string[] | undefined => (typeof v === 'string' ? v.split(',').filter((x) => x !== '') : undefined);
      const variants = list(opts.variant);
      for (const v of variants ?? []) {
        if (v !== 'full' && v !== 'real') throw new HecError('HEC0001', `hec bench bootstrap: unknown variant '${v}'`, { fix: 'use --variant full, real or full,real' });
      }
      await runBootstrapBench({
        json: opts.json === true, threads: threads?.[0], presets: list(opts.preset),
        variants: variants as ('full' | 'real')[] | undefined, runs: typeof opts.runs === 'number' ? opts.runs : undefined,
      });
      return 0;
    }
    throw new HecError('HEC0001', `hec bench needs 'ckks' or 'bootstrap', got '${what ?? ''}'`);
  },
};
