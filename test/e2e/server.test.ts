/**
 * `hec keygen` → `hec serve` → `hec run --server` against 127.0.0.1 on `sim` (tiny-mha, TEST_INSECURE_N13_DEEP):
 * the same --json as a local run with the same keys (logits bit for bit: sim is deterministic); bad requests each a
 * 4xx with a HEC code while the server keeps serving; damaged session files detected at restart, not loaded.
 */
import { readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeParams } from '../../ir/params.ts';
import { PRESETS } from '../../ir/presets.ts';
import { simBackend } from '../../runtime/backends/sim/index.ts';
import { encryptToken } from '../../runtime/decode-io.ts';
import { encodeFrame, KIND_TOKEN } from '../../runtime/server/protocol.ts';
import { cli, openRemote, startServer, tinyPlan, type TestServer, type TinyPlan } from './server-fixture.ts';

let t: TinyPlan;
beforeAll(async () => {
  t = await tinyPlan();
});

const withoutTimes = (j: { positions: { ms?: number }[]; total_ms?: number }): unknown => ({
  ...j, total_ms: undefined, positions: j.positions.map((p) => ({ ...p, ms: undefined })),
});

describe('hec keygen → hec serve → hec run --server', () => {
  let server: TestServer;
  afterAll(async () => server?.close());

  it('prints the same --json as a local run with the same keys', async () => {
    const keys = path.join(t.dir, 'keys');
    expect((await cli(['keygen', t.planPath, '-o', keys, '--backend', 'sim', '--allow-insecure', '-q'])).code).toBe(0);
    expect(statSync(path.join(keys, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.join(keys, 'keys')).length).toBeGreaterThan(1);
    server = await startServer(t, path.join(t.dir, 'data'));
    const args = [t.planPath, '--tokens', '1,2,3', '--max-new-tokens', '4', '--json', '--logits', '--allow-insecure', '-q', '--keys', keys];
    const remote = await cli(['run', ...args, '--server', server.url]);
    const local = await cli(['run', ...args, '--backend', 'sim']);
    expect(remote.code).toBe(0);
    expect(local.code).toBe(0);
    const r = JSON.parse(remote.out), l = JSON.parse(local.out);
    expect(r.generated).toHaveLength(4);
    expect(withoutTimes(r)).toEqual(withoutTimes(l));
    // Every session is closed at the end of a run: the server holds nothing.
    expect(server.store.count).toBe(0);
    // The log never carries a token or key material: only short session ids.
    const text = JSON.stringify(server.logs);
    expect(text).not.toMatch(/[0-9a-f]{32}/);
    expect(text).not.toMatch(/Bearer/);
  });

  it('refuses a key directory made for another plan or with an unsafe secret key (HEC5314)', async () => {
    const keys = path.join(t.dir, 'keys');
    const { chmodSync } = await import('node:fs');
    chmodSync(path.join(keys, 'secret.key'), 0o644);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const r = await cli(['run', t.planPath, '--tokens', '1', '--max-new-tokens', '0', '--json', '--allow-insecure', '-q', '--keys', keys, '--server', server.url]);
      expect(r.code).toBe(1);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/error HEC5314: .*readable by others/);
    } finally {
      err.mockRestore();
      chmodSync(path.join(keys, 'secret.key'), 0o600);
    }
  });
});

