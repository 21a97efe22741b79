import { defineConfig } from 'vitest/config';

// Fast tier by default; HEC_SLOW=1 adds the *.slow.test.ts files (real crypto at secure sizes, long e2e runs).
const slow = process.env.HEC_SLOW === '1';

export default defineConfig({
  test: {
    include: slow ? ['test/**/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: slow ? ['node_modules/**'] : ['node_modules/**', 'test/**/*.slow.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
