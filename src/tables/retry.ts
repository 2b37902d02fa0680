/** Rerunning a transaction after a conflict. */
import { BadArgumentsError } from '../errors.js';
import { TransactionConflictError } from './errors.js';

/** Options of {@link retry}. */
export interface RetryOptions {
  /** How many reruns after a conflict. Default 10. */
  readonly retries?: number;
}

/**
 * Calls `run` (typically `() => db.transaction(fn)`) again each time it
 * rejects with TransactionConflictError, at most `retries` times; any other
 * error, and the last conflict, is thrown as it is.
 */
export async function retry<T>(run: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 10;
  if (!Number.isInteger(retries) || retries < 0) throw new BadArgumentsError('retry: retries must be a non-negative integer');
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof TransactionConflictError) || attempt >= retries) throw err;
    }
  }
}