describe('command-line errors of keygen, serve and report', () => {
  it('each a coded error before any work', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const cases: [string[], RegExp][] = [
        [['keygen', t.planPath], /error HEC0001: hec keygen needs -o DIR/],
        [['keygen', t.planPath, '-o', t.dir, '--backend', 'sim', '--allow-insecure'], /error HEC5314: .* is not empty/],
        [['keygen', t.planPath, '-o', path.join(t.dir, 'k2'), '--backend', 'sim'], /error HEC6004: .*insecure/],
        [['serve', t.planPath, '--port', '0'], /error HEC0001: hec serve needs --data-dir/],
        [['serve', t.planPath, '--data-dir', t.dir], /error HEC0003: hec serve needs --port/],
        [['report', t.planPath], /error HEC0001: hec report needs -o FILE/],
        [['run', t.planPath, '--tokens', '1', '--server', 'http://127.0.0.1:9', '--max-new-tokens', '0', '--allow-insecure', '-q'], /error HEC5313: GET http:\/\/127.0.0.1:9\/health/],
      ];
      for (const [args, want] of cases) {
        err.mockClear();
        expect((await cli(args)).code, args.join(' ')).toBe(1);
        expect(err.mock.calls.map((c) => String(c[0])).join(''), args.join(' ')).toMatch(want);
      }
    } finally {
      err.mockRestore();
    }
  });
});

