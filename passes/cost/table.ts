/**
 * @fileoverview Cost tables: measured latency of each CKKS primitive by level, on one backend and machine.
 *
 * `hec bench ops --json` writes one (compiler/commands/bench-ops.ts); a table measured on this project's 2-core
 * machine class is bundled (passes/cost/tables/). A table is plain JSON a user can ship with a plan:
 *   {format: "hec-cost-table/1", about: {date, machine, command, backend, threads, timing}, preset, log_n, levels,
 *    ops: {add: [ms at level 0, …, ms at level L], …}}
 * A `null` entry is a level that was not measured: it is interpolated linearly between measured neighbours (and
 * extrapolated from the nearest two at the ends), since every primitive's cost is close to linear in the limb count.
 * Plans at another ring degree are priced by scaling with N (an approximation, said where it is printed).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HecError } from '../../ir/diagnostics.ts';

/** The primitives a table prices (ms per call; rotate_hoisted is per rotation of a batch of 8). */
export const PRIMITIVES = ['add', 'add_const', 'mul_const', 'mul_plain', 'mul_relin', 'rescale', 'level_drop', 'rotate', 'rotate_hoisted', 'encode', 'bootstrap'] as const;
export type Primitive = (typeof PRIMITIVES)[number];

export interface CostTableAbout {
  date: string;
  machine: string;
  command: string;
  backend: string;
  threads: number;
  /** What `ms` means, e.g. "median process CPU time of 3 warm runs (1 engine thread)". */
  timing: string;
  /** Conditions worth knowing (e.g. a loaded machine), added by whoever ran it. */
  note?: string;
}

export interface CostTable {
  format: 'hec-cost-table/1';
  about: CostTableAbout;
  preset: string;
  log_n: number;
  /** Highest level of the chain the table was measured on (entries run 0 … levels). */
  levels: number;
  ops: Record<Primitive, (number | null)[]>;
}

const FORMAT = 'hec-cost-table/1';

/** The bundled table: N16_BOOT on the cpu engine, measured on this project's 2-core machine class. */
export const DEFAULT_TABLE_PATH = fileURLToPath(new URL('./tables/cpu-N16_BOOT.json', import.meta.url));

function bad(file: string, what: string): never {
  throw new HecError('HEC4701', `cost table ${file}: ${what}`, { location: { file }, fix: 'write the table with `hec bench ops --json > FILE`' });
}

/** Check a parsed table: the format tag, every primitive present with one entry per level and at least one measured. */
export function validateCostTable(raw: unknown, file: string): CostTable {
  if (typeof raw !== 'object' || raw === null) bad(file, 'not a JSON object');
  const t = raw as Partial<CostTable>;
  if (t.format !== FORMAT) bad(file, `format is ${JSON.stringify(t.format)}, expected "${FORMAT}"`);
  if (typeof t.log_n !== 'number' || typeof t.levels !== 'number' || typeof t.ops !== 'object' || t.ops === null) bad(file, 'missing log_n, levels or ops');
  for (const p of PRIMITIVES) {
    const row = (t.ops as Partial<Record<Primitive, unknown>>)[p];
    if (!Array.isArray(row) || row.length !== t.levels + 1) bad(file, `ops.${p} must list ${t.levels + 1} entries (levels 0 … ${t.levels})`);
    if (row.some((x) => x !== null && (typeof x !== 'number' || !(x >= 0)))) bad(file, `ops.${p} has an entry that is neither null nor a non-negative number`);
    if (row.every((x) => x === null)) bad(file, `ops.${p} has no measured level`);
  }
  return t as CostTable;
}

export function readCostTable(file: string): CostTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new HecError('HEC4701', `cost table ${file} cannot be read`, { location: { file }, fix: 'check the path, or omit --cost-table to use the bundled table' });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    bad(file, `invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return validateCostTable(raw, file);
}

let bundled: CostTable | undefined;
export function defaultCostTable(): CostTable {
  bundled ??= readCostTable(DEFAULT_TABLE_PATH);
  return bundled;
}

/** ms of one call of `p` at `level`, for ring degree 2^logN (interpolated / extrapolated / N-scaled as above). */
export function primitiveMs(t: CostTable, p: Primitive, level: number, logN: number = t.log_n): number {
  const row = t.ops[p];
  const known: [number, number][] = [];
  row.forEach((v, l) => {
    if (v !== null) known.push([l, v]);
  });
  let ms: number;
  const exact = row[level];
  if (exact !== undefined && exact !== null) ms = exact;
  else if (known.length === 1) ms = known[0]![1];
  else {
    let i = known.findIndex(([l]) => l > level);
    if (i <= 0) i = i === 0 ? 1 : known.length - 1;
    const [l0, v0] = known[i - 1]!;
    const [l1, v1] = known[i]!;
    ms = Math.max(0, v0 + ((v1 - v0) * (level - l0)) / (l1 - l0));
  }
  return ms * 2 ** (logN - t.log_n);
}

const priceCache = new WeakMap<CostTable, Map<string, Record<Primitive, Float64Array>>>();

/** primitiveMs for every primitive at levels 0 … maxLevel, computed once per (table, ring degree, maxLevel). */
export function pricesByLevel(t: CostTable, logN: number, maxLevel: number): Record<Primitive, Float64Array> {
  let perTable = priceCache.get(t);
  if (perTable === undefined) priceCache.set(t, (perTable = new Map()));
  const key = `${logN}/${maxLevel}`;
  let prices = perTable.get(key);
  if (prices === undefined) {
    prices = Object.fromEntries(PRIMITIVES.map((p) => [p, Float64Array.from({ length: maxLevel + 1 }, (_, l) => primitiveMs(t, p, l, logN))])) as Record<Primitive, Float64Array>;
    perTable.set(key, prices);
  }
  return prices;
}
