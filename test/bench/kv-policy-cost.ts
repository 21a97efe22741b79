/**
 * Per-token attention cost of each KV policy, counted from the replicated packing's structure
 * (compiler/kv-policy/cost.ts): `npx tsx test/bench/kv-policy-cost.ts [BUDGET]` prints a table.
 */
import { attentionCost, COST_SHAPES } from '../../compiler/kv-policy/cost.ts';
import { DEFAULT_PARAMS, type KvPolicyName } from '../../compiler/kv-policy/index.ts';

const budget = Number(process.argv[2] ?? 0.12);
const SLOTS = 2 ** 15; // N = 2^16, the N16_BOOT ring
const policies: KvPolicyName[] = ['full', 'streaming', 'mpcache-static', 'mpcache'];
console.log(`budget ${budget}, ${SLOTS} slots; per token, all layers: cache ciphertexts read (K+V+summaries) / key switches that scale with them / extra round trips / comparisons`);
for (const [name, shape] of Object.entries(COST_SHAPES)) {
  console.log(`\n${name}`);
  console.log(['context', ...policies].map((s) => s.padStart(22)).join(''));
  for (const n of [512, 1024, 2048, 4096]) {
    const cells = policies.map((p) => {
      const c = attentionCost(shape, SLOTS, n, p, { ...DEFAULT_PARAMS, budget });
      return `${c.cacheCiphertexts}/${c.keySwitches}/${c.roundTrips}/${c.comparisons}`.padStart(22);
    });
    console.log(`${String(n).padStart(22)}${cells.join('')}`);
  }
}
