/**
 * @fileoverview The server's sessions: creation with a random bearer token, resumable key upload, start, steps that
 * are durable before they are answered, close, and recovery after a restart.
 *
 * A step is committed in this order: compute on the in-memory cache → write cache.bin (new cache, position + 1, this
 * step's logits) atomically → install the new cache in memory → answer. A SIGKILL before the rename leaves the old
 * cache.bin, so the restarted server expects the same step again and the client's retry redoes it; a SIGKILL after
 * it leaves the new one, and the retry (same step number) gets the stored logits back. No step is applied twice or
 * half. The position is public (it is the step count), so step numbers reveal nothing the server did not know.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { HecError } from '../../ir/diagnostics.ts';
import type { WeightStore } from '../../ir/plaintext-sources.ts';
import type { Backend } from '../backend.ts';
import { paramFingerprint } from '../backends/checks.ts';
import { DecodeServer } from '../decode-io.ts';
import { readKeyParts } from '../key-parts.ts';
import type { Plan } from '../plan.ts';
import { SessionFiles, type CacheSnapshot, type KeyIndex, type SessionMeta } from './durable.ts';
import { serverError } from './errors.ts';
import { shortId, type Logger } from './log.ts';
import { decodeFrame, encodeFrame, isSessionId, KIND_LOGITS, KIND_STATES, KIND_TOKEN, onlyItem, type CreateSessionRequest, type SessionStatus } from './protocol.ts';
import { StepQueue } from './queue.ts';

export interface SessionStoreOptions {
  dataDir: string;
  plan: Plan;
  planSha256: string;
  backend: Backend;
  weights: WeightStore | null;
  maxSessions: number;
  queue: StepQueue;
  log: Logger;
  /**
   * Fault injection for the crash tests only (HEC_TEST_STALL): stall a minute before committing these steps, after
   * committing (before answering) these, or before storing these key parts.
   */
  stall?: { steps: Set<number>; commits: Set<number>; keyParts: Set<number> };
}

class Session {
  keyIndex: KeyIndex = { parts: [] };
  /** Position and last answer of the durable cache (its ciphertexts live in `decoder` and in cache.bin). */
  durable: Pick<CacheSnapshot, 'position' | 'last'> | undefined;
  decoder: DecodeServer | undefined;
  /** Set when files on disk failed their checks: the session answers HEC5311 until it is closed. */
  damaged: HecError | undefined;
  /** Serialises this session's uploads, starts, steps and close. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly meta: SessionMeta,
    readonly files: SessionFiles,
  ) {}

  exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.chain.then(job, job);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

function parseCreate(b: Record<string, unknown>): CreateSessionRequest {
  const { plan_sha256, backend, params_fingerprint, key_parts, key_bytes } = b;
  if (typeof plan_sha256 !== 'string' || typeof backend !== 'string' || typeof params_fingerprint !== 'number') {
    throw serverError('HEC5301', 'a session needs plan_sha256 (string), backend (string) and params_fingerprint (number)');
  }
  if (typeof key_parts !== 'number' || !Number.isInteger(key_parts) || key_parts < 1 || key_parts > 100_000 || typeof key_bytes !== 'number' || !Number.isSafeInteger(key_bytes) || key_bytes < 0) {
    throw serverError('HEC5301', `key_parts (${String(key_parts)}) and key_bytes (${String(key_bytes)}) must be positive integers`);
  }
  return { plan_sha256, backend, params_fingerprint, key_parts, key_bytes };
}

const tokenHash = (token: string): Buffer => createHash('sha256').update(token).digest();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly root: string;

  constructor(private readonly o: SessionStoreOptions) {
    this.root = path.join(o.dataDir, 'sessions');
  }

  get count(): number {
    return this.sessions.size;
  }

  /** Find every session under --data-dir. Damaged ones are kept (answering HEC5311) but nothing of them is loaded. */
  async restore(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    for (const id of (await readdir(this.root)).sort()) {
      const files = new SessionFiles(path.join(this.root, id));
      if (!isSessionId(id)) continue;
      let meta: SessionMeta;
      try {
        meta = await files.readMeta();
      } catch (e) {
        // Without a readable meta.json no token can open it: an interrupted create, or damage. Keep the files.
        this.o.log('error', 'session.unreadable', { session: shortId(id), code: e instanceof HecError ? e.code : 'HEC5311' });
        continue;
      }
      const s = new Session(id, meta, files);
      this.sessions.set(id, s);
      try {
        if (meta.plan_sha256 !== this.o.planSha256 || meta.backend !== this.o.backend.name) {
          throw serverError('HEC5311', `session ${shortId(id)} was made for another plan or backend`);
        }
        await this.removeTemporaries(files.dir);
        s.keyIndex = await files.readKeyIndex();
        const snap = await files.readSnapshot();
        s.durable = snap === undefined ? undefined : { position: snap.position, last: snap.last };
        this.o.log('info', 'session.restored', { session: shortId(id), keys_received: s.keyIndex.parts.length, key_parts: meta.key_parts, position: s.durable?.position ?? null });
      } catch (e) {
        if (!(e instanceof HecError)) throw e;
        s.damaged = e;
        this.o.log('error', 'session.damaged', { session: shortId(id), code: e.code, message: e.diagnostic.message });
      }
    }
  }

