/**
 * `ckks.poly` from primitives (runtime/poly-eval.ts, what engines without a fused version run) agrees with sim's fused
 * Clenshaw evaluation and with plain Chebyshev arithmetic, and consumes exactly polyDepth levels.
 */
import { describe, expect, it } from 'vitest';
import { polyDepth } from '../../../ir/ops.ts';
import { presetParams } from '../../../ir/presets.ts';
import { chebyshevEval, chebyshevInterpolate } from '../../../ir/chebyshev.ts';
import { simBackend } from '../../../runtime/backends/sim/index.ts';
import { evalChebyshev } from '../../../runtime/poly-eval.ts';
import { seededVector } from '../../helpers/seeded.ts';

describe('Chebyshev evaluation from primitives', () => {
  for (const degree of [1, 3, 7, 15, 31]) {
    it(`degree ${degree}: primitives = fused = plain, depth ${polyDepth(degree)}`, async () => {
      const params = presetParams('TEST_INSECURE_N13_DEEP', { allowInsecure: true });
      const client = await simBackend.createClient(params);
      const server = await simBackend.createServer(params, await client.evaluationKeys({ relinearize: true, conjugate: false, rotations: [], bootstrap: false }));
      const series = chebyshevInterpolate((t) => Math.sin(t) * Math.exp(-t / 4), -3, 3, degree);
      const x = seededVector(degree, params.slots, 3);
      const level = 20;
      const ct = server.deserialize(client.encrypt({ re: x }, level));
      const a = evalChebyshev(server, ct, series.coeffs, series.domain);
      const b = server.evalChebyshev!(ct, series.coeffs, series.domain);
      expect(a.level).toBe(level - polyDepth(degree));
      expect(b.level).toBe(a.level);
      const va = client.decrypt(server.serialize(a)).re;
      const vb = client.decrypt(server.serialize(b)).re;
      let worst = 0;
      for (let i = 0; i < x.length; i++) {
        worst = Math.max(worst, Math.abs(va[i]! - vb[i]!), Math.abs(va[i]! - chebyshevEval(series, x[i]!)));
      }
      // Only constant quantisation (coefficients rounded at scale 2^55) separates the three.
      expect(worst).toBeLessThan(1e-9);
      server.free(a);
      server.free(b);
      server.free(ct);
      expect(server.liveCount()).toBe(0);
    });
  }
});
