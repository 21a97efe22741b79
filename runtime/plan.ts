/**
 * @fileoverview Execution plans on disk: the lowest level of the HE IR under a `hec.plan` header, plus a checksum.
 *
 * A plan is printed by the one IR printer (ir/text/printer.ts) and read by the one parser. Its module attributes
 * carry the header: `model` (path, sha256, exporter, architecture), `params` (the parameter literal and the exact
 * prime chain), `keys` (the evaluation keys it needs), `op_counts` (per decoding step), `approximations`,
 * `calibration`, `packing`, `max_context`. The last line, `// sha256: …`, covers every byte before it, so a
 * truncated or edited plan is rejected with HEC5002 instead of running wrong.
 */
import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { HecError } from '../ir/diagnostics.ts';
import type { ModelSource } from '../ir/model.ts';
import type { Func, Module } from '../ir/module.ts';
import { makeParams, type CkksParams, type CkksParamsLiteral } from '../ir/params.ts';
import { parseModule } from '../ir/text/index.ts';
import { printModule } from '../ir/text/printer.ts';
import { isAttrDict, type AttrDict } from '../ir/types.ts';
import { assertValid } from '../ir/verify.ts';

export const PLAN_VERSION = 1;
const CHECKSUM_PREFIX = '// sha256: ';

export interface Plan {
  module: Module;
  params: CkksParams;
  func: Func;
}

/** The parameter literal and prime chain as plan attributes (primes as decimal strings: they exceed 2^53). */
export function paramsToAttr(p: CkksParams): AttrDict {
  const lit: AttrDict = {
    name: p.name,
    log_n: p.logN,
    first_prime_bits: p.firstPrimeBits,
    scale_prime_bits: p.scalePrimeBits,
    levels: p.levels,
    special_prime_bits: p.specialPrimeBits,
    dnum: p.dnum,
    scale_bits: p.scaleBits,
    secret_hamming_weight: p.secretHammingWeight,
    error_std_dev: p.errorStdDev,
    bootstrap_levels: p.bootstrapLevels,
    ...((p.bootstrapSparseWeight ?? 0) > 0 ? { bootstrap_sparse_weight: p.bootstrapSparseWeight! } : {}),
    insecure: p.insecure === true,
    q: p.q.map(String),
    p: p.p.map(String),
    log_qp: Math.round(p.logQP * 100) / 100,
    secure: p.secure,
    security_rule: p.securityRule,
    slots: p.slots,
  };
  return lit;
}

export function paramsFromAttr(a: AttrDict): CkksParams {
  const num = (k: string) => {
    const v = a[k];
    if (typeof v !== 'number') throw new HecError('HEC5003', `plan params field '${k}' is missing or not a number`);
    return v;
  };
  const lit: CkksParamsLiteral = {
    name: String(a.name),
    logN: num('log_n'),
    firstPrimeBits: num('first_prime_bits'),
    scalePrimeBits: num('scale_prime_bits'),
    levels: num('levels'),
    specialPrimeBits: (a.special_prime_bits as number[]) ?? [],
    dnum: num('dnum'),
    scaleBits: num('scale_bits'),
    secretHammingWeight: num('secret_hamming_weight'),
    // Absent in plans that predate it: the engines' width. makeParams judges N, log QP, h and σ again on load, so an
    // edited header (the checksum is not keyed) cannot make a client generate a weak key.
    ...(a.error_std_dev !== undefined ? { errorStdDev: num('error_std_dev') } : {}),
    bootstrapLevels: num('bootstrap_levels'),
    ...(typeof a.bootstrap_sparse_weight === 'number' ? { bootstrapSparseWeight: a.bootstrap_sparse_weight } : {}),
    insecure: a.insecure === true,
  };
  const params = makeParams(lit);
  const sameChain = (v: unknown, want: bigint[]): boolean =>
    Array.isArray(v) && v.length === want.length && v.every((x, i) => x === String(want[i]));
  if (!sameChain(a.q, params.q) || !sameChain(a.p, params.p)) {
    throw new HecError('HEC5003', 'the plan\'s prime chain differs from the one hec derives from its parameters', {
      fix: 'recompile the plan with this version of hec',
    });
  }
  return params;
}

export function serializePlan(module: Module): string {
  const body = printModule(module, { header: 'hec.plan' });
  const digest = createHash('sha256').update(body).digest('hex');
  return `${body}${CHECKSUM_PREFIX}${digest}\n`;
}

/**
 * Write a plan atomically: the text goes to a temporary file beside `path`, which is then renamed over it, so a
 * reader (or a crash) never sees half a plan, and two writers of the same plan cannot interleave.
 */
