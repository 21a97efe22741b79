import { describe, it } from 'vitest';
import { discoverBackends } from './harness.ts';
import { checkAgreement } from './agreement.ts';

const seal = (await discoverBackends()).find((b) => b.name === 'seal');

describe('seal agrees with sim (mul_relin, rotate, rescale)', () => {
  // N = 2^15 (SEAL's largest in wasm) takes ~2 s for both backends, cheap enough for the fast tier.
  for (const logN of [13, 14, 15]) {
    if (seal?.backend === undefined) it.skip(`N=2^${logN}: seal unavailable: ${seal?.reason}`, () => {});
    else it(`N=2^${logN}`, () => checkAgreement(seal.backend!, logN));
  }
});
