/**
 * @fileoverview `hec bench ops [--json]`: the latency of every CKKS primitive by level on the backend at hand — the
 * cost table (passes/cost/table.ts) the cost model prices plans with.
 *
 * For each requested level ℓ: a ciphertext encrypted at the top level is dropped to ℓ, then each primitive runs
 * `runs` times after one warm-up (the bootstrap at `--bootstrap-levels` only, default 1, and at most twice) (mul_relin = relinearised product, rotate_hoisted = per rotation of a batch of 8,
 * rescale = of a fresh product, encode = one slot vector at ℓ, bootstrap = the real-slot circuit from ℓ, range 1).
 * With one engine thread the recorded figure is the median process CPU time (robust while other jobs share the
 * machine); with more threads it is the median wall time. `--json` prints the table; levels not measured are null.
 */
import { hostname, cpus } from 'node:os';
import { HecError } from '../../ir/diagnostics.ts';
import { DEFAULT_PRESET, presetParams } from '../../ir/presets.ts';
import type { CkksParams } from '../../ir/params.ts';
import { PRIMITIVES, type CostTable, type Primitive } from '../../passes/cost/table.ts';
import type { Ciphertext, ServerContext } from '../../runtime/backend.ts';
import { cpuBackend, cpuNotBuiltReason, loadCpuNative, setCpuThreads } from '../../runtime/backends/cpu/index.ts';
import { bootstrap, bootstrapRotations, releaseCache } from '../../runtime/bootstrap/index.ts';
import { canonical } from '../../runtime/bootstrap/prim.ts';
import { bootstrapPair } from './bench-bootstrap.ts';

export interface OpsBenchOptions {
  preset?: string;
  ops?: Primitive[];
  levels?: number[];
  /** Levels to time the bootstrap at (default [1]): its cost hardly depends on the input level (it drops to 0 first). */
  bootstrapLevels?: number[];
  runs?: number;
  threads?: number;
  /** The command line, recorded in the table. */
  command?: string;
  print?: (line: string) => void;
  json?: boolean;
}

