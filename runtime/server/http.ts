/**
 * @fileoverview `hec serve`'s HTTP face on Node's own `http`: routing, body limits, timeouts, JSON errors with HEC
 * codes, one structured log line per request. The protocol is in protocol.ts, the sessions in sessions.ts.
 *
 * Every failure answers `{error: {code, message, fix}}` with the code's status (errors.ts) and the server keeps
 * serving; 503s carry Retry-After. Bodies are refused from their Content-Length before they are read where possible
 * (413), and counted while streaming otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HecError } from '../../ir/diagnostics.ts';
import { httpStatusOf, serverError } from './errors.ts';
import { shortId, type Logger } from './log.ts';
import type { HealthStatus } from './protocol.ts';
import type { StepQueue } from './queue.ts';
import type { SessionStore } from './sessions.ts';

export interface HttpOptions {
  store: SessionStore;
  queue: StepQueue;
  log: Logger;
  health: Omit<HealthStatus, 'sessions' | 'status'>;
  /** Largest evaluation-key part (bytes). */
  maxKeyPartBytes: number;
  /** Largest ciphertext frame (bytes): a token, or the start's empty cache. */
  maxFrameBytes: number;
  /** A request must arrive completely within this time (ms). */
  requestTimeoutMs: number;
}

const MAX_JSON_BYTES = 64 * 1024;

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limit) return Promise.reject(serverError('HEC5303', `the body of ${declared} bytes exceeds this route's limit of ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size <= limit) chunks.push(c);
      else if (!refused) {
        // Keep draining without storing, so the client reads the answer instead of a reset connection.
        refused = true;
        chunks.length = 0;
        reject(serverError('HEC5303', `the body exceeds this route's limit of ${limit} bytes`));
      }
    });
    req.on('end', () => {
      const b = Buffer.concat(chunks);
      resolve(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    });
    req.on('error', (e) => reject(serverError('HEC5312', `the request did not arrive: ${e.message}`)));
  });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req, MAX_JSON_BYTES);
  try {
    const v = JSON.parse(new TextDecoder().decode(body)) as unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw serverError('HEC5301', 'the body is not a JSON object');
}

interface Reply {
  status: number;
  json?: unknown;
  bytes?: Uint8Array;
}

const SESSION_ROUTE = /^\/v1\/sessions\/([0-9a-f]{32})(?:\/(keys\/(\d{1,6})|start|steps))?$/;

export function createHecServer(o: HttpOptions): Server {
  let requests = 0;

  async function route(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    if (url.pathname === '/health' && method === 'GET') {
      return { status: 200, json: { status: 'ready', ...o.health, sessions: o.store.count } satisfies HealthStatus };
    }
    if (url.pathname === '/v1/sessions' && method === 'POST') {
      return { status: 201, json: await o.store.create(await readJson(req)) };
    }
    const m = SESSION_ROUTE.exec(url.pathname);
    if (m === null) throw serverError('HEC5301', `no route ${method} ${url.pathname}`);
    const s = o.store.authorize(m[1]!, req.headers.authorization);
    const sub = m[2];
    if (sub === undefined && method === 'GET') return { status: 200, json: o.store.status(s) };
    if (sub === undefined && method === 'DELETE') {
      await o.store.close(s);
      return { status: 200, json: { closed: true } };
    }
    if (sub?.startsWith('keys/') && method === 'PUT') {
      return { status: 200, json: await o.store.putKeyPart(s, Number(m[3]), await readBody(req, o.maxKeyPartBytes)) };
    }
    if (sub === 'start' && method === 'POST') return { status: 200, json: await o.store.start(s, await readBody(req, o.maxFrameBytes)) };
    if (sub === 'steps' && method === 'POST') return { status: 200, bytes: await o.store.step(s, await readBody(req, o.maxFrameBytes)) };
    throw serverError('HEC5301', `no route ${method} ${url.pathname.replace(m[1]!, `${shortId(m[1]!)}…`)}`);
  }

  const server = createServer((req, res: ServerResponse) => {
    const id = ++requests;
    const t0 = performance.now();
    const path = (req.url ?? '/').replace(/[0-9a-f]{32}/, (x) => `${shortId(x)}…`).slice(0, 120);
    const finish = (r: Reply, code?: string): void => {
      const headers: Record<string, string | number> = {};
      let body: Uint8Array;
      if (r.bytes !== undefined) {
        headers['content-type'] = 'application/octet-stream';
        body = r.bytes;
      } else {
        headers['content-type'] = 'application/json';
        body = Buffer.from(JSON.stringify(r.json));
      }
      if (r.status === 503) headers['retry-after'] = o.queue.retryAfterSeconds();
      headers['content-length'] = body.byteLength;
      // A refused body may still be streaming in: drain it (bounded by the request timeout), then answer.
      const send = (): void => {
        if (!res.headersSent) res.writeHead(r.status, headers).end(body);
      };
      if (req.complete) send();
      else {
        req.resume();
        req.once('end', send);
      }
      o.log(r.status >= 500 ? 'error' : r.status >= 400 ? 'warn' : 'info', 'request', {
        req: id, method: req.method, path, status: r.status, code, ms: Math.round(performance.now() - t0), bytes_out: body.byteLength,
      });
    };
    route(req).then(
      (r) => finish(r),
      (e: unknown) => {
        if (e instanceof HecError) {
          const status = httpStatusOf(e);
          finish({ status, json: { error: { code: e.code, message: e.diagnostic.message, fix: e.diagnostic.fix } } }, e.code);
          return;
        }
        o.log('error', 'internal', { req: id, message: e instanceof Error ? e.message : String(e) });
        finish({ status: 500, json: { error: { code: 'HEC5300', message: 'internal error (see the server log)', fix: 'report it with the server log' } } }, 'HEC5300');
      },
    );
  });
  server.requestTimeout = o.requestTimeoutMs;
  server.headersTimeout = Math.min(60_000, o.requestTimeoutMs);
  server.keepAliveTimeout = 5_000;
  return server;
}
