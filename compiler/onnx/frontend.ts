/**
 * @fileoverview ONNX → LlamaModel: load, fold for one decode step, and recognise the Llama blocks.
 *
 * The architecture (sizes, heads, θ, eps, tying) is read from the graph only. The walk follows the residual stream:
 * embedding → per layer [RMSNorm → attention → residual Add → RMSNorm → SwiGLU MLP → residual Add] → final RMSNorm →
 * LM head, using present.{i}.key|value to anchor each layer's attention.
 *
 * Frontend diagnostics: HEC1001 unreadable file · HEC1002 not ONNX / truncated · HEC1003 opset < 17 ·
 * HEC1004 bad external data · HEC1005 unsupported tensor dtype · HEC1010 unsupported op · HEC1011 shape inference ·
 * HEC1020 structure not recognised (names the node, its op and what was expected) · HEC1021 missing/unexpected graph
 * inputs or outputs · HEC1022 inconsistent config (scale, head counts, eps) · HEC1023 unreadable or scaled RoPE ·
 * HEC1030/1031 model-eval without weights / token out of range.
 */
import { HecError } from '../../ir/diagnostics.ts';
import type { LlamaConfig, LlamaLayer, LlamaModel } from '../../ir/model.ts';
import { foldGraph } from './graph.ts';
import { loadOnnx, loadOnnxBytes, type LoadedOnnx } from './load.ts';
import { matchEmbedding } from './patterns/embedding.ts';
import { matchAttention } from './patterns/gqa-attention.ts';
import { matchKvCacheIo } from './patterns/kv-cache-io.ts';
import { matchLinear, type LinearMatch } from './patterns/linear.ts';
import { matchLmHead } from './patterns/lm-head.ts';
import { Matcher } from './patterns/match.ts';
import { matchRmsNorm } from './patterns/rms-norm.ts';
import { ropeTheta } from './patterns/rotary.ts';
import { matchSwiGlu } from './patterns/swiglu.ts';

/**
 * Past length the graph is specialised to for recognition. Any value works; 3 keeps the index tensors tiny and differs
 * from 1 so that a sequence axis cannot be confused with a broadcast axis.
 */
const RECOGNITION_PAST = 3;

/** Find the residual Add on `h` whose other operand is a linear layer's output (o_proj or down_proj). */
function residual(m: Matcher, h: string, what: string): { out: string; lin: LinearMatch } {
  const adds = m.users(h).filter((u) => u.node.opType === 'Add');
  for (const u of adds) {
    const other = m.other(u.node, u.input);
    const p = m.prod(m.src(other));
    if (p && (p.opType === 'MatMul' || p.opType === 'Gemm' || p.opType === 'Add')) {
      return { out: u.node.outputs[0]!, lin: matchLinear(m, other, what) };
    }
  }
  throw m.error(m.prod(m.src(h)), `expected a residual Add(${h}, ${what}(...)), found none`);
}

function sameInput(m: Matcher, lin: LinearMatch, x: string, what: string): void {
  if (m.src(lin.x) !== m.src(x)) throw m.error(lin.node, `expected ${what} to read ${x}, it reads ${lin.x}`);
}

