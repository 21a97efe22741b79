/**
 * @fileoverview The two halves of a private decoding step, as separate pieces so they can run in separate processes.
 *
 * - `DecodeServer` (server side: model weights and evaluation keys only) runs the plan's @decode_step on an encrypted
 *   token and keeps the encrypted KV cache between steps. It computes a step without committing it, so a caller that
 *   must persist the new cache first (runtime/server/) commits only after the write succeeded: a failed or killed
 *   step leaves the previous state untouched.
 * - `encryptToken`, `decryptLogits`, `encryptEmptyCache` (client side: the secret key) make and read the bytes that
 *   cross between the two.
 * runtime/session.ts puts both halves in one process; runtime/server/ and runtime/client/ put them on two machines.
 */
import { HecError } from '../ir/diagnostics.ts';
import { pack, unpack } from '../ir/layout.ts';
import type { Value } from '../ir/module.ts';
import type { WeightStore } from '../ir/plaintext-sources.ts';
import { isAttrDict } from '../ir/types.ts';
import type { Ciphertext, ClientContext, ServerContext } from './backend.ts';
import { E_LEVEL } from './backends/checks.ts';
import { installBootstrap } from './bootstrap/index.ts';
import { StepExecutor, type ExecutorOptions } from './executor.ts';
import type { Plan } from './plan.ts';

/** The plan's input token argument, its vocabulary, its KV-cache state arguments and its logits value. */
export interface DecodeSignature {
  input: Value;
  vocab: number;
  /** State name → the argument that receives it (in argument order). */
  states: Map<string, Value>;
  logits: Value;
  maxContext: number;
}

export function decodeSignature(plan: Plan): DecodeSignature {
  const func = plan.func;
  const input = func.args.find((a) => a.attrs.role === 'input');
  if (input === undefined) throw new HecError('HEC5003', 'the plan\'s @decode_step has no input argument (role = "input")');
  const layout = input.value.type.layout;
  const states = new Map<string, Value>();
  for (const a of func.args) if (a.attrs.role === 'state') states.set(String(a.attrs.state), a.value);
  const ret = func.ops[func.ops.length - 1];
  const names = ret?.attrs.names;
  const at = Array.isArray(names) ? names.indexOf('logits') : -1;
  const logits = ret?.operands[at];
  if (logits === undefined) throw new HecError('HEC5003', 'the plan\'s @decode_step returns no logits');
  return { input: input.value, vocab: layout.kind === 'rep' ? layout.n : 0, states, logits, maxContext: Number(plan.module.attrs.max_context) };
}

function levelOf(v: Value): number {
  const level = v.type.level;
  if (level === undefined || level === null) throw new HecError('HEC5003', `plan value %${v.name} has no level`);
  return level;
}

// ---- client side ----

/** The one-hot encoding of `token`, encrypted at the input's level. */
export function encryptToken(plan: Plan, client: ClientContext, token: number): Uint8Array {
  const sig = decodeSignature(plan);
  if (!Number.isInteger(token) || token < 0 || token >= sig.vocab) {
    throw new HecError('HEC5040', `token id ${token} is outside the vocabulary 0..${sig.vocab - 1}`);
  }
  const oneHot = new Float64Array(sig.vocab);
  oneHot[token] = 1;
  return client.encrypt({ re: pack(sig.input.type.layout, oneHot, plan.params.slots) }, levelOf(sig.input));
}

export function decryptLogits(plan: Plan, client: ClientContext, bytes: Uint8Array): Float64Array {
  const sig = decodeSignature(plan);
  return unpack(sig.logits.type.layout, client.decrypt(bytes).re, sig.vocab);
}

/**
 * An empty KV cache: encrypted zeros at each state's level (the client makes them: the server has no encryption key).
 * `cache`, when given, supplies a state's slot values instead of zeros (a cache computed elsewhere: tests and
 * calibration that start at a late position).
 */
export function encryptEmptyCache(plan: Plan, client: ClientContext, cache?: (state: string) => Float64Array | undefined): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [name, v] of decodeSignature(plan).states) out.set(name, client.encrypt({ re: cache?.(name) ?? new Float64Array(plan.params.slots) }, levelOf(v)));
  return out;
}

// ---- server side ----

/** What one step computed, not yet committed: the logits for the client and the next KV cache. */
export interface ComputedStep {
  position: number;
  logits: Uint8Array;
  next: Map<string, Ciphertext>;
}

export class DecodeServer {
  private states = new Map<string, Ciphertext>();
  private position = 0;
  private readonly sig: DecodeSignature;
  private readonly executor: StepExecutor;

