/**
 * @fileoverview The client side of a remote decoding session (`hec run --server URL`): it holds the secret key,
 * uploads the evaluation keys part by part, encrypts each token, and decrypts the logits the server returns.
 *
 * Every request is safe to repeat, so the client retries through a server restart: key parts are stored by index
 * (a repeated part is a no-op), the start is a no-op once done, and a step carries its number (a repeated step gets
 * the stored answer). Connection failures and 503s are retried with back-off (honouring Retry-After) for up to
 * `retryForMs`; any other error answer becomes the server's HecError.
 */
import { HecError } from '../../ir/diagnostics.ts';
import type { ClientContext, EvaluationKeys } from '../backend.ts';
import { paramFingerprint } from '../backends/checks.ts';
import { decryptLogits, encryptEmptyCache, encryptToken } from '../decode-io.ts';
import type { Plan } from '../plan.ts';
import { serverError } from '../server/errors.ts';
import { decodeFrame, encodeFrame, KIND_LOGITS, KIND_STATES, KIND_TOKEN, onlyItem, type HealthStatus, type SessionStatus } from '../server/protocol.ts';

export interface RemoteSessionOptions {
  /** Base URL of `hec serve`, e.g. http://127.0.0.1:8080 */
  url: string;
  plan: Plan;
  planSha256: string;
  client: ClientContext;
  keys: EvaluationKeys;
  /** Keep retrying connection failures and 503s this long (ms) before giving up. */
  retryForMs?: number;
  onKeyPart?: (index: number, count: number, bytes: number) => void;
}

interface Answer {
  status: number;
  body: Uint8Array;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function errorOf(a: Answer, what: string): HecError {
  try {
    const e = (JSON.parse(new TextDecoder().decode(a.body)) as { error?: { code?: unknown; message?: unknown; fix?: unknown } }).error;
    if (e !== undefined && typeof e.code === 'string' && typeof e.message === 'string') {
      return new HecError(e.code, `server: ${e.message}`, typeof e.fix === 'string' ? { fix: e.fix } : {});
    }
  } catch {
    // not the protocol: fall through
  }
  return serverError('HEC5313', `${what}: HTTP ${a.status} without a hec error body`);
}

/** One HTTP exchange, retried through connection failures and 503s. */
export async function request(url: string, init: { method: string; token?: string; json?: unknown; bytes?: Uint8Array }, retryForMs: number): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: Uint8Array | string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.bytes !== undefined) {
    headers['content-type'] = 'application/octet-stream';
    body = init.bytes;
  }
  const deadline = Date.now() + retryForMs;
  let wait = 200;
  for (;;) {
    let a: Answer | undefined;
    let failure = '';
    try {
      const r = await fetch(url, { method: init.method, headers, body });
      a = { status: r.status, body: new Uint8Array(await r.arrayBuffer()) };
      if (r.status === 503) {
        failure = 'server busy (503)';
        wait = Math.max(wait, 1000 * Number(r.headers.get('retry-after') ?? 1));
      }
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      failure = cause?.code ?? cause?.message ?? (e as Error).message;
    }
    if (a !== undefined && a.status !== 503) return a;
    if (Date.now() + wait > deadline) {
      if (a !== undefined) return a;
      throw serverError('HEC5313', `${init.method} ${url}: ${failure} (retried for ${(retryForMs / 1000).toFixed(0)} s)`);
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 2000);
  }
}

async function json<T>(a: Answer, what: string): Promise<T> {
  if (a.status < 200 || a.status >= 300) throw errorOf(a, what);
  try {
    return JSON.parse(new TextDecoder().decode(a.body)) as T;
  } catch {
    throw serverError('HEC5313', `${what}: the answer is not JSON`);
  }
}

export class RemoteSession {
  private position = 0;

  private constructor(
    private readonly o: RemoteSessionOptions,
    readonly id: string,
    private readonly token: string,
    readonly health: HealthStatus,
  ) {}

  private get retry(): number {
    return this.o.retryForMs ?? 120_000;
  }
  private url(sub = ''): string {
    return `${this.o.url.replace(/\/$/, '')}/v1/sessions/${this.id}${sub}`;
  }

