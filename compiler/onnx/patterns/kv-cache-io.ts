/**
 * @fileoverview KV-cache I/O: present.{i}.key|value = Concat(past_key_values.{i}.key|value, new, axis = sequence).
 */
import { Matcher } from './match.ts';

export interface KvLayerIo {
  layer: number;
  /** Rotated key of the new token, [1, kvHeads, 1, D]. */
  newKey: string;
  /** Value of the new token, [1, kvHeads, 1, D]. */
  newValue: string;
  presentKey: string;
  presentValue: string;
}

export function matchKvCacheIo(m: Matcher): KvLayerIo[] {
  const past = m.g.loaded.inputs.map((i) => /^past_key_values\.(\d+)\.key$/.exec(i.name)).filter((r) => r !== null);
  const n = past.length;
  if (n === 0) throw m.error(undefined, 'expected past_key_values.{i}.key|value inputs (a decoder-with-past export)', 'HEC1021');
  const out: KvLayerIo[] = [];
  for (let i = 0; i < n; i++) {
    const io = { layer: i, presentKey: `present.${i}.key`, presentValue: `present.${i}.value`, newKey: '', newValue: '' };
    for (const kind of ['key', 'value'] as const) {
      const present = `present.${i}.${kind}`;
      if (!m.g.loaded.outputs.some((o) => o.name === present)) {
        throw m.error(undefined, `expected graph output ${present} next to input past_key_values.${i}.${kind}`, 'HEC1021');
      }
      const cat = m.prod(present);
      const axis = cat?.attrs.axis;
      if (cat?.opType !== 'Concat' || cat.inputs.length !== 2 || (axis !== -2 && axis !== 2) ||
        m.src(cat.inputs[0]!) !== `past_key_values.${i}.${kind}`) {
        throw m.error(cat, `expected ${present} = Concat(past_key_values.${i}.${kind}, new ${kind}, axis=-2)`);
      }
      if (kind === 'key') io.newKey = cat.inputs[1]!;
      else io.newValue = cat.inputs[1]!;
    }
    out.push(io);
  }
  return out;
}
