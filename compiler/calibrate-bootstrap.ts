/**
 * @fileoverview Bootstrap ranges: run the placed plan on `sim` over calibration tokens and record, for every
 * `ckks.bootstrap`, the largest |value| it receives; the range is the next power of two above 1.5× that maximum.
 *
 * CKKS bootstrapping needs |x| ≤ range (backend.ts); `sim` checks it at run time, so a prompt that exceeds a range
 * fails loudly (HEC5106) rather than decrypting to garbage.
 */
import type { LlamaModel } from '../ir/model.ts';
import type { Module } from '../ir/module.ts';
import type { CkksParams } from '../ir/params.ts';
import type { AttrDict } from '../ir/types.ts';
import { simBackend } from '../runtime/backends/sim/index.ts';
import { DecodeSession } from '../runtime/session.ts';
import { defaultCalibrationSequences } from './calibrate.ts';
import { weightStore } from './weights.ts';

const PROBE_RANGE = 2 ** 30;

export async function calibrateBootstrapRanges(
  module: Module,
  model: LlamaModel,
  params: CkksParams,
  tokens: number,
  onProgress?: (done: number, total: number) => void,
): Promise<AttrDict> {
  const func = module.funcs.find((f) => f.name === 'decode_step')!;
  const boots = func.ops.filter((op) => op.name === 'ckks.bootstrap');
  for (const op of boots) op.attrs.range = PROBE_RANGE;
  const maxAbs = new Map<string, number>();
  let session: DecodeSession | null = null;
  session = await DecodeSession.create({ module, params, func }, simBackend, weightStore(model), {
    onBootstrapInput: (name, ct) => {
      const v = session!.client.decrypt(session!.server.serialize(ct));
      let m = 0;
      for (let i = 0; i < v.re.length; i++) m = Math.max(m, Math.abs(v.re[i]!), Math.abs(v.im?.[i] ?? 0));
      maxAbs.set(name, Math.max(maxAbs.get(name) ?? 0, m));
    },
  });
  const seq = defaultCalibrationSequences(model).flat().slice(0, tokens);
  try {
    seq.forEach((t, i) => {
      session!.step(t);
      onProgress?.(i + 1, seq.length);
    });
  } finally {
    session.dispose();
  }
  let worst = 0;
  for (const op of boots) {
    const m = maxAbs.get(op.results[0]!.name) ?? 0;
    worst = Math.max(worst, m);
    op.attrs.range = Math.pow(2, Math.ceil(Math.log2(Math.max(1.5 * m, 2 ** -20))));
  }
  return { tokens: seq.length, bootstraps: boots.length, largest_input: worst, rule: 'range = 2^ceil(log2(1.5 * max |input|))' };
}