  /**
   * The server's /health, checked against this client's plan and parameters. Retried only briefly: a server that is
   * not there when a run starts is a mistake to report, not a restart to wait out.
   */
  static async health(url: string, plan: Plan, planSha256: string, retryForMs = 5_000): Promise<HealthStatus> {
    const h = await json<HealthStatus>(await request(`${url.replace(/\/$/, '')}/health`, { method: 'GET' }, retryForMs), 'GET /health');
    if (h.plan_sha256 !== planSha256) throw serverError('HEC5308', `the server runs plan ${h.plan_sha256.slice(0, 12)}…, this client has ${planSha256.slice(0, 12)}…`);
    if (h.params_fingerprint !== paramFingerprint(plan.params)) throw serverError('HEC5308', `the server runs parameters '${h.params}', this plan has '${plan.params.name}'`);
    return h;
  }

  /** Create a session, upload every evaluation-key part (resuming after failures), and start it with an empty cache. */
  static async open(o: RemoteSessionOptions): Promise<RemoteSession> {
    const retry = o.retryForMs ?? 120_000;
    const health = await RemoteSession.health(o.url, o.plan, o.planSha256, Math.min(retry, 5_000));
    const created = await json<{ session: string; token: string }>(
      await request(`${o.url.replace(/\/$/, '')}/v1/sessions`, {
        method: 'POST',
        json: { plan_sha256: o.planSha256, backend: health.backend, params_fingerprint: paramFingerprint(o.plan.params), key_parts: o.keys.count, key_bytes: o.keys.byteLength },
      }, retry),
      'POST /v1/sessions',
    );
    const s = new RemoteSession(o, created.session, created.token, health);
    let i = 0;
    for await (const part of o.keys.parts()) {
      const st = await json<SessionStatus>(await request(s.url(`/keys/${i}`), { method: 'PUT', token: s.token, bytes: part }, retry), `PUT key part ${i}`);
      o.onKeyPart?.(i, o.keys.count, part.byteLength);
      if (st.keys_received !== i + 1) throw serverError('HEC5313', `the server holds ${st.keys_received} key parts after part ${i}`);
      i++;
    }
    const states = encodeFrame(o.plan.params, { kind: KIND_STATES, step: 0, session: s.id, items: encryptEmptyCache(o.plan, o.client) });
    await json<SessionStatus>(await request(s.url('/start'), { method: 'POST', token: s.token, bytes: states }, retry), 'POST start');
    return s;
  }

  get nextPosition(): number {
    return this.position;
  }

  /** One step: the token encrypted here, the step run there, the logits decrypted here. */
  async step(token: number): Promise<Float64Array> {
    const params = this.o.plan.params;
    const body = encodeFrame(params, { kind: KIND_TOKEN, step: this.position, session: this.id, items: new Map([['token', encryptToken(this.o.plan, this.o.client, token)]]) });
    const a = await request(this.url('/steps'), { method: 'POST', token: this.token, bytes: body }, this.retry);
    if (a.status !== 200) throw errorOf(a, `step ${this.position}`);
    const frame = decodeFrame(params, a.body, { kind: KIND_LOGITS, session: this.id });
    if (frame.step !== this.position) throw serverError('HEC5313', `asked for step ${this.position}, the server answered step ${frame.step}`);
    this.position++;
    return decryptLogits(this.o.plan, this.o.client, onlyItem(frame, 'logits'));
  }

  async status(): Promise<SessionStatus> {
    return json<SessionStatus>(await request(this.url(), { method: 'GET', token: this.token }, this.retry), 'GET session');
  }

  /** Close the session on the server (its cache and keys are deleted there). */
  async close(): Promise<void> {
    await json(await request(this.url(), { method: 'DELETE', token: this.token }, this.retry), 'DELETE session');
  }

  /** For tests of the server's checks: the session's id and bearer token. */
  get credentials(): { id: string; token: string } {
    return { id: this.id, token: this.token };
  }
}
