import { describe, expect, it } from 'vitest';
import { attentionCost, COST_SHAPES } from '../../../compiler/kv-policy/cost.ts';
import { DEFAULT_PARAMS } from '../../../compiler/kv-policy/index.ts';

const SLOTS = 2 ** 15;
const at = (budget: number) => ({ ...DEFAULT_PARAMS, budget });

describe('attention cost per token (replicated packing, counted from its structure)', () => {
  it('full reads every K and V ciphertext holding a token: 2 · layers · ⌈n / capacity⌉', () => {
    // 8B: KV width 8·128 = 1024 slots per token → 32 tokens per ciphertext; llama-py: 64 → 512.
    expect(attentionCost(COST_SHAPES['8B']!, SLOTS, 4096, 'full', at(1)).cacheCiphertexts).toBe(2 * 32 * 128);
    expect(attentionCost(COST_SHAPES['llama-py']!, SLOTS, 4096, 'full', at(1)).cacheCiphertexts).toBe(2 * 4 * 8);
    // Key switches per attended K ciphertext and group member: 3 + 2·log2(128) + 2·5 = 27, group 4.
    expect(attentionCost(COST_SHAPES['8B']!, SLOTS, 4096, 'full', at(1)).keySwitches).toBe(32 * 128 * 4 * 27);
  });

  it('streaming and mpcache-static read ⌈b·n⌉ tokens\' ciphertexts; mpcache adds summaries and one round trip per computing layer', () => {
    const s = attentionCost(COST_SHAPES['8B']!, SLOTS, 4096, 'streaming', at(0.12));
    expect(s.cacheCiphertexts).toBe(2 * 32 * Math.ceil(Math.ceil(0.12 * 4096) / 32));
    const m = attentionCost(COST_SHAPES['8B']!, SLOTS, 4096, 'mpcache', at(0.12));
    // static 60 % → 2458 tokens → 77 clusters of 32; k = round(0.2 · 77) = 15; 18 computing layers, each scoring 77
    // representative keys held in ⌈77 / 32⌉ = 3 summary ciphertexts.
    expect(m).toMatchObject({ cacheCiphertexts: 2 * 32 * 15 + 18 * 3, summaryCiphertexts: 18 * 3, roundTrips: 18, comparisons: 2 * 18 * 8 });
  });

  it('issue #11: at context 4096 on the 8B shape, mpcache at 12 % touches ≤ 1/4 of the cache ciphertexts full touches', () => {
    const full = attentionCost(COST_SHAPES['8B']!, SLOTS, 4096, 'full', at(1));
    const mp = attentionCost(COST_SHAPES['8B']!, SLOTS, 4096, 'mpcache', at(0.12));
    expect(mp.cacheCiphertexts / full.cacheCiphertexts).toBeLessThanOrEqual(0.25);
  });
});
