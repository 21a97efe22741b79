/**
 * @fileoverview `hec bench bootstrap [--json]`: CKKS bootstrapping (runtime/bootstrap) on the native `cpu` engine.
 *
 * For each preset × variant: encrypt uniform random values in [−1, 1] (real and imaginary parts for `full`, real for
 * `real`) at level 0, bootstrap, decrypt, compare with the input. One line per configuration:
 *   {logN, slots, variant, ms, ms_cold, levels_before, levels_after, precision_bits_mean, precision_bits_min,
 *    keys_bytes, secure, threads, runs}
 * ms is the median over `runs` warm runs (plaintext diagonals cached, as Lattigo precomputes them); ms_cold includes
 * encoding them. precision_bits_mean = −log2(mean |err|), precision_bits_min = −log2(max |err|) over all slots.
 *
 * Keys: N16_BOOT's 38 rotation keys + relinearisation + conjugation are ≈ 6.3 GB (dnum 5 × 2 × 30 limbs × 2^16 × 8 B
 * each), beyond the 4 GiB a single Uint8Array can hold, so `EvaluationKeys` cannot carry them. Until the engine
 * offers chunked or seeded key transfer, the bench generates them natively and hands the native key object to the
 * server (the server never sees the secret key); keys_bytes is then the native size, computed.
 */
import type { CkksParams } from '../../ir/params.ts';
import { presetParams } from '../../ir/presets.ts';
import { CpuServer, cpuNotBuiltReason, loadCpuNative, nativeContext, setCpuThreads, type NativeObject } from '../../runtime/backends/cpu/index.ts';
import { bootstrap, bootstrapRotations, releaseCache, type BootstrapVariant } from '../../runtime/bootstrap/index.ts';

export interface BootstrapBenchOptions {
  json?: boolean;
  /** Presets to run (default N16_BOOT). */
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
  ms_cold: number;
  levels_before: number;
  levels_after: number;
  precision_bits_mean: number;
  precision_bits_min: number;
  keys_bytes: number;
  secure: boolean;
  threads: number;
  runs: number;
}

function keyBytes(params: CkksParams, keys: number): number {
  const limbs = params.q.length + params.p.length;
  return keys * params.dnum * 2 * limbs * 2 ** params.logN * 8;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Server + secret key for a preset, keys generated natively (see file comment). */
export function nativeBootstrapServer(params: CkksParams, rotations: number[]): { server: CpuServer; sk: NativeObject; keysBytes: number } {
  const cx = nativeContext(params);
  const sk = cx.genSecretKey(params.secretHammingWeight);
  const small = cx.genEvalKeys(sk, false, [], false);
  const bytes = cx.serialize(small);
  small.free();
  const server = new CpuServer(params, { bytes });
  const evk = cx.genEvalKeys(sk, true, rotations, true);
  // The server's key object is replaced by the full native one (same parameters, public material only).
  const slot = server as unknown as { evk: NativeObject };
  slot.evk.free();
  slot.evk = evk;
  return { server, sk, keysBytes: keyBytes(params, rotations.length + 2) };
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
  for (const name of opts.presets ?? ['N16_BOOT']) {
    const params = presetParams(name, { allowInsecure: true });
    const rots = bootstrapRotations(params, 'full');
    let t = performance.now();
    const { server, sk, keysBytes } = nativeBootstrapServer(params, rots);
    note(`${name}: ${rots.length} rotation keys + relin + conj generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const cx = nativeContext(params);
    for (const variant of opts.variants ?? (['full', 'real'] as BootstrapVariant[])) {
      const n = params.slots;
      const re = new Float64Array(n), im = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        re[i] = Math.random() * 2 - 1;
        im[i] = variant === 'full' ? Math.random() * 2 - 1 : 0;
      }
      const pt = cx.encode(re, im, 0, 2 ** params.logScale[0]!);
      const ctN = cx.encryptSk(sk, pt);
      pt.free();
      const ct = server.deserialize(cx.serialize(ctN));
      ctN.free();
      const times: number[] = [];
      let cold = 0, sum = 0, worst = 0, level = -1;
      const runs = opts.runs ?? 3;
      for (let r = 0; r <= runs; r++) {
        t = performance.now();
        const res = bootstrap(server, ct, { variant });
        const ms = performance.now() - t;
        if (r === 0) cold = ms;
        else times.push(ms);
        if (r === runs) {
          level = res.level;
          const dpt = cx.decrypt(sk, (res as unknown as { h: NativeObject }).h);
          const d = cx.decode(dpt);
          dpt.free();
          for (let i = 0; i < n; i++) {
            const e = Math.hypot(d.re[i]! - re[i]!, d.im[i]! - im[i]!);
            sum += e;
            worst = Math.max(worst, e);
          }
        }
        server.free(res);
      }
      server.free(ct);
      const rec: BootstrapBenchRecord = {
        preset: name, logN: params.logN, slots: n, variant, ms: Math.round(median(times)), ms_cold: Math.round(cold),
        levels_before: 0, levels_after: level,
        precision_bits_mean: Number((-Math.log2(sum / n)).toFixed(2)), precision_bits_min: Number((-Math.log2(worst)).toFixed(2)),
        keys_bytes: keysBytes, secure: params.secure, threads, runs,
      };
      out.push(rec);
      print(JSON.stringify(rec));
    }
    releaseCache(server);
    server.dispose();
    sk.free();
  }
  return out;
}
