/**
 * 1,000 ops with explicit free(): RSS stays flat (native buffers are released at free, not at GC) and both the
 * server's liveCount and the process-wide native object count return to where they started.
 */
import { describe, expect, it } from 'vitest';

import { cpuBackend, nativeLiveObjects } from '../../../runtime/backends/cpu/index.ts';
import { skipReason, smallParams, vec } from './helpers.ts';

describe.skipIf(skipReason !== undefined)('cpu engine memory', () => {
  it('1,000 ops: RSS flat, liveCount back to 0', async () => {
    const params = smallParams();
    const n = params.slots;
    const client = await cpuBackend.createClient(params);
    const server = await cpuBackend.createServer(params, await client.evaluationKeys({ relinearize: true, conjugate: true, rotations: [1, 3], bootstrap: false }));
    const base = nativeLiveObjects();
    const x = server.deserialize(client.encrypt({ re: vec(n, 1) }, params.levels));
    const pt = server.encode({ re: vec(n, 2) }, params.levels, x.scale);
    const round = () => {
      const ops = [
        () => server.add(x, x),
        () => server.mul(x, x),
        () => server.rotate(x, 3),
        () => server.conjugate(x),
        () => server.mulPlain(x, pt),
        () => server.levelDrop(x, 1),
      ];
      for (const op of ops) server.free(op());
      const hs = server.rotateHoisted(x, [1, 3]);
      hs.forEach((h) => server.free(h));
      const m = server.mul(x, x);
      const r = server.rescale(m);
      server.free(m);
      server.free(r);
    };
    for (let i = 0; i < 20; i++) round(); // warm-up: allocator pools, caches (Galois permutations, converters)
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let ops = 0;
    while (ops < 1000) {
      round();
      ops += 10;
    }
    global.gc?.();
    const rss1 = process.memoryUsage().rss;
    const growMiB = (rss1 - rss0) / 2 ** 20;
    console.log(`[leak] ${ops} ops: RSS ${(rss0 / 2 ** 20).toFixed(1)} -> ${(rss1 / 2 ** 20).toFixed(1)} MiB (${growMiB.toFixed(1)} MiB), live ${server.liveCount()}`);
    // One ciphertext here is 2 × 6 limbs × 4096 × 8 B = 384 KiB; 1,000 leaked results would be ~400 MiB.
    expect(growMiB).toBeLessThan(24);
    server.free(x);
    server.free(pt);
    expect(server.liveCount()).toBe(0);
    expect(nativeLiveObjects()).toBe(base);
    server.dispose();
    client.dispose();
  });
});