const HOIST = [1, 2, 3, 4, 5, 6, 7, 8];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Time f: one warm-up, then `runs` runs; returns {wall, cpu} medians in ms. */
function timeIt(runs: number, f: () => void): { wall: number; cpu: number } {
  f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function slotValues(params: CkksParams): { re: Float64Array } {
  return { re: Float64Array.from({ length: params.slots }, (_, i) => Math.sin(i * 0.37) * 0.5) };
}

/** One primitive at one level; returns ms (see the header for which figure). */
function measure(s: ServerContext, p: Primitive, ct: Ciphertext, ct2: Ciphertext, params: CkksParams, runs: number, useCpu: boolean): number {
  const level = ct.level;
  const vals = slotValues(params);
  const keep = (x: Ciphertext | Ciphertext[]): void => (Array.isArray(x) ? x.forEach((c) => s.free(c)) : s.free(x));
  let t: { wall: number; cpu: number };
  let per = 1;
  switch (p) {
    case 'add': t = timeIt(runs, () => keep(s.add(ct, ct2))); break;
    case 'add_const': t = timeIt(runs, () => keep(s.addConst(ct, 0.25))); break;
    case 'mul_const': t = timeIt(runs, () => keep(s.mulConst(ct, 0.25, canonical(params, level)))); break;
    case 'mul_plain': {
      const pt = s.encode(vals, level, canonical(params, level));
      t = timeIt(runs, () => keep(s.mulPlain(ct, pt)));
      s.free(pt);
      break;
    }
    case 'mul_relin': t = timeIt(runs, () => keep(s.mul(ct, ct2))); break;
    case 'rescale': {
      const prod = s.mul(ct, ct2);
      t = timeIt(runs, () => keep(s.rescale(prod)));
      s.free(prod);
      break;
    }
    case 'level_drop': t = timeIt(runs, () => keep(s.levelDrop(ct, level - 1))); break;
    case 'rotate': t = timeIt(runs, () => keep(s.rotate(ct, 1))); break;
    case 'rotate_hoisted': t = timeIt(runs, () => keep(s.rotateHoisted(ct, HOIST))); per = HOIST.length; break;
    case 'encode': t = timeIt(runs, () => s.free(s.encode(vals, level, canonical(params, level)))); break;
    case 'bootstrap': t = timeIt(runs, () => keep(bootstrap(s, ct, { variant: 'real', range: 1 }))); break;
  }
  return Number(((useCpu ? t.cpu : t.wall) / per).toFixed(3));
}

/** Primitives that need ℓ ≥ 1: products (a Δ² result exceeds q_0 at level 0), rescale and level drop. */
const NEED_LEVEL_1: ReadonlySet<Primitive> = new Set(['mul_const', 'mul_plain', 'mul_relin', 'rescale', 'level_drop']);

export async function runOpsBench(opts: OpsBenchOptions = {}): Promise<CostTable | null> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const note = (l: string): void => {
    if (!opts.json) print(`# ${l}`);
  };
  if (loadCpuNative() === null) {
    note(`cpu engine not built: ${cpuNotBuiltReason()}`);
    return null;
  }
  const params = presetParams(opts.preset ?? DEFAULT_PRESET, { allowInsecure: true });
  const ops = opts.ops ?? [...PRIMITIVES];
  const levels = opts.levels ?? Array.from({ length: params.levels + 1 }, (_, l) => l);
  for (const l of [...levels, ...(opts.bootstrapLevels ?? [])]) {
    if (!Number.isInteger(l) || l < 0 || l > params.levels) throw new HecError('HEC0001', `hec bench ops: level ${l} is outside 0 … ${params.levels} of ${params.name}`, { fix: `use --levels with values in 0 … ${params.levels}` });
  }
  const wantsBoot = ops.includes('bootstrap');
  if (wantsBoot && params.bootstrapOutputLevel < 0) throw new HecError('HEC0001', `hec bench ops: ${params.name} cannot bootstrap`, { fix: 'drop bootstrap from --ops, or use a bootstrapping preset' });
  const threads = setCpuThreads(opts.threads ?? 1);
  const useCpu = threads === 1;
  const runs = opts.runs ?? 3;
  const t0 = performance.now();
  const rotations = [...new Set([...HOIST, ...(wantsBoot ? bootstrapRotations(params, 'real') : [])])].sort((a, b) => a - b);
  const { client, server } = wantsBoot
    ? await bootstrapPair(params, rotations)
    : await (async () => {
        const c = await cpuBackend.createClient(params);
        const s = await cpuBackend.createServer(params, await c.evaluationKeys({ relinearize: true, conjugate: false, rotations, bootstrap: false }));
        return { client: c, server: s };
      })();
  note(`${params.name}: keys ready in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${threads} engine thread(s); ${runs} runs per entry`);
  const top1 = server.deserialize(client.encrypt(slotValues(params), params.levels));
  const top2 = server.deserialize(client.encrypt(slotValues(params), params.levels));
  const table: CostTable = {
    format: 'hec-cost-table/1',
    about: {
      date: new Date().toISOString(),
      machine: `${hostname()}: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}`,
      command: opts.command ?? 'hec bench ops --json',
      backend: 'cpu',
      threads,
      timing: useCpu ? `median process CPU time of ${runs} warm runs (1 engine thread)` : `median wall time of ${runs} warm runs (${threads} engine threads)`,
    },
    preset: params.name,
    log_n: params.logN,
    levels: params.levels,
    ops: Object.fromEntries(PRIMITIVES.map((p) => [p, new Array<number | null>(params.levels + 1).fill(null)])) as CostTable['ops'],
  };
  const bootLevels = opts.bootstrapLevels ?? [1];
  for (const level of [...new Set([...levels, ...(wantsBoot ? bootLevels : [])])].sort((a, b) => b - a)) {
    const a = level === params.levels ? top1 : server.levelDrop(top1, level);
    const b = level === params.levels ? top2 : server.levelDrop(top2, level);
    for (const p of ops) {
      if (NEED_LEVEL_1.has(p) && level < 1) continue;
      if (!(p === 'bootstrap' ? bootLevels : levels).includes(level)) continue;
      const ms = measure(server, p, a, b, params, p === 'bootstrap' ? Math.min(runs, 2) : runs, useCpu);
      table.ops[p][level] = ms;
      note(`${p} at level ${level}: ${ms} ms`);
    }
    if (a !== top1) server.free(a);
    if (b !== top2) server.free(b);
  }
  server.free(top1);
  server.free(top2);
  if (wantsBoot) releaseCache(server);
  server.dispose();
  client.dispose();
  if (opts.json) print(JSON.stringify(table, null, 1));
  return table;
}
