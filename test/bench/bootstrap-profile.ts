/**
 * Profile of one bootstrap on the cpu engine: CPU time per primitive kind (dev tool).
 *   npx tsx test/bench/bootstrap-profile.ts [PRESET] [full|real]
 */
import { presetParams } from '../../ir/presets.ts';
import { bootstrapPair } from '../../compiler/commands/bench-bootstrap.ts';
import { setCpuThreads } from '../../runtime/backends/cpu/index.ts';
import { bootstrapPlan, bootstrapRotations, runBootstrap } from '../../runtime/bootstrap/index.ts';
import { ServerPrim, type BootstrapServer } from '../../runtime/bootstrap/server.ts';

const name = process.argv[2] ?? 'TEST_INSECURE_BOOT_N12';
const variant = (process.argv[3] ?? 'full') as 'full' | 'real';
setCpuThreads(1);
const params = presetParams(name, { allowInsecure: true });
const { server: srv, client } = await bootstrapPair(params, bootstrapRotations(params));
const server = srv as unknown as BootstrapServer;
const P = new ServerPrim(server);
const prof = new Map<string, { n: number; ms: number }>();
const proxy = new Proxy(P, {
  get(target, prop, recv) {
    const v = Reflect.get(target, prop, recv);
    if (typeof v !== 'function') return v;
    return (...args: unknown[]) => {
      // CPU time, not wall time: the engine runs on this thread (setCpuThreads(1)), and CPU time is far less
      // disturbed by other processes on a shared machine.
      const t = process.cpuUsage();
      const r = v.apply(target, args);
      // Key-switching-heavy kinds per level (where the cost sits in the chain).
      const lvl = (args[0] as { level?: number } | undefined)?.level;
      const name = ['linearTransform', 'mul', 'rescale'].includes(String(prop)) && lvl !== undefined ? `${String(prop)}@${lvl}` : String(prop);
      const e = prof.get(name) ?? { n: 0, ms: 0 };
      const d = process.cpuUsage(t);
      e.n++;
      e.ms += (d.user + d.system) / 1000;
      prof.set(name, e);
      return r;
    };
  },
});
const n = params.slots;
const re = new Float64Array(n).map(() => Math.random() * 2 - 1);
const ct = server.deserialize(client.encryptAt({ re }, 0, 2 ** params.logScale[0]!));
const plan = bootstrapPlan(params, variant);
for (let r = 0; r < Number(process.env.RUNS ?? 2); r++) {
  prof.clear();
  const t = performance.now();
  const c = process.cpuUsage();
  const f0 = process.resourceUsage().minorPageFault;
  const out = runBootstrap(proxy, ct, plan);
  const d = process.cpuUsage(c);
  const faults = process.resourceUsage().minorPageFault - f0;
  console.log(`run ${r}: ${(performance.now() - t).toFixed(0)} ms wall, ${((d.user + d.system) / 1000).toFixed(0)} ms cpu (${(d.system / 1000).toFixed(0)} ms system), ${faults} page faults`);
  server.free(out);
}
for (const [k, v] of [...prof.entries()].sort((a, b) => b[1].ms - a[1].ms)) console.log(k.padEnd(14), String(v.n).padStart(5), v.ms.toFixed(1).padStart(9), 'ms');
