import { beforeAll, describe, expect, it } from 'vitest';
import { clusterCounts, representativeKeys, selectTokens, type ClusterShape } from '../../../compiler/kv-policy/clusters.ts';
import { computingLayers, shareSource } from '../../../compiler/kv-policy/layer-share.ts';
import { splitBudget } from '../../../compiler/kv-policy/mpcache.ts';
import { DEFAULT_PARAMS } from '../../../compiler/kv-policy/index.ts';
import { seededRandom } from '../../helpers/seeded.ts';
import { prefillHeldOut, tracePolicy, type Prefilled } from './harness.ts';

const T = 160;
const STEPS = 6;
let pre: Prefilled;
beforeAll(() => {
  pre = prefillHeldOut('models/llama-py.decode.onnx', T);
});

const range = (a: number, b: number): number[] => Array.from({ length: Math.max(0, b - a) }, (_x, i) => a + i);

describe('streaming', () => {
  it('reads 4 sinks and the most recent positions, ⌈b·n⌉ of the n cached at every step', () => {
    for (const budget of [0.03, 0.1, 0.3]) {
      const want = (n: number): number[] => {
        const keep = Math.ceil(budget * n);
        return [...range(0, Math.min(4, keep)), ...range(n - (keep - Math.min(4, keep)), n)];
      };
      const tr = tracePolicy(pre, 'streaming', { budget }, STEPS);
      expect(tr.selection.promptKept(0)).toEqual(want(T));
      for (const st of tr.steps) for (const pick of st.picks.values()) expect(pick).toEqual(want(st.cacheLength));
    }
  });
});

describe('mpcache-static', () => {
  it('keeps exactly ⌈r·T⌉ prompt positions per layer, the highest-importance ones, and every generated token', () => {
    for (const budget of [0.06, 0.3]) {
      const tr = tracePolicy(pre, 'mpcache-static', { budget }, STEPS);
      for (let l = 0; l < 4; l++) {
        const kept = tr.selection.promptKept(l);
        expect(kept).toHaveLength(Math.ceil(budget * T));
        const score = pre.importance.scores(l, 'mean');
        const keptSet = new Set(kept);
        const minKept = Math.min(...kept.map((p) => score[p]!));
        const maxDropped = Math.max(...range(0, T).filter((p) => !keptSet.has(p)).map((p) => score[p]!));
        expect(minKept).toBeGreaterThanOrEqual(maxDropped);
        for (const st of tr.steps) for (let h = 0; h < 4; h++) expect(st.picks.get(`${l}/${h}`)).toEqual([...kept, ...range(T, st.cacheLength)]);
      }
      // One decision per layer, not a copy of layer 0's: the layers really differ.
      expect(new Set(range(0, 4).map((l) => tr.selection.promptKept(l).join(','))).size).toBeGreaterThan(1);
    }
  });
});

describe('mpcache', () => {
  it('attends exactly the public count per head, always with the sink and the last cluster', () => {
    for (const [budget, clusterSize] of [[0.12, undefined], [0.3, undefined], [0.3, 16], [0.06, 4]] as const) {
      const params = { ...DEFAULT_PARAMS, budget, clusterSize };
      const tr = tracePolicy(pre, 'mpcache', params, STEPS);
      const { staticRatio, dynamicRatio } = splitBudget(params);
      const P = Math.ceil(staticRatio * T - 1e-9);
      for (let l = 0; l < 4; l++) expect(tr.selection.promptKept(l)).toHaveLength(P);
      for (const st of tr.steps) {
        const n = P + (st.cacheLength - T);
        for (const [key, pick] of st.picks) {
          const l = Number(key.split('/')[0]);
          const cache = [...tr.selection.promptKept(l), ...range(T, st.cacheLength)];
          const s2 = clusterSize ?? autoSize(P, dynamicRatio);
          const shape: ClusterShape = { size: s2, levelOneSize: 2 * s2, alpha: 0.6, levelOneRatio: 0.5, ratio: dynamicRatio };
          expect(pick).not.toBeNull();
          expect(pick).toHaveLength(clusterCounts(n, shape).tokens);
          const picked = new Set(pick);
          for (const p of cache.slice(0, s2)) expect(picked.has(p)).toBe(true); // sink cluster
          for (const p of cache.slice(Math.floor((n - 1) / s2) * s2)) expect(picked.has(p)).toBe(true); // last cluster
          expect(picked.has(st.cacheLength - 1)).toBe(true);
        }
      }
    }
  });

  it('shared layers use their partner\'s static set and per-head selection; computing layers choose their own', () => {
    const tr = tracePolicy(pre, 'mpcache', { budget: 0.06, shareEdgeLayers: 1 }, STEPS);
    expect(tr.selection.promptKept(2)).toEqual(tr.selection.promptKept(1));
    let differs = 0;
    for (const st of tr.steps) {
      for (let h = 0; h < 4; h++) {
        expect(st.picks.get(`2/${h}`)).toEqual(st.picks.get(`1/${h}`));
        if (st.picks.get(`3/${h}`)!.join() !== st.picks.get(`1/${h}`)!.join()) differs++;
      }
    }
    expect(differs).toBeGreaterThan(0);
    // The paper's default (2 edge layers) leaves a 4-layer model with no sharing at all.
    const own = tracePolicy(pre, 'mpcache', { budget: 0.06 }, 1);
    expect(own.selection.promptKept(2)).not.toEqual(own.selection.promptKept(1));
  });

  it('budget 1 attends everything: logits bit-identical to the full cache (as do the static policies)', () => {
    const full = tracePolicy(pre, 'full', {}, 3);
    for (const policy of ['streaming', 'mpcache-static', 'mpcache']) {
      const tr = tracePolicy(pre, policy, { budget: 1 }, 3);
      tr.steps.forEach((st, i) => expect(st.logits).toEqual(full.steps[i]!.logits));
    }
  });
});

