/**
 * @fileoverview The step queue: steps (and session starts, which load evaluation keys) run one at a time, in arrival
 * order, with a bounded number waiting.
 *
 * One at a time because a step is synchronous CPU work on Node's one JavaScript thread (the native engine uses its
 * own threads inside an op): two steps cannot overlap in this process, so a queue is the honest model. Beyond
 * `maxQueued` waiting, or after `waitTimeoutMs` in the queue, a request gets HEC5304 (503) with a Retry-After from the
 * measured step time, instead of piling up memory and timing out somewhere less clear.
 */
import { serverError } from './errors.ts';

interface Waiter {
  start: () => void;
  fail: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class StepQueue {
  private busy = false;
  private readonly waiting: Waiter[] = [];
  /** Exponential moving average of a job's duration (ms), for Retry-After. */
  private avgMs = 1000;

  constructor(
    readonly maxQueued: number,
    readonly waitTimeoutMs: number,
  ) {}

  get depth(): number {
    return this.waiting.length + (this.busy ? 1 : 0);
  }

  /** Seconds a client should wait before retrying a refused request. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(((this.waiting.length + 1) * this.avgMs) / 1000));
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.busy) {
      if (this.waiting.length >= this.maxQueued) {
        throw serverError('HEC5304', `the step queue is full (${this.maxQueued} waiting); retry in ${this.retryAfterSeconds()} s`);
      }
      await new Promise<void>((resolve, reject) => {
        const w: Waiter = {
          start: resolve,
          fail: reject,
          timer: setTimeout(() => {
            this.waiting.splice(this.waiting.indexOf(w), 1);
            reject(serverError('HEC5304', `waited ${(this.waitTimeoutMs / 1000).toFixed(0)} s in the step queue; retry in ${this.retryAfterSeconds()} s`));
          }, this.waitTimeoutMs),
        };
        this.waiting.push(w);
      });
    }
    this.busy = true;
    const t0 = performance.now();
    try {
      return await job();
    } finally {
      this.avgMs = 0.8 * this.avgMs + 0.2 * (performance.now() - t0);
      const next = this.waiting.shift();
      if (next === undefined) this.busy = false;
      else {
        clearTimeout(next.timer);
        next.start();
      }
    }
  }
}
