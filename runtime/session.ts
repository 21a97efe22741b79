/**
 * @fileoverview A private decoding session: the client and the server of one conversation, in one process.
 *
 * Client (holds the secret key): encrypts the one-hot token each step, decrypts the logits.
 * Server (holds the model weights and evaluation keys only): runs the plan's @decode_step and keeps the encrypted KV
 * cache between steps (runtime/decode-io.ts has both halves; runtime/server/ and runtime/client/ run them in two
 * processes). Ciphertexts cross between the two only as bytes. The position is public (it is the step
 * count), the token and everything derived from it are not.
 */
import { HecError } from '../ir/diagnostics.ts';
import type { WeightStore } from '../ir/plaintext-sources.ts';
import { isAttrDict } from '../ir/types.ts';
import type { Backend, ClientContext, KeyRequest, ServerContext } from './backend.ts';
import { DecodeServer, decryptLogits, encryptEmptyCache, encryptToken } from './decode-io.ts';
import type { ExecutorOptions } from './executor.ts';
import { observeKeyParts } from './key-parts.ts';
import type { Plan } from './plan.ts';

export function keyRequestOf(plan: Plan): KeyRequest {
  const k = plan.module.attrs.keys;
  if (!isAttrDict(k)) throw new HecError('HEC5003', 'plan has no keys header');
  return { relinearize: k.relinearize === true, conjugate: k.conjugate === true, bootstrap: k.bootstrap === true, rotations: (k.rotations as number[]) ?? [] };
}

export interface SessionOptions extends ExecutorOptions {
  /** Called as each evaluation-key part reaches the server (index 0..count-1, its size in bytes). */
  onKeyPart?: (index: number, count: number, bytes: number) => void;
}

export class DecodeSession {
  private constructor(
    readonly plan: Plan,
    readonly client: ClientContext,
    readonly decoder: DecodeServer,
  ) {}

  get server(): ServerContext {
    return this.decoder.server;
  }

  /**
   * `startPosition` > 0 starts with an empty cache at a later position (calibration uses it to see the magnitudes
   * of long contexts without running them); real sessions start at 0. `client` reuses a client (e.g. one restored
   * from `hec keygen`'s secret key); otherwise the backend makes a fresh one.
   */
  static async create(
    plan: Plan,
    backend: Backend,
    weights: WeightStore | null,
    opts: SessionOptions = {},
    startPosition = 0,
    client?: ClientContext,
  ): Promise<DecodeSession> {
    client ??= await backend.createClient(plan.params);
    // Keys stream from client to server one part (one switching key) at a time: at N16_BOOT_DENSE they total gigabytes.
    const keys = await client.evaluationKeys(keyRequestOf(plan));
    let server: ServerContext;
    try {
      server = await backend.createServer(plan.params, opts.onKeyPart === undefined ? keys : observeKeyParts(keys, opts.onKeyPart));
    } catch (e) {
      client.dispose();
      throw e;
    }
    const session = new DecodeSession(plan, client, new DecodeServer(plan, server, weights, opts));
    session.reset(startPosition);
    return session;
  }

  /**
   * Empty the KV cache (the client encrypts zeros at each state's level) and continue at `position`. `cache`, when
   * given, supplies a state's slot values instead of zeros (the client encrypts a cache it computed elsewhere, e.g.
   * tests that start at a late position with onnxruntime's keys and values instead of running every earlier step).
   */
  reset(position = 0, cache?: (state: string) => Float64Array | undefined): void {
    this.decoder.setStates(encryptEmptyCache(this.plan, this.client, cache), position);
  }

  get nextPosition(): number {
    return this.decoder.nextPosition;
  }

  /** Run one decoding step on `token`; returns the logits the client decrypts. */
  step(token: number): Float64Array {
    const step = this.decoder.compute(encryptToken(this.plan, this.client, token));
    this.decoder.commit(step);
    return decryptLogits(this.plan, this.client, step.logits);
  }

  /** Release everything the server holds (the KV cache, cached plaintexts), also after a failed step. */
  dispose(): void {
    this.decoder.dispose();
    this.client.dispose();
  }
}
