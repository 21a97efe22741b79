/**
 * Where the cpu engine is required (CI sets HEC_REQUIRE_NATIVE=1, see .ci/run), its absence is a failure, not a
 * quiet skip of every real-encryption test. Elsewhere this test skips and says why.
 */
import { describe, expect, it } from 'vitest';

import { cpuNotBuiltReason, loadCpuNative } from '../../../runtime/backends/cpu/index.ts';

const required = process.env.HEC_REQUIRE_NATIVE === '1';

describe('the cpu engine', () => {
  it.skipIf(!required)(`is built and loads${required ? '' : ' [skipped: HEC_REQUIRE_NATIVE is not 1; CI sets it]'}`, () => {
    const native = loadCpuNative();
    expect(native, native === null ? `cpu engine not built: ${cpuNotBuiltReason()}` : '').not.toBeNull();
  });
});
