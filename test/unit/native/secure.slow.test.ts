/**
 * Secure-size runs (HEC_SLOW=1): the N15_SHALLOW and N16_BOOT_DENSE presets end to end on the cpu engine — key generation
 * (N16_BOOT_DENSE with its sparse secret), encrypt, mul+relin+rescale, rotations, conjugation, levelDrop — with precision.
 */
import { describe, expect, it } from 'vitest';

import { presetParams } from '../../../ir/presets.ts';
import { cpuBackend } from '../../../runtime/backends/cpu/index.ts';
import { precision, report, skipReason, vec } from './helpers.ts';

describe.skipIf(skipReason !== undefined)('cpu engine at secure presets', () => {
  for (const name of ['N15_SHALLOW', 'N16_BOOT_DENSE']) {
    it(`${name}: ops decrypt within precision`, async () => {
      const params = presetParams(name);
      expect(params.secure).toBe(true);
      const n = params.slots;
      const t0 = performance.now();
      const client = await cpuBackend.createClient(params);
      const keys = await client.evaluationKeys({ relinearize: true, conjugate: true, rotations: [1, 1000], bootstrap: false });
      const server = await cpuBackend.createServer(params, keys);
      console.log(`[secure] ${name}: keygen+load ${(performance.now() - t0).toFixed(0)} ms, evaluation keys ${(keys.byteLength / 2 ** 20).toFixed(0)} MiB in ${keys.count} parts`);
      const a = { re: vec(n, 41), im: vec(n, 42) };
      const b = { re: vec(n, 43), im: vec(n, 44) };
      const L = params.levels;
      const x = server.deserialize(client.encrypt(a, L));
      const y = server.deserialize(client.encrypt(b, L));
      const dec = (c: Parameters<typeof server.serialize>[0]) => client.decrypt(server.serialize(c));
      const m = server.rescale(server.mul(x, y));
      let d = dec(m);
      let p = precision(d.re, a.re.map((v, i) => v * b.re[i]! - a.im[i]! * b.im[i]!), d.im!, a.re.map((v, i) => v * b.im[i]! + a.im[i]! * b.re[i]!));
      report(`${name} mul+rescale`, p);
      expect(p.worstBits).toBeGreaterThan(20);
      for (const k of [1, 1000]) {
        d = dec(server.rotate(x, k));
        p = precision(d.re, a.re.map((_, i) => a.re[(i + k) % n]!), d.im!, a.im.map((_, i) => a.im[(i + k) % n]!));
        report(`${name} rotate ${k}`, p);
        expect(p.worstBits).toBeGreaterThan(20);
      }
      d = dec(server.conjugate(x));
      p = precision(d.re, a.re, d.im!, a.im.map((v) => -v));
      report(`${name} conjugate`, p);
      expect(p.worstBits).toBeGreaterThan(20);
      d = dec(server.levelDrop(m, 2));
      expect(d.re.length).toBe(n);
      server.dispose();
      client.dispose();
    });
  }
});