  private async removeTemporaries(dir: string): Promise<void> {
    for (const f of await readdir(dir)) if (f.includes('.tmp-')) await rm(path.join(dir, f), { force: true });
  }

  async create(body: Record<string, unknown>): Promise<{ session: string; token: string }> {
    const req = parseCreate(body);
    const want: Omit<CreateSessionRequest, 'key_parts' | 'key_bytes'> = { plan_sha256: this.o.planSha256, backend: this.o.backend.name, params_fingerprint: paramFingerprint(this.o.plan.params) };
    for (const k of ['plan_sha256', 'backend', 'params_fingerprint'] as const) {
      if (req[k] !== want[k]) throw serverError('HEC5308', `the client's ${k} is ${JSON.stringify(req[k])}; this server has ${JSON.stringify(want[k])}`);
    }
    if (this.sessions.size >= this.o.maxSessions) throw serverError('HEC5305', `the server holds its maximum of ${this.o.maxSessions} sessions`);
    const id = randomBytes(16).toString('hex');
    const token = randomBytes(32).toString('base64url');
    const meta: SessionMeta = {
      id,
      token_sha256: tokenHash(token).toString('hex'),
      plan_sha256: this.o.planSha256,
      backend: this.o.backend.name,
      key_parts: req.key_parts,
      key_bytes: req.key_bytes,
      created: new Date().toISOString(),
    };
    const files = new SessionFiles(path.join(this.root, id));
    await files.create(meta);
    this.sessions.set(id, new Session(id, meta, files));
    this.o.log('info', 'session.created', { session: shortId(id), key_parts: req.key_parts, key_bytes: req.key_bytes });
    return { session: id, token };
  }

  /** The session `id` if `authorization` carries its token; the same HEC5302 otherwise, whether or not it exists. */
  authorize(id: string, authorization: string | undefined): Session {
    const s = this.sessions.get(id);
    const m = /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(authorization ?? '');
    const ok = s !== undefined && m !== null && timingSafeEqual(tokenHash(m[1]!), Buffer.from(s.meta.token_sha256, 'hex'));
    if (!ok || s === undefined) throw serverError('HEC5302', 'no such session for this token');
    return s;
  }

  private usable(s: Session): void {
    if (s.damaged !== undefined) throw serverError('HEC5311', `session ${shortId(s.id)} cannot be resumed: ${s.damaged.diagnostic.message}`);
  }

  status(s: Session): SessionStatus {
    this.usable(s);
    return {
      keys_received: s.keyIndex.parts.length,
      key_parts: s.meta.key_parts,
      started: s.durable !== undefined,
      position: s.durable?.position ?? 0,
      last_step: s.durable?.last?.step ?? null,
    };
  }

  /** Part `index` of the evaluation keys; resending a part already stored is a no-op (resumable upload). */
  putKeyPart(s: Session, index: number, bytes: Uint8Array): Promise<SessionStatus> {
    return s.exclusive(async () => {
      this.usable(s);
      const received = s.keyIndex.parts.length;
      if (!Number.isInteger(index) || index < 0 || index >= s.meta.key_parts) {
        throw serverError('HEC5301', `key part ${index} is outside 0..${s.meta.key_parts - 1}`);
      }
      if (index < received) return this.status(s);
      if (index > received) throw serverError('HEC5310', `key part ${index} arrived but part ${received} is next (resume from part ${received})`);
      if (this.o.stall?.keyParts.has(index)) await this.stall('key_part', index);
      s.keyIndex = await s.files.addKeyPart(s.keyIndex, index, bytes);
      this.o.log('info', 'session.key_part', { session: shortId(s.id), index, count: s.meta.key_parts, bytes: bytes.byteLength });
      return this.status(s);
    });
  }

  private async stall(what: string, n: number): Promise<void> {
    this.o.log('warn', 'test.stall', { what, n });
    await sleep(60_000);
  }

  /** Build the session's server context from its stored keys (the evaluation keys are checked here). */
  private async loadDecoder(s: Session): Promise<DecodeServer> {
    const t0 = performance.now();
    const server = await this.o.backend.createServer(this.o.plan.params, await readKeyParts(s.files.keysDir));
    this.o.log('info', 'session.keys_loaded', { session: shortId(s.id), ms: Math.round(performance.now() - t0) });
    return new DecodeServer(this.o.plan, server, this.o.weights);
  }

