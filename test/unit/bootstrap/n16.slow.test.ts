/**
 * Secure-size bootstrapping (N16_BOOT_DENSE, 128-bit) on the cpu engine: ≈ 6.3 GB of keys and a few GB of cached
 * plaintexts, minutes of CPU. Slow tier only (HEC_SLOW=1).
 */
import { describe, expect, it } from 'vitest';

import { runBootstrapBench } from '../../../compiler/commands/bench-bootstrap.ts';
import { loadCpuNative } from '../../../runtime/backends/cpu/index.ts';

describe.skipIf(loadCpuNative() === null || process.env.HEC_SLOW !== '1')('N16_BOOT_DENSE bootstrapping (secure)', () => {
  it('full and real variants: ≥ 20 bits mean, ≥ 16 bits worst, ≥ 9 levels left', async () => {
    const recs = await runBootstrapBench({ presets: ['N16_BOOT_DENSE'], runs: 1, json: true });
    expect(recs).toHaveLength(2);
    for (const r of recs) {
      expect(r.secure).toBe(true);
      expect(r.levels_after).toBeGreaterThanOrEqual(9);
      expect(r.precision_bits_mean).toBeGreaterThanOrEqual(20);
      expect(r.precision_bits_min).toBeGreaterThanOrEqual(16);
    }
  });
});
