/**
 * @fileoverview The KV-cache policies, as an explicit registry (a duplicate name is an error at load).
 */
import { HecError } from '../../ir/diagnostics.ts';
import { fullPolicy } from './full.ts';
import { mpcachePolicy } from './mpcache.ts';
import { mpcacheStaticPolicy } from './mpcache-static.ts';
import type { KvPolicy } from './policy.ts';
import { streamingPolicy } from './streaming.ts';

export const KV_POLICIES: readonly KvPolicy[] = [fullPolicy, streamingPolicy, mpcacheStaticPolicy, mpcachePolicy];

const byName = new Map<string, KvPolicy>();
for (const p of KV_POLICIES) {
  if (byName.has(p.name)) throw new Error(`internal error: KV policy '${p.name}' registered twice`);
  byName.set(p.name, p);
}

export function kvPolicy(name: string): KvPolicy {
  const p = byName.get(name);
  if (p === undefined) {
    throw new HecError('HEC0120', `unknown KV-cache policy '${name}'`, { fix: `use one of: ${KV_POLICIES.map((q) => q.name).join(', ')}` });
  }
  return p;
}

export type { KvPolicy, KvPolicyName, KvPolicyParams, KvSelection, PromptRun } from './policy.ts';
export { DEFAULT_PARAMS } from './policy.ts';
