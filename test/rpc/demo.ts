/** The object the rpc tests serve, in the test process and in child processes (serve-child.ts). */
import { setTimeout as delay } from 'node:timers/promises';
import { callContext } from '../../src/rpc/index.js';

export class QuotaError extends Error {
  override name = 'QuotaError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export const DEMO_METHODS = ['whoAmI', 'echo', 'add', 'fail', 'sleep', 'lastAbort', 'record', 'recorded', 'repeat', 'failLarge'] as const;

export class Demo {
  private abort: { name: string; code: string | undefined } | undefined;
  private readonly log: unknown[] = [];
  secretField = 'not readable remotely';

  constructor(readonly label: string) {}

  /** A getter: readable remotely only when exposed (then called by its name). */
  get shout(): string {
    return `${this.label.toUpperCase()}!`;
  }
  whoAmI(): { pid: number; label: string } {
    return { pid: process.pid, label: this.label };
  }
  echo<V>(value: V): V {
    return value;
  }
  async add(a: number, b: number): Promise<number> {
    return a + b;
  }
  fail(message: string, code: string): never {
    throw new QuotaError(message, code);
  }
  /** Waits `ms` unless the call's signal aborts; remembers the abort's reason for lastAbort(). */
  async sleep(ms: number): Promise<string> {
    const signal = callContext()?.signal;
    try {
      await delay(ms, undefined, signal ? { signal } : {});
      return 'slept';
    } catch (error) {
      const reason = signal?.reason as { name?: string; code?: string } | undefined;
      this.abort = { name: reason?.name ?? String(error), code: reason?.code };
      throw error;
    }
  }
  lastAbort(): { name: string; code: string | undefined } | undefined {
    return this.abort;
  }
  record(value: unknown): void {
    this.log.push(value);
  }
  recorded(): unknown[] {
    return this.log;
  }
  repeat(text: string, times: number): string {
    return text.repeat(times);
  }
  /** Throws an error whose message is `length` characters: too large for a frame when over 1 MiB. */
  failLarge(length: number): never {
    throw new QuotaError('x'.repeat(length), 'LARGE');
  }
  notExposed(): string {
    return 'should never run remotely';
  }
  _secret(): string {
    return 'private';
  }
}
