/**
 * @fileoverview The Pass interface and the context passes run in.
 *
 * A pass is one file exporting one object: a name (the CLI token), a one-line summary, a description stating what it
 * requires and ensures, and `run(module, ctx)`. Passes never print: they report through `ctx.notes` (collected
 * into the plan header) and throw HecError (HEC4xxx) on failure.
 */
import type { Module } from '../ir/module.ts';
import type { CkksParams } from '../ir/params.ts';

export interface PassContext {
  params: CkksParams;
  /** Free-form records a pass leaves for the plan header (e.g. approximations chosen). */
  notes: Record<string, unknown>;
  /** Fixed levels of state arguments (KV cache), by state name; set by the driver. */
  stateLevels?: Map<string, number>;
  /** Rotation offsets a bootstrap needs (from runtime/bootstrap), when the plan bootstraps. */
  bootstrapRotations?: number[];
}

export interface Pass {
  name: string;
  summary: string;
  description: string;
  run(module: Module, ctx: PassContext): void;
}
