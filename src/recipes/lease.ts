/**
 * NonBlockingLease, MultiNonBlockingLease and Lease: a time-bound exclusive
 * lease, node for node compatible with Kazoo's `kazoo.recipe.lease`.
 *
 * Usage:
 * ```ts
 * // Run the hourly clean-up on one host only (renewable by the same identifier).
 * if (await NonBlockingLease.obtain(client, '/leases/cleanup', { duration: 70 * 60_000, identifier: 'host-a' })) {
 *   await cleanup();
 * }
 * // One of 3 leases, the first free one:
 * await MultiNonBlockingLease.obtain(client, '/leases/workers', { count: 3, duration: 60_000 });
 * // Wait for it instead (TimeoutError after 2 min):
 * await new Lease(client, '/leases/cleanup', { duration: 60_000, identifier: 'host-b' }).acquire({ timeout: 120_000 });
 * ```
 *
 * Node layout (as Kazoo):
 * - `<path>`: persistent; also a {@link Lock} path: `<uuid>__lock__<seq>`
 *   contender nodes serialize the read-check-write of the holder node.
 * - `<path>/lease_holder`: persistent; data = JSON
 *   `{"version": 1, "holder": "<identifier>", "end": "YYYY-MM-DDTHH:MM:SS"}`
 *   (UTC, whole seconds, as Python's json.dumps and strftime write it).
 *   A lease whose `end` has passed, or whose holder has our identifier, is
 *   replaced; other versions are left alone (not obtained).
 * - MultiNonBlockingLease: `<path>/0`, `<path>/1`, ... each a lease.
 *
 * Failure handling: the holder node is only changed while holding the
 * lock, so the lock's guarantees apply (connection loss during its
 * sequential create, expiry). A connection loss while writing the holder
 * node is retried; NodeExists/NoNode after it re-reads the node under the
 * lock and trusts what it finds. The lease itself outlives sessions: it is a
 * time, not an ephemeral.
 *
 * Waiting (Lease.acquire) follows the wait contract: TimeoutError after
 * `timeout`, CancelledError on abort, the session's end
 * (SessionExpiredError, ClientClosedError, AuthFailedError); its timers run
 * on the client's clock.
 *
 * Limits: relies on roughly synchronized clocks (UTC timestamps written by
 * clients, from the wall clock, not the client's monotonic clock: other
 * processes read them), with one-second resolution. The lease ends at `end` whether or
 * not the holder finished: renew it (obtain again) before then.
 */
import { hostname } from 'node:os';
import { joinPath } from '../base/path.js';
import { Deadline, throwIfAborted, timeoutError, type WaitOptions } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { BadArgumentsError, NoNodeError, NodeExistsError, TimeoutError } from '../errors.js';
import { Lock } from './lock.js';
import { Wakeup, checkWaitOptions, ensurePath, retryWhileConnected, waitForWake } from './internal/index.js';

/** Kazoo's holder node name, under the lease's path. */
const LEASE_HOLDER_NODE = 'lease_holder';
const LEASE_VERSION = 1;

/** Options of {@link NonBlockingLease.obtain} and {@link Lease}. */
export interface LeaseOptions {
  /** How long the lease lasts from now, in ms (written with one-second resolution). Required, more than 0. */
  duration: number;
  /** Who holds the lease; the same identifier renews it. Default: the host name (as Kazoo). */
  identifier?: string;
  /**
   * The wall clock (epoch ms) the lease's end is computed from, for tests.
   * Default `Date.now`: the end is stored for other processes (Kazoo's
   * too), so it is wall-clock time, not the client's monotonic clock.
   */
  now?: () => number;
}

/** Options of {@link MultiNonBlockingLease.obtain}: a lease's, and how many there are. */
export interface MultiLeaseOptions extends LeaseOptions {
  /** How many leases there are (`<path>/0` .. `<path>/<count-1>`). Required, a positive integer. */
  count: number;
}

/** What the holder node says: see {@link readLeaseHolder}. */
export interface LeaseHolder {
  /** The format's version (1). */
  version: number;
  /** The holder's identifier. */
  holder: string;
  /** When the lease ends: epoch ms (whole seconds). */
  end: number;
}

/** `YYYY-MM-DDTHH:MM:SS` in UTC, as Kazoo's `_date_format`. */
export function formatLeaseTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function checkLeaseOptions(path: string, options: LeaseOptions): void {
  const d: unknown = options?.duration;
  if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0) {
    throw new BadArgumentsError(`lease ${path}: duration must be a number of ms, more than 0 (got ${String(d)})`);
  }
}

/**
 * Reads the holder node of a lease path: who holds it until when, or
 * undefined when there is none (or it is not Kazoo's format).
 */
