/**
 * Singleton serving: of all the processes serving one name with
 * `singleton: true`, exactly one is registered at a time. They contend in
 * Herd's {@link Election} (Kazoo's recipe, a fair lock) under
 * `/herd/rpc-singleton/<name>`; the leader registers its instance and
 * serves, the others stand by unregistered (so `lookup` never picks them)
 * and one of them takes over when the leader's session ends (a process
 * killed, a session expired) or it closes.
 *
 * Node layout: `/herd/rpc-singleton/<name>/<uuid hex>__lock__<seq>`, data =
 * the instance's identifier (Election's, readable with Kazoo's
 * `Election.contenders()`).
 *
 * Leadership is detected, not fenced: a leader cut off from the store
 * stops serving once its hold is lost (after the session timeout), which is
 * also when a standby may take over; in between, both may answer callers
 * that already hold a connection to the old one.
 */
import { joinPath } from '../base/path.js';
import { sleep, type WaitOptions } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { HerdError } from '../errors.js';
import { Election } from '../recipes/index.js';
import { isSessionGone, onSessionEvents } from '../recipes/internal/index.js';

/** The root of the singleton elections: one child per service name. */
export const SINGLETON_ROOT = '/herd/rpc-singleton';

/** What the served object does when its role changes. */
export interface SingletonHooks {
  /**
   * Becomes the serving instance: registers it (waiting as `wait` says);
   * `lost` aborts when leadership ends. Rejects when it could not register.
   */
  lead(lost: AbortSignal, wait: WaitOptions): Promise<void>;
  /** Stops serving (leadership lost, or closing): unregisters, moves callers away. Never rejects. */
  stepDown(): Promise<void>;
  /** Now a standby (not registered), waiting for the leader to go. */
  standby(): void;
  /** A background step failed; the contention goes on (it stops only when the client is closed). */
  failed(error: Error): void;
}

/** One serving process's place in a singleton's election. */
export class SingletonRole {
  private readonly election: Election;
  private readonly closing = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: Client,
    name: string,
    identifier: string,
    private readonly hooks: SingletonHooks,
  ) {
    this.election = new Election(client, joinPath(SINGLETON_ROOT, name), { identifier });
  }

  /**
   * Joins the election. Resolves once this process knows its role: leading
   * and registered, or standing by behind a leader. Then contends in the
   * background until {@link close}. Rejects as the registration does
   * (TimeoutError, CancelledError, the session's end).
   */
  async start(wait: WaitOptions): Promise<void> {
    const lock = this.election.lock;
    const signal = wait.signal ? AbortSignal.any([wait.signal, this.closing.signal]) : this.closing.signal;
    // A try first, so that serve() resolves knowing the role; the blocking contention follows.
    const leading = await lock.acquire({ blocking: false, signal });
    if (!leading) {
      this.hooks.standby();
      this.loop = this.contend(false);
      return;
    }
    try {
      await this.hooks.lead(lock.lost, { timeout: wait.timeout, signal });
    } catch (error) {
      await this.hooks.stepDown();
      await lock.release().catch(() => {});
      throw error;
    }
    this.loop = this.contend(true);
  }

  /** Leaves the election (stepping down first when leading). Idempotent. */
  async close(): Promise<void> {
    this.closing.abort(new HerdError('CLOSED', 'closing'));
    await this.loop;
    await this.election.lock.release().catch(() => {});
  }

  /** Leads while `held`, then waits to be elected again, until closed. */
  private async contend(held: boolean): Promise<void> {
    const closing = this.closing.signal;
    while (!closing.aborted) {
      try {
        if (held) {
          held = false;
          try {
            await untilAborted(AbortSignal.any([this.election.lock.lost, closing]));
          } finally {
            await this.hooks.stepDown();
            await this.election.lock.release().catch(() => {});
          }
        } else {
          await this.election.run(
            async (lost) => {
              try {
                await this.hooks.lead(lost, { signal: AbortSignal.any([lost, closing]) });
                await untilAborted(AbortSignal.any([lost, closing]));
              } finally {
                await this.hooks.stepDown();
              }
            },
            { signal: closing },
          );
        }
        if (!closing.aborted) this.hooks.standby();
      } catch (error) {
        if (closing.aborted) return;
        if (this.client.state === 'closed') {
          this.hooks.failed(error as Error);
          return;
        }
        if (isSessionGone(this.client)) {
          // Our contender node left with the session: contend again in the next one.
          this.hooks.standby();
          await nextSession(this.client, closing);
        } else {
          this.hooks.failed(error as Error);
          await sleep(this.client.clock, 1000, closing).catch(() => {});
        }
      }
    }
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Resolves when the client has a live session again (at once when it has), or `signal` aborts. */
function nextSession(client: Client, signal: AbortSignal): Promise<void> {
  if (!isSessionGone(client) || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      unsubscribe();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const unsubscribe = onSessionEvents(client, { connected: done });
    signal.addEventListener('abort', done, { once: true });
  });
}
