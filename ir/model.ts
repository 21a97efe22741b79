/**
 * @fileoverview The model-level IR: what the ONNX frontend recognises in a Llama decoder-with-past graph.
 *
 * A `LlamaModel` is the architecture (read from the graph, never from a config file) plus the weight tensors in a
 * canonical orientation. Lowering (compiler/lower-*.ts) turns it into the HE IR for one decoding step.
 *
 * Conventions (the frontend normalises every exporter to these):
 * - `Linear.weight` is row-major [out, in] and computes y = W·x (+ b), whatever the ONNX graph stored (torch's
 *   MatMul exports store W transposed as [in, out]; Gemm may carry transB).
 * - q/k/v output features are head-major: feature h·headDim + j is dimension j of head h.
 * - `ropeStyle: 'rotate_half'` is Hugging Face Llama: pairs (j, j + headDim/2) within a head.
 * - Graph-only models (external weight file absent) have `data: null` in every tensor; compile still works.
 */

export interface LlamaConfig {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  ropeTheta: number;
  rmsNormEps: number;
  /** True when the LM head reuses the embedding table (the graph shares one initializer). */
  tiedEmbeddings: boolean;
  ropeStyle: 'rotate_half' | 'interleaved';
}

export interface WeightTensor {
  /** Name of the ONNX initializer (or a derived name when the frontend transposed/split it). */
  name: string;
  shape: number[];
  /** Null when the weights are not available (graph-only model). */
  data: Float32Array | null;
  /** The ONNX node that consumes this weight, for diagnostics. */
  onnxNode?: string;
}

export interface Linear {
  /** Row-major [out, in]. */
  weight: WeightTensor;
  bias: WeightTensor | null;
}

export interface LlamaLayer {
  inputNorm: WeightTensor;
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  postAttentionNorm: WeightTensor;
  gate: Linear;
  up: Linear;
  down: Linear;
}

export interface ModelSource {
  path: string;
  /** sha256 of the .onnx file bytes (hex). */
  sha256: string;
  /** The external weight files the model names and the sha256 of each (null: absent, graph-only). */
  weightFiles: { location: string; sha256: string | null }[];
  exporter: string;
  opset: number;
  graphOnly: boolean;
}

export interface LlamaModel {
  config: LlamaConfig;
  /** [vocab, hidden]. */
  embedding: WeightTensor;
  layers: LlamaLayer[];
  finalNorm: WeightTensor;
  lmHead: Linear;
  source: ModelSource;
  /**
   * Present when only the first `kept` of the graph's `of` decoder layers are kept (`hec compile --layers K`, see
   * compiler/truncate.ts): the model is embedding → those layers → final RMSNorm → LM head, which is NOT the function
   * the ONNX graph computes. `config.numLayers` and `layers` then describe the kept layers.
   */
  truncation?: { kept: number; of: number };
}
