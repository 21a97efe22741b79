/**
 * @fileoverview HE IR value types and attributes.
 *
 * `!ct<level=L, scale=S, layout=#…>` is a ciphertext; `!pt<…>` a plaintext. `level` is the number of rescales left
 * (null, printed `?`, until the bootstrap-placement pass assigns levels). `scale` is the power of the level's
 * canonical scale Δ_L (ir/params.ts): 1 for a rescaled value, 2 for a product awaiting its rescale. `size` is the
 * number of polynomials (3 for an unrelinearised product; omitted from the text when 2).
 */
import type { Layout } from './layout.ts';

export interface CtType {
  kind: 'ct';
  level: number | null;
  scale: 1 | 2;
  layout: Layout;
  size: 2 | 3;
}

export interface PtType {
  kind: 'pt';
  level: number | null;
  scale: 1 | 2;
  layout: Layout;
}

export type Type = CtType | PtType;

export type Attr = number | string | boolean | Attr[] | AttrDict;
export interface AttrDict {
  [key: string]: Attr;
}

export function ctType(layout: Layout, level: number | null = null, scale: 1 | 2 = 1, size: 2 | 3 = 2): CtType {
  return { kind: 'ct', level, scale, layout, size };
}

export function ptType(layout: Layout, level: number | null = null, scale: 1 | 2 = 1): PtType {
  return { kind: 'pt', level, scale, layout };
}

export function isAttrDict(a: Attr | undefined): a is AttrDict {
  return typeof a === 'object' && a !== null && !Array.isArray(a);
}
