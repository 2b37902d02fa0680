/**
 * A Lock held by one session with a second session queued behind it, for
 * the views that say who holds a lock and who waits (the shell's `locks`,
 * the dashboard's locks tab).
 */
import type { Client } from '../../src/client/index.js';
import { Lock } from '../../src/recipes/index.js';
import { connect, uniquePath, waitFor, type Target } from './targets.js';

/** The lock, its two sessions, and how to hand it over. */
export interface LockWithWaiter {
  readonly path: string;
  /** The session holding the lock as `holder-1`. */
  readonly holder: Client;
  /** The session queued as `waiter-2`. */
  readonly waiter: Client;
  /** Releases the holder's lock; resolves once the waiter holds it. */
  handOver(): Promise<void>;
  /** Releases the waiter's lock (after {@link handOver}): the lock is free. */
  releaseWaiter(): Promise<void>;
}

/** `holder-1` holds a Lock at a fresh path of `target`, and `waiter-2` waits for it (both contender nodes exist on return). */
export async function lockWithWaiter(target: Target, name: string): Promise<LockWithWaiter> {
  const path = uniquePath(name);
  const holder = await connect(target);
  const waiter = await connect(target);
  const a = new Lock(holder, path, { identifier: 'holder-1' });
  await a.acquire();
  const b = new Lock(waiter, path, { identifier: 'waiter-2' });
  const waiting = b.acquire();
  await waitFor(async () => (await holder.getChildren(path)).length === 2, 10_000, `two contenders under ${path}`);
  return {
    path,
    holder,
    waiter,
    handOver: async () => {
      await a.release();
      await waiting;
    },
    releaseWaiter: async () => {
      await b.release();
    },
  };
}