export async function readLeaseHolder(client: Client, path: string): Promise<LeaseHolder | undefined> {
  try {
    const { data } = await retryWhileConnected(client, () => client.getData(joinPath(path, LEASE_HOLDER_NODE)));
    const parsed = JSON.parse(data?.toString('utf8') ?? '') as { version?: unknown; holder?: unknown; end?: unknown };
    const end = typeof parsed.end === 'string' ? Date.parse(`${parsed.end}Z`) : NaN;
    if (typeof parsed.version !== 'number' || typeof parsed.holder !== 'string' || Number.isNaN(end)) return undefined;
    return { version: parsed.version, holder: parsed.holder, end };
  } catch (error) {
    if (error instanceof NoNodeError || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** One attempt at a lease (Kazoo's NonBlockingLease). */
export class NonBlockingLease {
  /**
   * Tries once (a try: it does not wait for the current holder); resolves
   * true when the lease is ours until now + `duration`, false when someone
   * else holds it. Rejects with BadArgumentsError for a bad duration.
   */
  static async obtain(client: Client, path: string, options: LeaseOptions): Promise<boolean> {
    checkLeaseOptions(path, options);
    const ident = options.identifier || hostname();
    // Wall-clock time on purpose: the end is written for other processes (see LeaseOptions.now).
    const now = options.now ?? Date.now;
    await ensurePath(client, path);
    const holderPath = joinPath(path, LEASE_HOLDER_NODE);
    const lock = new Lock(client, path, { identifier: ident });
    return lock.run(async () => {
      const at = now();
      const stat = await retryWhileConnected(client, () => client.exists(holderPath));
      if (stat !== null) {
        const { data } = await retryWhileConnected(client, () => client.getData(holderPath));
        let current: { version?: unknown; holder?: unknown; end?: unknown };
        try {
          current = JSON.parse(data?.toString('utf8') ?? '') as typeof current;
        } catch {
          return false; // not a lease we understand: leave it alone
        }
        if (current.version !== LEASE_VERSION) return false;
        const end = typeof current.end === 'string' ? Date.parse(`${current.end}Z`) : NaN;
        if (current.holder !== ident && at < end) return false;
        await retryWhileConnected(client, () => client.delete(holderPath)).catch((e: unknown) => {
          if (!(e instanceof NoNodeError)) throw e;
        });
      }
      // Python: json.dumps({'version': 1, 'holder': ident, 'end': ...}) — same key order and separators.
      const body = `{"version": ${LEASE_VERSION}, "holder": ${JSON.stringify(ident)}, "end": "${formatLeaseTime(at + options.duration)}"}`;
      await retryWhileConnected(client, () => client.create(holderPath, body)).catch((e: unknown) => {
        // A create retried after a connection loss may find its own node: we hold the lock, so it is ours.
        if (!(e instanceof NodeExistsError)) throw e;
      });
      return true;
    });
  }
}

/** Tries the leases `<path>/0` .. `<path>/<count-1>` in order (Kazoo's MultiNonBlockingLease). */
export class MultiNonBlockingLease {
  /**
   * Tries each lease once, in order (a try); resolves true with the first
   * obtained, false when all are held by others. Rejects with
   * BadArgumentsError for a bad count or duration.
   */
  static async obtain(client: Client, path: string, options: MultiLeaseOptions): Promise<boolean> {
    const count: unknown = options?.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
      throw new BadArgumentsError(`lease ${path}: count must be a positive integer (got ${String(count)})`);
    }
    checkLeaseOptions(path, options);
    const { count: _count, ...lease } = options;
    for (let i = 0; i < count; i++) {
      if (await NonBlockingLease.obtain(client, joinPath(path, String(i)), lease)) return true;
    }
    return false;
  }
}

/**
 * A lease that waits: tries, and until it gets it, waits for the current
 * lease to end or its holder node to be deleted.
 */
export class Lease {
  /** Throws BadArgumentsError for a bad duration. No I/O. */
  constructor(
    /** The client the lease works through; its clock times the waits. */
    readonly client: Client,
    /** The lease's node. */
    readonly path: string,
    /** The lease's options (`duration`, `identifier`). */
    readonly options: LeaseOptions,
  ) {
    checkLeaseOptions(path, options);
  }

  /**
   * Resolves once obtained. Rejects with TimeoutError after `timeout` ms,
   * CancelledError (or the signal's HerdError reason) on abort,
   * SessionExpiredError / ClientClosedError / AuthFailedError when the
   * session ends while waiting.
   */
  async acquire(options: WaitOptions = {}): Promise<void> {
    const what = `lease ${this.path}`;
    checkWaitOptions(options, what);
    const deadline = new Deadline(this.client.clock, options.timeout);
    // Wall-clock time, as the lease's stored end (see LeaseOptions.now); the waits themselves run on the client's clock.
    const now = this.options.now ?? Date.now;
    for (;;) {
      throwIfAborted(options.signal, what);
      if (await NonBlockingLease.obtain(this.client, this.path, this.options)) return;
      if (deadline.expired) throw timeoutError(what, options.timeout!);
      const wake = new Wakeup();
      const holderPath = joinPath(this.path, LEASE_HOLDER_NODE);
      await retryWhileConnected(this.client, () => this.client.exists(holderPath, { watch: wake.fire }), options.signal);
      const holder = await readLeaseHolder(this.client, this.path);
      // Wake at the end of the current lease (plus the second its format rounds away), or on a change.
      const untilEnd = holder ? Math.max(holder.end + 1000 - now(), 50) : 1000;
      const remaining = deadline.remaining();
      // Our own deadline (a TimeoutError) only when it falls before the lease ends; otherwise a step that just wakes.
      const step = remaining !== undefined && remaining <= untilEnd ? deadline : new Deadline(this.client.clock, untilEnd);
      try {
        await waitForWake(this.client, wake, { deadline: step, signal: options.signal, what });
      } catch (error) {
        if (!(error instanceof TimeoutError) || step === deadline) throw error;
      }
    }
  }
}
