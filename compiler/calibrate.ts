/**
 * @fileoverview Calibration: the input ranges of the non-linear functions, measured by running the model in float64.
 *
 * The compiler never sees the user's prompt; it runs the model (compiler/model-eval.ts) on calibration sequences —
 * the built-in texts for byte-level models, seeded random tokens otherwise, or the user's `--calibration FILE` —
 * each continued greedily, plus one run over all of them joined to the full context, and records the intervals each approximation must cover. Margins: additive quantities
 * (scores, SiLU inputs) are widened by 25 % of their width on each side; positive ones (mean squares, softmax
 * denominators) are divided/multiplied by 2. The softmax denominator is not calibrated at all: the softmax lowering derives its inverses' domains by analysis.
 */
import { readFileSync } from 'node:fs';
import { HecError } from '../ir/diagnostics.ts';
import type { LlamaModel } from '../ir/model.ts';
import { mulberry32 } from '../ir/seeded-random.ts';
import { CALIBRATION_TEXTS } from './calibration-text.ts';
import type { Interval, LayerRanges, ModelRanges } from './lower/ranges.ts';
import { createState, decodeStep, argmax } from './model-eval.ts';

export interface CalibrationOptions {
  /** Token sequences to run; default: built-in texts (byte-level) or seeded random tokens. */
  sequences?: number[][];
  /** Greedy tokens generated after each sequence. */
  continuation?: number;
  maxContext: number;
  onProgress?: (done: number, total: number) => void;
}

class Acc {
  lo = Infinity;
  hi = -Infinity;
  add(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < this.lo) this.lo = v;
      if (v > this.hi) this.hi = v;
    }
  }
}

function additive(a: Acc): Interval {
  const w = Math.max(a.hi - a.lo, 1e-3);
  return { lo: a.lo - 0.25 * w, hi: a.hi + 0.25 * w };
}
function positive(a: Acc): Interval {
  return { lo: a.lo / 2, hi: a.hi * 2 };
}

/** Calibration sequences from a file: byte-level models read its bytes in chunks; others read token ids per line. */
export function readCalibrationFile(path: string, byteLevel: boolean): number[][] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new HecError('HEC1040', `cannot read calibration file ${path}: ${(e as Error).message}`);
  }
  if (bytes.length === 0) throw new HecError('HEC1040', `calibration file ${path} is empty`, { fix: 'give it text the model will see (byte-level models) or lines of token ids' });
  if (byteLevel) {
    const out: number[][] = [];
    for (let i = 0; i < bytes.length && out.length < 32; i += 160) out.push([...bytes.subarray(i, i + 160)]);
    return out;
  }
  const lines = bytes.toString('utf8').split('\n');
  const seqs: number[][] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    const ids = l.trim().split(/\s*,\s*|\s+/);
    const bad = ids.find((t) => !/^\d+$/.test(t));
    if (bad !== undefined) {
      throw new HecError('HEC1040', `calibration file ${path} line ${i + 1}: '${bad}' is not a token id (non-negative decimal integers, one sequence per line)`, {
        location: { file: path, line: i + 1 },
      });
    }
    seqs.push(ids.map(Number));
  });
  if (seqs.length === 0) throw new HecError('HEC1040', `calibration file ${path} holds no token ids`, { fix: 'one line of token ids per sequence, e.g. 12 7 42' });
  return seqs;
}

export function defaultCalibrationSequences(model: LlamaModel): number[][] {
  const vocab = model.config.vocabSize;
  if (vocab === 256) return CALIBRATION_TEXTS.map((t) => [...Buffer.from(t, 'utf8')]);
  const rand = mulberry32(0x5eed);
  return Array.from({ length: 6 }, () => Array.from({ length: 24 }, () => Math.floor(rand() * vocab)));
}

/** Calibration sequences joined (and repeated) to at least `length` tokens: one text as long as the context. */
export function longSequence(seqs: number[][], length: number): number[] {
  const out: number[] = [];
  while (out.length < length && seqs.some((q) => q.length > 0)) for (const q of seqs) out.push(...q);
  return out;
}

/** Async only to yield to the event loop now and then: a run over a long context is seconds of float64 work. */
export async function calibrateRanges(model: LlamaModel, opts: CalibrationOptions): Promise<ModelRanges> {
  const L = model.config.numLayers;
  const attnMs = Array.from({ length: L }, () => new Acc());
  const mlpMs = Array.from({ length: L }, () => new Acc());
  const scores = Array.from({ length: L }, () => new Acc());
  const silu = Array.from({ length: L }, () => new Acc());
  const finalMs = new Acc();
  const normSeen = new Map<number, number>();
  const given = opts.sequences ?? defaultCalibrationSequences(model);
  // The sequences, then all of them joined into one run over the whole context (the scores of distant tokens, the
  // positions past the short texts' ends).
  const sequences = [...given, longSequence(given, opts.maxContext)];
  const continuation = opts.continuation ?? 16;
  let done = 0;
  for (const seq0 of sequences) {
    const seq = seq0.slice(0, Math.max(1, opts.maxContext - continuation));
    const state = createState(model);
    let pos = 0;
    let next = seq[0]!;
    const total = Math.min(opts.maxContext, seq.length + continuation);
    normSeen.clear();
    const observer = (kind: string, layer: number, values: Float64Array) => {
      switch (kind) {
        case 'rms_mean_square': {
          if (layer < 0) finalMs.add(values);
          else {
            const k = normSeen.get(layer) ?? 0;
            (k % 2 === 0 ? attnMs : mlpMs)[layer]!.add(values);
            normSeen.set(layer, k + 1);
          }
          break;
        }
        case 'attention_scores':
          scores[layer]!.add(values);
          break;
        case 'silu_input':
          silu[layer]!.add(values);
          break;
      }
    };
    while (pos < total) {
      const logits = decodeStep(model, state, next, pos, observer);
      pos++;
      if (pos % 32 === 0) await new Promise((r) => setImmediate(r));
      next = pos < seq.length ? seq[pos]! : argmax(logits);
    }
    done++;
    opts.onProgress?.(done, sequences.length);
  }
  const layers: LayerRanges[] = [];
  for (let l = 0; l < L; l++) {
    const sc = additive(scores[l]!);
    layers.push({
      attnNormMeanSquare: positive(attnMs[l]!),
      mlpNormMeanSquare: positive(mlpMs[l]!),
      scores: sc,
      siluInput: additive(silu[l]!),
    });
  }
  return {
    layers,
    finalNormMeanSquare: positive(finalMs),
    provenance: `${given.length} sequences and their concatenation to ${opts.maxContext} positions (${opts.sequences ? 'user file' : model.config.vocabSize === 256 ? 'built-in texts' : 'seeded random tokens'}), +${continuation} greedy tokens each; margins: ±25% width (additive), ×/÷2 (positive)`,
  };
}

/** Conservative ranges for graph-only models (no weights to run): enough to count ops, not to run. */
export function defaultRanges(model: LlamaModel, maxContext: number): ModelRanges {
  const layer: LayerRanges = {
    attnNormMeanSquare: { lo: 0.05, hi: 50 },
    mlpNormMeanSquare: { lo: 0.05, hi: 50 },
    scores: { lo: -20, hi: 20 },
    siluInput: { lo: -10, hi: 10 },
  };
  return { layers: Array.from({ length: model.config.numLayers }, () => ({ ...layer })), finalNormMeanSquare: { lo: 0.05, hi: 50 }, provenance: 'uncalibrated defaults (graph-only model)' };
}
