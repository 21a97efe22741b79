/**
 * @fileoverview MPCache's query-aware dynamic selection (MPCACHE-NOTES §3.2) over one head's kept cache.
 *
 * Clusters are positional (consecutive kept tokens), so their boundaries are public. Each cluster is summarised by its
 * channel-wise max and min key, and scored against the query with MPCache's linear similarity
 * q·(α·max + (1−α)·min): a dot product with one representative key, no comparisons (NOTES §3.2 step 3). Level 1
 * (coarse) keeps a fraction of clusters; level 2 picks the attended clusters among their children.
 *
 * Counts are fixed by public lengths (so an encrypted run's shapes are public): exactly k2 level-2 clusters, the sink
 * (first) and last cluster always among them. The authors add the forced clusters on top of ⌊ratio·G⌋ and pad the last
 * cluster with its neighbour's keys; here the forced clusters count against the budget and the last cluster is just
 * shorter (NOTES §10.3).
 */

export interface ClusterShape {
  /** Level-2 (attended) cluster size s2. */
  size: number;
  /** Level-1 cluster size, a multiple of s2. */
  levelOneSize: number;
  alpha: number;
  /** Fraction of level-1 clusters kept as candidates. */
  levelOneRatio: number;
  /** Fraction of the cache attended: k2 = round(ratio·G2) level-2 clusters (at least 2). */
  ratio: number;
}

/** Public selection counts for a cache of n kept tokens. */
export function clusterCounts(n: number, shape: ClusterShape): { g1: number; g2: number; k1: number; k2: number; tokens: number } {
  const m = shape.levelOneSize / shape.size;
  const g2 = Math.ceil(n / shape.size);
  const g1 = Math.ceil(n / shape.levelOneSize);
  const k2 = Math.min(g2, Math.max(2, Math.round(shape.ratio * g2)));
  // Enough level-1 clusters that their children (the last may have fewer than m) can fill k2.
  const k1 = Math.min(g1, Math.max(2, Math.floor(shape.levelOneRatio * g1), Math.ceil((k2 + m - 1) / m)));
  const lastSize = n - (g2 - 1) * shape.size;
  return { g1, g2, k1, k2, tokens: (k2 - 1) * shape.size + lastSize };
}

/** The automatic level-2 size: MPCache's 16, halved while fewer than `minClusters` clusters would be attended. */
export function autoClusterSize(keptTokens: number, ratio: number, minClusters: number): number {
  let s = 16;
  while (s > 1 && (ratio * keptTokens) / s < minClusters) s /= 2;
  return s;
}

/** Representative keys α·max + (1−α)·min of consecutive groups of `size` rows of `keys` (slice [off, off + d)). */
export function representativeKeys(keys: readonly Float64Array[], off: number, d: number, size: number, alpha: number): Float64Array[] {
  const reps: Float64Array[] = [];
  for (let start = 0; start < keys.length; start += size) {
    const mx = new Float64Array(d).fill(-Infinity);
    const mn = new Float64Array(d).fill(Infinity);
    for (let t = start; t < Math.min(keys.length, start + size); t++) {
      const k = keys[t]!;
      for (let j = 0; j < d; j++) {
        const v = k[off + j]!;
        if (v > mx[j]!) mx[j] = v;
        if (v < mn[j]!) mn[j] = v;
      }
    }
    reps.push(mx.map((v, j) => alpha * v + (1 - alpha) * mn[j]!));
  }
  return reps;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

/** forced ∪ the best (count − |forced|) of `candidates` by score (ties: earlier cluster), ascending. */
function pick(candidates: readonly number[], forced: ReadonlySet<number>, count: number, score: (c: number) => number): number[] {
  const rest = candidates.filter((c) => !forced.has(c)).map((c) => ({ c, s: score(c) }));
  rest.sort((a, b) => b.s - a.s || a.c - b.c);
  return [...forced, ...rest.slice(0, Math.max(0, count - forced.size)).map((r) => r.c)].sort((a, b) => a - b);
}

/**
 * Indices (into the kept cache, ascending) one head attends to. `reps1`/`reps2` are the level-1/level-2
 * representative keys of that cache (representativeKeys), `query` the head's rotated query.
 */
export function selectTokens(n: number, query: Float64Array, reps1: readonly Float64Array[], reps2: readonly Float64Array[], shape: ClusterShape): number[] {
  const { g1, g2, k1, k2 } = clusterCounts(n, shape);
  const m = shape.levelOneSize / shape.size;
  const level1 = pick(Array.from({ length: g1 }, (_x, c) => c), new Set([0, g1 - 1]), k1, (c) => dot(query, reps1[c]!));
  const candidates = level1.flatMap((c) => Array.from({ length: m }, (_x, i) => c * m + i).filter((c2) => c2 < g2));
  const level2 = pick(candidates, new Set([0, g2 - 1]), k2, (c) => dot(query, reps2[c]!));
  return level2.flatMap((c) => Array.from({ length: Math.min(n, (c + 1) * shape.size) - c * shape.size }, (_x, i) => c * shape.size + i));
}
