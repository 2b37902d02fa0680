import type { Clock } from '../base/clock.js';

/**
 * One named timer of the client (connection attempt, reconnect, request
 * deadline, session lost): at most one pending run, started and cancelled
 * through the injected {@link Clock}. The callback is fixed at
 * construction, so re-arming allocates nothing.
 */
export class Timer {
  private handle: unknown = undefined;

  constructor(
    private readonly clock: Clock,
    private readonly fire: () => void,
  ) {}

  /** True while a run is pending. */
  get armed(): boolean {
    return this.handle !== undefined;
  }

  /** Runs the callback once after `ms` milliseconds, replacing any pending run. */
  start(ms: number): void {
    this.cancel();
    this.handle = this.clock.setTimeout(this.run, ms);
  }

  /** Drops the pending run, if any. */
  cancel(): void {
    if (this.handle === undefined) return;
    this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private readonly run = (): void => {
    this.handle = undefined;
    this.fire();
  };
}
