import { systemClock, type Clock } from '../base/clock.js';
import { sleep } from '../base/wait.js';
import { ConnectionLossError, OperationTimeoutError, RequestTimeoutError } from '../errors.js';

/**
 * True for the failures after which the same request may succeed: the
 * connection dropped or the request timed out before its reply came. The
 * outcome of a write that failed so is unknown (it may have been applied).
 * The one definition every retry in Herd uses.
 */
export function isTransientError(error: unknown): boolean {
  return error instanceof ConnectionLossError || error instanceof RequestTimeoutError || error instanceof OperationTimeoutError;
}

/** How {@link retry} retries. Durations in ms. */
export interface RetryPolicy {
  /** Retries after the first attempt. Default 5. */
  retries?: number;
  /** The delay before the first retry, in ms; doubled after each, with jitter (half to all of it). Default 100. */
  baseDelay?: number;
  /** The cap of the delay, in ms. Default 5000. */
  maxDelay?: number;
  /** Which failures are retried. Default {@link isTransientError}: connection loss and request or operation timeouts. */
  retryOn?: (error: unknown) => boolean;
  /** The clock the delays run on (pass `client.clock` to drive them by hand in tests). Default: the system clock. */
  clock?: Clock;
}

/**
 * Runs `fn`, and again after a failure it may retry (by default a
 * transient one, {@link isTransientError}), with exponential backoff, at
 * most `retries` times; then rejects with the last failure. Only for
 * operations that are safe to repeat: a write that failed with connection
 * loss may have been applied (a create may then fail with NodeExistsError,
 * a versioned setData with BadVersionError).
 *
 * A fixed number of attempts, whatever the session does. The recipes retry
 * differently: for as long as the session lives (connection loss is
 * retried until the client reconnects or the session expires), which is
 * what a lock or a barrier needs and not what a single call needs.
 *
 * @throws the failure of the last attempt, or at once any failure `retryOn` refuses
 */
export async function retry<T>(fn: () => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const retries = policy.retries ?? 5;
  const base = policy.baseDelay ?? 100;
  const max = policy.maxDelay ?? 5000;
  const retryOn = policy.retryOn ?? isTransientError;
  const clock = policy.clock ?? systemClock;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= retries || !retryOn(error)) throw error;
      const delay = Math.min(max, base * 2 ** attempt);
      await sleep(clock, delay / 2 + (Math.random() * delay) / 2);
    }
  }
}
