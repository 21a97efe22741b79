/**
 * @fileoverview The wire format between `hec run --server` (client) and `hec serve` (server), shared by both.
 *
 * JSON for control (create, status, close), raw bytes for evaluation-key parts (each part is already framed and
 * checksummed by its backend), and a small binary *frame* for ciphertexts, which binds them to a session, a step and
 * the parameters. Little-endian:
 *   0 magic "HECF" | 4 u16 version | 6 u16 kind | 8 u32 parameter fingerprint | 12 u32 step
 *   16 16-byte session id | 32 u32 item count | 36 u32 checksum of everything after the 40-byte header
 *   40 items: u32 name length, name (UTF-8), u32 ciphertext length, ciphertext bytes
 * The checksum (key-parts.ts's) catches corruption, not tampering; TLS in front of the server is the transport's job.
 * The session binding is a label: a ciphertext the client framed for session A and sent to session B is refused
 * (HEC5307); one re-framed by its own client cannot be told apart by the server (it would decrypt to noise on the
 * client, which holds the only key).
 *
 * Routes (every session route needs `Authorization: Bearer TOKEN`):
 *   GET    /health                         200 {status: "ready", plan, backend, params, sessions} once serving
 *   POST   /v1/sessions                    JSON {plan_sha256, backend, params_fingerprint, key_parts, key_bytes} → 201 {session, token}
 *   GET    /v1/sessions/ID                 200 {keys_received, key_parts, started, position, last_step}
 *   PUT    /v1/sessions/ID/keys/INDEX      one evaluation-key part (bytes) → 200 {keys_received}
 *   POST   /v1/sessions/ID/start           frame KIND_STATES with the empty KV cache → 200 {position: 0}
 *   POST   /v1/sessions/ID/steps           frame KIND_TOKEN (step = position) → 200 frame KIND_LOGITS (same step)
 *   DELETE /v1/sessions/ID                 200 {closed: true}
 */
import { readFileSync } from 'node:fs';
import type { CkksParams } from '../../ir/params.ts';
import { paramFingerprint } from '../backends/checks.ts';
import { partChecksum } from '../key-parts.ts';
import { serverError } from './errors.ts';

export const FRAME_MAGIC = 0x46434548; // "HECF"
export const FRAME_VERSION = 1;
export const FRAME_HEADER = 40;

export const KIND_STATES = 1;
export const KIND_TOKEN = 2;
export const KIND_LOGITS = 3;

export interface Frame {
  kind: number;
  step: number;
  /** 32 hex characters. */
  session: string;
  items: Map<string, Uint8Array>;
}

const SESSION_ID = /^[0-9a-f]{32}$/;

export function isSessionId(s: string): boolean {
  return SESSION_ID.test(s);
}

export function encodeFrame(params: CkksParams, f: Frame): Uint8Array {
  const names = [...f.items.keys()].map((n) => new TextEncoder().encode(n));
  let size = FRAME_HEADER;
  let i = 0;
  for (const ct of f.items.values()) size += 8 + names[i++]!.byteLength + ct.byteLength;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, FRAME_MAGIC, true);
  dv.setUint16(4, FRAME_VERSION, true);
  dv.setUint16(6, f.kind, true);
  dv.setUint32(8, paramFingerprint(params), true);
  dv.setUint32(12, f.step, true);
  out.set(Buffer.from(f.session, 'hex'), 16);
  dv.setUint32(32, f.items.size, true);
  let at = FRAME_HEADER;
  i = 0;
  for (const ct of f.items.values()) {
    const name = names[i++]!;
    dv.setUint32(at, name.byteLength, true);
    out.set(name, at + 4);
    at += 4 + name.byteLength;
    dv.setUint32(at, ct.byteLength, true);
    out.set(ct, at + 4);
    at += 4 + ct.byteLength;
  }
  dv.setUint32(36, partChecksum(out.subarray(FRAME_HEADER)), true);
  return out;
}

