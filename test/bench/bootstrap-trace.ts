/**
 * Dev tool: run the circuit on the cpu engine and, in lockstep, on plain (noiseless) vectors fed with the engine's
 * actual ModRaise output; print the engine's error after every rescale (log2 of max |Δ| relative to max |value|).
 *   npx tsx test/bench/bootstrap-trace.ts [logN] [full|real]
 */
import { makeParams } from '../../ir/params.ts';
import { PRESETS } from '../../ir/presets.ts';
import type { Ciphertext } from '../../runtime/backend.ts';
import { nativeContext, CpuServer, setCpuThreads, type NativeObject } from '../../runtime/backends/cpu/index.ts';
import { bootstrapPlan, bootstrapRotations, runBootstrap, PlainPrim, type PlainCt } from '../../runtime/bootstrap/index.ts';
import type { Prim } from '../../runtime/bootstrap/prim.ts';
import { ServerPrim, type BootstrapServer } from '../../runtime/bootstrap/server.ts';

setCpuThreads(2);
const logN = Number(process.argv[2] ?? 12);
const params = makeParams({ ...PRESETS.N16_BOOT_H192_INSECURE!, name: `N${logN}_TRACE`, logN, insecure: true, secretHammingWeight: Number(process.env.H ?? 192) });
const variant = (process.argv[3] ?? 'real') as 'full' | 'real';
const n = params.slots;
const cx = nativeContext(params);
const sk = cx.genSecretKey(params.secretHammingWeight);
// In-process dev tool: the native key object goes to the server directly (no transfer; see bench-bootstrap for that).
const server = new CpuServer(params, cx.genEvalKeys(sk, true, bootstrapRotations(params), true));
const dec = (c: any): { re: Float64Array; im: Float64Array } => (process.env.MODEL === '1' ? c.v : cx.decode(cx.decrypt(sk, (c as { h: NativeObject }).h)));

type Pair = { e: any; p: PlainCt };
// MODEL=1: the "engine" side is the plain noise model instead (to compare error growth op by op).
const model = process.env.MODEL === '1' ? new PlainPrim(params, { noise: true, seed: 5 }) : undefined;
const E: Prim<any> = model ?? new ServerPrim(server as unknown as BootstrapServer, false);
const Pl = new PlainPrim(params);
const log: string[] = [];
function report(op: string, x: Pair): void {
  const d = dec(x.e);
  let em = 0, vm = 0;
  for (let i = 0; i < n; i++) {
    em = Math.max(em, Math.hypot(d.re[i]! - x.p.v.re[i]!, d.im[i]! - x.p.v.im[i]!));
    vm = Math.max(vm, Math.hypot(x.p.v.re[i]!, x.p.v.im[i]!));
  }
  log.push(`${op.padEnd(10)} L${String(x.p.level).padStart(2)} |v|max 2^${Math.log2(vm).toFixed(1).padStart(6)} err 2^${Math.log2(em).toFixed(1).padStart(6)} rel 2^${Math.log2(em / vm).toFixed(1)}`);
}
const both: Prim<Pair> = {
  params,
  level: (c) => c.p.level,
  scale: (c) => c.p.scale,
  add: (a, b) => ({ e: E.add(a.e, b.e), p: Pl.add(a.p, b.p) }),
  sub: (a, b) => ({ e: E.sub(a.e, b.e), p: Pl.sub(a.p, b.p) }),
  negate: (a) => ({ e: E.negate(a.e), p: Pl.negate(a.p) }),
  addConst: (a, c) => ({ e: E.addConst(a.e, c), p: Pl.addConst(a.p, c) }),
  mulConst: (a, c, s) => ({ e: E.mulConst(a.e, c, s), p: Pl.mulConst(a.p, c, s) }),
  mulDiag: (a, d, s, k) => ({ e: E.mulDiag(a.e, d, s, k), p: Pl.mulDiag(a.p, d, s) }),
  mul: (a, b) => ({ e: E.mul(a.e, b.e), p: Pl.mul(a.p, b.p) }),
  rescale: (a) => { const r = { e: E.rescale(a.e), p: Pl.rescale(a.p) }; report('rescale', r); return r; },
  levelDrop: (a, l) => ({ e: E.levelDrop(a.e, l), p: Pl.levelDrop(a.p, l) }),
  rotate: (a, k) => ({ e: E.rotate(a.e, k), p: Pl.rotate(a.p, k) }),
  rotateHoisted: (a, ks) => { const es = E.rotateHoisted(a.e, ks); const ps = Pl.rotateHoisted(a.p, ks); return es.map((e, i) => ({ e, p: ps[i]! })); },
  conjugate: (a) => { const r = { e: E.conjugate(a.e), p: Pl.conjugate(a.p) }; report('conj', r); return r; },
  modRaise: (a) => {
    const e = model ? model.modRaise(a.e) : E.modRaise(a.e);
    const d = dec(e);
    const p = Pl.fromSlots({ re: d.re, im: d.im }, e.level, e.scale);
    return { e, p };
  },
  free: (a) => E.free(a.e),
};
const re = Float64Array.from({ length: n }, () => Math.random() * 2 - 1);
const im = Float64Array.from({ length: n }, () => (variant === 'full' ? Math.random() * 2 - 1 : 0));
const pt = cx.encode(re, im, 0, 2 ** params.logScale[0]!);
const ct = model ? model.fromSlots({ re, im }, 0) : server.deserialize(cx.serialize(cx.encryptSk(sk, pt)));
const inP = Pl.fromSlots({ re, im }, 0);
const out = runBootstrap(both, { e: ct, p: inP }, bootstrapPlan(params, variant));
report('OUT', out);
console.log(log.filter((l, i) => i % Number(process.env.EVERY ?? 1) === 0 || l.startsWith('OUT') || l.startsWith('conj')).join('\n'));
