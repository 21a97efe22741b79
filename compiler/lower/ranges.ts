/**
 * @fileoverview Calibrated input ranges of the decoder's non-linear functions: what poly-approx approximates on.
 *
 * Produced by compiler/calibrate.ts from float64 runs of the model on calibration data (with a safety margin) and
 * recorded in the plan header, so a reader can see the interval each approximation assumes.
 */
export interface Interval {
  lo: number;
  hi: number;
}

export interface LayerRanges {
  /** Mean of squares entering the attention RMSNorm and the MLP RMSNorm. */
  attnNormMeanSquare: Interval;
  mlpNormMeanSquare: Interval;
  /** Scaled attention scores q·k/√d. */
  scores: Interval;
  /** Inputs of SiLU (the gate projection). */
  siluInput: Interval;
}

export interface ModelRanges {
  layers: LayerRanges[];
  finalNormMeanSquare: Interval;
  /** How the ranges were obtained (prompt count, token count, margin), for the plan header. */
  provenance: string;
}
