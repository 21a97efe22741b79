/**
 * @fileoverview The explicit list of packings (a duplicate name is an error). `hec compile --packing NAME|auto`
 * chooses among them; lowering asks each instantiated packing whether it accepts a tensor op and, where several do,
 * takes the cheapest (packing.ts selectPacking).
 */
import { HecError } from '../../ir/diagnostics.ts';
import type { LlamaModel } from '../../ir/model.ts';
import type { PackedModel, Packing } from './packing.ts';
import { replicatedPacking } from './replicated.ts';

export const PACKINGS: readonly Packing[] = (() => {
  const list = [replicatedPacking];
  const seen = new Set<string>();
  for (const p of list) {
    if (seen.has(p.name)) throw new Error(`internal error: duplicate packing name ${p.name}`);
    seen.add(p.name);
  }
  return list;
})();

/** The packings `--packing` names: 'auto' for all of them, else exactly one (HEC0003 for an unknown name). */
export function packingsNamed(choice: string): Packing[] {
  if (choice === 'auto') return [...PACKINGS];
  const p = PACKINGS.find((x) => x.name === choice);
  if (p === undefined) throw new HecError('HEC0003', `unknown packing '${choice}'`, { fix: `use auto or one of: ${PACKINGS.map((x) => x.name).join(', ')}` });
  return [p];
}

/** Instantiate the chosen packings for a model (each checks that the model fits: HEC4001/HEC4002). */
export function instantiatePackings(packings: readonly Packing[], model: LlamaModel, slots: number, maxContext: number): PackedModel[] {
  return packings.map((p) => p.instantiate(model, slots, maxContext));
}
