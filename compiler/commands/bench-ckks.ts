/**
 * @fileoverview `hec bench ckks [--json]`: micro-benchmarks of the native `cpu` CKKS engine against node-seal 6.0.3.
 *
 * Ops: ntt (one forward limb, timed inside C++), encode, encrypt (public key), decrypt, mul_relin, rotate,
 * hoisted_rotate (per rotation, batch of 8), rescale. Configurations:
 *  - logN 14 and 15, cpu and seal with the same N and modulus bit sizes ([60, 40×L] + one 60-bit special prime, so
 *    the cpu runs with dnum = L+1 digits exactly like SEAL's per-prime decomposition);
 *  - logN 16, cpu only (node-seal is a 4 GiB wasm build): 26 Q limbs (60 + 25×40 bits), 5 special primes, dnum 5.
 * cpu runs at threads=1 and at the hardware thread count; node-seal is single-threaded.
 * Output: one JSON object per line {op, logN, limbs, dnum, threads, backend, ms_median, ms_min, runs}, then one ratio
 * line per op ({ratio: 'seal/cpu', ...}) and key sizes in bytes ({keys: ...}).
 */
import sealPkg from 'node-seal';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';

import { makeParams, type CkksParams } from '../../ir/params.ts';
import { PRESETS } from '../../ir/presets.ts';
import { loadCpuNative, cpuNotBuiltReason, nativeContext, type NativeObject } from '../../runtime/backends/cpu/index.ts';

export interface CkksBenchOptions {
  /** Only JSON lines (no '#' commentary). */
  json?: boolean;
  /** Ring degrees to run (default 14, 15, 16). */
  logNs?: number[];
  /** Also run node-seal at logN ≤ 15 (default true). */
  seal?: boolean;
  /** Thread counts for cpu (default [1, hardware threads]). */
  threads?: number[];
  /** Timed repetitions per op (default: 9 at logN ≤ 15, 5 at 16). */
  runs?: number;
  /** Extra cpu-only runs at named presets (e.g. N16_BOOT_DENSE with its 55-bit chain); default none. */
  presets?: string[];
  /** Line sink (default console.log). */
  print?: (line: string) => void;
}

export interface CkksBenchRecord {
  op: string;
  logN: number;
  limbs: number;
  dnum: number;
  threads: number;
  backend: 'cpu' | 'seal';
  ms_median: number;
  ms_min: number;
  runs: number;
  /** Median process CPU time per run (user+sys, all threads): robust to a loaded machine at threads=1. */
  cpu_ms_median?: number;
}

export interface CkksBenchResult {
  records: CkksBenchRecord[];
  ratios: { op: string; logN: number; ratio: number; cpu_threads: number }[];
  keySizes: Record<string, unknown>[];
}

const OPS = ['ntt', 'encode', 'encrypt', 'decrypt', 'mul_relin', 'rotate', 'hoisted_rotate', 'rescale'] as const;

function benchParams(logN: number): CkksParams {
  if (logN === 16) {
    return makeParams({ name: 'BENCH_N16', logN, firstPrimeBits: 60, scalePrimeBits: 40, levels: 25, specialPrimeBits: [60, 60, 60, 60, 60], dnum: 5, scaleBits: 40, secretHammingWeight: 0, bootstrapLevels: 0, insecure: true });
  }
  const levels = logN === 15 ? 16 : 7; // SEAL-sized: 60 + 40·L + 60 within the 128-bit bound (881 / 438 bits)
  return makeParams({ name: `BENCH_N${logN}`, logN, firstPrimeBits: 60, scalePrimeBits: 40, levels, specialPrimeBits: [60], dnum: levels + 1, scaleBits: 40, secretHammingWeight: 0, bootstrapLevels: 0, insecure: true });
}

function stats(ts: number[]): { ms_median: number; ms_min: number } {
  const s = [...ts].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const med = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { ms_median: Number(med.toFixed(4)), ms_min: Number(s[0]!.toFixed(4)) };
}

let lastCpu: number[] = [];

function time(runs: number, f: () => void): number[] {
  f(); // warm-up (caches, page faults)
  const out: number[] = [];
  lastCpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    out.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    lastCpu.push((c.user + c.system) / 1000);
  }
  return out;
}

function cpuMedian(scale = 1): { cpu_ms_median?: number } {
  if (lastCpu.length === 0) return {};
  const s = [...lastCpu].sort((a, b) => a - b);
  return { cpu_ms_median: Number(((s[s.length >> 1]! * scale)).toFixed(4)) };
}

function values(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.01));
}

