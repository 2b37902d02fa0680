/**
 * Waiting for a watch (or any one-shot wake-up) under the wait contract of
 * docs/conventions.md, section 3: a deadline on the client's clock
 * (TimeoutError), an AbortSignal (its abort reason), and the end of the
 * session (SessionExpiredError, ClientClosedError or AuthFailedError: a
 * watch set before the end will never fire, so the wait stops at once).
 */
import type { Client } from '../../client/index.js';
import { Deadline, abortReason, timeoutError } from '../../base/wait.js';
import { AuthFailedError, BadArgumentsError, ClientClosedError, SessionExpiredError, type HerdError } from '../../errors.js';
import { isSessionGone } from './retry.js';
import { onSessionEvents } from './session-events.js';

/** A one-shot wake-up, to hand to a watch or an event. */
export class Wakeup {
  readonly promise: Promise<void>;
  private resolveFn!: () => void;
  fired = false;
  constructor() {
    this.promise = new Promise((r) => (this.resolveFn = r));
  }
  readonly fire = (): void => {
    this.fired = true;
    this.resolveFn();
  };
}

/**
 * The error of a wait whose session ended: SessionExpiredError (expired),
 * ClientClosedError (closed by its owner) or AuthFailedError (refused).
 */
export function sessionEndedError(client: Client, what: string): HerdError {
  const message = `${what}: the session ended (${client.state})`;
  switch (client.state) {
    case 'closed':
      return new ClientClosedError(message);
    case 'authFailed':
      return new AuthFailedError(message);
    default:
      return new SessionExpiredError(message);
  }
}

/** What {@link waitForWake} waits with. */
export interface WakeOptions {
  /** The wait's deadline, shared by every step of one call; none waits for ever. */
  deadline?: Deadline | undefined;
  signal?: AbortSignal | undefined;
  /** What is being waited for, for the error messages (`lock /app/db`). */
  what: string;
}

/**
 * Waits for `wake`, the deadline ({@link timeoutError}), the signal
 * ({@link abortReason}), or the end of the session ({@link sessionEndedError}).
 * A wake-up that has fired already wins over a deadline that has passed.
 */
export function waitForWake(client: Client, wake: Wakeup, options: WakeOptions): Promise<void> {
  const { signal, deadline, what } = options;
  if (wake.fired) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let timer: unknown;
    let unsubscribe = (): void => {};
    const cleanup = (): void => {
      if (timer !== undefined) client.clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      unsubscribe();
    };
    const onAbort = (): void => {
      cleanup();
      reject(abortReason(signal!, what));
    };
    const onGone = (): void => {
      cleanup();
      reject(sessionEndedError(client, what));
    };
    const onTimeout = (): void => {
      cleanup();
      reject(timeoutError(what, deadline!.timeout!));
    };
    if (signal?.aborted) return onAbort();
    if (isSessionGone(client)) return onGone();
    const remaining = deadline?.remaining();
    if (remaining === 0) return onTimeout();
    signal?.addEventListener('abort', onAbort, { once: true });
    unsubscribe = onSessionEvents(client, { expired: onGone, closed: onGone, authFailed: onGone });
    if (remaining !== undefined) timer = client.clock.setTimeout(onTimeout, remaining);
    void wake.promise.then(() => {
      cleanup();
      resolve();
    });
  });
}

/**
 * Checks a wait's options before any I/O: `timeout` must be a number of ms,
 * 0 or more. Rejects (throws) BadArgumentsError.
 */
export function checkWaitOptions(options: { timeout?: number | undefined }, what: string): void {
  const t = options.timeout;
  if (t !== undefined && (typeof t !== 'number' || Number.isNaN(t) || t < 0)) {
    throw new BadArgumentsError(`${what}: timeout must be a number of ms, 0 or more (got ${String(t)})`);
  }
}
