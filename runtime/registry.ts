/**
 * @fileoverview The explicit list of backends, loaded lazily, and how a run picks one.
 *
 * Every backend is imported only when asked for, so a missing native addon or CUDA toolchain costs nothing until
 * someone names it, and then yields a reason instead of a crash. `resolveBackend` tries the requested names in order
 * and throws ONE error listing why each failed. `auto` means every *encrypting* backend by descending priority;
 * `sim` encrypts nothing and is only used when named explicitly.
 */
import { HecError } from '../ir/diagnostics.ts';
import type { Backend } from './backend.ts';
import { E_NO_BACKEND, E_UNKNOWN_BACKEND } from './backends/checks.ts';

export interface BackendEntry {
  name: string;
  /** Higher = preferred by `auto`. */
  priority: number;
  /** False for `sim`, which keeps values in the clear. */
  encrypts: boolean;
  description: string;
  load: () => Promise<Backend>;
}

export interface BackendStatus {
  name: string;
  priority: number;
  encrypts: boolean;
  description: string;
  available: boolean;
  /** Why it cannot be loaded (absent when available). */
  reason?: string;
}

/**
 * Import a module that may legitimately not exist yet (native backends are built on install). The specifier is a
 * runtime value so TypeScript does not demand the file at type-check time.
 */
async function importOptional(rel: string): Promise<Record<string, unknown>> {
  const url = new URL(rel, import.meta.url).href;
  return (await import(url)) as Record<string, unknown>;
}

function isModuleNotFound(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  return code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url|does not exist/i.test(msg);
}

function pick(mod: Record<string, unknown>, exportName: string, file: string): Backend {
  const b = mod[exportName] as Backend | undefined;
  if (b === undefined || typeof b.createServer !== 'function') throw new Error(`${file} does not export '${exportName}'`);
  return b;
}

export const BACKENDS: readonly BackendEntry[] = [
  {
    name: 'cuda',
    priority: 40,
    encrypts: true,
    description: 'native CKKS engine on NVIDIA GPUs',
    load: async () => {
      let mod: Record<string, unknown>;
      try {
        mod = await importOptional('./backends/cuda/index.ts');
      } catch (e) {
        if (isModuleNotFound(e)) throw new Error('not built (needs nvcc and a CUDA GPU)');
        throw e;
      }
      return pick(mod, 'cudaBackend', 'runtime/backends/cuda/index.ts');
    },
  },
  {
    name: 'cpu',
    priority: 30,
    encrypts: true,
    description: 'native multithreaded CKKS engine (C++ addon)',
    load: async () => {
      let mod: Record<string, unknown>;
      try {
        mod = await importOptional('./backends/cpu/index.ts');
      } catch (e) {
        if (isModuleNotFound(e)) {
          // Keep the missing path (the index itself or the addon it loads) but not Node's "imported from" tail.
          const first = (e as Error).message.split('\n')[0]!.replace(/ imported from .*$/, '');
          throw new Error(`not built/available: ${first} (run npm install to build the addon)`);
        }
        throw e;
      }
      // Importing the TS face never fails; whether the addon was built shows here (a clear reason, not at first use).
      (mod.cpuReady as () => void)();
      return pick(mod, 'cpuBackend', 'runtime/backends/cpu/index.ts');
    },
  },
  {
    name: 'seal',
    priority: 20,
    encrypts: true,
    description: 'Microsoft SEAL 4 via node-seal (wasm, no bootstrapping, logN ≤ 15)',
    load: async () => {
      const mod = await import('./backends/seal/index.ts');
      await mod.sealReady();
      return mod.sealBackend;
    },
  },
  {
    name: 'sim',
    priority: 10,
    encrypts: false,
    description: 'slot-exact float64 reference (NO encryption; for development and tests)',
    load: async () => (await import('./backends/sim/index.ts')).simBackend,
  },
];

const cache = new Map<string, Promise<Backend>>();

function entry(name: string): BackendEntry {
  const e = BACKENDS.find((b) => b.name === name);
  if (e === undefined) {
    throw new HecError(E_UNKNOWN_BACKEND, `unknown backend '${name}'`, { fix: `use one of: auto, ${BACKENDS.map((b) => b.name).join(', ')}` });
  }
  return e;
}

/** Load one backend (memoised, including failures: a broken addon will not fix itself within a process). */
export function loadBackend(name: string): Promise<Backend> {
  let p = cache.get(name);
  if (p === undefined) {
    p = entry(name).load();
    cache.set(name, p);
  }
  return p;
}

function reasonOf(e: unknown): string {
  if (e instanceof HecError) return e.diagnostic.message;
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}

/** Expand `auto` and validate names, keeping order and dropping duplicates. */
function expand(names: readonly string[]): string[] {
  const auto = [...BACKENDS].filter((b) => b.encrypts).sort((a, b) => b.priority - a.priority).map((b) => b.name);
  const out: string[] = [];
  for (const n of names.length === 0 ? ['auto'] : names) {
    for (const m of n === 'auto' ? auto : [entry(n).name]) if (!out.includes(m)) out.push(m);
  }
  return out;
}

/** The first backend of `names` (default `auto`) that loads; one HEC5201 error listing every failure otherwise. */
export async function resolveBackend(names: readonly string[] = []): Promise<Backend> {
  const tried = expand(names);
  const failures: string[] = [];
  for (const n of tried) {
    try {
      return await loadBackend(n);
    } catch (e) {
      failures.push(`${n}: ${reasonOf(e)}`);
    }
  }
  throw new HecError(E_NO_BACKEND, `no backend could be loaded (tried ${tried.join(', ')}): ${failures.join('; ')}`, {
    fix: "build a native backend (npm install), or pass --backend seal / --backend sim",
  });
}

/** Every registered backend with its availability, for `--help` and diagnostics. Loads each one. */
export async function listBackends(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const b of BACKENDS) {
    const { name, priority, encrypts, description } = b;
    try {
      await loadBackend(name);
      out.push({ name, priority, encrypts, description, available: true });
    } catch (e) {
      out.push({ name, priority, encrypts, description, available: false, reason: reasonOf(e) });
    }
  }
  return out;
}
