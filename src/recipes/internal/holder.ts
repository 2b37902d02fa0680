/** What Lock and Semaphore share: acquire, hold with a `lost` signal, release. */
import type { WaitOptions } from '../../base/wait.js';

/**
 * The options of `acquire` on Lock and Semaphore: the wait contract plus
 * the try. Exported from `herd-zk/recipes`.
 */
export interface AcquireOptions extends WaitOptions {
  /**
   * false: a try, that resolves false at once instead of waiting when
   * another contender is ahead (no TimeoutError). Default true.
   */
  blocking?: boolean;
}

/** A recipe that is acquired, held with a `lost` signal, and released: Lock and Semaphore. */
export interface Holder {
  acquire(options: AcquireOptions): Promise<boolean>;
  release(): Promise<boolean>;
  readonly lost: AbortSignal;
}

/** What {@link holdOf} returns: `await using held = await lock.hold()`. */
export interface Held {
  /** The holder's `lost` signal of this acquisition. */
  readonly lost: AbortSignal;
  /** Releases. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Acquires, runs `fn` with the `lost` signal, and releases (also when `fn` throws). */
export async function runHeld<T>(holder: Holder, fn: (lost: AbortSignal) => T | Promise<T>, options: AcquireOptions): Promise<T> {
  await holder.acquire({ ...options, blocking: true });
  try {
    return await fn(holder.lost);
  } finally {
    await holder.release();
  }
}

/** Acquires (waiting), and returns a disposable that releases. */
export async function holdOf(holder: Holder, options: WaitOptions): Promise<Held> {
  await holder.acquire({ ...options, blocking: true });
  const lost = holder.lost;
  return { lost, [Symbol.asyncDispose]: async () => void (await holder.release()) };
}
