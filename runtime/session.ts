/**
 * @fileoverview A private decoding session: the client and the server of one conversation, in one process.
 *
 * Client (holds the secret key): encrypts the one-hot token each step, decrypts the logits.
 * Server (holds the model weights and evaluation keys only): runs the plan's @decode_step and keeps the encrypted KV
 * cache between steps. Ciphertexts cross between the two only as bytes. The position is public (it is the step
 * count), the token and everything derived from it are not.
 */
import { HecError } from '../ir/diagnostics.ts';
import { pack, unpack } from '../ir/layout.ts';
import type { WeightStore } from '../ir/plaintext-sources.ts';
import { isAttrDict } from '../ir/types.ts';
import type { Backend, Ciphertext, ClientContext, KeyRequest, ServerContext } from './backend.ts';
import { installBootstrap } from './bootstrap/index.ts';
import { StepExecutor, type ExecutorOptions } from './executor.ts';
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
  private states = new Map<string, Ciphertext>();
  private position = 0;

  private constructor(
    readonly plan: Plan,
    readonly client: ClientContext,
    readonly server: ServerContext,
    private readonly executor: StepExecutor,
  ) {}

  /**
   * `startPosition` > 0 starts with an empty cache at a later position (calibration uses it to see the magnitudes
   * of long contexts without running them); real sessions start at 0.
   */
  static async create(plan: Plan, backend: Backend, weights: WeightStore | null, opts: SessionOptions = {}, startPosition = 0): Promise<DecodeSession> {
    const client = await backend.createClient(plan.params);
    // Keys stream from client to server one part (one switching key) at a time: at N16_BOOT_DENSE they total gigabytes.
    const keys = await client.evaluationKeys(keyRequestOf(plan));
    let server: ServerContext;
    try {
      server = await backend.createServer(plan.params, opts.onKeyPart === undefined ? keys : observeKeyParts(keys, opts.onKeyPart));
    } catch (e) {
      client.dispose();
      throw e;
    }
    const k = plan.module.attrs.keys;
    // Engines that bootstrap through runtime/bootstrap's circuit get it installed with the plan's variant.
    if (isAttrDict(k) && k.bootstrap === true && 'setBootstrap' in server) {
      installBootstrap(server, { variant: k.bootstrap_variant === 'full' ? 'full' : 'real' });
    }
    const session = new DecodeSession(plan, client, server, new StepExecutor(plan.func, server, plan.params, weights, opts));
    session.reset(startPosition);
    return session;
  }

  /**
   * Empty the KV cache (the client encrypts zeros at each state's level) and continue at `position`. `cache`, when
   * given, supplies a state's slot values instead of zeros (the client encrypts a cache it computed elsewhere, e.g.
   * tests that start at a late position with onnxruntime's keys and values instead of running every earlier step).
   */
  reset(position = 0, cache?: (state: string) => Float64Array | undefined): void {
    for (const ct of this.states.values()) this.server.free(ct);
    this.states.clear();
    for (const a of this.plan.func.args) {
      if (a.attrs.role !== 'state') continue;
      const values = cache?.(a.attrs.state as string) ?? new Float64Array(this.plan.params.slots);
      const bytes = this.client.encrypt({ re: values }, a.value.type.level!);
      this.states.set(a.attrs.state as string, this.server.deserialize(bytes));
    }
    this.position = position;
  }

  get nextPosition(): number {
    return this.position;
  }

  /** Run one decoding step on `token`; returns the logits the client decrypts. */
  step(token: number): Float64Array {
    const func = this.plan.func;
    const input = func.args.find((a) => a.attrs.role === 'input')!;
    const layout = input.value.type.layout;
    const vocab = layout.kind === 'rep' ? layout.n : 0;
    if (!Number.isInteger(token) || token < 0 || token >= vocab) {
      throw new HecError('HEC5040', `token id ${token} is outside the vocabulary 0..${vocab - 1}`);
    }
    const maxContext = this.plan.module.attrs.max_context as number;
    if (this.position >= maxContext) {
      throw new HecError('HEC5041', `position ${this.position} exceeds the plan's KV-cache capacity of ${maxContext} positions`, {
        fix: 'recompile with a larger --max-context',
      });
    }
    const oneHot = new Float64Array(vocab);
    oneHot[token] = 1;
    const bytes = this.client.encrypt({ re: pack(layout, oneHot, this.plan.params.slots) }, input.value.type.level!);
    const args = new Map<string, Ciphertext>();
    args.set(input.value.name, this.server.deserialize(bytes));
    for (const a of func.args) if (a.attrs.role === 'state') args.set(a.value.name, this.states.get(a.attrs.state as string)!);
    const out = this.executor.run(args, this.position);
    this.position++;
    const logitsCt = out.get('logits')!;
    const logitsBytes = this.server.serialize(logitsCt);
    this.server.free(logitsCt);
    for (const [name, ct] of out) if (name !== 'logits') this.states.set(name, ct);
    const ret = func.ops[func.ops.length - 1]!;
    const logitsValue = ret.operands[(ret.attrs.names as string[]).indexOf('logits')]!;
    const decrypted = this.client.decrypt(logitsBytes);
    return unpack(logitsValue.type.layout, decrypted.re, vocab);
  }

  /** Release everything the server holds (the KV cache, cached plaintexts), also after a failed step. */
  dispose(): void {
    this.states.clear();
    this.server.dispose();
    this.client.dispose();
  }
}