describe('bad requests: a 4xx with a HEC code each, and the server keeps serving', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(t, path.join(t.dir, 'bad'), { maxFrameBytes: 256 * 1024, maxQueued: 1, maxSessions: 6 });
  });
  afterAll(async () => server?.close());

  async function call(url: string, init: { method: string; token?: string; bytes?: Uint8Array; json?: unknown }): Promise<{ status: number; code?: string; retryAfter: string | null }> {
    const headers: Record<string, string> = {};
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
    const body = init.json !== undefined ? JSON.stringify(init.json) : init.bytes;
    const r = await fetch(url, { method: init.method, headers, body });
    const text = await r.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
    } catch {
      code = undefined;
    }
    return { status: r.status, code, retryAfter: r.headers.get('retry-after') };
  }

  it('wrong token, oversized body, malformed ciphertext, another session\'s ciphertext, wrong parameters, out of sequence, full queue', async () => {
    const a = await openRemote(t, server.url);
    const b = await openRemote(t, server.url);
    const client = await simBackend.createClient(t.plan.params);
    const steps = (id: string): string => `${server.url}/v1/sessions/${id}/steps`;
    const tokenFrame = (session: string, step: number, params = t.plan.params, ct = encryptToken(t.plan, client, 5)): Uint8Array =>
      encodeFrame(params, { kind: KIND_TOKEN, step, session, items: new Map([['token', ct]]) });
    const A = a.credentials, B = b.credentials;

    const cases: [string, Promise<{ status: number; code?: string; retryAfter: string | null }>, number, string][] = [
      ['wrong token', call(steps(A.id), { method: 'POST', token: B.token, bytes: tokenFrame(A.id, 0) }), 404, 'HEC5302'],
      ['no token', call(`${server.url}/v1/sessions/${A.id}`, { method: 'GET' }), 404, 'HEC5302'],
      ['unknown session', call(`${server.url}/v1/sessions/${'0'.repeat(32)}`, { method: 'GET', token: A.token }), 404, 'HEC5302'],
      ['oversized body', call(steps(A.id), { method: 'POST', token: A.token, bytes: new Uint8Array(300 * 1024) }), 413, 'HEC5303'],
      ['not a frame', call(steps(A.id), { method: 'POST', token: A.token, bytes: new Uint8Array(100) }), 400, 'HEC5306'],
      ['malformed ciphertext', call(steps(A.id), { method: 'POST', token: A.token, bytes: tokenFrame(A.id, 0, t.plan.params, new Uint8Array(4000).fill(7)) }), 400, 'HEC5108'],
      ['another session\'s ciphertext', call(steps(A.id), { method: 'POST', token: A.token, bytes: tokenFrame(B.id, 0) }), 400, 'HEC5307'],
      ['wrong parameter fingerprint', call(steps(A.id), { method: 'POST', token: A.token, bytes: tokenFrame(A.id, 0, makeParams({ ...PRESETS.TEST_INSECURE_N12!, name: 'other' })) }), 409, 'HEC5308'],
      ['step out of sequence', call(steps(A.id), { method: 'POST', token: A.token, bytes: tokenFrame(A.id, 7) }), 409, 'HEC5309'],
      ['session for another plan', call(`${server.url}/v1/sessions`, { method: 'POST', json: { plan_sha256: 'f'.repeat(64), backend: 'sim', params_fingerprint: 0, key_parts: 1, key_bytes: 0 } }), 409, 'HEC5308'],
      ['not JSON', call(`${server.url}/v1/sessions`, { method: 'POST', bytes: new TextEncoder().encode('{') }), 400, 'HEC5301'],
      ['no such route', call(`${server.url}/v2/x`, { method: 'GET' }), 400, 'HEC5301'],
    ];
    for (const [name, p, status, code] of cases) {
      const r = await p;
      expect({ name, status: r.status, code: r.code }).toEqual({ name, status, code });
    }

    // Full queue: steps run one at a time with at most one waiting; four sessions' steps at once → 503 + Retry-After.
    const more = [await openRemote(t, server.url), await openRemote(t, server.url)];
    const all = [a, b, ...more].map((s) => s.credentials);
    const burst = await Promise.all(all.map((c) => call(steps(c.id), { method: 'POST', token: c.token, bytes: tokenFrame(c.id, 0) })));
    const busy = burst.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const r of busy) {
      expect(r.code).toBe('HEC5304');
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(burst.filter((r) => r.status === 200).length).toBeGreaterThan(0);

    // Session limit: 4 open + 2 more reach 6; the 7th is refused with 503 HEC5305.
    const five = await openRemote(t, server.url), six = await openRemote(t, server.url);
    const seventh = await call(`${server.url}/v1/sessions`, { method: 'POST', json: { plan_sha256: t.planSha256, backend: 'sim', params_fingerprint: 0, key_parts: 1, key_bytes: 0 } });
    expect(seventh.status).toBe(409); // wrong fingerprint is checked before the limit
    const { paramFingerprint } = await import('../../runtime/backends/checks.ts');
    const full = await call(`${server.url}/v1/sessions`, { method: 'POST', json: { plan_sha256: t.planSha256, backend: 'sim', params_fingerprint: paramFingerprint(t.plan.params), key_parts: 1, key_bytes: 0 } });
    expect([full.status, full.code]).toEqual([503, 'HEC5305']);
    await five.close();
    await six.close();

    // And the server still serves: health, and every session steps normally from where it is.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    for (const s of [a, b, ...more]) {
      const st = await s.status();
      expect(st.position).toBeLessThanOrEqual(1);
    }
    const fresh = await openRemote(t, server.url);
    expect((await fresh.step(3)).length).toBe(48);
    for (const s of [a, b, ...more, fresh]) await s.close();
    client.dispose();
  });
});

describe('damaged session files', () => {
  it('are detected at restart (HEC5311) and not loaded; other sessions resume', async () => {
    const dir = path.join(t.dir, 'damage');
    let server = await startServer(t, dir);
    const good = await openRemote(t, server.url), bad = await openRemote(t, server.url);
    await good.step(1);
    await bad.step(1);
    await server.close();
    const cache = path.join(dir, 'sessions', bad.credentials.id, 'cache.bin');
    const bytes = readFileSync(cache);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 0x01, bytes.length - 100);
    writeFileSync(cache, bytes);

    server = await startServer(t, dir, { port: server.port });
    try {
      expect(server.logs.filter((l) => l.event === 'session.damaged').map((l) => l.code)).toEqual(['HEC5311']);
      const r = await fetch(`${server.url}/v1/sessions/${bad.credentials.id}`, { headers: { authorization: `Bearer ${bad.credentials.token}` } });
      expect(r.status).toBe(500);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('HEC5311');
      await expect(bad.step(2)).rejects.toThrow(/HEC5311/);
      // The undamaged session continues at position 1.
      expect((await good.status()).position).toBe(1);
      expect((await good.step(2)).length).toBe(48);
      await good.close();
      await bad.close();
    } finally {
      await server.close();
    }
  });
});
