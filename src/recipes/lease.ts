/**
 * NonBlockingLease, MultiNonBlockingLease and Lease: a time-bound exclusive
 * lease, node for node compatible with Kazoo's `kazoo.recipe.lease`.
 *
 * Usage:
 * ```ts
 * // Run the hourly clean-up on one host only (renewable by the same identifier).
 * if (await NonBlockingLease.obtain(client, '/leases/cleanup', 70 * 60_000, { identifier: 'host-a' })) {
 *   await cleanup();
 * }
 * // Wait for it instead:
 * await new Lease(client, '/leases/cleanup', 60_000, { identifier: 'host-b' }).acquire({ timeout: 120_000 });
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
 * Limits: relies on roughly synchronized clocks (UTC timestamps written by
 * clients), with one-second resolution. The lease ends at `end` whether or
 * not the holder finished: renew it (obtain again) before then.
 */
import { hostname } from 'node:os';
import type { Client } from '../client/index.js';
import { NoNodeError, NodeExistsError } from '../errors.js';
import { Lock } from './lock.js';
import { LockTimeoutError } from './errors.js';
import { Wakeup, ensurePath, joinPath, retry, throwIfAborted, waitForWake } from './internal/index.js';

export const LEASE_HOLDER_NODE = 'lease_holder';
const LEASE_VERSION = 1;

export interface LeaseOptions {
  /** Who holds the lease; the same identifier renews it. Default: the host name (as Kazoo). */
  identifier?: string;
  /** The clock (epoch ms), for tests. */
  now?: () => number;
}

/** What the holder node says. */
export interface LeaseHolder {
  version: number;
  holder: string;
  /** Epoch ms (whole seconds). */
  end: number;
}

/** `YYYY-MM-DDTHH:MM:SS` in UTC, as Kazoo's `_date_format`. */
export function formatLeaseTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** Reads the holder node of a lease path, or undefined when there is none (or it is not Kazoo's format). */
export async function readLeaseHolder(client: Client, path: string): Promise<LeaseHolder | undefined> {
  try {
    const { data } = await retry(client, () => client.getData(joinPath(path, LEASE_HOLDER_NODE)));
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
  /** Tries once; resolves true when the lease is ours until now + duration. */
  static async obtain(client: Client, path: string, durationMs: number, options: LeaseOptions = {}): Promise<boolean> {
    const ident = options.identifier || hostname();
    const now = options.now ?? Date.now;
    await ensurePath(client, path);
    const holderPath = joinPath(path, LEASE_HOLDER_NODE);
    const lock = new Lock(client, path, { identifier: ident });
    return lock.run(async () => {
      const at = now();
      const stat = await retry(client, () => client.exists(holderPath));
      if (stat !== null) {
        const { data } = await retry(client, () => client.getData(holderPath));
        let current: { version?: unknown; holder?: unknown; end?: unknown };
        try {
          current = JSON.parse(data?.toString('utf8') ?? '') as typeof current;
        } catch {
          return false; // not a lease we understand: leave it alone
        }
        if (current.version !== LEASE_VERSION) return false;
        const end = typeof current.end === 'string' ? Date.parse(`${current.end}Z`) : NaN;
        if (current.holder !== ident && at < end) return false;
        await retry(client, () => client.delete(holderPath)).catch((e: unknown) => {
          if (!(e instanceof NoNodeError)) throw e;
        });
      }
      // Python: json.dumps({'version': 1, 'holder': ident, 'end': ...}) — same key order and separators.
      const body = `{"version": ${LEASE_VERSION}, "holder": ${JSON.stringify(ident)}, "end": "${formatLeaseTime(at + durationMs)}"}`;
      await retry(client, () => client.create(holderPath, body)).catch((e: unknown) => {
        // A create retried after a connection loss may find its own node: we hold the lock, so it is ours.
        if (!(e instanceof NodeExistsError)) throw e;
      });
      return true;
    });
  }
}

/** Tries the leases `<path>/0` .. `<path>/<count-1>` in order (Kazoo's MultiNonBlockingLease). */
export class MultiNonBlockingLease {
  static async obtain(client: Client, count: number, path: string, durationMs: number, options: LeaseOptions = {}): Promise<boolean> {
    for (let i = 0; i < count; i++) {
      if (await NonBlockingLease.obtain(client, joinPath(path, String(i)), durationMs, options)) return true;
    }
    return false;
  }
}

/**
 * A lease that waits: tries, and until it gets it, waits for the current
 * lease to end or its holder node to be deleted.
 */
export class Lease {
  constructor(
    readonly client: Client,
    readonly path: string,
    readonly durationMs: number,
    readonly options: LeaseOptions = {},
  ) {}

  /** Resolves once obtained; rejects with LockTimeoutError or the abort reason. */
  async acquire(options: { timeout?: number; signal?: AbortSignal } = {}): Promise<void> {
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    const now = this.options.now ?? Date.now;
    for (;;) {
      throwIfAborted(options.signal);
      if (await NonBlockingLease.obtain(this.client, this.path, this.durationMs, this.options)) return;
      const wake = new Wakeup();
      const holderPath = joinPath(this.path, LEASE_HOLDER_NODE);
      await retry(this.client, () => this.client.exists(holderPath, { watch: wake.fire }), options.signal);
      const holder = await readLeaseHolder(this.client, this.path);
      // Wake at the end of the current lease (plus the second its format rounds away), or on a change.
      const until = holder ? Math.max(holder.end + 1000 - now(), 50) : 1000;
      const wakeAt = Date.now() + until;
      const waitDeadline = deadline === undefined ? wakeAt : Math.min(deadline, wakeAt);
      try {
        await waitForWake(this.client, wake.promise, { deadline: waitDeadline, signal: options.signal, what: `lease ${this.path}` });
      } catch (error) {
        if (!(error instanceof LockTimeoutError) || (deadline !== undefined && Date.now() >= deadline)) throw error;
      }
    }
  }
}
