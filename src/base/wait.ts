/**
 * The wait contract of docs/conventions.md (section 3), shared by every
 * layer: a blocking call takes `{ timeout, signal }`, rejects with
 * TimeoutError when the timeout passes and with CancelledError (cause: the
 * signal's reason) when the signal aborts. A reason that is already a
 * HerdError (a holder's `lost` signal carries a SessionLostError) is
 * thrown as it is.
 */
import { CancelledError, HerdError, TimeoutError } from '../errors.js';
import type { Clock } from './clock.js';

/** The options of every call that may wait for someone else. */
export interface WaitOptions {
  /** How long to wait, in ms. Undefined waits for ever; 0 gives up at once unless the call can finish now. */
  timeout?: number | undefined;
  /** Cancels the wait: the call rejects with CancelledError (or the signal's reason, when that is a HerdError). */
  signal?: AbortSignal | undefined;
}

/** The error an aborted signal makes a wait reject with. */
export function abortReason(signal: AbortSignal, what = 'wait'): HerdError {
  const reason: unknown = signal.reason;
  if (reason instanceof HerdError) return reason;
  return new CancelledError(`${what}: cancelled`, { cause: reason });
}

/** Throws {@link abortReason} when the signal has aborted already. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortReason(signal, what);
}

/** The TimeoutError of a wait that gave up after `timeout` ms. */
export function timeoutError(what: string, timeout: number): TimeoutError {
  return new TimeoutError(`${what}: timed out after ${timeout} ms`);
}

/**
 * A wait's deadline on a clock: when it falls, what is left of it. Built
 * once per call, so retries and re-watches inside one wait share it.
 */
export class Deadline {
  private readonly at: number | undefined;

  constructor(
    private readonly clock: Clock,
    /** The `timeout` of the wait, in ms; undefined for none. */
    readonly timeout: number | undefined,
  ) {
    this.at = timeout === undefined ? undefined : clock.now() + timeout;
  }

  /** Ms left before the deadline (never negative); undefined when there is none. */
  remaining(): number | undefined {
    return this.at === undefined ? undefined : Math.max(0, this.at - this.clock.now());
  }

  /** True once the deadline has passed. */
  get expired(): boolean {
    return this.at !== undefined && this.clock.now() >= this.at;
  }
}

/** Resolves after `ms` on the clock, or rejects with {@link abortReason} when the signal aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal, 'sleep'));
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(abortReason(signal!, 'sleep'));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
