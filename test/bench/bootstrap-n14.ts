/** Dev check: engine vs plain noise model at N=2^14 with N16_BOOT's chain (insecure). */
import { makeParams } from '../../ir/params.ts';
import { PRESETS } from '../../ir/presets.ts';
import { nativeContext, CpuServer, setCpuThreads, type NativeObject } from '../../runtime/backends/cpu/index.ts';
import { bootstrap, bootstrapRotations, bootstrapPlan, runBootstrap, PlainPrim } from '../../runtime/bootstrap/index.ts';
import { cvec } from '../../runtime/bootstrap/linalg.ts';

setCpuThreads(Number(process.env.THREADS ?? 2));
const logN = Number(process.argv[2] ?? 14);
const params = makeParams({ ...PRESETS.N16_BOOT!, name: `N${logN}_BOOTCHAIN`, logN, insecure: true });
const variant = (process.argv[3] ?? 'real') as 'full' | 'real';
const n = params.slots;
const re = Float64Array.from({ length: n }, () => Math.random() * 2 - 1);
const im = Float64Array.from({ length: n }, () => (variant === 'full' ? Math.random() * 2 - 1 : 0));
const prec = (gr: Float64Array, gi: Float64Array) => {
  let s = 0, m = 0;
  for (let i = 0; i < n; i++) { const e = Math.hypot(gr[i]! - re[i]!, gi[i]! - im[i]!); s += e; m = Math.max(m, e); }
  return `${(-Math.log2(s / n)).toFixed(2)}/${(-Math.log2(m)).toFixed(2)}`;
};
const P = new PlainPrim(params, { noise: true, seed: 1 });
const z = cvec(n); z.re.set(re); z.im.set(im);
const o = runBootstrap(P, P.fromSlots(z, 0), bootstrapPlan(params, variant));
console.log('plain model', prec(o.v.re, o.v.im));
const cx = nativeContext(params);
const sk = cx.genSecretKey(params.secretHammingWeight);
const small = cx.genEvalKeys(sk, false, [], false);
const server = new CpuServer(params, { bytes: cx.serialize(small) });
small.free();
const slot = server as unknown as { evk: NativeObject };
slot.evk.free();
slot.evk = cx.genEvalKeys(sk, true, bootstrapRotations(params), true);
const pt = cx.encode(re, im, 0, 2 ** params.logScale[0]!);
const ct = server.deserialize(cx.serialize(cx.encryptSk(sk, pt)));
const t = performance.now();
const out = bootstrap(server, ct, { variant });
const ms = performance.now() - t;
const d = cx.decode(cx.decrypt(sk, (out as unknown as { h: NativeObject }).h));
console.log('engine', prec(d.re, d.im), `${ms.toFixed(0)} ms`);
