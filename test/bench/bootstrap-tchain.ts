/** Dev check: error of the Chebyshev T_j chain on the engine vs the plain noise model (N16_BOOT_DENSE chain at logN). */
import { makeParams } from '../../ir/params.ts';
import { PRESETS } from '../../ir/presets.ts';
import { cpuBackend } from '../../runtime/backends/cpu/index.ts';
import { ChebEvaluator } from '../../runtime/bootstrap/evalmod.ts';
import { PlainPrim } from '../../runtime/bootstrap/plain.ts';
import { ServerPrim, type BootstrapServer } from '../../runtime/bootstrap/server.ts';

const logN = Number(process.argv[2] ?? 12);
const params = makeParams({ ...PRESETS.N16_BOOT_H192_INSECURE!, name: 'CHAIN', logN, insecure: true, secretHammingWeight: Number(process.env.H ?? 192) });
const client = await cpuBackend.createClient(params);
const server = await cpuBackend.createServer(params, await client.evaluationKeys({ relinearize: true, conjugate: false, rotations: [], bootstrap: false }));
const n = params.slots;
const re = Float64Array.from({ length: n }, () => Math.random() * 2 - 1);
const top = 21;
const E = new ServerPrim(server as unknown as BootstrapServer, false);
const M = new PlainPrim(params, { noise: true });
const ee = new ChebEvaluator(E, server.deserialize(client.encrypt({ re }, top)), false, 32);
const me = new ChebEvaluator(M, M.fromSlots({ re, im: new Float64Array(n) }, top), false, 32);
for (const j of [2, 3, 4, 5, 7, 8, 9, 15, 16, 31, 32, 64, 128, 256]) {
  const d = client.decrypt(server.serialize(ee.t(j)));
  const m = me.t(j).v.re;
  let e1 = 0, e2 = 0;
  for (let i = 0; i < n; i++) {
    const exact = Math.cos(j * Math.acos(re[i]!));
    e1 = Math.max(e1, Math.abs(d.re[i]! - exact));
    e2 = Math.max(e2, Math.abs(m[i]! - exact));
  }
  console.log(`T_${j}`.padEnd(6), 'engine 2^' + Math.log2(e1).toFixed(1), ' model 2^' + Math.log2(e2).toFixed(1));
}
