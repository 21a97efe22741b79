/**
 * @fileoverview Shared navigation for the pattern recognisers over a folded graph.
 *
 * Exporters sprinkle value-preserving nodes on the hidden-state path (float→float Casts, Identity, one-input Concat,
 * `+ 0` from the folded attention mask, `* 1` from rotary attention scaling, the NaN guard after Softmax). `src`
 * looks backwards through them and `users` forwards, so recognisers describe only the arithmetic that matters.
 * Every mismatch is a HEC1020 naming the node where the expected structure broke.
 */
import { HecError } from '../../../ir/diagnostics.ts';
import type { WeightTensor } from '../../../ir/model.ts';
import type { FoldedGraph } from '../graph.ts';
import { DT, type OnnxInitializer, type OnnxNode, type TensorValue } from '../load.ts';
import { numel } from '../ops.ts';

export const FIX_PATTERN =
  'hec recognises Hugging Face Llama decoders exported with torch.onnx (legacy or dynamo); check the model is ' +
  'a LlamaForCausalLM decoder-with-past export without custom layers';

export class Matcher {
  constructor(readonly g: FoldedGraph) {}

  prod(t: string): OnnxNode | undefined {
    return this.g.producer.get(t);
  }

  value(t: string): TensorValue | undefined {
    return this.g.tensors.get(t)?.value;
  }

  shape(t: string): number[] {
    return this.g.tensors.get(t)?.shape ?? [];
  }

  /** The single value of a constant whose elements are all equal (scalars, broadcast constants). */
  scalar(t: string): number | undefined {
    const v = this.value(t);
    if (!v || v.data.length === 0) return undefined;
    const x = v.data[0]!;
    for (const y of v.data) if (y !== x) return undefined;
    return x;
  }

  /** If `n` passes one of its inputs through unchanged, that input. */
  private passThrough(n: OnnxNode): string | undefined {
    const [a, b, c] = n.inputs;
    switch (n.opType) {
      case 'Identity':
        return a;
      case 'Cast':
        return n.attrs.to === DT.FLOAT ? a : undefined;
      case 'Concat':
        return n.inputs.length === 1 ? a : undefined;
      case 'Add':
      case 'Mul': {
        const unit = n.opType === 'Add' ? 0 : 1;
        const out = this.shape(n.outputs[0]!);
        for (const [x, k] of [[a, b], [b, a]] as const) {
          if (this.scalar(k!) === unit && this.value(x!) === undefined && sameShape(this.shape(x!), out)) return x;
        }
        return undefined;
      }
      case 'Where': {
        // Where(IsNaN(p), 0, p): the guard for fully masked rows, a no-op for decoding.
        const cond = this.prod(a!);
        if (cond?.opType === 'IsNaN' && this.src(cond.inputs[0]!) === this.src(c!)) return c;
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** Follow `t` back through value-preserving nodes. */
  src(t: string): string {
    for (;;) {
      const p = this.prod(t);
      const through = p ? this.passThrough(p) : undefined;
      if (through === undefined) return t;
      t = through;
    }
  }

  /** Consumers of `t`, looking through value-preserving nodes (which are not themselves reported). */
  users(t: string): { node: OnnxNode; input: string }[] {
    const out: { node: OnnxNode; input: string }[] = [];
    const seen = new Set<string>();
    const visit = (x: string): void => {
      if (seen.has(x)) return;
      seen.add(x);
      for (const n of this.g.consumers.get(x) ?? []) {
        const through = this.passThrough(n);
        if (through !== undefined && this.src(through) === this.src(x)) visit(n.outputs[0]!);
        else out.push({ node: n, input: x });
      }
    };
    visit(t);
    return out;
  }

  /** The node producing `src(t)`, which must have one of `ops`; otherwise a HEC1020 naming what was found. */
  expect(t: string, ops: string[], what: string): OnnxNode {
    const s = this.src(t);
    const n = this.prod(s);
    if (n && ops.includes(n.opType)) return n;
    const found = n ? `${n.opType} node` : this.g.weights.has(s) ? `initializer ${s}` : `graph input or constant ${s}`;
    throw this.error(n, `expected ${what} (${ops.join('/')}) producing ${s}, found ${found}`);
  }

  /** The unique forward user of `t` with one of `ops`. */
  expectUser(t: string, ops: string[], what: string): OnnxNode {
    const us = this.users(t).filter((u) => ops.includes(u.node.opType));
    if (us.length === 1) return us[0]!.node;
    const all = this.users(t).map((u) => `${u.node.name} (${u.node.opType})`);
    throw this.error(this.prod(this.src(t)), `expected ${what} (${ops.join('/')}) consuming ${t}, found ` +
      (us.length > 1 ? `${us.length} candidates` : all.length ? all.join(', ') : 'no consumers'));
  }

  /** The other input of binary node `n` given one of them (compared via src). */
  other(n: OnnxNode, t: string): string {
    const [a, b] = n.inputs;
    if (this.src(a!) === this.src(t)) return b!;
    if (this.src(b!) === this.src(t)) return a!;
    throw this.error(n, `expected ${n.opType} to consume ${t}`);
  }

  error(n: OnnxNode | undefined, msg: string, code = 'HEC1020'): HecError {
    return new HecError(code, msg, {
      location: n ? { onnxNode: n.name, onnxOp: n.opType } : { file: this.g.loaded.path },
      fix: FIX_PATTERN,
    });
  }

  /** The weight initializer behind `t` (through Identity aliases); undefined if `t` is computed. */
  weight(t: string): OnnxInitializer | undefined {
    return this.g.weights.get(this.src(t));
  }
}

export function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A WeightTensor view of an initializer, optionally transposed from [rows, cols] to [cols, rows]. */
export function weightTensor(init: OnnxInitializer, node: OnnxNode, transpose: boolean): WeightTensor {
  if (!transpose) {
    return { name: init.name, shape: init.shape.slice(), data: init.data ? Float32Array.from(init.data) : null, onnxNode: node.name };
  }
  const [r, c] = [init.shape[0]!, init.shape[1]!];
  let data: Float32Array | null = null;
  if (init.data) {
    data = new Float32Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = init.data[i * c + j]!;
  }
  return { name: `${init.name}^T`, shape: [c, r], data, onnxNode: node.name };
}

export { numel };
