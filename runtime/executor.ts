/**
 * @fileoverview The executor: interprets one function of a plan on a ServerContext. No crypto inside.
 *
 * - Plaintexts (`ckks.encode`) come from ir/plaintext-sources.ts; position-independent ones are cached across steps
 *   up to a byte budget (weights are the bulk of a step), positional ones (RoPE, cache masks) are made per step.
 *   Cached plaintexts live as long as the server (its dispose() releases them).
 * - `ckks.mul` is executed as the backend's relinearised product and its `ckks.relinearize` as a pass-through
 *   (every backend relinearises inside `mul`); `ckks.poly` runs runtime/poly-eval.ts on the backend's primitives.
 * - Values are freed after their last use (liveness from the op order), so a step's memory is its live set.
 */
import { HecError } from '../ir/diagnostics.ts';
import type { Func, Op, Value } from '../ir/module.ts';
import type { CkksParams } from '../ir/params.ts';
import { evaluateSource, isPositional, type WeightStore } from '../ir/plaintext-sources.ts';
import { printAttrDict } from '../ir/text/printer.ts';
import type { AttrDict } from '../ir/types.ts';
import type { Ciphertext, Plaintext, ServerContext } from './backend.ts';
import { evalChebyshev } from './poly-eval.ts';

export interface ExecutorOptions {
  /** Byte budget of the plaintext cache (estimated as 8 bytes per slot per plaintext). */
  plaintextCacheBytes?: number;
  /** Called with each bootstrap's input (for calibration and range checks). */
  onBootstrapInput?: (resultName: string, ct: Ciphertext) => void;
  /** Evaluate `ckks.poly` from primitives even where the backend has a fused version (tests compare the two). */
  polyFromPrimitives?: boolean;
  /** Called after every op with its index (progress, tracing). */
  onOp?: (index: number, op: Op) => void;
}

interface CachedPt {
  pt: Plaintext;
}

const DEFAULT_CACHE_BYTES = 2 * 1024 ** 3;

export class StepExecutor {
  private readonly cache = new Map<string, CachedPt>();
  private cacheBytes = 0;
  private readonly lastUse = new Map<Value, number>();
  private readonly budget: number;

  constructor(
    private readonly func: Func,
    private readonly server: ServerContext,
    private readonly params: CkksParams,
    private readonly weights: WeightStore | null,
    private readonly opts: ExecutorOptions = {},
  ) {
    this.budget = opts.plaintextCacheBytes ?? DEFAULT_CACHE_BYTES;
    // Liveness; a relinearize result aliases its operand, so the operand lives as long as the alias.
    const alias = new Map<Value, Value>();
    func.ops.forEach((op, i) => {
      if (op.name === 'ckks.relinearize') alias.set(op.results[0]!, alias.get(op.operands[0]!) ?? op.operands[0]!);
      for (const v of op.operands) this.lastUse.set(alias.get(v) ?? v, i);
    });
    this.aliasOf = alias;
  }
  private readonly aliasOf: Map<Value, Value>;

  private canonicalScale(level: number, power: 1 | 2): number {
    const s = Math.pow(2, this.params.logScale[level]!);
    return power === 1 ? s : s * s;
  }

  private plaintext(op: Op, position: number): { pt: Plaintext; cached: boolean } {
    const src = op.attrs.src as AttrDict;
    const t = op.results[0]!.type;
    const level = t.level!;
    const positional = isPositional(src);
    const key = positional ? '' : `${level}|${t.scale}|${printAttrDict(src)}`;
    if (!positional) {
      const hit = this.cache.get(key);
      if (hit !== undefined) return { pt: hit.pt, cached: true };
    }
    if (this.weights === null && !positional) {
      throw new HecError('HEC5030', 'this plan needs model weights but none were loaded', { fix: 'run with the ONNX model and its weight file available' });
    }
    const values = evaluateSource(src, this.params.slots, this.weights ?? { get: () => { throw new Error('unreachable'); } }, position);
    const pt = this.server.encode({ re: values }, level, this.canonicalScale(level, t.scale));
    // Plaintext sources are real-valued: a backend stores at least 8 bytes per slot (sim) — native engines more,
    // and they size their own budgets.
    const bytes = 8 * this.params.slots;
    if (!positional && this.cacheBytes + bytes <= this.budget) {
      this.cache.set(key, { pt });
      this.cacheBytes += bytes;
      return { pt, cached: true };
    }
    return { pt, cached: false };
  }

