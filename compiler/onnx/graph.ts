/**
 * @fileoverview The ONNX graph specialised to one decoding step: static shapes and folded constants.
 *
 * A decoder-with-past export is dynamic in batch, sequence and past length, and most of its nodes compute shapes and
 * the causal mask from those dims. We bind batch = 1, seq = 1 (one new token), past = P, and assume the attention
 * mask is all ones (HE decoding never pads), then evaluate every node whose inputs are all known. What is left
 * ("live" nodes) is the arithmetic on hidden states, which the pattern recognisers match.
 *
 * Weights (float initializers of rank ≥ 1) are never folded through, so the recognisers still see which initializer
 * feeds which MatMul, and graph-only models (no weight data) fold exactly like complete ones.
 */
import { Graph, alg } from '@dagrejs/graphlib';
import { HecError } from '../../ir/diagnostics.ts';
import { DT, type LoadedOnnx, type OnnxInitializer, type OnnxNode, type OnnxValueInfo } from './load.ts';
import { OPS, type SymTensor } from './ops.ts';

export interface FoldedGraph {
  loaded: LoadedOnnx;
  past: number;
  /** Every tensor of the graph, with its static shape and, if folded, its value. */
  tensors: Map<string, SymTensor>;
  /** Weight initializers by tensor name (Identity aliases of a weight map to the same initializer). */
  weights: Map<string, OnnxInitializer>;
  /** Nodes that compute run-time values, in graph order, restricted to those that reach a graph output. */
  live: OnnxNode[];
  producer: Map<string, OnnxNode>;
  consumers: Map<string, OnnxNode[]>;
  /** Live-node dependency graph (consumer node → producer node), for reachability questions. */
  dag: Graph;
}

const isWeight = (i: OnnxInitializer): boolean => i.dtype === DT.FLOAT && i.shape.length >= 1;

function bindInput(v: OnnxValueInfo, past: number, loaded: LoadedOnnx): SymTensor {
  const dim = (i: number, what: string): number => {
    const d = v.dims[i];
    if (typeof d === 'number') return d;
    throw new HecError('HEC1021', `input ${v.name} has a symbolic ${what} dimension ${JSON.stringify(d)}`, {
      location: { file: loaded.path },
      fix: 'export with a fixed number of KV heads and head dim (only batch, sequence and past may be dynamic)',
    });
  };
  if (v.name === 'input_ids' || v.name === 'position_ids') return { dtype: v.dtype || DT.INT64, shape: [1, 1] };
  if (v.name === 'attention_mask') {
    const shape = [1, past + 1];
    const data = new Float64Array(past + 1).fill(1);
    return { dtype: v.dtype || DT.INT64, shape, value: { dtype: v.dtype || DT.INT64, shape, data } };
  }
  if (/^past_key_values\.\d+\.(key|value)$/.test(v.name)) {
    return { dtype: DT.FLOAT, shape: [1, dim(1, 'KV-head'), past, dim(3, 'head')] };
  }
  throw new HecError('HEC1021', `unexpected graph input ${v.name}`, {
    location: { file: loaded.path },
    fix: 'hec expects inputs input_ids, attention_mask, position_ids and past_key_values.{i}.key|value',
  });
}

/** Bind the dynamic dims for one decode step at past length `past` and fold everything that is constant. */
export function foldGraph(loaded: LoadedOnnx, past: number): FoldedGraph {
  const tensors = new Map<string, SymTensor>();
  const weights = new Map<string, OnnxInitializer>();
  for (const init of loaded.initializers.values()) {
    if (isWeight(init)) {
      weights.set(init.name, init);
      tensors.set(init.name, { dtype: init.dtype, shape: init.shape });
    } else if (init.data !== null) {
      const data = Float64Array.from(init.data);
      tensors.set(init.name, { dtype: init.dtype, shape: init.shape, value: { dtype: init.dtype, shape: init.shape, data } });
    } else {
      tensors.set(init.name, { dtype: init.dtype, shape: init.shape });
    }
  }
  for (const v of loaded.inputs) tensors.set(v.name, bindInput(v, past, loaded));

  const liveAll: OnnxNode[] = [];
  const unknown = new Set<string>();
  const unsupported: OnnxNode[] = [];
  for (const node of loaded.nodes) {
    // Custom-domain ops (contrib, com.microsoft) have no shape rules here either.
    const impl = node.domain === '' || node.domain === 'ai.onnx' ? OPS[node.opType] : undefined;
    // An op without shape rules, or one fed by such an op, is only an error if it reaches a graph output: exporters
    // leave dead shape computations around, and those must not stop compilation.
    if (impl === undefined || node.inputs.some((i) => unknown.has(i))) {
      for (const o of node.outputs) unknown.add(o);
      if (impl === undefined) unsupported.push(node);
      liveAll.push(node);
      continue;
    }
    const ins = node.inputs.map((n) => {
      if (n === '') return undefined;
      const t = tensors.get(n);
      if (t === undefined) {
        throw new HecError('HEC1011', `input ${n} is produced by no earlier node (graph not topologically sorted?)`, {
          location: { onnxNode: node.name, onnxOp: node.opType },
          fix: 're-export the model; ONNX requires nodes in topological order',
        });
      }
      return t;
    });
    // Identity of a weight (legacy export deduplicating equal norm weights) aliases that weight.
    if (node.opType === 'Identity' && weights.has(node.inputs[0]!)) {
      weights.set(node.outputs[0]!, weights.get(node.inputs[0]!)!);
      tensors.set(node.outputs[0]!, ins[0]!);
      continue;
    }
    const outs = impl(ins, node.attrs, node);
    node.outputs.forEach((o, i) => {
      if (o !== '' && outs[i]) tensors.set(o, outs[i]!);
    });
    if (outs.some((t) => t.value === undefined)) liveAll.push(node);
  }

  // Keep only live nodes whose results reach a graph output: leftovers of folded soup are dead.
  const dag = new Graph({ directed: true });
  const prod = new Map<string, OnnxNode>();
  for (const n of liveAll) {
    dag.setNode(n.name, n);
    for (const o of n.outputs) prod.set(o, n);
  }
  // Edges point from a node to the nodes it depends on, so a preorder walk from the outputs finds what they need.
  for (const n of liveAll) for (const i of n.inputs) if (prod.has(i)) dag.setEdge(n.name, prod.get(i)!.name);
  const sinks = loaded.outputs.map((o) => prod.get(o.name)?.name).filter((s): s is string => s !== undefined);
  const reach = new Set<string>(alg.preorder(dag, sinks));
  const bad = unsupported.find((n) => reach.has(n.name));
  if (bad) {
    const op = bad.domain ? `${bad.domain}::${bad.opType}` : bad.opType;
    throw new HecError('HEC1010', `unsupported op ${op} on the path to the outputs: hec recognises Llama decoders ` +
      'built from MatMul/Gemm, RMSNorm, rotary, softmax attention and SwiGLU ops', {
      location: { onnxNode: bad.name, onnxOp: bad.opType },
      fix: 'remove the op from the decoder or export a standard Llama architecture',
    });
  }
  const live = liveAll.filter((n) => reach.has(n.name));
  const producer = new Map<string, OnnxNode>();
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of live) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) {
      if (!consumers.has(i)) consumers.set(i, []);
      consumers.get(i)!.push(n);
    }
  }
  return { loaded, past, tensors, weights, live, producer, consumers, dag };
}
