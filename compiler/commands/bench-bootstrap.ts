/**
 * @fileoverview `hec bench bootstrap [--json]`: CKKS bootstrapping (runtime/bootstrap) on the native `cpu` engine.
 *
 * For each preset × variant: encrypt uniform random values in [−1, 1] (real and imaginary parts for `full`, real for
 * `real`) at level 0, bootstrap, decrypt, compare with the input. One line per configuration:
 *   {logN, slots, variant, ms, cpu_ms, ms_cold, levels_before, levels_after, precision_bits_mean, precision_bits_min,
 *    keys_bytes, keys_parts, keys_ms, keys_loaded_bytes, peak_rss_bytes, secure, sparse_secret, threads, runs}
 * ms is the median over `runs` warm runs (plaintext diagonals cached, as Lattigo precomputes them); cpu_ms the median
 * CPU time of the same runs (this process; with one engine thread it is the engine's time, and it moves far less
 * than ms when other jobs share the machine); ms_cold includes encoding them. sparse_secret = the ephemeral
 * Hamming weight of sparse-secret encapsulation (0 = none). precision_bits_mean = −log2(mean |err|), precision_bits_min = −log2(max |err|) over all slots.
 *
 * Keys take the real client → server path: the client streams its evaluation keys (manifest + one seeded part per
 * switching key, runtime/backend.ts EvaluationKeys) and the server loads them one at a time, so neither side holds
 * all serialized keys. keys_bytes = bytes that crossed (N16_BOOT_DENSE: 46 rotations + relinearisation + conjugation,
 * ≈ 78.6 MB each, 3.77 GB), keys_loaded_bytes = the server's expanded keys (twice that: `a` regenerated from seeds),
 * keys_ms = generation + transfer + loading, peak_rss_bytes = this process's peak resident memory so far.
 */
import type { CkksParams } from '../../ir/params.ts';
import { DEFAULT_PRESET, presetParams } from '../../ir/presets.ts';
import { cpuBackend, cpuNotBuiltReason, loadCpuNative, setCpuThreads, type CpuClient, type CpuServer } from '../../runtime/backends/cpu/index.ts';
import { observeKeyParts } from '../../runtime/key-parts.ts';
import { bootstrap, bootstrapRotations, releaseCache, type BootstrapVariant } from '../../runtime/bootstrap/index.ts';

export interface BootstrapBenchOptions {
  json?: boolean;
  /** Presets to run (default DEFAULT_PRESET, N16_BOOT_DENSE). */
  presets?: string[];
  variants?: BootstrapVariant[];
  /** Warm timed runs per configuration (default 3). */
  runs?: number;
  threads?: number;
  print?: (line: string) => void;
}

export interface BootstrapBenchRecord {
  preset: string;
  logN: number;
  slots: number;
  variant: BootstrapVariant;
  ms: number;
  cpu_ms: number;
  ms_cold: number;
  levels_before: number;
  levels_after: number;
  precision_bits_mean: number;
  precision_bits_min: number;
  keys_bytes: number;
  keys_parts: number;
  keys_ms: number;
  keys_loaded_bytes: number;
  peak_rss_bytes: number;
  secure: boolean;
  sparse_secret: number;
  threads: number;
  runs: number;
}

/**
 * Bytes of loaded (expanded) switching keys: digits × (b, a) × (Q + P limbs) × N × 8 B each; with encapsulation the
 * key to the sparse secret has one digit over q_0 and p_0 only (runtime/native/src/ckks/ckks.h KEY_TO_SPARSE).
 */
function loadedKeyBytes(params: CkksParams, keys: number): number {
  const limbs = params.q.length + params.p.length;
  const alpha = Math.ceil(params.q.length / params.dnum);
  const full = Math.ceil(params.q.length / alpha) * 2 * limbs * 2 ** params.logN * 8;
  if ((params.bootstrapSparseWeight ?? 0) === 0) return keys * full;
  return (keys - 1) * full + 2 * 2 * 2 ** params.logN * 8;
}

/** Peak resident set size of this process, in bytes. */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export interface BootstrapPair {
  client: CpuClient;
  server: CpuServer;
  /** Bytes that crossed from client to server, and in how many parts. */
  keysBytes: number;
  keysParts: number;
  keysMs: number;
}

