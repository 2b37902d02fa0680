import type { Clock } from '../base/clock.js';

/** What the heartbeat needs from the session: a narrow interface, not the session. */
export interface HeartbeatTarget {
  /** Send a ping now. */
  sendPing(): void;
  /** Nothing was received for the read timeout: the connection is dead. */
  readTimedOut(elapsedMs: number): void;
}

/**
 * Keeps one connection's session alive and detects a silent server. When
 * nothing was sent for a third of the negotiated session timeout it sends a
 * ping; when nothing was received for two thirds of it the connection is
 * declared dead (ZooKeeper's client read timeout), so the client can fail
 * over while the session still lives.
 *
 * `sent()` and `received()` only store a timestamp; the single timer is
 * re-armed lazily when it fires, so traffic costs no timer operations.
 */
export class Heartbeat {
  private timer: unknown = undefined;
  private running = false;
  private destroyed = false;
  private pingInterval = 0;
  private readTimeout = 0;
  private lastSent = 0;
  private lastReceived = 0;

  constructor(
    private readonly target: HeartbeatTarget,
    private readonly clock: Clock,
  ) {}

  /** Starts (or restarts) for a negotiated session timeout in ms. Cancels any previous run first. */
  start(sessionTimeout: number): void {
    this.cancel();
    if (this.destroyed) return;
    this.readTimeout = Math.max(1, Math.floor((sessionTimeout * 2) / 3));
    this.pingInterval = Math.max(1, Math.floor(sessionTimeout / 3));
    const now = this.clock.now();
    this.lastSent = now;
    this.lastReceived = now;
    this.running = true;
    this.arm(now);
  }

  /** Something was written to the connection (`now`: the clock's time, if the caller just read it). */
  sent(now: number = this.clock.now()): void {
    this.lastSent = now;
  }

  /** Something was read from the connection. */
  received(): void {
    this.lastReceived = this.clock.now();
  }

  /** Stops the timer; `start` may be called again. */
  cancel(): void {
    this.running = false;
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Stops for good. */
  destroy(): void {
    this.cancel();
    this.destroyed = true;
  }

  private arm(now: number): void {
    const due = Math.min(this.lastReceived + this.readTimeout, this.lastSent + this.pingInterval);
    this.timer = this.clock.setTimeout(this.fire, Math.max(1, Math.ceil(due - now)));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.clock.now();
    const silent = now - this.lastReceived;
    if (silent >= this.readTimeout) {
      this.running = false;
      this.target.readTimedOut(silent);
      return;
    }
    if (now - this.lastSent >= this.pingInterval) {
      this.lastSent = now;
      this.target.sendPing();
      if (!this.running) return;
    }
    this.arm(now);
  };
}
