/**
 * @fileoverview Interpretation of the bootstrap circuit on a real backend: Prim<Ciphertext> over a ServerContext that
 * also offers `modRaise` (the cpu engine's CpuServer does). Plaintext diagonals are encoded on first use and cached
 * per server (Lattigo precomputes them the same way): at N = 2^16 that is a few GB, released by releaseCache().
 */
import type { Ciphertext, Plaintext, ServerContext } from '../backend.ts';
import type { LinearTransform } from './circuit.ts';
import type { CVec } from './linalg.ts';
import type { Prim } from './prim.ts';

/** What the circuit needs beyond ServerContext. */
export interface BootstrapServer extends ServerContext {
  /** Level-0 ciphertext → top level, plaintext m + q_0·I, scale unchanged (runtime/native/README.md). */
  modRaise(a: Ciphertext): Ciphertext;
  /** Sparse-secret encapsulation (needed when params.bootstrapSparseWeight > 0; CpuServer has them). */
  toSparse?(a: Ciphertext): Ciphertext;
  fromSparse?(a: Ciphertext): Ciphertext;
  /** Optional: plaintexts over Q ∪ P for linearTransform's double hoisting (CpuServer.encodeExtended). */
  encodeExtended?(values: { re: Float64Array; im?: Float64Array }, level: number, scale: number): Plaintext;
  /** Optional fused Σ mulConst (CpuServer.linearCombination). */
  linearCombination?(terms: readonly { ct: Ciphertext; c: number; scale: number }[], level?: number): Ciphertext;
  /** Optional fused baby-step giant-step product (CpuServer.linearTransform). */
  linearTransform?(a: Ciphertext, babies: readonly number[], giants: readonly { rot: number; terms: readonly { baby: number; pt: Plaintext }[] }[]): Ciphertext;
}

export function canBootstrap(server: ServerContext): server is BootstrapServer {
  return typeof (server as Partial<BootstrapServer>).modRaise === 'function';
}

const caches = new WeakMap<ServerContext, Map<string, Plaintext>>();

/** Free the cached bootstrap plaintexts of a server. */
export function releaseCache(server: ServerContext): void {
  const c = caches.get(server);
  if (c === undefined) return;
  for (const p of c.values()) server.free(p);
  caches.delete(server);
}

/** Number of cached plaintexts (tests, memory reports). */
export function cacheSize(server: ServerContext): number {
  return caches.get(server)?.size ?? 0;
}

export class ServerPrim implements Prim<Ciphertext> {
  readonly params;
  private readonly cache: Map<string, Plaintext> | undefined;

  private readonly doubleHoist: boolean;

  /**
   * `fuse`: use the server's fused linearTransform / linearCombination when it has them (false: op by op).
   * `doubleHoist`: give linearTransform plaintexts over Q ∪ P (when the server can encode them) so it keeps its
   * rotations in the extended basis.
   */
  constructor(private readonly s: BootstrapServer, useCache = true, fuse = true, doubleHoist = true) {
    this.doubleHoist = doubleHoist && typeof s.encodeExtended === 'function';
    this.params = s.params;
    const dl = (s as Partial<{ dropLevel(a: Ciphertext, level: number): Ciphertext }>).dropLevel;
    this.dropLevel = typeof dl === 'function' ? (a, level) => dl.call(s, a, level) : undefined;
    this.linearTransform = typeof s.linearTransform === 'function' && fuse
      ? (x, lt, scale, key) => this.fusedLinearTransform(x, lt, scale, key) : undefined;
    if (typeof s.toSparse === 'function' && typeof s.fromSparse === 'function') {
      this.toSparse = (a) => s.toSparse!(a);
      this.fromSparse = (a) => s.fromSparse!(a);
    }
    this.linComb = typeof s.linearCombination === 'function' && fuse
      ? (terms, level) => s.linearCombination!(terms.map((t) => ({ ct: t.x, c: t.c, scale: t.scale })), level) : undefined;
    if (useCache) {
      let c = caches.get(s);
      if (c === undefined) caches.set(s, (c = new Map()));
      this.cache = c;
    }
  }

  level(c: Ciphertext): number { return c.level; }
  scale(c: Ciphertext): number { return c.scale; }
  add(a: Ciphertext, b: Ciphertext): Ciphertext { return this.s.add(a, b); }
  sub(a: Ciphertext, b: Ciphertext): Ciphertext { return this.s.sub(a, b); }
  negate(a: Ciphertext): Ciphertext { return this.s.negate(a); }
  addConst(a: Ciphertext, c: number): Ciphertext { return this.s.addConst(a, c); }
  mulConst(a: Ciphertext, c: number, scale: number): Ciphertext { return this.s.mulConst(a, c, scale); }

  /** The diagonal encoded at `level` and `scale` (over Q ∪ P with `ext`), from the cache when there is one. */
  private diag(d: CVec, level: number, scale: number, key: string, ext = false): Plaintext {
    const k = `${key}@${level}/${scale}${ext ? '/ext' : ''}`;
    let pt = this.cache?.get(k);
    if (pt === undefined) {
      pt = ext ? this.s.encodeExtended!({ re: d.re, im: d.im }, level, scale) : this.s.encode({ re: d.re, im: d.im }, level, scale);
      this.cache?.set(k, pt);
    }
    return pt;
  }

  mulDiag(a: Ciphertext, d: CVec, scale: number, key: string): Ciphertext {
    const pt = this.diag(d, a.level, scale, key);
    const r = this.s.mulPlain(a, pt);
    if (this.cache === undefined) this.s.free(pt);
    return r;
  }

  readonly linearTransform: ((x: Ciphertext, lt: LinearTransform, scale: number, key: string) => Ciphertext) | undefined;
  readonly linComb: ((terms: readonly { x: Ciphertext; c: number; scale: number }[], level?: number) => Ciphertext) | undefined;
  readonly toSparse: ((a: Ciphertext) => Ciphertext) | undefined;
  readonly fromSparse: ((a: Ciphertext) => Ciphertext) | undefined;

  private fusedLinearTransform(x: Ciphertext, lt: LinearTransform, scale: number, key: string): Ciphertext {
    const babyIndex = new Map(lt.babies.map((b, i) => [b, i]));
    const pts: Plaintext[] = [];
    const giants = lt.giants.map((g, gi) => ({
      rot: g.rot,
      terms: g.terms.map((t, ti) => {
        const pt = this.diag(t.diag, x.level, scale, `${key}/${gi}/${ti}`, this.doubleHoist);
        pts.push(pt);
        return { baby: babyIndex.get(t.baby)!, pt };
      }),
    }));
    try {
      return this.s.linearTransform!(x, lt.babies, giants);
    } finally {
      if (this.cache === undefined) for (const p of pts) this.s.free(p);
    }
  }

  mul(a: Ciphertext, b: Ciphertext): Ciphertext { return this.s.mul(a, b); }
  rescale(a: Ciphertext): Ciphertext { return this.s.rescale(a); }
  levelDrop(a: Ciphertext, level: number): Ciphertext { return this.s.levelDrop(a, level); }
  readonly dropLevel: ((a: Ciphertext, level: number) => Ciphertext) | undefined;
  rotate(a: Ciphertext, k: number): Ciphertext { return this.s.rotate(a, k); }
  rotateHoisted(a: Ciphertext, ks: readonly number[]): Ciphertext[] { return this.s.rotateHoisted(a, ks); }
  conjugate(a: Ciphertext): Ciphertext { return this.s.conjugate(a); }
  modRaise(a: Ciphertext): Ciphertext { return this.s.modRaise(a); }
  free(a: Ciphertext): void { this.s.free(a); }
}
