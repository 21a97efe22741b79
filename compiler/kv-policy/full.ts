/** @fileoverview `full`: every head attends to the whole cache; the reference the other policies are measured against. */
import type { KvPolicy } from './policy.ts';

export const fullPolicy: KvPolicy = {
  name: 'full',
  summary: 'the whole cache (the reference)',
  begin(run) {
    const all = Array.from({ length: run.promptLength }, (_x, i) => i);
    return { promptKept: () => all, select: () => null };
  },
};
