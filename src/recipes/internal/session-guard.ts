/**
 * The session guard: turns the client's state events into "lost" for a
 * recipe that holds something (a lock, a lease, leadership).
 */
import type { Client } from '../../client/index.js';
import { SessionLostError } from '../../errors.js';
import { isSessionGone } from './retry.js';
import { onSessionEvents } from './session-events.js';
import { sessionEndedError } from './wait-for-wake.js';

/** Options shared by every recipe that holds something (lock, lease, leadership). */
export interface HoldOptions {
  /**
   * How long the connection may stay lost (suspended) while holding before
   * the hold is declared lost, in ms. Default: the negotiated session
   * timeout, after which the server has expired the session unless it was
   * resumed (as Curator's client-side expiry).
   */
  suspendedTimeout?: number;
}

/**
 * Watches the client while a recipe holds something and calls `onLost`
 * once, at once, with a SessionLostError when the hold can no longer be
 * trusted: the session expired, the client was closed or refused (the
 * cause is then SessionExpiredError, ClientClosedError or AuthFailedError),
 * or the connection stayed lost longer than the suspended timeout, timed
 * on the client's clock.
 */
export class SessionGuard {
  private timer: unknown;
  private active = false;
  private unsubscribe = (): void => {};

  constructor(
    private readonly client: Client,
    private readonly onLost: (reason: SessionLostError) => void,
    private readonly suspendedTimeout?: number,
  ) {}

  /** Starts watching the client (again); loses at once when the session is over already. */
  start(): void {
    this.stop();
    this.active = true;
    this.unsubscribe = onSessionEvents(this.client, {
      disconnected: this.onDisconnected,
      connected: this.onConnected,
      connectedReadOnly: this.onConnected,
      expired: this.onEnded,
      closed: this.onEnded,
      authFailed: this.onEnded,
    });
    if (isSessionGone(this.client)) this.onEnded();
    else if (this.client.state === 'disconnected') this.onDisconnected();
  }

  /** Stops watching; `onLost` will not be called. */
  stop(): void {
    this.active = false;
    this.clearTimer();
    this.unsubscribe();
  }

  private lose(reason: SessionLostError): void {
    if (!this.active) return;
    this.stop();
    this.onLost(reason);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.client.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly onDisconnected = (): void => {
    this.clearTimer();
    const ms = this.suspendedTimeout ?? (this.client.negotiatedTimeout || 30000);
    this.timer = this.client.clock.setTimeout(
      () => this.lose(new SessionLostError(`connection lost for ${ms} ms (the suspended timeout): the session is presumed expired`)),
      ms,
    );
  };
  private readonly onConnected = (): void => this.clearTimer();
  private readonly onEnded = (): void => {
    const cause = sessionEndedError(this.client, 'holding');
    this.lose(new SessionLostError(`session ${this.client.state}: the hold is lost`, { cause }));
  };
}
