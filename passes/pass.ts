/**
 * @fileoverview The Pass interface, the context passes run in, and the typed record of their results.
 *
 * A pass is one file exporting one object: a name (the CLI token), a one-line summary, a description stating what it
 * requires and ensures, the options it accepts (declared, so `hec passes` and `hec opt` can list and check them),
 * and `run(module, ctx, options)`, which rewrites the module in place and returns the pass's typed result. Passes
 * never print and never write free-form notes: a later pass reads an earlier one's result through
 * `ctx.results.require(thatPass)`, typed by the pass object itself. Failures throw HecError (HEC4xxx).
 */
import { HecError } from '../ir/diagnostics.ts';
import type { Module } from '../ir/module.ts';
import type { CkksParams } from '../ir/params.ts';
import type { CostTable } from './cost/table.ts';

/** One option a pass accepts (`hec opt --passes name{key=value}`). */
export interface PassOption {
  name: string;
  type: 'number' | 'string' | 'boolean';
  help: string;
  default: number | string | boolean;
}

export type PassOptionValues = Readonly<Record<string, number | string | boolean>>;

export interface PassContext {
  params: CkksParams;
  /** Results of the passes that have run so far in this pipeline. */
  results: PassResults;
  /** Fixed levels of state arguments (KV cache), by state name; set by cache-levels. */
  stateLevels?: Map<string, number>;
  /** Rotation offsets a bootstrap needs (from runtime/bootstrap), when the plan bootstraps. */
  bootstrapRotations?: number[];
  /** Prices for passes that optimise predicted time (level-aware-placement); default the bundled table. */
  costTable?: CostTable;
}

/**
 * A pass: `R` is its result type, `C` the context it needs (compiler-level passes extend PassContext with the
 * model and the compile options). A pass that must wait (a compiler pass running the plan on `sim`) has a
 * `Promise` result type; the pipeline awaits it before the next pass.
 */
export interface Pass<R = void, C extends PassContext = PassContext> {
  name: string;
  summary: string;
  description: string;
  options: readonly PassOption[];
  run(module: Module, ctx: C, options: PassOptionValues): R;
}

/**
 * The results of the passes that ran, keyed by the pass object, so reading one is typed by the pass that wrote it.
 */
export class PassResults {
  private readonly byPass = new Map<object, unknown>();

  set<R, C extends PassContext>(pass: Pass<R, C>, result: R): void {
    this.byPass.set(pass, result);
  }

  has(pass: object): boolean {
    return this.byPass.has(pass);
  }

  /** The result `pass` returned in this pipeline; HEC4401 if it has not run yet. */
  require<R, C extends PassContext>(pass: Pass<R, C>): R {
    if (!this.byPass.has(pass)) {
      throw new HecError('HEC4401', `pass '${pass.name}' has not run, but a later pass needs its result`, {
        fix: `put ${pass.name} earlier in the pipeline (hec passes lists the order)`,
      });
    }
    // The map is written only by set(), whose signature ties each key to its result type.
    return this.byPass.get(pass) as R;
  }
}

/** The default option values a pass declares, overridden by `given` (unknown keys are HEC4402). */
export function resolvePassOptions(pass: { name: string; options: readonly PassOption[] }, given: PassOptionValues = {}): PassOptionValues {
  const out: Record<string, number | string | boolean> = {};
  for (const o of pass.options) out[o.name] = o.default;
  for (const [k, v] of Object.entries(given)) {
    const o = pass.options.find((x) => x.name === k);
    if (o === undefined) {
      throw new HecError('HEC4402', `pass '${pass.name}' has no option '${k}'`, {
        fix: pass.options.length === 0 ? `${pass.name} takes no options` : `options of ${pass.name}: ${pass.options.map((x) => x.name).join(', ')}`,
      });
    }
    if (typeof v !== o.type) throw new HecError('HEC4402', `option ${k} of pass '${pass.name}' must be a ${o.type}, got '${String(v)}'`);
    out[k] = v;
  }
  return out;
}

/** A number option (declared with type 'number'; resolvePassOptions has checked it). */
export function numberOption(options: PassOptionValues, name: string): number {
  const v = options[name];
  if (typeof v !== 'number') throw new Error(`internal error: pass option ${name} is not a number`);
  return v;
}
