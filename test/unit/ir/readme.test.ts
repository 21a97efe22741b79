import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OP_REGISTRY } from '../../../ir/ops.ts';
import { opTableMarkdown } from '../../../ir/text/index.ts';

describe('ir/README.md', () => {
  const readme = readFileSync(join(import.meta.dirname, '../../../ir/README.md'), 'utf8');
  it("op table is up to date with OP_REGISTRY (regenerate with opTableMarkdown() from ir/text/index.ts)", () => {
    const m = /<!-- op-table:begin -->\n([\s\S]*?)\n<!-- op-table:end -->/.exec(readme);
    expect(m, 'op-table markers missing').not.toBeNull();
    expect(m![1]).toBe(opTableMarkdown());
  });
  it('the table has one row per op', () => {
    expect(opTableMarkdown().split('\n').length).toBe(2 + OP_REGISTRY.size);
  });
});