  /** The decoder with the durable cache in memory (after a restart, or after a failed step consumed it). */
  private async ready(s: Session): Promise<DecodeServer> {
    if (s.durable === undefined) throw serverError('HEC5310', `session ${shortId(s.id)} has not been started`);
    s.decoder ??= await this.loadDecoder(s);
    if (s.decoder.nextPosition !== s.durable.position || !s.decoder.hasStates) {
      const snap = await s.files.readSnapshot();
      if (snap === undefined) throw serverError('HEC5311', `session ${shortId(s.id)} lost its cache file`);
      s.decoder.setStates(snap.states, snap.position);
    }
    return s.decoder;
  }

  /** The empty KV cache (encrypted by the client) at position 0; repeating it before the first step is a no-op. */
  start(s: Session, body: Uint8Array): Promise<SessionStatus> {
    return s.exclusive(() =>
      this.o.queue.run(async () => {
        this.usable(s);
        const frame = decodeFrame(this.o.plan.params, body, { kind: KIND_STATES, session: s.id });
        if (s.durable !== undefined) {
          if (s.durable.position === 0) return this.status(s);
          throw serverError('HEC5309', `session ${shortId(s.id)} is already at position ${s.durable.position}`);
        }
        if (s.keyIndex.parts.length < s.meta.key_parts) {
          throw serverError('HEC5310', `${s.keyIndex.parts.length} of ${s.meta.key_parts} evaluation-key parts have arrived`);
        }
        s.decoder ??= await this.loadDecoder(s);
        s.decoder.setStates(frame.items, 0);
        await s.files.writeSnapshot({ position: 0, states: frame.items });
        s.durable = { position: 0 };
        this.o.log('info', 'session.started', { session: shortId(s.id), states: frame.items.size });
        return this.status(s);
      }),
    );
  }

  /** One step: an encrypted token in, encrypted logits out (a frame), durable before it is answered. */
  step(s: Session, body: Uint8Array): Promise<Uint8Array> {
    return s.exclusive(() =>
      this.o.queue.run(async () => {
        this.usable(s);
        const params = this.o.plan.params;
        const frame = decodeFrame(params, body, { kind: KIND_TOKEN, session: s.id });
        const token = onlyItem(frame, 'token');
        if (s.durable === undefined) throw serverError('HEC5310', `session ${shortId(s.id)} has not been started`);
        const answer = (step: number, logits: Uint8Array): Uint8Array => encodeFrame(params, { kind: KIND_LOGITS, step, session: s.id, items: new Map([['logits', logits]]) });
        const last = s.durable.last;
        if (last !== undefined && frame.step === last.step) {
          this.o.log('info', 'step.replayed', { session: shortId(s.id), step: frame.step });
          return answer(last.step, last.logits);
        }
        if (frame.step !== s.durable.position) {
          throw serverError('HEC5309', `step ${frame.step} is out of sequence: the session expects step ${s.durable.position}`);
        }
        const decoder = await this.ready(s);
        const t0 = performance.now();
        this.o.log('info', 'step.begin', { session: shortId(s.id), step: frame.step });
        const computed = decoder.compute(token);
        const t1 = performance.now();
        try {
          if (this.o.stall?.steps.has(frame.step)) await this.stall('step', frame.step);
          const snapshot: CacheSnapshot = { position: frame.step + 1, last: { step: frame.step, logits: computed.logits }, states: decoder.stateBytes(computed.next) };
          await s.files.writeSnapshot(snapshot);
          decoder.commit(computed);
          s.durable = { position: snapshot.position, last: snapshot.last };
        } catch (e) {
          decoder.discard(computed);
          throw e;
        }
        const t2 = performance.now();
        this.o.log('info', 'step.done', { session: shortId(s.id), step: frame.step, ms: Math.round(t2 - t0), compute_ms: Math.round(t1 - t0), persist_ms: Math.round(t2 - t1) });
        if (this.o.stall?.commits.has(frame.step)) await this.stall('commit', frame.step);
        return answer(frame.step, computed.logits);
      }),
    );
  }

  close(s: Session): Promise<void> {
    return s.exclusive(async () => {
      s.decoder?.dispose();
      s.decoder = undefined;
      this.sessions.delete(s.id);
      await s.files.remove();
      this.o.log('info', 'session.closed', { session: shortId(s.id) });
    });
  }

  /** Release every session's memory (the files stay: a restart resumes them). */
  dispose(): void {
    for (const s of this.sessions.values()) s.decoder?.dispose();
    this.sessions.clear();
  }
}

export type { Session };
