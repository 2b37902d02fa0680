/**
 * Retrying a recipe's request across connection loss, for as long as the
 * session lives. Not the public `retry` of src/client/retry.ts (a bounded
 * number of attempts with backoff): a recipe holding or waiting for
 * something keeps going while its session may still be alive, and stops at
 * once when the session is over.
 *
 * What each client state lets a recipe assume (see src/client/state.ts):
 * - `connected`: our ephemerals exist and watches are set.
 * - `disconnected` (suspended): the session may still live; nothing can be
 *   confirmed. Requests wait for the reconnect, in-flight ones fail with
 *   ConnectionLossError, and then the outcome of a write is unknown.
 * - `expired`, `closed`, `authFailed`: the session is over, our ephemerals
 *   are gone, watches will never fire.
 */
import type { Client } from '../../client/index.js';
import { isTransientError } from '../../client/retry.js';
import { sleep, throwIfAborted } from '../../base/wait.js';

/** True when the session is over (its ephemerals are gone): expired, closed or refused. */
export function isSessionGone(client: Client): boolean {
  const s = client.state;
  return s === 'expired' || s === 'closed' || s === 'authFailed';
}

/**
 * Runs `fn`, and again after each transient failure ({@link isTransientError})
 * while the session lives: requests issued while disconnected wait for the
 * reconnect, so the retries are paced by the client (plus a short backoff,
 * on the client's clock, of 10 ms doubling up to 500 ms). Rejects with the
 * failure once the session is over, and with the signal's abort reason.
 *
 * Only for operations that are safe to repeat: reads, deletes of our own
 * nodes, versioned writes, creates of fixed names (NodeExists then means
 * "applied"). Never for a sequential create: see Lock's createContender.
 */
export async function retryWhileConnected<T>(client: Client, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(signal);
    try {
      return await fn();
    } catch (error) {
      if (!isTransientError(error) || isSessionGone(client)) throw error;
      await sleep(client.clock, Math.min(10 * 2 ** attempt, 500), signal);
    }
  }
}