async function benchCpu(params: CkksParams, threads: number[], runs: number, emit: (r: CkksBenchRecord) => void, keys: (k: Record<string, unknown>) => void): Promise<void> {
  const N = loadCpuNative()!;
  const cx = nativeContext(params);
  const L = params.levels;
  const scale = 2 ** params.logScale[L]!;
  const sk = cx.genSecretKey(0);
  const pk = cx.genPublicKey(sk);
  const hoist = [1, 2, 3, 4, 5, 6, 7, 8];
  const evk = cx.genEvalKeys(sk, true, hoist, false);
  // Key sizes as they travel: one part per switching key, `a` as its seed (and, for comparison, in full).
  const relinM = cx.evalKeyManifest(true, [], false).bytes;
  const rotM = cx.evalKeyManifest(false, [1], false).bytes;
  keys({
    keys: 'cpu', logN: params.logN, limbs: L + 1, dnum: params.dnum, special: params.p.length,
    relin_bytes: cx.genEvalKeyPart(sk, relinM, 1, true).length, rotation_key_bytes: cx.genEvalKeyPart(sk, rotM, 1, true).length,
    relin_bytes_unseeded: cx.genEvalKeyPart(sk, relinM, 1, false).length,
    public_key_bytes: cx.serialize(pk).length, secret_key_bytes: cx.serialize(sk).length,
  });
  const re = values(params.slots);
  const pt = cx.encode(re, null, L, scale);
  const ct = cx.encryptPk(pk, pt);
  const ct2 = cx.encryptPk(pk, pt);
  const free = (o: NativeObject | NativeObject[]) => (Array.isArray(o) ? o.forEach((x) => x.free()) : o.free());
  for (const t of threads) {
    N.setThreads(t);
    const rec = (op: string, ts: number[], cpuScale = 1) => emit({ op, logN: params.logN, limbs: L + 1, dnum: params.dnum, threads: t, backend: 'cpu', ...stats(ts), runs: ts.length, ...cpuMedian(cpuScale) });
    lastCpu = [];
    const nttTimes = Array.from(cx.benchNtt(1, Math.max(runs, 50)));
    rec('ntt', nttTimes);
    rec('encode', time(runs, () => free(cx.encode(re, null, L, scale))));
    rec('encrypt', time(runs, () => free(cx.encryptPk(pk, pt))));
    rec('decrypt', time(runs, () => free(cx.decrypt(sk, ct))));
    rec('mul_relin', time(runs, () => free(cx.mul(ct, ct2, evk))));
    rec('rotate', time(runs, () => free(cx.rotate(ct, 1, evk))));
    rec('hoisted_rotate', time(runs, () => free(cx.rotateHoisted(ct, hoist, evk))).map((x) => x / hoist.length), 1 / hoist.length);
    const sq = cx.mul(ct, ct2, evk);
    rec('rescale', time(runs, () => free(cx.rescale(sq))));
    sq.free();
  }
  N.setThreads(0);
  [pt, ct, ct2, evk, pk, sk].forEach((o) => o.free());
}

type SealFactory = () => Promise<SEALLibrary>;
const sealFactory = ((sealPkg as unknown as { default?: SealFactory }).default ?? sealPkg) as unknown as SealFactory;

