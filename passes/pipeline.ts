/**
 * @fileoverview The pass manager: a pipeline is data (a list of passes with their options), run in order.
 *
 * After each pass it records the pass's typed result in `ctx.results`, optionally verifies the module
 * (`--verify-each`: the first pass that leaves invalid IR is named, HEC4403) and hands the module to an observer
 * (`--print-ir-after PASS`). Pipelines written as text (`hec opt --passes a,b{key=value}`) are parsed here against a
 * registry of passes; an unknown name or option is a coded error before anything runs.
 */
import { HecError } from '../ir/diagnostics.ts';
import type { Module } from '../ir/module.ts';
import { verifyModule } from '../ir/verify.ts';
import { resolvePassOptions, type Pass, type PassContext, type PassOptionValues } from './pass.ts';

/** One step of a pipeline: a pass and the options it runs with (defaults filled in by runPipeline). */
export interface PipelineStep<C extends PassContext = PassContext> {
  pass: Pass<unknown, C>;
  options?: PassOptionValues;
}

export interface PipelineHooks {
  /** Verify the module after every pass (levels are required only once they are assigned). */
  verifyEach?: boolean;
  /** Called after each pass, before the next starts (printing, progress). */
  afterPass?: (passName: string, module: Module) => void;
  /** Called before each pass starts. */
  beforePass?: (passName: string) => void;
}

/** Run one pass with its declared defaults overridden by `options`; the result also lands in ctx.results. */
export function runPass<R, C extends PassContext>(pass: Pass<R, C>, module: Module, ctx: C, options?: PassOptionValues): R {
  const result = pass.run(module, ctx, resolvePassOptions(pass, options));
  ctx.results.set(pass, result);
  return result;
}

/** Run `steps` in order on `module`; each result lands in ctx.results. */
export async function runPipeline<C extends PassContext>(module: Module, ctx: C, steps: readonly PipelineStep<C>[], hooks: PipelineHooks = {}): Promise<void> {
  for (const step of steps) {
    hooks.beforePass?.(step.pass.name);
    await runPass(step.pass, module, ctx, step.options);
    if (hooks.verifyEach === true) verifyAfter(step.pass.name, module, ctx);
    hooks.afterPass?.(step.pass.name, module);
    // Let the event loop run between passes (progress output, test runners' RPC on a loaded machine).
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function verifyAfter(passName: string, module: Module, ctx: PassContext): void {
  const errors = verifyModule(module, { bootstrapOutputLevel: ctx.params.bootstrapOutputLevel });
  if (errors.length === 0) return;
  const lines = errors.slice(0, 10).map((e) => `${e.code}: ${e.message}`);
  if (errors.length > 10) lines.push(`… and ${errors.length - 10} more`);
  throw new HecError('HEC4403', `the IR is invalid after pass '${passName}':\n  ${lines.join('\n  ')}`, {
    fix: `this is a bug in ${passName}; rerun with --print-ir-after ${passName} to see its output`,
  });
}

/**
 * Parse a pipeline written as text: `a,b{key=value key2=value2},c`, against the passes `registry` knows.
 * Values are numbers, `true`/`false`, or strings.
 */
export function parsePipeline<C extends PassContext>(text: string, registry: readonly Pass<unknown, C>[]): PipelineStep<C>[] {
  const steps: PipelineStep<C>[] = [];
  for (const item of splitTopLevel(text)) {
    const m = /^([a-z0-9-]+)(?:\{([^}]*)\})?$/.exec(item.trim());
    if (m === null || m[1] === undefined) {
      throw new HecError('HEC4404', `cannot read pipeline element '${item}'`, { fix: 'write passes as name or name{key=value ...}, separated by commas' });
    }
    const pass = registry.find((p) => p.name === m[1]);
    if (pass === undefined) {
      throw new HecError('HEC4404', `unknown pass '${m[1]}'`, { fix: `passes: ${registry.map((p) => p.name).join(', ')}` });
    }
    const options: Record<string, number | string | boolean> = {};
    for (const kv of (m[2] ?? '').split(/\s+/).filter((s) => s !== '')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new HecError('HEC4404', `option '${kv}' of pass '${pass.name}' needs key=value`);
      options[kv.slice(0, eq)] = optionValue(kv.slice(eq + 1));
    }
    resolvePassOptions(pass, options);
    steps.push({ pass, options });
  }
  return steps;
}

function optionValue(raw: string): number | string | boolean {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  const n = Number(raw);
  return raw !== '' && Number.isFinite(n) ? n : raw;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') parts.push(cur);
  return parts;
}
