/** How long to wait between connection attempts. */
export interface BackoffOptions {
  /** The first delay after every host of the list failed once, in ms (default 50). */
  initialDelay?: number;
  /** The cap of the delay in ms (default 2000). */
  maxDelay?: number;
}

/**
 * Reconnect delays. A connection loss moves to the next host at once; the
 * other hosts of the list are tried back to back (with a little jitter), and
 * only after a whole round failed does the delay grow exponentially, with
 * jitter, up to the cap. A successful handshake resets it.
 */
export class Backoff {
  private failures = 0;
  readonly initialDelay: number;
  readonly maxDelay: number;

  constructor(
    private readonly hostCount: number,
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initialDelay = options.initialDelay ?? 50;
    this.maxDelay = options.maxDelay ?? 2000;
  }

  /** The delay before the next attempt, counting the attempt that just failed. */
  next(): number {
    const failures = this.failures++;
    if (failures === 0) return 0;
    const round = Math.floor(failures / this.hostCount);
    if (round === 0) return Math.floor(this.random() * 10);
    const base = Math.min(this.maxDelay, this.initialDelay * 2 ** Math.min(round - 1, 20));
    return Math.floor(base / 2 + (this.random() * base) / 2);
  }

  /** A handshake succeeded. */
  reset(): void {
    this.failures = 0;
  }
}
