/**
 * Load a backend for a test, or skip the test with the backend's load error printed (never a silent pass).
 */
import type { Backend } from '../../runtime/backend.ts';
import { loadBackend } from '../../runtime/registry.ts';

export async function loadOrSkip(name: string, t: { skip: () => void }): Promise<Backend | null> {
  try {
    return await loadBackend(name);
  } catch (e) {
    console.log(`skipped: ${name} backend not available: ${(e as Error).message}`);
    t.skip();
    return null;
  }
}
