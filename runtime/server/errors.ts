/**
 * @fileoverview The HEC53xx codes of `hec serve` / `hec run --server`, in one catalogue: each code with its HTTP
 * status and its fix text. Errors cross the wire as JSON `{error: {code, message, fix}}`; the client turns them back
 * into HecErrors, so a remote failure prints the same `error HECnnnn:` line as a local one.
 *
 * Backend errors raised while serving (HEC51xx: a malformed ciphertext, a wrong parameter fingerprint, parts out of
 * sequence) keep their own codes and answer 400: they are the request's fault, and the server keeps serving.
 */
import { HecError } from '../../ir/diagnostics.ts';

interface ServerCode {
  status: number;
  fix: string;
}

export const SERVER_CODES = {
  /** Anything unexpected while serving (a bug in hec); the server logs it and keeps serving. */
  HEC5300: { status: 500, fix: 'report it with the server log line of this request (request id)' },
  /** Malformed request: bad JSON, missing field, unknown route or method. */
  HEC5301: { status: 400, fix: 'send the request hec run --server sends (see runtime/server/README.md)' },
  /** Unknown session, or a token that does not open it: the same answer for both, so a guess learns nothing. */
  HEC5302: { status: 404, fix: 'use the session id and bearer token the server returned when the session was created' },
  /** Body larger than the route allows. */
  HEC5303: { status: 413, fix: 'send one evaluation-key part or one ciphertext per request; raise the server\'s --max-body-mib if parts are larger' },
  /** Step queue full, or a step waited longer than the queue timeout. */
  HEC5304: { status: 503, fix: 'retry after the Retry-After seconds (hec run --server does)' },
  /** Session limit reached. */
  HEC5305: { status: 503, fix: 'close finished sessions, or start the server with a larger --max-sessions' },
  /** A frame (ciphertexts in a binary envelope) is malformed or fails its checksum. */
  HEC5306: { status: 400, fix: 'send frames made by runtime/server/protocol.ts' },
  /** A frame made for another session. */
  HEC5307: { status: 400, fix: 'encrypt and frame each token for the session it is sent to' },
  /** The client's plan, parameters or backend differ from the server's. */
  HEC5308: { status: 409, fix: 'run the client with the plan (and backend) the server serves' },
  /** A step out of sequence (a step number neither next nor the last one answered). */
  HEC5309: { status: 409, fix: 'continue from the position GET /v1/sessions/ID reports' },
  /** The session's keys or initial cache have not all arrived. */
  HEC5310: { status: 409, fix: 'upload every evaluation-key part, then POST /v1/sessions/ID/start' },
  /** Session files on disk fail their checksums: the session is not loaded. */
  HEC5311: { status: 500, fix: 'the session cannot be resumed; close it and start a new one (its files stay in --data-dir for inspection)' },
  /** The request took too long to arrive. */
  HEC5312: { status: 408, fix: 'retry on a faster connection, or raise the server\'s --request-timeout-s' },
  /** Client side: the server is unreachable or answered something that is not the protocol. */
  HEC5313: { status: 502, fix: 'check the --server URL and that `hec serve` is running (GET /health answers 200 when ready)' },
  /** Client side: the key directory does not fit the plan, or the secret-key file is unsafe or unreadable. */
  HEC5314: { status: 400, fix: 'run hec keygen PLAN -o DIR for this plan, and keep DIR/secret.key mode 0600' },
} as const satisfies Record<string, ServerCode>;

export type ServerCodeName = keyof typeof SERVER_CODES;

export function serverError(code: ServerCodeName, message: string): HecError {
  return new HecError(code, message, { fix: SERVER_CODES[code].fix });
}

/** The HTTP status for any HecError: a server code's own, 400 for backend and plan errors (the request's fault). */
export function httpStatusOf(e: HecError): number {
  const own = (SERVER_CODES as Record<string, ServerCode>)[e.code];
  if (own !== undefined) return own.status;
  // HEC5041 (cache capacity) and HEC51xx byte/level errors are the request's fault.
  return /^HEC5/.test(e.code) ? 400 : 500;
}
