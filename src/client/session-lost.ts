import type { Clock } from '../base/clock.js';
import { Timer } from './timer.js';

/**
 * The deadline after which a disconnected session is declared lost.
 *
 * Without a server for as long as the session timeout, the ensemble has
 * almost surely expired the session (its clock ran from the last packet it
 * got, which is earlier): like Curator, declare it lost here rather than
 * stay suspended until some server answers. Recipes then stop trusting
 * their ephemerals and locks on time, instead of while another process
 * already holds them.
 *
 * When the deadline passes while a server is in the middle of a handshake,
 * that server's verdict decides: the timer is then `due`, and the session
 * declares the loss only if that connection fails too.
 */
export class SessionLostTimer {
  private readonly timer: Timer;
  private dueValue = false;

  /** `expire`: called when the deadline passes; it returns nothing or calls {@link markDue}. */
  constructor(clock: Clock, expire: () => void) {
    this.timer = new Timer(clock, expire);
  }

  /** The deadline passed during a handshake: the next connection failure declares the loss. */
  get due(): boolean {
    return this.dueValue;
  }

  /** Starts the deadline (ms; 0 or less: never), unless it runs already. */
  start(ms: number): void {
    if (ms <= 0 || this.timer.armed) return;
    this.timer.start(ms);
  }

  /** See {@link due}. */
  markDue(): void {
    this.dueValue = true;
  }

  /** A session was established or ended: no deadline, nothing due. */
  cancel(): void {
    this.timer.cancel();
    this.dueValue = false;
  }
}
