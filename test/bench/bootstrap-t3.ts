/** Dev check: pieces of T_3 = 2·T_2·T_1 − T_1 on the engine. */
import { makeParams } from '../../ir/params.ts';
import { PRESETS } from '../../ir/presets.ts';
import { cpuBackend } from '../../runtime/backends/cpu/index.ts';

const params = makeParams({ ...PRESETS.N16_BOOT!, name: 'CHAIN', logN: 12, insecure: true });
const client = await cpuBackend.createClient(params);
const s = await cpuBackend.createServer(params, await client.evaluationKeys({ relinearize: true, conjugate: false, rotations: [], bootstrap: false }));
const n = params.slots;
const x = Float64Array.from({ length: n }, () => Math.random() * 2 - 1);
const err = (ct: any, f: (v: number) => number) => {
  const d = client.decrypt(s.serialize(ct));
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(d.re[i]! - f(x[i]!)));
  return `2^${Math.log2(m).toFixed(1)} (L${ct.level}, scale 2^${Math.log2(ct.scale).toFixed(6)})`;
};
const X = s.deserialize(client.encrypt({ re: x }, 21));
const sq = s.rescale(s.mul(X, X));
console.log('x^2', err(sq, (v) => v * v));
const X20 = s.levelDrop(X, 20);
console.log('drop x→20', err(X20, (v) => v));
const p = s.rescale(s.mul(sq, X20));
console.log('x^2·x', err(p, (v) => v ** 3));
const X20b = s.dropLevel(X, 20);
console.log('dropLevel (keep scale) x→20', err(X20b, (v) => v));
const X20c = s.rescale(s.mulConst(X, 1, 2 ** params.logScale[20]! * Number(params.q[21]) / X.scale));
console.log('mulConst+rescale x→20', err(X20c, (v) => v));
const p2 = s.rescale(s.mul(sq, X20c));
console.log('x^2·x (via mulConst drop)', err(p2, (v) => v ** 3));
console.log('canonical 20 = 2^' + params.logScale[20], ' 21 = 2^' + params.logScale[21]);
const two = s.add(p, p);
console.log('2x^3', err(two, (v) => 2 * v ** 3));
const low = s.levelDrop(X, 19);
console.log('drop x→19', err(low, (v) => v));
console.log('2x^3 − x', err(s.sub(two, low), (v) => 2 * v ** 3 - v));
const T2 = s.addConst(s.add(sq, sq), -1);
console.log('T2', err(T2, (v) => 2 * v * v - 1));
const T2x = s.rescale(s.mul(T2, X20));
console.log('T2·x', err(T2x, (v) => (2 * v * v - 1) * v));