async function benchSeal(params: CkksParams, runs: number, emit: (r: CkksBenchRecord) => void, keys: (k: Record<string, unknown>) => void): Promise<void> {
  const seal = await sealFactory();
  const L = params.levels;
  const Nn = 1 << params.logN;
  const parms = seal.EncryptionParameters(seal.SchemeType.ckks);
  parms.setPolyModulusDegree(Nn);
  parms.setCoeffModulus(seal.CoeffModulus.Create(Nn, Int32Array.from([60, ...new Array<number>(L).fill(40), 60])));
  const ctx = seal.Context(parms, true, seal.SecurityLevel.none);
  const kg = seal.KeyGenerator(ctx);
  const pk = kg.createPublicKey();
  const sk = kg.secretKey();
  const rk = kg.createRelinKeys();
  // One rotation key: SEAL has no hoisting, so a batch of 8 rotations costs 8 independent key switches.
  const gk = kg.createGaloisKeys(Int32Array.from([1]));
  const none = seal.ComprModeType.none;
  keys({ keys: 'seal', logN: params.logN, limbs: L + 1, dnum: L + 1, special: 1, relin_bytes: rk.saveArray(none).length, rotation_key_bytes: gk.saveArray(none).length, public_key_bytes: pk.saveArray(none).length, secret_key_bytes: sk.saveArray(none).length });
  const enc = seal.CKKSEncoder(ctx);
  const encryptor = seal.Encryptor(ctx, pk);
  const decryptor = seal.Decryptor(ctx, sk);
  const ev = seal.Evaluator(ctx);
  const scale = 2 ** 40;
  const re = values(params.slots);
  const pt = enc.encode(re, scale) as ReturnType<typeof seal.PlainText>;
  const ct = encryptor.encrypt(pt) as ReturnType<typeof seal.CipherText>;
  const ct2 = encryptor.encrypt(pt) as ReturnType<typeof seal.CipherText>;
  const rec = (op: string, ts: number[], cpuScale = 1) => emit({ op, logN: params.logN, limbs: L + 1, dnum: L + 1, threads: 1, backend: 'seal', ...stats(ts), runs: ts.length, ...cpuMedian(cpuScale) });
  const del = (o: { delete(): void } | void) => o && o.delete();
  rec('encode', time(runs, () => del(enc.encode(re, scale))));
  rec('encrypt', time(runs, () => del(encryptor.encrypt(pt))));
  rec('decrypt', time(runs, () => del(decryptor.decrypt(ct))));
  rec('mul_relin', time(runs, () => {
    const m = ev.multiply(ct, ct2) as ReturnType<typeof seal.CipherText>;
    ev.relinearize(m, rk, m);
    m.delete();
  }));
  rec('rotate', time(runs, () => del(ev.rotateVector(ct, 1, gk))));
  rec('hoisted_rotate', time(runs, () => {
    for (let i = 0; i < 8; i++) del(ev.rotateVector(ct, 1, gk));
  }).map((x) => x / 8), 1 / 8);
  const sq = ev.multiply(ct, ct2) as ReturnType<typeof seal.CipherText>;
  ev.relinearize(sq, rk, sq);
  rec('rescale', time(runs, () => del(ev.rescaleToNext(sq))));
  [sq, pt, ct, ct2, enc, encryptor, decryptor, ev, gk, rk, pk, sk, kg, ctx, parms].forEach((o) => o.delete());
}

export async function runCkksBench(opts: CkksBenchOptions = {}): Promise<CkksBenchResult> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const note = (l: string) => {
    if (!opts.json) print(`# ${l}`);
  };
  const native = loadCpuNative();
  if (native === null) throw new Error(`HEC5201: ${cpuNotBuiltReason() ?? 'cpu engine not built'}`);
  const hw = native.getThreads();
  const threads = opts.threads ?? [...new Set([1, hw])];
  const result: CkksBenchResult = { records: [], ratios: [], keySizes: [] };
  const emit = (r: CkksBenchRecord) => {
    result.records.push(r);
    print(JSON.stringify(r));
  };
  const keys = (k: Record<string, unknown>) => {
    result.keySizes.push(k);
    print(JSON.stringify(k));
  };
  note(`cpu engine: threads ${threads.join(', ')} (hardware ${hw}), AVX-512 IFMA ${native.ifmaAvailable() ? 'on' : 'unavailable'}`);
  for (const logN of opts.logNs ?? [14, 15, 16]) {
    const params = benchParams(logN);
    const runs = opts.runs ?? (logN >= 16 ? 5 : 9);
    note(`logN ${logN}: ${params.q.length} Q limbs, ${params.p.length} special, dnum ${params.dnum}`);
    await benchCpu(params, threads, runs, emit, keys);
    if ((opts.seal ?? true) && logN <= 15) {
      await benchSeal(params, runs, emit, keys);
      for (const op of OPS) {
        const s = result.records.find((r) => r.backend === 'seal' && r.logN === logN && r.op === op);
        for (const t of threads) {
          const c = result.records.find((r) => r.backend === 'cpu' && r.logN === logN && r.op === op && r.threads === t);
          if (s === undefined || c === undefined) continue;
          const ratio = { ratio: 'seal/cpu', op, logN, cpu_threads: t, value: Number((s.ms_median / c.ms_median).toFixed(2)) };
          result.ratios.push({ op, logN, ratio: ratio.value, cpu_threads: t });
          print(JSON.stringify(ratio));
        }
      }
    }
  }
  for (const name of opts.presets ?? []) {
    const lit = PRESETS[name];
    if (lit === undefined) throw new Error(`HEC6002: unknown parameter preset '${name}'`);
    const params = makeParams({ ...lit, secretHammingWeight: 0 });
    note(`preset ${name}: logN ${params.logN}, ${params.q.length} Q limbs (${params.scalePrimeBits}-bit), ${params.p.length} special, dnum ${params.dnum}`);
    await benchCpu(params, threads, opts.runs ?? 5, emit, keys);
  }
  return result;
}
