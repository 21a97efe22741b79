/** Dev check: accuracy of the engine's levelDrop / rescale / mul at a preset (relative errors, log2). */
import { makeParams } from '../../ir/params.ts';
import { PRESETS, presetParams } from '../../ir/presets.ts';
import { cpuBackend } from '../../runtime/backends/cpu/index.ts';

const params = process.argv[2] === 'chain'
  ? makeParams({ ...PRESETS.N16_BOOT!, name: 'CHAIN', logN: Number(process.argv[3] ?? 12), insecure: true })
  : presetParams(process.argv[2] ?? 'TEST_INSECURE_BOOT_N12', { allowInsecure: true });
const client = await cpuBackend.createClient(params);
const server = await cpuBackend.createServer(params, await client.evaluationKeys({ relinearize: true, conjugate: false, rotations: [], bootstrap: false }));
const n = params.slots;
const re = Float64Array.from({ length: n }, () => Math.random() * 2 - 1);
const err = (ct: any, want: Float64Array) => {
  const d = client.decrypt(server.serialize(ct));
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(d.re[i]! - want[i]!));
  return Math.log2(m).toFixed(1);
};
const top = params.levels - 2;
const ct = server.deserialize(client.encrypt({ re }, top));
console.log('fresh', err(ct, re));
for (const to of [top - 1, top - 3, top - 8]) console.log(`levelDrop ${top}->${to}`, err(server.levelDrop(ct, to), re));
const sq = re.map((x) => x * x);
console.log('mul+rescale', err(server.rescale(server.mul(ct, ct)), sq));
for (let l = top; l > top - 8; l--) {
  const c = server.levelDrop(ct, l);
  const m = server.rescale(server.mul(c, c));
  const d = server.levelDrop(m, l - 3);
  console.log(`L${l}: mul+rescale`, err(m, sq), 'then drop 3', err(d, sq));
}
console.log('mulConst(0.7)+rescale', err(server.rescale(server.mulConst(ct, 0.7, 2 ** params.logScale[top]!)), re.map((x) => 0.7 * x)));