/** Recognise a loaded ONNX model as a Llama decoder. */
export function recogniseLlama(loaded: LoadedOnnx): LlamaModel {
  const g = foldGraph(loaded, RECOGNITION_PAST);
  const m = new Matcher(g);
  const emb = matchEmbedding(m);
  const kvio = matchKvCacheIo(m);
  const layers: LlamaLayer[] = [];
  const eps: number[] = [];
  let cfg: Pick<LlamaConfig, 'numHeads' | 'numKvHeads' | 'headDim' | 'intermediateSize'> | undefined;
  let cos = '';
  let h = emb.out;
  for (const kv of kvio) {
    const what = `layer ${kv.layer}`;
    const n1 = matchRmsNorm(m, h, `${what} input`);
    const r1 = residual(m, h, `${what} o_proj`);
    const att = matchAttention(m, r1.lin.x, kv, `${what} attention`);
    for (const [lin, nm] of [[att.q, 'q_proj'], [att.k, 'k_proj'], [att.v, 'v_proj']] as const) sameInput(m, lin, n1.out, `${what} ${nm}`);
    const n2 = matchRmsNorm(m, r1.out, `${what} post-attention`);
    const r2 = residual(m, r1.out, `${what} down_proj`);
    const glu = matchSwiGlu(m, r2.lin.x, `${what} MLP`);
    const gate = matchLinear(m, glu.gate, `${what} gate_proj`);
    const up = matchLinear(m, glu.up, `${what} up_proj`);
    sameInput(m, gate, n2.out, `${what} gate_proj`);
    sameInput(m, up, n2.out, `${what} up_proj`);
    const here = { numHeads: att.numHeads, numKvHeads: att.numKvHeads, headDim: att.headDim, intermediateSize: gate.linear.weight.shape[0]! };
    if (cfg && JSON.stringify(cfg) !== JSON.stringify(here)) {
      throw m.error(att.q.node, `${what} has ${JSON.stringify(here)} but layer 0 has ${JSON.stringify(cfg)}`, 'HEC1022');
    }
    cfg = here;
    cos = att.cos;
    eps.push(n1.eps, n2.eps);
    layers.push({
      inputNorm: n1.weight, q: att.q.linear, k: att.k.linear, v: att.v.linear, o: r1.lin.linear,
      postAttentionNorm: n2.weight, gate: gate.linear, up: up.linear, down: r2.lin.linear,
    });
    h = r2.out;
  }
  const nf = matchRmsNorm(m, h, 'final');
  eps.push(nf.eps);
  const head = matchLmHead(m, emb);
  sameInput(m, head, nf.out, 'LM head');
  if (!cfg) throw m.error(undefined, 'expected at least one decoder layer', 'HEC1021');
  if (eps.some((e) => e !== eps[0])) {
    throw new HecError('HEC1022', `RMSNorm eps differs between norms (${[...new Set(eps)].join(', ')})`, {
      location: { file: loaded.path },
      fix: 'hec models one eps for all norms; export a standard Llama',
    });
  }
  const config: LlamaConfig = {
    hiddenSize: emb.hiddenSize,
    numLayers: layers.length,
    ...cfg,
    vocabSize: emb.vocabSize,
    ropeTheta: ropeTheta(m, cos, cfg.headDim),
    // eps is stored as float32 in the graph; report the decimal it was written from (1e-5, not 9.99999974e-6).
    rmsNormEps: Number(eps[0]!.toPrecision(6)),
    tiedEmbeddings: head.tied,
    ropeStyle: 'rotate_half',
  };
  const lmHead = head.tied ? { weight: { ...emb.table, onnxNode: head.node.name }, bias: head.linear.bias } : head.linear;
  return {
    config,
    embedding: emb.table,
    layers,
    finalNorm: nf.weight,
    lmHead,
    source: { path: loaded.path, sha256: loaded.sha256, weightFiles: loaded.externalData, exporter: exporterOf(loaded), opset: loaded.opset, graphOnly: loaded.graphOnly },
  };
}

function exporterOf(l: LoadedOnnx): string {
  // The dynamo exporter names nodes node_*, the TorchScript (legacy) one /model/...
  const dynamo = l.nodes.some((n) => n.name.startsWith('node_'));
  return `${l.producer || 'unknown'} (${dynamo ? 'torch.onnx dynamo' : 'torch.onnx legacy'})`;
}

/** Load an ONNX Llama decoder-with-past model from disk. */
export function loadLlamaSync(path: string): LlamaModel {
  return recogniseLlama(loadOnnx(path));
}

/** Recognise ONNX bytes; `path` resolves external data and names the model in diagnostics. */
export function loadLlamaBytes(bytes: Uint8Array, path = '<bytes>'): LlamaModel {
  return recogniseLlama(loadOnnxBytes(bytes, path));
}

/** Load an ONNX Llama decoder-with-past model from disk. */
export async function loadLlama(path: string): Promise<LlamaModel> {
  return loadLlamaSync(path);
}