  constructor(
    readonly plan: Plan,
    readonly server: ServerContext,
    weights: WeightStore | null,
    opts: ExecutorOptions = {},
  ) {
    const k = plan.module.attrs.keys;
    // Engines that bootstrap through runtime/bootstrap's circuit get it installed with the plan's variant.
    if (isAttrDict(k) && k.bootstrap === true && 'setBootstrap' in server) {
      installBootstrap(server, { variant: k.bootstrap_variant === 'full' ? 'full' : 'real' });
    }
    this.sig = decodeSignature(plan);
    this.executor = new StepExecutor(plan.func, server, plan.params, weights, opts);
  }

  get nextPosition(): number {
    return this.position;
  }

  /** False after a failed step consumed the cache (and before the first `setStates`). */
  get hasStates(): boolean {
    return this.states.size === this.sig.states.size;
  }

  private load(what: string, bytes: Uint8Array, want: Value): Ciphertext {
    const ct = this.server.deserialize(bytes);
    if (ct.level !== levelOf(want)) {
      this.server.free(ct);
      throw new HecError(E_LEVEL, `${what} is a ciphertext at level ${ct.level}; the plan expects level ${levelOf(want)}`, {
        fix: 'encrypt it at the level the plan\'s @decode_step argument declares',
      });
    }
    return ct;
  }

  /** Replace the KV cache by `states` (every state of the plan, as bytes) and continue at `position`. */
  setStates(states: ReadonlyMap<string, Uint8Array>, position: number): void {
    const loaded = new Map<string, Ciphertext>();
    try {
      for (const [name, v] of this.sig.states) {
        const bytes = states.get(name);
        if (bytes === undefined) throw new HecError('HEC5110', `KV-cache state '${name}' is missing`, { fix: 'pass every state the plan declares' });
        loaded.set(name, this.load(`KV-cache state '${name}'`, bytes, v));
      }
      const extra = [...states.keys()].filter((n) => !this.sig.states.has(n));
      if (extra.length > 0) throw new HecError('HEC5110', `unknown KV-cache state '${extra[0]}'`, { fix: 'pass only the states the plan declares' });
    } catch (e) {
      for (const ct of loaded.values()) this.server.free(ct);
      throw e;
    }
    this.releaseStates();
    this.states = loaded;
    this.position = position;
  }

  /** The KV cache as bytes (for persisting). */
  stateBytes(states: ReadonlyMap<string, Ciphertext> = this.states): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const [name, ct] of states) out.set(name, this.server.serialize(ct));
    return out;
  }

  /**
   * Run one step on an encrypted token. The executor consumes the current KV cache, so until `commit` installs the
   * next one the session holds no cache: after a failure (or `discard`), `setStates` from the caller's last durable
   * copy before the next step.
   */
  compute(token: Uint8Array): ComputedStep {
    if (this.position >= this.sig.maxContext) {
      throw new HecError('HEC5041', `position ${this.position} exceeds the plan's KV-cache capacity of ${this.sig.maxContext} positions`, {
        fix: 'recompile with a larger --max-context',
      });
    }
    if (!this.hasStates) throw new HecError('HEC5110', 'the KV cache was not set (or a failed step consumed it)', { fix: 'call setStates first' });
    const args = new Map<string, Ciphertext>();
    args.set(this.sig.input.name, this.load('the token', token, this.sig.input));
    for (const a of this.plan.func.args) {
      const ct = a.attrs.role === 'state' ? this.states.get(String(a.attrs.state)) : undefined;
      if (ct !== undefined) args.set(a.value.name, ct);
    }
    // From here on the executor owns the cache ciphertexts (it frees each after its last use).
    this.states.clear();
    const out = this.executor.run(args, this.position);
    const logitsCt = out.get('logits');
    if (logitsCt === undefined) throw new HecError('HEC5003', 'the plan returned no logits');
    out.delete('logits');
    const logits = this.server.serialize(logitsCt);
    this.server.free(logitsCt);
    return { position: this.position, logits, next: out };
  }

  commit(step: ComputedStep): void {
    if (step.position !== this.position || this.states.size !== 0) throw new Error(`internal error: committing step ${step.position} at position ${this.position}`);
    this.states = step.next;
    this.position++;
  }

  /** Drop a computed step; the session then needs `setStates`. */
  discard(step: ComputedStep): void {
    for (const ct of step.next.values()) this.server.free(ct);
    step.next.clear();
  }

  private releaseStates(): void {
    for (const ct of this.states.values()) this.server.free(ct);
    this.states.clear();
  }

  dispose(): void {
    this.states.clear();
    this.server.dispose();
  }
}