/** The automatic level-2 size, from its definition: 16 halved while fewer than 8 clusters of it fit ratio·P. */
function autoSize(keptPrompt: number, ratio: number): number {
  for (const s of [16, 8, 4, 2]) if ((ratio * keptPrompt) / s >= 8) return s;
  return 1;
}

describe('cluster selection', () => {
  it('representative keys are α·max + (1−α)·min of each group, the last one short', () => {
    const keys = [[1, -2], [3, 0], [-1, 5], [2, 2], [0, -4]].map((k) => Float64Array.from([9, ...k])); // one 3-wide row, head at offset 1
    const reps = representativeKeys(keys, 1, 2, 2, 0.6);
    expect(reps.map((r) => Array.from(r))).toEqual([
      [0.6 * 3 + 0.4 * 1, 0.6 * 0 + 0.4 * -2],
      [0.6 * 2 + 0.4 * -1, 0.6 * 5 + 0.4 * 2],
      [0, -4],
    ].map((r) => r.map((v) => expect.closeTo(v, 12))));
  });

  it('with 1-token clusters, α = 1 and every level-1 cluster a candidate, it is the exact top-k of q·k plus the sink and the newest token', () => {
    const rnd = seededRandom(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = 20 + Math.floor(rnd() * 40);
      const d = 6;
      const keys = Array.from({ length: n }, () => Float64Array.from({ length: d }, () => rnd() * 2 - 1));
      const q = Float64Array.from({ length: d }, () => rnd() * 2 - 1);
      const shape: ClusterShape = { size: 1, levelOneSize: 2, alpha: 1, levelOneRatio: 1, ratio: 0.3 };
      const got = selectTokens(n, q, representativeKeys(keys, 0, d, 2, 1), representativeKeys(keys, 0, d, 1, 1), shape);
      const k = Math.max(2, Math.round(0.3 * n));
      const dots = keys.map((kk, t) => ({ t, s: kk.reduce((a, v, j) => a + v * q[j]!, 0) })).filter((x) => x.t !== 0 && x.t !== n - 1);
      dots.sort((a, b) => b.s - a.s);
      const want = [0, n - 1, ...dots.slice(0, k - 2).map((x) => x.t)].sort((a, b) => a - b);
      expect(got).toEqual(want);
    }
  });

  it('level 1 prunes: only children of the chosen level-1 clusters can be picked', () => {
    const rnd = seededRandom(11);
    const n = 64;
    const keys = Array.from({ length: n }, () => Float64Array.from({ length: 4 }, () => rnd() * 2 - 1));
    const q = Float64Array.from({ length: 4 }, () => rnd() * 2 - 1);
    const shape: ClusterShape = { size: 4, levelOneSize: 8, alpha: 0.6, levelOneRatio: 0.25, ratio: 0.25 };
    const reps1 = representativeKeys(keys, 0, 4, 8, 0.6);
    const got = selectTokens(n, q, reps1, representativeKeys(keys, 0, 4, 4, 0.6), shape);
    const { k1, k2, tokens } = clusterCounts(n, shape);
    // G1 = 8, G2 = 16; k2 = round(0.25·16) = 4; k1 = max(2, ⌊0.25·8⌋, ⌈(4+1)/2⌉) = 3; 4 clusters of 4 tokens.
    expect([k1, k2, tokens]).toEqual([3, 4, 16]);
    const score1 = reps1.map((r) => r.reduce((a, v, j) => a + v * q[j]!, 0));
    const others = score1.map((s, c) => ({ s, c })).filter((x) => x.c !== 0 && x.c !== 7).sort((a, b) => b.s - a.s);
    const allowed = new Set([0, 7, ...others.slice(0, k1 - 2).map((x) => x.c)]);
    for (const t of got) expect(allowed.has(Math.floor(t / 8))).toBe(true);
    expect(got).toHaveLength(16);
  });
});

describe('cross-layer sharing schedule', () => {
  it('is MPCache\'s on 32 layers: 0, 1, 30, 31 alone, (2,3) … (28,29) paired, 18 computing', () => {
    const computing = computingLayers(32, 2, true);
    expect(computing).toEqual([0, 1, ...range(1, 15).map((k) => 2 * k), 30, 31]);
    expect(computing).toHaveLength(18);
    for (let k = 1; k <= 14; k++) expect(shareSource(2 * k + 1, 32, 2, true)).toBe(2 * k);
    expect(computingLayers(4, 2, true)).toEqual([0, 1, 2, 3]);
    expect(computingLayers(4, 1, true)).toEqual([0, 1, 3]);
    expect(computingLayers(5, 1, true)).toEqual([0, 1, 3, 4]);
    expect(computingLayers(32, 2, false)).toHaveLength(32);
  });
});
