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
  /** The delay before the first retry; doubled after each, with jitter. Default 100. */
  baseDelayMs?: number;
  /** The cap of the delay. Default 5000. */
  maxDelayMs?: number;
  /** Which failures are retried. Default: ConnectionLossError only. */
  retryOn?: (error: unknown) => boolean;
}

/**
 * Runs `fn`, and again after a failure it may retry (by default a
 * ConnectionLossError), with exponential backoff. Only for operations that
 * are safe to repeat: a write that failed with connection loss may have
 * been applied (a create may then fail with NodeExistsError, a versioned
 * setData with BadVersionError).
 */
export async function retry<T>(fn: () => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const retries = policy.retries ?? 5;
  const base = policy.baseDelayMs ?? 100;
  const max = policy.maxDelayMs ?? 5000;
  const retryOn = policy.retryOn ?? ((e: unknown) => e instanceof ConnectionLossError);
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= retries || !retryOn(error)) throw error;
      const delay = Math.min(max, base * 2 ** attempt);
      await new Promise((r) => setTimeout(r, delay / 2 + (Math.random() * delay) / 2));
    }
  }
}
