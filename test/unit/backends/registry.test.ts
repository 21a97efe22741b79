import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import { BACKENDS, listBackends, resolveBackend } from '../../../runtime/registry.ts';

describe('backend registry', () => {
  it('lists every backend with availability and a reason when unavailable', async () => {
    const list = await listBackends();
    expect(list.map((b) => b.name)).toEqual(BACKENDS.map((b) => b.name));
    for (const b of list) console.log(`backend ${b.name}: ${b.available ? 'available' : `unavailable (${b.reason})`}`);
    expect(list.find((b) => b.name === 'sim')!.available).toBe(true);
    for (const b of list) if (!b.available) expect(b.reason).toMatch(/\S/);
  });

  it('resolves names in order and reports every failure in one error', async () => {
    const cuda = (await listBackends()).find((b) => b.name === 'cuda')!;
    expect((await resolveBackend(['cuda', 'sim'])).name).toBe(cuda.available ? 'cuda' : 'sim');
    if (!cuda.available) {
      expect(cuda.reason).toContain('not built');
      const err = await resolveBackend(['cuda']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HecError);
      expect((err as HecError).code).toBe('HEC5201');
      expect((err as HecError).message).toContain('cuda: not built');
    }
    const unknown = await resolveBackend(['nope']).catch((e: unknown) => e);
    expect((unknown as HecError).code).toBe('HEC5202');
  });

  it('auto never picks sim, which does not encrypt', async () => {
    const b = await resolveBackend(['auto']).catch(() => undefined);
    if (b !== undefined) expect(b.name).not.toBe('sim');
  });
});
