/**
 * @fileoverview Layouts as data: which tensor element sits in which ciphertext slot.
 *
 * A layout is attached to every ciphertext and plaintext type. It is plain data with a printable form
 * (`#rep<n=128,period=128>`), a `slotOf` map used by pack/unpack and by tests, and equality used by the verifier.
 * Packing strategies choose layouts; kernels state which layout they consume and produce.
 *
 * Kinds (the first, simple packing; Cachemir's interleaved and diagonal cache layouts are added as new kinds):
 * - `rep<n, period>`: a vector of length n; slot i holds x[i mod period] when (i mod period) < n, else 0.
 *   With period = slots it is a plain contiguous vector. Replication lets diagonal matrix–vector products and
 *   rotate-and-sum reductions work without extra rotations.
 *       n=3, period=4, 8 slots:  [x0 x1 x2 0 | x0 x1 x2 0]
 * - `tokens<width, block, base, capacity>`: the KV cache: token (base + t) occupies slots [t·block, t·block+width)
 *   for t < capacity; capacity·block = slots.
 *       width=2, block=2, base=0, 8 slots: [k0_0 k0_1 | k1_0 k1_1 | k2_0 k2_1 | k3_0 k3_1]
 * - `heads<heads, head_dim, block, base, capacity>`: one scalar per (token, head) at slot t·block + h·head_dim
 *   (attention scores and probabilities); every other slot is junk unless `clean=1`, where it is 0.
 * - `bcast<heads, head_dim, block, base, capacity>`: the (token, head) scalar repeated over the head's head_dim slots.
 * - `junk`: intermediate values whose slots carry no tensor meaning (partial sums); only kernels consume them.
 */
import { HecError } from './diagnostics.ts';

export type Layout =
  | { kind: 'rep'; n: number; period: number }
  | { kind: 'tokens'; width: number; block: number; base: number; capacity: number }
  | { kind: 'heads'; heads: number; headDim: number; block: number; base: number; capacity: number; clean: boolean }
  | { kind: 'bcast'; heads: number; headDim: number; block: number; base: number; capacity: number }
  | { kind: 'junk' };

const FIELD_ORDER: Record<Layout['kind'], string[]> = {
  rep: ['n', 'period'],
  tokens: ['width', 'block', 'base', 'capacity'],
  heads: ['heads', 'headDim', 'block', 'base', 'capacity', 'clean'],
  bcast: ['heads', 'headDim', 'block', 'base', 'capacity'],
  junk: [],
};

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Print a layout in its canonical text form, e.g. `#rep<n=128,period=128>`. */
export function printLayout(l: Layout): string {
  const fields = FIELD_ORDER[l.kind];
  if (fields.length === 0) return `#${l.kind}`;
  const rec = l as unknown as Record<string, number | boolean>;
  const parts = fields.map((f) => {
    const v = rec[f];
    return `${snake(f)}=${typeof v === 'boolean' ? (v ? 1 : 0) : v}`;
  });
  return `#${l.kind}<${parts.join(',')}>`;
}

/** A layout as its kind name and integer fields (snake case): the inverse of layoutFromFields. */
export function layoutFields(l: Layout): { kind: Layout['kind']; fields: Record<string, number> } {
  const rec = l as unknown as Record<string, number | boolean>;
  const fields: Record<string, number> = {};
  for (const f of FIELD_ORDER[l.kind]) {
    const v = rec[f];
    fields[snake(f)] = typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? 0);
  }
  return { kind: l.kind, fields };
}

/** Build a layout from a kind name and integer fields (as the parser reads them); throws on unknown or missing fields. */
export function layoutFromFields(kind: string, fields: Record<string, number>): Layout {
  const order = FIELD_ORDER[kind as Layout['kind']];
  if (order === undefined) {
    throw new HecError('HEC2010', `unknown layout kind '#${kind}'`, { fix: `use one of ${Object.keys(FIELD_ORDER).map((k) => `#${k}`).join(', ')}` });
  }
  const out: Record<string, unknown> = { kind };
  const seen = new Set<string>();
  for (const [k, v] of Object.entries(fields)) {
    const c = camel(k);
    if (!order.includes(c)) throw new HecError('HEC2011', `layout #${kind} has no field '${k}'`, { fix: `fields are ${order.map(snake).join(', ')}` });
    out[c] = c === 'clean' ? v !== 0 : v;
    seen.add(c);
  }
  for (const f of order) {
    if (!seen.has(f)) throw new HecError('HEC2011', `layout #${kind} is missing field '${snake(f)}'`);
  }
  return out as Layout;
}

export function layoutsEqual(a: Layout, b: Layout): boolean {
  return printLayout(a) === printLayout(b);
}

/**
 * The tensor index held by `slot`, or -1 for a zero slot, or -2 for a junk slot.
 * For `tokens` the index is t·width + f (token-major); for `heads`/`bcast` it is t·heads + h.
 */
export function slotOf(l: Layout, slot: number): number {
  switch (l.kind) {
    case 'rep': {
      const i = slot % l.period;
      return i < l.n ? i : -1;
    }
    case 'tokens': {
      const t = Math.floor(slot / l.block);
      const f = slot % l.block;
      return t < l.capacity && f < l.width ? t * l.width + f : -1;
    }
    case 'heads': {
      const t = Math.floor(slot / l.block);
      const r = slot % l.block;
      if (t < l.capacity && r % l.headDim === 0 && r / l.headDim < l.heads) return t * l.heads + r / l.headDim;
      return l.clean ? -1 : -2;
    }
    case 'bcast': {
      const t = Math.floor(slot / l.block);
      const h = Math.floor((slot % l.block) / l.headDim);
      return t < l.capacity && h < l.heads ? t * l.heads + h : -1;
    }
    case 'junk':
      return -2;
  }
}

/** Pack a tensor (flattened) into slots according to the layout; zero and junk slots get 0. */
export function pack(l: Layout, values: ArrayLike<number>, slots: number): Float64Array {
  const out = new Float64Array(slots);
  for (let s = 0; s < slots; s++) {
    const i = slotOf(l, s);
    if (i >= 0) out[s] = values[i] ?? 0;
  }
  return out;
}

/** Read a tensor of `length` elements back out of slots (the first slot holding each element wins). */
export function unpack(l: Layout, slotValues: ArrayLike<number>, length: number): Float64Array {
  const out = new Float64Array(length);
  const seen = new Uint8Array(length);
  for (let s = 0; s < slotValues.length; s++) {
    const i = slotOf(l, s);
    if (i >= 0 && i < length && seen[i] === 0) {
      out[i] = slotValues[s]!;
      seen[i] = 1;
    }
  }
  return out;
}
