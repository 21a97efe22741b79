/**
 * @fileoverview `hec keygen`'s directory: the client's keys for one plan, made once and reused by `hec run --keys`.
 *
 *   DIR/secret.key      the secret key (mode 0600; it never leaves the client: nothing in hec sends it)
 *   DIR/keys/part-*.hek the evaluation keys as the backend's checksummed, seed-compressed parts (key-parts.ts)
 *   DIR/keyset.json     which plan, backend and parameters they belong to, part count and bytes
 * A secret-key file that others can read is refused (HEC5314), as ssh refuses such a private key.
 */
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Backend, ClientContext, EvaluationKeys } from '../backend.ts';
import { paramFingerprint } from '../backends/checks.ts';
import { readKeyParts, writeKeyParts } from '../key-parts.ts';
import type { Plan } from '../plan.ts';
import { keyRequestOf } from '../session.ts';
import { serverError } from '../server/errors.ts';

export interface KeySetInfo {
  plan_sha256: string;
  backend: string;
  params: string;
  params_fingerprint: number;
  key_parts: number;
  key_bytes: number;
  created: string;
}

/** Generate a client for `plan` on `backend` and write its secret key and evaluation keys into `dir` (new or empty). */
export async function writeKeyDir(dir: string, plan: Plan, planSha256: string, backend: Backend, onPart?: (i: number, count: number, bytes: number) => void): Promise<KeySetInfo> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).length > 0) throw serverError('HEC5314', `${dir} is not empty; hec keygen writes into a new or empty directory`);
  const client = await backend.createClient(plan.params);
  try {
    if (client.exportSecretKey === undefined || backend.restoreClient === undefined) {
      throw serverError('HEC5314', `the ${backend.name} backend cannot export a secret key`);
    }
    const sk = path.join(dir, 'secret.key');
    await writeFile(sk, client.exportSecretKey(), { mode: 0o600 });
    await chmod(sk, 0o600); // in case a umask narrowed nothing but the file pre-existed
    const keys = await client.evaluationKeys(keyRequestOf(plan));
    let i = 0;
    const written = await writeKeyParts(path.join(dir, 'keys'), {
      count: keys.count,
      byteLength: keys.byteLength,
      parts: async function* () {
        for await (const p of keys.parts()) {
          yield p;
          onPart?.(i++, keys.count, p.byteLength);
        }
      },
    });
    const info: KeySetInfo = {
      plan_sha256: planSha256,
      backend: backend.name,
      params: plan.params.name,
      params_fingerprint: paramFingerprint(plan.params),
      key_parts: written.count,
      key_bytes: written.bytes,
      created: new Date().toISOString(),
    };
    await writeFile(path.join(dir, 'keyset.json'), `${JSON.stringify(info, null, 2)}\n`);
    return info;
  } finally {
    client.dispose();
  }
}

/** The client and evaluation keys stored in `dir`, checked against the plan; `backend` must be the one that made them. */
export async function openKeyDir(dir: string, plan: Plan, planSha256: string, backend: Backend): Promise<{ client: ClientContext; keys: EvaluationKeys; info: KeySetInfo }> {
  let info: KeySetInfo;
  try {
    info = JSON.parse(await readFile(path.join(dir, 'keyset.json'), 'utf8')) as KeySetInfo;
  } catch (e) {
    throw serverError('HEC5314', `${dir} is not a hec keygen directory (${(e as Error).message.split('\n')[0]})`);
  }
  if (info.plan_sha256 !== planSha256) throw serverError('HEC5314', `${dir} holds keys for plan ${String(info.plan_sha256).slice(0, 12)}…, not for this plan (${planSha256.slice(0, 12)}…)`);
  if (info.backend !== backend.name) throw serverError('HEC5314', `${dir} holds ${info.backend} keys; this run uses the ${backend.name} backend`);
  const sk = path.join(dir, 'secret.key');
  const mode = (await stat(sk)).mode & 0o777;
  if ((mode & 0o077) !== 0) throw serverError('HEC5314', `${sk} is readable by others (mode ${mode.toString(8)})`);
  if (backend.restoreClient === undefined) throw serverError('HEC5314', `the ${backend.name} backend cannot restore a secret key`);
  const client = await backend.restoreClient(plan.params, new Uint8Array(await readFile(sk)));
  const keys = await readKeyParts(path.join(dir, 'keys'));
  if (keys.count !== info.key_parts) {
    client.dispose();
    throw serverError('HEC5314', `${dir}/keys holds ${keys.count} parts; keyset.json lists ${info.key_parts}`);
  }
  return { client, keys, info };
}