  /**
   * Run the function once. `args` maps each argument's name (inputs and states) to a ciphertext, which the executor
   * takes ownership of; returns the named results (logits and next states), owned by the caller.
   */
  run(args: Map<string, Ciphertext>, position: number): Map<string, Ciphertext> {
    const s = this.server;
    const env = new Map<Value, Ciphertext | Plaintext>();
    const uncachedPts = new Set<Plaintext>();
    for (const a of this.func.args) {
      const ct = args.get(a.value.name);
      if (ct === undefined) throw new HecError('HEC5031', `missing argument %${a.value.name} for @${this.func.name}`);
      env.set(a.value, ct);
    }
    const returned = new Set<Ciphertext | Plaintext>();
    const ret = this.func.ops[this.func.ops.length - 1]!;
    const get = (v: Value) => {
      const x = env.get(v);
      if (x === undefined) throw new Error(`internal error: %${v.name} has no value`);
      return x;
    };
    const ct = (v: Value) => get(v) as Ciphertext;
    const release = (i: number, op: Op) => {
      for (const v of op.operands) {
        const root = this.aliasOf.get(v) ?? v;
        if (this.lastUse.get(root) !== i) continue;
        const x = env.get(root);
        if (x === undefined || returned.has(x)) continue;
        if (v.type.kind === 'pt' && !uncachedPts.has(x)) continue;
        s.free(x);
        uncachedPts.delete(x);
        env.delete(root);
      }
    };
    this.func.ops.forEach((op, i) => {
      try {
        this.execOp(op, i, position, env, get, ct, uncachedPts, returned, release);
      } catch (e) {
        if (e instanceof HecError && !e.diagnostic.message.includes(' (plan op #')) {
          const r = op.results[0]?.name;
          e.diagnostic.message += ` (plan op #${i} ${op.name}${r ? ` → %${r}` : ''}, position ${position})`;
          e.message = `${e.diagnostic.code}: ${e.diagnostic.message}`;
        }
        throw e;
      }
    });
    const result = new Map<string, Ciphertext>();
    const names = ret.attrs.names as string[];
    ret.operands.forEach((v, k) => result.set(names[k]!, ct(this.aliasOf.get(v) ?? v)));
    // Arguments that no op reads (e.g. a cache ciphertext a pass made dead) are still ours to free.
    for (const a of this.func.args) {
      const x = env.get(a.value);
      if (x !== undefined && !this.lastUse.has(a.value) && !returned.has(x)) s.free(x);
    }
    return result;
  }

  private execOp(
    op: Op,
    i: number,
    position: number,
    env: Map<Value, Ciphertext | Plaintext>,
    get: (v: Value) => Ciphertext | Plaintext,
    ct: (v: Value) => Ciphertext,
    uncachedPts: Set<Plaintext>,
    returned: Set<Ciphertext | Plaintext>,
    release: (i: number, op: Op) => void,
  ): void {
    const s = this.server;
    let out: (Ciphertext | Plaintext)[] = [];
      const o = op.operands;
      switch (op.name) {
        case 'ckks.encode': {
          const { pt, cached } = this.plaintext(op, position);
          if (!cached) uncachedPts.add(pt);
          out = [pt];
          break;
        }
        case 'ckks.add': out = [s.add(ct(o[0]!), ct(o[1]!))]; break;
        case 'ckks.sub': out = [s.sub(ct(o[0]!), ct(o[1]!))]; break;
        case 'ckks.negate': out = [s.negate(ct(o[0]!))]; break;
        case 'ckks.add_plain': out = [s.addPlain(ct(o[0]!), get(o[1]!) as Plaintext)]; break;
        case 'ckks.mul_plain': out = [s.mulPlain(ct(o[0]!), get(o[1]!) as Plaintext)]; break;
        case 'ckks.add_const': out = [s.addConst(ct(o[0]!), op.attrs.value as number)]; break;
        case 'ckks.mul_const': {
          const a = ct(o[0]!);
          out = [s.mulConst(a, op.attrs.value as number, a.scale)];
          break;
        }
        case 'ckks.mul': out = [s.mul(ct(o[0]!), ct(o[1]!))]; break;
        case 'ckks.relinearize':
          env.set(op.results[0]!, ct(o[0]!));
          this.opts.onOp?.(i, op);
          return;
        case 'ckks.rescale': out = [s.rescale(ct(o[0]!))]; break;
        case 'ckks.level_drop': out = [s.levelDrop(ct(o[0]!), op.attrs.level as number)]; break;
        case 'ckks.rotate': out = [s.rotate(ct(o[0]!), op.attrs.offset as number)]; break;
        case 'ckks.rotate_hoisted': out = s.rotateHoisted(ct(o[0]!), op.attrs.offsets as number[]); break;
        case 'ckks.conjugate': out = [s.conjugate(ct(o[0]!))]; break;
        case 'ckks.bootstrap': {
          const input = ct(o[0]!);
          this.opts.onBootstrapInput?.(op.results[0]!.name, input);
          out = [s.bootstrap(input, op.attrs.range as number)];
          break;
        }
        case 'ckks.poly': {
          const dom = op.attrs.domain as number[];
          const coeffs = op.attrs.coeffs as number[];
          const domain: [number, number] = [dom[0]!, dom[1]!];
          out = [s.evalChebyshev !== undefined && !this.opts.polyFromPrimitives ? s.evalChebyshev(ct(o[0]!), coeffs, domain) : evalChebyshev(s, ct(o[0]!), coeffs, domain)];
          break;
        }
        case 'ckks.return':
          for (const v of o) returned.add(get(this.aliasOf.get(v) ?? v));
          this.opts.onOp?.(i, op);
          return;
        default:
          throw new HecError('HEC5032', `the executor cannot run op '${op.name}'`, { fix: 'compile the plan fully (hec compile) before running it' });
      }
      op.results.forEach((r, k) => env.set(r, out[k]!));
      release(i, op);
      this.opts.onOp?.(i, op);
  }

}
