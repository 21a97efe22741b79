/**
 * @fileoverview The plan cache behind `hec run MODEL.onnx`: compile once per everything that determines the plan.
 *
 * The key is a sha256 over hec's version and sources, the .onnx bytes, the bytes of every external weight file the
 * model names (or "absent": a graph-only plan is never reused once the weights are there), the calibration file's
 * bytes and every compile option. Entries are written to a temporary file and renamed (runtime/plan.ts writePlan),
 * and every read is validated (checksum, model hash): a torn or damaged entry is recompiled, not fatal. The model path
 * is never taken from a cached plan (the caller runs the model it was given), so moving the project folder changes
 * nothing. A folder where `.hec-cache` cannot be created or written is reported on stderr and the plan is compiled
 * without caching.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HecError } from '../ir/diagnostics.ts';
import { isAttrDict } from '../ir/types.ts';
import { parsePlan, readPlan, serializePlan, writePlan, type Plan } from '../runtime/plan.ts';
import { compileModel, type CompileOptions } from './driver.ts';
import { loadOnnxBytes, readOnnxFile } from './onnx/load.ts';

export const CACHE_DIR = '.hec-cache';

const HEC_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let sourceDigest: string | undefined;

/**
 * hec's version and a digest of its own TypeScript sources: a changed compiler never reuses a plan an older one wrote
 * (the package version alone does not move between commits).
 */
export function hecFingerprint(): string {
  if (sourceDigest === undefined) {
    const h = createHash('sha256');
    const pkg = JSON.parse(readFileSync(join(HEC_ROOT, 'package.json'), 'utf8')) as { version?: string };
    h.update(`hec ${pkg.version ?? '?'}\n`);
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const p = join(dir, e.name);
        if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'build') walk(p);
        else if (e.isFile() && e.name.endsWith('.ts')) h.update(`${relative(HEC_ROOT, p)}\n`).update(readFileSync(p));
      }
    };
    for (const d of ['compiler', 'ir', 'passes', 'runtime']) walk(join(HEC_ROOT, d));
    sourceDigest = h.digest('hex');
  }
  return sourceDigest;
}

/** The cache key of compiling `modelPath` with `co`: everything that determines the plan. */
export function planCacheKey(modelPath: string, co: CompileOptions): string {
  const bytes = readOnnxFile(modelPath);
  // Decoding also validates the external-data locations (HEC1006) and reads each weight file once for its hash.
  const loaded = loadOnnxBytes(bytes, modelPath);
  const key = {
    hec: hecFingerprint(),
    model: loaded.sha256,
    weights: loaded.externalData.map((w) => [w.location, w.sha256 ?? 'absent']),
    calibration: co.calibrationFile === undefined ? null : createHash('sha256').update(readCalibrationBytes(co.calibrationFile)).digest('hex'),
    calibrationSequences: co.calibrationSequences ?? null,
    preset: co.preset,
    maxContext: co.maxContext,
    bootstrapCalibrationTokens: co.bootstrapCalibrationTokens ?? null,
    layers: co.layers ?? null,
    packing: co.packing ?? 'auto',
    placement: co.placement ?? 'level-aware',
    costTable: co.costTable === undefined ? null : createHash('sha256').update(JSON.stringify(co.costTable)).digest('hex'),
  };
  return createHash('sha256').update(JSON.stringify(key)).digest('hex');
}

function readCalibrationBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new HecError('HEC1040', `cannot read calibration file ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { fix: 'check the path given to --calibration' });
  }
}

function entryName(key: string, co: CompileOptions): string {
  return `${key.slice(0, 24)}-${co.preset}-ctx${co.maxContext}-cal${co.bootstrapCalibrationTokens}${co.layers !== undefined ? `-layers${co.layers}` : ''}.plan`;
}

/** Why `dir` cannot hold the cache, or undefined when it can (created if needed). */
function prepareCacheDir(dir: string): string | undefined {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) return `${dir} exists and is not a folder`;
    mkdirSync(dir, { recursive: true });
    return undefined;
  } catch (e) {
    return `cannot create ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
}

export interface CachedPlan {
  plan: Plan;
  /** The cache file, or a description when the plan was compiled without caching. */
  path: string;
  /** Whether `path` is a cache file holding the plan. */
  cached: boolean;
}

/**
 * The plan for `modelPath` compiled with `co`, from `cacheRoot/.hec-cache` when an intact entry exists, else compiled
 * (and stored when the folder allows). `warn` receives one line per cache problem; compile errors propagate.
 */
/** The cache file that holds (or would hold) the plan of `modelPath` compiled with `co` under `cacheRoot`. */
export function planCacheFile(modelPath: string, co: CompileOptions, cacheRoot = '.'): string {
  return join(resolve(cacheRoot, CACHE_DIR), entryName(planCacheKey(modelPath, co), co));
}

export async function cachedPlanForModel(
  modelPath: string,
  co: CompileOptions,
  opts: { cacheRoot?: string; progress: (stage: string, detail?: string) => void; warn: (line: string) => void },
): Promise<CachedPlan> {
  const file = planCacheFile(modelPath, co, opts.cacheRoot);
  const dir = dirname(file);
  if (existsSync(file)) {
    try {
      const plan = readPlan(file);
      if (!isAttrDict(plan.module.attrs.model)) throw new HecError('HEC5003', `${file} has no model header`);
      opts.progress('plan', `reusing ${file}`);
      return { plan, path: file, cached: true };
    } catch (e) {
      if (!(e instanceof HecError)) throw e;
      opts.warn(`warning: the cached plan ${file} is damaged (${e.code}: ${e.diagnostic.message.split('\n')[0]}); recompiling it`);
      rmSync(file, { force: true });
    }
  }
  const why = prepareCacheDir(dir);
  const r = await compileModel(modelPath, co);
  // Informational only: `hec run MODEL.onnx` always runs the model it was given, never this path.
  const header = r.module.attrs.model;
  if (isAttrDict(header)) header.path = relative(dir, resolve(modelPath));
  const text = serializePlan(r.module);
  if (why === undefined) {
    try {
      writePlan(file, r.module);
      opts.progress('plan', `compiled to ${file}`);
      return { plan: readPlan(file), path: file, cached: true };
    } catch (e) {
      if (e instanceof HecError) throw e;
      opts.warn(`warning: cannot write the plan cache ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); running without caching`);
    }
  } else opts.warn(`warning: ${why}; running without a plan cache (the model is compiled on every run)`);
  return { plan: parsePlan(text, `<plan compiled from ${modelPath}>`), path: `<not cached: compiled from ${modelPath}>`, cached: false };
}