/** A client and a server built from its streamed evaluation keys: relinearisation, conjugation and `rotations`. */
export async function bootstrapPair(params: CkksParams, rotations: number[]): Promise<BootstrapPair> {
  const t0 = performance.now();
  const client = await cpuBackend.createClient(params);
  const keys = await client.evaluationKeys({ relinearize: true, conjugate: true, rotations, bootstrap: true });
  let keysBytes = 0, keysParts = 0;
  const server = await cpuBackend.createServer(params, observeKeyParts(keys, (_i, _n, bytes) => {
    keysBytes += bytes;
    keysParts++;
  }));
  return { client, server, keysBytes, keysParts, keysMs: performance.now() - t0 };
}

export async function runBootstrapBench(opts: BootstrapBenchOptions = {}): Promise<BootstrapBenchRecord[]> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const note = (l: string): void => { if (!opts.json) print(`# ${l}`); };
  if (loadCpuNative() === null) {
    note(`cpu engine not built: ${cpuNotBuiltReason()}`);
    return [];
  }
  const threads = setCpuThreads(opts.threads ?? 1);
  const out: BootstrapBenchRecord[] = [];
  for (const name of opts.presets ?? [DEFAULT_PRESET]) {
    const params = presetParams(name, { allowInsecure: true });
    const rots = bootstrapRotations(params, 'full');
    let t = performance.now();
    const { client, server, keysBytes, keysParts, keysMs } = await bootstrapPair(params, rots);
    note(`${name}: ${rots.length} rotation keys + relin + conj streamed client → server in ${keysParts} parts, ` +
      `${(keysBytes / 1e9).toFixed(2)} GB, ${((performance.now() - t) / 1000).toFixed(1)} s, peak RSS ${(peakRssBytes() / 2 ** 30).toFixed(2)} GiB`);
    for (const variant of opts.variants ?? (['full', 'real'] as BootstrapVariant[])) {
      const n = params.slots;
      const re = new Float64Array(n), im = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        re[i] = Math.random() * 2 - 1;
        im[i] = variant === 'full' ? Math.random() * 2 - 1 : 0;
      }
      const ct = server.deserialize(client.encryptAt({ re, im }, 0, 2 ** params.logScale[0]!));
      const times: number[] = [], cpu: number[] = [];
      let cold = 0, sum = 0, worst = 0, level = -1;
      const runs = opts.runs ?? 3;
      for (let r = 0; r <= runs; r++) {
        t = performance.now();
        const c0 = process.cpuUsage();
        const res = bootstrap(server, ct, { variant });
        const ms = performance.now() - t;
        const c = process.cpuUsage(c0);
        if (r === 0) cold = ms;
        else {
          times.push(ms);
          cpu.push((c.user + c.system) / 1000);
        }
        if (r === runs) {
          level = res.level;
          const d = client.decrypt(server.serialize(res));
          for (let i = 0; i < n; i++) {
            const e = Math.hypot(d.re[i]! - re[i]!, d.im![i]! - im[i]!);
            sum += e;
            worst = Math.max(worst, e);
          }
        }
        server.free(res);
      }
      server.free(ct);
      // Each variant encodes its own diagonals (CtS and StC differ between them): free them before the next one, so
      // peak memory is one variant's (N16_BOOT_DENSE: ≈ 7.5 GB of keys plus a few GB of plaintexts).
      releaseCache(server);
      const rec: BootstrapBenchRecord = {
        preset: name, logN: params.logN, slots: n, variant, ms: Math.round(median(times)), cpu_ms: Math.round(median(cpu)), ms_cold: Math.round(cold),
        levels_before: 0, levels_after: level,
        precision_bits_mean: Number((-Math.log2(sum / n)).toFixed(2)), precision_bits_min: Number((-Math.log2(worst)).toFixed(2)),
        keys_bytes: keysBytes, keys_parts: keysParts, keys_ms: Math.round(keysMs), keys_loaded_bytes: loadedKeyBytes(params, keysParts - 1),
        peak_rss_bytes: peakRssBytes(), secure: params.secure, sparse_secret: params.bootstrapSparseWeight ?? 0, threads, runs,
      };
      out.push(rec);
      print(JSON.stringify(rec));
    }
    releaseCache(server);
    server.dispose();
    client.dispose();
  }
  return out;
}
