/**
 * @fileoverview Structured logs: one JSON object per line on stderr. Callers pass only what is safe to keep: session
 * ids are logged by their first 8 hex characters, and tokens, key material and ciphertexts never reach a log line.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type Logger = (level: 'info' | 'warn' | 'error', event: string, fields?: LogFields) => void;

export function jsonLogger(write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  return (level, event, fields = {}) => {
    write(`${JSON.stringify({ ts: new Date().toISOString(), level, event, ...fields })}\n`);
  };
}

/** The short form of a session id used in logs and messages. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