/**
 * Read a frame and check it against what the receiver expects: kind, parameters (HEC5308), session (HEC5307);
 * anything malformed is HEC5306. The step is returned for the caller to check against its sequence.
 */
export function decodeFrame(params: CkksParams, bytes: Uint8Array, expect: { kind: number; session: string }): Frame {
  const bad = (why: string): never => {
    throw serverError('HEC5306', `malformed ciphertext frame: ${why}`);
  };
  if (bytes.byteLength < FRAME_HEADER) bad(`${bytes.byteLength} bytes is shorter than the ${FRAME_HEADER}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== FRAME_MAGIC) bad('bad magic (not a hec frame)');
  if (dv.getUint16(4, true) !== FRAME_VERSION) bad(`version ${dv.getUint16(4, true)}, this hec speaks ${FRAME_VERSION}`);
  const kind = dv.getUint16(6, true);
  if (kind !== expect.kind) bad(`frame kind ${kind}, this route takes kind ${expect.kind}`);
  if (partChecksum(bytes.subarray(FRAME_HEADER)) !== dv.getUint32(36, true)) bad('checksum mismatch: the frame is corrupt');
  const fp = dv.getUint32(8, true);
  if (fp !== paramFingerprint(params)) {
    throw serverError('HEC5308', `the frame was made for parameters with fingerprint ${fp.toString(16)}; this server runs '${params.name}' (${paramFingerprint(params).toString(16)})`);
  }
  const session = Buffer.from(bytes.subarray(16, 32)).toString('hex');
  if (session !== expect.session) throw serverError('HEC5307', `the frame was made for session ${session.slice(0, 8)}…, not for this session`);
  const count = dv.getUint32(32, true);
  const items = new Map<string, Uint8Array>();
  let at = FRAME_HEADER;
  for (let k = 0; k < count; k++) {
    if (at + 4 > bytes.byteLength) bad('truncated item header');
    const nameLen = dv.getUint32(at, true);
    if (at + 8 + nameLen > bytes.byteLength) bad('truncated item name');
    const name = new TextDecoder().decode(bytes.subarray(at + 4, at + 4 + nameLen));
    at += 4 + nameLen;
    const len = dv.getUint32(at, true);
    if (at + 4 + len > bytes.byteLength) bad(`item '${name}' is truncated`);
    if (items.has(name)) bad(`item '${name}' appears twice`);
    items.set(name, bytes.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  if (at !== bytes.byteLength) bad(`${bytes.byteLength - at} bytes after the last item`);
  return { kind, step: dv.getUint32(12, true), session, items };
}

/** The one ciphertext of a token or logits frame. */
export function onlyItem(f: Frame, name: string): Uint8Array {
  const ct = f.items.get(name);
  if (ct === undefined || f.items.size !== 1) throw serverError('HEC5306', `malformed ciphertext frame: expected exactly one item '${name}'`);
  return ct;
}

/** What a session-create request carries (JSON). */
export interface CreateSessionRequest {
  plan_sha256: string;
  backend: string;
  params_fingerprint: number;
  key_parts: number;
  key_bytes: number;
}

/** GET /v1/sessions/ID. */
export interface SessionStatus {
  keys_received: number;
  key_parts: number;
  started: boolean;
  /** The next step the session expects (= positions completed). */
  position: number;
  /** The last completed step, whose answer a retry gets again (null before the first). */
  last_step: number | null;
}

export interface HealthStatus {
  status: 'ready';
  plan_sha256: string;
  backend: string;
  params: string;
  params_fingerprint: number;
  sessions: number;
  max_sessions: number;
}

/** A plan's identity: the sha256 on its last line (runtime/plan.ts checked it when the plan was read). */
export function planDigest(planPath: string): string {
  const m = /\/\/ sha256: ([0-9a-f]{64})\s*$/.exec(readFileSync(planPath, 'utf8'));
  if (m === null) throw serverError('HEC5308', `${planPath} has no checksum line`);
  return m[1]!;
}
