/**
 * @fileoverview An onnxruntime oracle for layer truncation (`--layers K`): rewire a decoder-with-past graph so its final
 * RMSNorm reads the residual stream after layer K−1 instead of after the last layer.
 *
 * Only that one edge changes. The later layers stay in the graph (they still consume and produce their KV-cache
 * tensors, so the graph's inputs and outputs are unchanged and test/helpers/ort.ts drives it as before), but nothing
 * reaches the logits from them: the logits are embedding → layers 0 … K−1 → final norm → LM head, computed by
 * onnxruntime. The scopes are found by the exporters' node names (`…/layers.K/input_layernorm/…`, `…/norm/…`), never
 * through hec's frontend, so this truth is independent of the code under test.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

type Node = onnxProto.onnx.INodeProto;

/** The tensors the nodes of a scope read that no node of the scope produces (initializers and graph inputs excluded). */
function externalInputs(nodes: Node[], all: Node[]): Set<string> {
  const inside = new Set(nodes.flatMap((n) => n.output ?? []));
  const produced = new Set(all.flatMap((n) => n.output ?? []));
  return new Set(nodes.flatMap((n) => n.input ?? []).filter((t) => t !== '' && !inside.has(t) && produced.has(t)));
}

function only(s: Set<string>, what: string): string {
  if (s.size !== 1) throw new Error(`expected one tensor entering ${what}, found ${s.size}: ${[...s].join(', ')}`);
  return [...s][0]!;
}

/** The model bytes with the final norm fed from the input of layer `k`'s input norm (1 ≤ k < layers). */
export function rewireFinalNormAfterLayer(bytes: Uint8Array, k: number): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const nodes = model.graph!.node!;
  const finalNorm = nodes.filter((n) => /\/norm\/[^/]+$/.test(n.name ?? '') && !/\/layers\.\d+\//.test(n.name ?? ''));
  const nextLayerNorm = nodes.filter((n) => (n.name ?? '').includes(`/layers.${k}/input_layernorm/`));
  if (finalNorm.length === 0 || nextLayerNorm.length === 0) throw new Error(`no final norm or no layer ${k} input norm in the graph`);
  const from = only(externalInputs(finalNorm, nodes), 'the final norm');
  const to = only(externalInputs(nextLayerNorm, nodes), `layer ${k}'s input norm`);
  if (from === to) throw new Error(`layer ${k} is the last layer: nothing to truncate`);
  for (const n of finalNorm) n.input = n.input!.map((t) => (t === from ? to : t));
  return onnx.ModelProto.encode(model).finish();
}
