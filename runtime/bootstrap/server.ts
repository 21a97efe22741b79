/**
 * @fileoverview Interpretation of the bootstrap circuit on a real backend: Prim<Ciphertext> over a ServerContext that
 * also offers `modRaise` (the cpu engine's CpuServer does). Plaintext diagonals are encoded on first use and cached
 * per server (Lattigo precomputes them the same way): at N = 2^16 that is a few GB, released by releaseCache().
 */
import type { Ciphertext, Plaintext, ServerContext } from '../backend.ts';
import type { CVec } from './linalg.ts';
import type { Prim } from './prim.ts';

/** What the circuit needs beyond ServerContext. */
export interface BootstrapServer extends ServerContext {
  /** Level-0 ciphertext → top level, plaintext m + q_0·I, scale unchanged (runtime/native/README.md). */
  modRaise(a: Ciphertext): Ciphertext;
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

  constructor(private readonly s: BootstrapServer, useCache = true) {
    this.params = s.params;
    const dl = (s as Partial<{ dropLevel(a: Ciphertext, level: number): Ciphertext }>).dropLevel;
    this.dropLevel = typeof dl === 'function' ? (a, level) => dl.call(s, a, level) : undefined;
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

  mulDiag(a: Ciphertext, d: CVec, scale: number, key: string): Ciphertext {
    const k = `${key}@${a.level}/${scale}`;
    let pt = this.cache?.get(k);
    if (pt === undefined) {
      pt = this.s.encode({ re: d.re, im: d.im }, a.level, scale);
      this.cache?.set(k, pt);
    }
    const r = this.s.mulPlain(a, pt);
    if (this.cache === undefined) this.s.free(pt);
    return r;
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
