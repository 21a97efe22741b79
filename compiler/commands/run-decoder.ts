/**
 * @fileoverview Where `hec run`'s steps happen: in this process (`DecodeSession`), or on `hec serve` with this process
 * as the client (`--server URL`). Both give the decode loop the same face, so the loop, the greedy choice and the
 * `--json` output are one piece of code whichever side runs the steps.
 */
import type { WeightStore } from '../../ir/plaintext-sources.ts';
import type { Backend } from '../../runtime/backend.ts';
import { openKeyDir } from '../../runtime/client/key-dir.ts';
import { RemoteSession } from '../../runtime/client/remote-session.ts';
import type { Plan } from '../../runtime/plan.ts';
import { resolveBackend } from '../../runtime/registry.ts';
import { planDigest } from '../../runtime/server/protocol.ts';
import { DecodeSession, keyRequestOf } from '../../runtime/session.ts';

export interface Decoder {
  /** The backend that runs the steps (the server's, for a remote run). */
  readonly backend: string;
  /** Whether that backend encrypts (`sim` does not). */
  readonly encrypts: boolean;
  step(token: number): Float64Array | Promise<Float64Array>;
  close(): void | Promise<void>;
}

interface DecoderOptions {
  /** A `hec keygen` directory: its secret key and evaluation keys instead of fresh ones. */
  keysDir?: string;
  onKeyPart: (index: number, count: number, bytes: number) => void;
  progress: (stage: string, detail?: string) => void;
}

export async function openLocalDecoder(plan: Plan, planPath: string, backend: Backend, weights: WeightStore | null, o: DecoderOptions): Promise<Decoder> {
  // With --keys the client is the one keygen made (the server side still gets its evaluation keys streamed here).
  const client = o.keysDir === undefined ? undefined : (await openKeyDir(o.keysDir, plan, planDigest(planPath), backend)).client;
  o.progress('keys', `${client === undefined ? 'generating' : `using ${o.keysDir}:`} evaluation keys on ${backend.name}`);
  const session = await DecodeSession.create(plan, backend, weights, { onKeyPart: o.onKeyPart }, 0, client);
  return { backend: backend.name, encrypts: backend.encrypts === true, step: (t) => session.step(t), close: () => session.dispose() };
}

export async function openRemoteDecoder(plan: Plan, planPath: string, o: DecoderOptions & { url: string }): Promise<Decoder> {
  const planSha256 = planDigest(planPath);
  const health = await RemoteSession.health(o.url, plan, planSha256);
  // The client must speak the server's backend (its ciphertext and key formats).
  const backend = await resolveBackend([health.backend]);
  let client, keys;
  if (o.keysDir !== undefined) ({ client, keys } = await openKeyDir(o.keysDir, plan, planSha256, backend));
  else {
    client = await backend.createClient(plan.params);
    keys = await client.evaluationKeys(keyRequestOf(plan));
  }
  o.progress('keys', `uploading ${keys.count} evaluation-key parts to ${o.url} (${health.backend}, ${health.params})`);
  let session: RemoteSession;
  try {
    session = await RemoteSession.open({ url: o.url, plan, planSha256, client, keys, onKeyPart: o.onKeyPart });
  } catch (e) {
    client.dispose();
    throw e;
  }
  const c = client;
  return {
    backend: health.backend,
    encrypts: backend.encrypts === true,
    step: (t) => session.step(t),
    close: async () => {
      // Best effort: a server that is gone must not hide the error that ended the run (its sessions stay on disk).
      try {
        await session.close();
      } catch (e) {
        o.progress('server', `could not close the session: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        c.dispose();
      }
    },
  };
}