export function writePlan(path: string, module: Module): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, serializePlan(module), { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The weight files a plan was compiled with: location → sha256 (or 'absent' for a graph-only compile). */
export function weightFilesAttr(source: ModelSource): AttrDict[] {
  return source.weightFiles.map((w) => ({ location: w.location, sha256: w.sha256 ?? 'absent' }));
}

/**
 * The model must be the bytes the plan was compiled from: the .onnx (HEC5033) and every external weight file
 * (HEC5034), so replacing a `.data` file next to the model cannot run other weights silently. A weight file that is
 * absent now is left to the weight store (HEC5030, graph-only).
 */
export function assertPlanModel(plan: Plan, source: ModelSource): void {
  const header = plan.module.attrs.model;
  const m = isAttrDict(header) ? header : {};
  if (source.sha256 !== m.sha256) {
    throw new HecError('HEC5033', `${source.path} is not the model this plan was compiled from (sha256 differs)`, {
      fix: 'recompile the plan for this model, or pass --model with the model it was compiled from',
    });
  }
  const bound = new Map<string, string>();
  if (Array.isArray(m.weight_files)) {
    for (const w of m.weight_files) if (isAttrDict(w) && typeof w.location === 'string' && typeof w.sha256 === 'string') bound.set(w.location, w.sha256);
  }
  for (const w of source.weightFiles) {
    if (w.sha256 === null) continue;
    const want = bound.get(w.location);
    if (want === undefined) {
      throw new HecError('HEC5034', `the plan does not record the sha256 of ${source.path}'s weight file ${w.location} (it was compiled by an older hec)`, {
        fix: 'recompile the plan with this hec',
      });
    }
    if (want === 'absent') {
      throw new HecError('HEC5034', `the plan was compiled while the weight file ${w.location} was missing (a graph-only plan: default ranges, no calibration)`, {
        fix: 'recompile the plan now that the weights are there',
      });
    }
    if (want !== w.sha256) {
      throw new HecError('HEC5034', `the weight file ${w.location} of ${source.path} is not the one this plan was compiled with (sha256 ${w.sha256.slice(0, 12)}…, the plan's ${want.slice(0, 12)}…)`, {
        location: { file: w.location },
        fix: 'restore the weight file the plan was compiled with, or recompile the plan for these weights',
      });
    }
  }
}


export function parsePlan(text: string, file = '<plan>'): Plan {
  if (!text.startsWith('hec.plan')) {
    throw new HecError('HEC5001', `${file} is not a hec plan (it does not start with 'hec.plan')`, { fix: 'pass a file written by `hec compile`' });
  }
  const at = text.lastIndexOf(CHECKSUM_PREFIX);
  if (at < 0) throw new HecError('HEC5002', `${file} has no checksum line: the plan is truncated or was edited`, { fix: 'recompile it with `hec compile`' });
  const body = text.slice(0, at);
  const expected = text.slice(at + CHECKSUM_PREFIX.length).trim();
  const actual = createHash('sha256').update(body).digest('hex');
  // Version first: an old or future plan should say so, not "checksum mismatch".
  const m = /^hec\.plan version = (\d+)/.exec(text);
  if (m !== null && Number(m[1]) !== PLAN_VERSION) {
    throw new HecError('HEC5004', `${file} is plan format version ${m[1]}; this hec reads version ${PLAN_VERSION}`, { fix: 'recompile the model with this version of hec' });
  }
  if (actual !== expected) throw new HecError('HEC5002', `${file} is corrupted: its checksum does not match its contents`, { fix: 'recompile it with `hec compile`' });
  const { module, header } = parseModule(body, file);
  if (header !== 'hec.plan') throw new HecError('HEC5001', `${file} is an IR module, not a plan`);
  if (!isAttrDict(module.attrs.params)) throw new HecError('HEC5003', `${file} has no params header`);
  const params = paramsFromAttr(module.attrs.params);
  try {
    assertValid(module, { bootstrapOutputLevel: params.bootstrapOutputLevel, requireLevels: true });
  } catch (e) {
    if (!(e instanceof HecError)) throw e;
    throw new HecError(e.code, e.diagnostic.message, { ...e.diagnostic, location: { ...e.diagnostic.location, file } });
  }
  const func = module.funcs.find((f) => f.name === 'decode_step');
  if (func === undefined) throw new HecError('HEC5003', `${file} has no @decode_step function`);
  return { module, params, func };
}

export function readPlan(path: string): Plan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'it is a directory' : code === 'ENOENT' ? 'no such file' : (code ?? String(e));
    throw new HecError('HEC5005', `cannot read plan ${path}: ${why}`, { fix: 'pass a .plan file written by hec compile' });
  }
  return parsePlan(text, path);
}
