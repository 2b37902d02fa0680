import { OperationTimeoutError, type HerdError } from '../errors.js';
import type { Clock } from '../base/clock.js';
import type { Waiter } from './session-auth.js';
import { Timer } from './timer.js';

/**
 * The connect() calls waiting for a session to be established, each with
 * its own connect timeout, and whether any session ever was.
 */
export class ConnectGate {
  private waiters: Waiter[] = [];
  private established = false;

  constructor(private readonly clock: Clock) {}

  /** True once any session was established: a connect timeout then no longer closes the client. */
  get everEstablished(): boolean {
    return this.established;
  }

  /**
   * Resolves at the next {@link open}. After `timeout` ms it rejects with
   * OperationTimeoutError, calling `onTimeout` first (no longer waiting).
   */
  wait(timeout: number, onTimeout: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = new Timer(this.clock, () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const error = new OperationTimeoutError(`no session within ${timeout} ms`, { op: 'connect' });
        onTimeout();
        reject(error);
      });
      const waiter: Waiter = {
        resolve: () => {
          timer.cancel();
          resolve();
        },
        reject: (error) => {
          timer.cancel();
          reject(error);
        },
      };
      timer.start(timeout);
      this.waiters.push(waiter);
    });
  }

  /** A session is established: every waiter resolves. */
  open(): void {
    this.established = true;
    for (const w of this.take()) w.resolve();
  }

  /** The session cannot be established (closed, expired, refused): every waiter rejects with `error`. */
  fail(error: HerdError): void {
    for (const w of this.take()) w.reject(error);
  }

  private take(): Waiter[] {
    const waiters = this.waiters;
    this.waiters = [];
    return waiters;
  }
}
