/**
 * PersistentNode: a node that stays there as long as we want it, recreated
 * after session expiry or when someone deletes it (Curator's
 * PersistentNode). Typical use: an ephemeral registration
 * (`/services/api/<host>`) that must survive session loss.
 *
 * Usage:
 * ```ts
 * const reg = new PersistentNode(client, '/services/api/host-a', JSON.stringify(info));
 * reg.on('created', (path) => log('registered at', path));
 * await reg.start();
 * await reg.waitForInitialCreate({ timeout: 5000 });  // TimeoutError after 5 s
 * await reg.setData(JSON.stringify(newInfo));
 * await reg.close();                // deletes it (or: await using reg = ...)
 * ```
 *
 * Node layout:
 * - `ephemeral` (default) or `persistent`: exactly `<path>`.
 * - `ephemeralSequential`: `<parent>/_c_<uuid>-<name><seq>` (Curator's
 *   protected name); `actualPath` says which.
 * Parents are created (persistent) when missing.
 *
 * Failure handling:
 * - Connection loss while creating: for the sequential mode the node is
 *   found again by its `_c_<uuid>` prefix; otherwise NodeExists owned by our
 *   session means the lost create was applied.
 * - Deleted by someone, or gone with an expired session: a `lost` event
 *   (a SessionLostError),
 *   then it is created again as soon as there is a session (a new one after
 *   expiry).
 * - `<path>` held by another session (ephemeral): we wait for it to go
 *   (exists watch) and then create ours; `conflict` is emitted meanwhile.
 *
 * Limits: between the loss and the re-creation the node is absent; others
 * must tolerate that gap.
 */
import { EventEmitter } from 'node:events';
import { basename, joinPath, parentPath } from '../base/path.js';
import { Deadline, type WaitOptions } from '../base/wait.js';
import type { Client, CreateModeName, WatchEvent } from '../client/index.js';
import { isTransientError } from '../client/retry.js';
import { BadArgumentsError, CancelledError, HerdError, InvalidStateError, NoNodeError, NodeExistsError, SessionLostError } from '../errors.js';
import {
  Wakeup,
  checkWaitOptions,
  deleteIfExists,
  ensurePath,
  isSessionGone,
  protectedPrefix,
  retryWhileConnected,
  waitForWake,
  onSessionEvents,
} from './internal/index.js';

/** How a {@link PersistentNode} is created. */
export type PersistentNodeMode = 'ephemeral' | 'ephemeralSequential' | 'persistent';

/** Options of {@link PersistentNode}. */
export interface PersistentNodeOptions {
  /** Default `'ephemeral'`. */
  mode?: PersistentNodeMode;
}

/** The events of {@link PersistentNode}. */
export interface PersistentNodeEvents {
  /** Created (again); the actual path. */
  created: [string];
  /** Our node went away involuntarily (deleted, session expired); it will be recreated. */
  lost: [SessionLostError];
  /** `<path>` exists but is not ours; waiting for it to go. */
  conflict: [string];
  /** A create failed for good (retried on the next session); emitted only while someone listens. */
  error: [Error];
}

/** A node kept in place across deletion and session expiry (Curator's PersistentNode): see the module comment. */
export class PersistentNode extends EventEmitter<PersistentNodeEvents> {
  /** Ends the subscription to the client's state events (through the client's one hub: see onSessionEvents). */
  private unsubscribe = (): void => {};
  /** How the node is created. */
  readonly mode: PersistentNodeMode;
  private data: Buffer;
  private current: string | undefined;
  private closed = false;
  /** Aborted by close: ends the background waits. */
  private readonly closing = new AbortController();
  private creating: Promise<void> | undefined;
  /** A re-creation asked for while {@link creating} was still running. */
  private createAgain = false;
  private started = false;
  private prefix = protectedPrefix();

  /** No I/O: {@link start} creates the node. Throws BadArgumentsError for an unknown mode. */
  constructor(
    /** The client the node is kept through; its clock times waits. */
    readonly client: Client,
    /** The node's path (the name's prefix, in the sequential mode). */
    readonly path: string,
    data: Uint8Array | string = '',
    options: PersistentNodeOptions = {},
  ) {
    super();
    this.mode = options.mode ?? 'ephemeral';
    if (!['ephemeral', 'ephemeralSequential', 'persistent'].includes(this.mode)) {
      throw new BadArgumentsError(`persistent node ${path}: unknown mode ${String(this.mode)}`);
    }
    this.data = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  }

  /** The node's path while it exists (with the sequence suffix in the sequential mode). */
  get actualPath(): string | undefined {
    return this.current;
  }

  /**
   * Starts keeping the node: resolves at once, the create runs in the
   * background (see {@link waitForInitialCreate}). Rejects with
   * InvalidStateError when started or closed already.
   */
  async start(): Promise<void> {
    if (this.started || this.closed) throw new InvalidStateError(`persistent node ${this.path}: already ${this.closed ? 'closed' : 'started'}`);
    this.started = true;
    this.unsubscribe = onSessionEvents(this.client, { expired: this.onExpired, connected: this.onConnected });
    this.ensureCreated();
  }

  /**
   * Resolves once the node exists (at once when it does). Rejects with
   * TimeoutError after `timeout` ms, CancelledError (or the signal's
   * HerdError reason) on abort or when closed meanwhile,
   * SessionExpiredError / ClientClosedError / AuthFailedError when the
   * session ends while waiting, InvalidStateError when not started or closed.
   */
  async waitForInitialCreate(options: WaitOptions = {}): Promise<void> {
    const what = `persistent node ${this.path}: initial create`;
    checkWaitOptions(options, what);
    if (this.current !== undefined) return;
    if (!this.started || this.closed) throw new InvalidStateError(`${what}: ${this.closed ? 'closed' : 'not started'}`);
    const wake = new Wakeup();
    this.once('created', wake.fire);
    this.closing.signal.addEventListener('abort', wake.fire, { once: true });
    try {
      await waitForWake(this.client, wake, { deadline: new Deadline(this.client.clock, options.timeout), signal: options.signal, what });
    } finally {
      this.off('created', wake.fire);
      this.closing.signal.removeEventListener('abort', wake.fire);
    }
    if (this.closed) throw new CancelledError(`${what}: closed`);
  }

  /** Changes the data, now if the node exists, and for every re-creation. */
  async setData(data: Uint8Array | string): Promise<void> {
    this.data = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    // A create in flight carries the old data and sets `current` only when it returns: write after it.
    await this.creating?.catch(() => {});
    if (this.current !== undefined) await retryWhileConnected(this.client, () => this.client.setData(this.current!, this.data));
  }

  /** Stops maintaining the node and deletes it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.unsubscribe();
    const node = this.current;
    this.current = undefined;
    await this.creating?.catch(() => {});
    const made = this.current ?? node;
    if (made !== undefined && !isSessionGone(this.client)) await deleteIfExists(this.client, made);
  }

  /** As {@link close}: `await using node = new PersistentNode(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals ------------------------------------------------------------------

  private ensureCreated(): void {
    if (this.closed) return;
    if (this.creating) {
      // The node can go while the create that made it is still setting its
      // watch (the deletion event arrives in the same read as the watch's
      // reply): create again once that one is done.
      this.createAgain = true;
      return;
    }
    this.creating = this.create()
      .catch((error: unknown) => {
        if (!this.closed && !isSessionGone(this.client) && this.listenerCount('error') > 0) {
          this.emit('error', error instanceof Error ? error : new HerdError('UNKNOWN', String(error)));
        }
      })
      .finally(() => {
        this.creating = undefined;
        const again = this.createAgain;
        this.createAgain = false;
        if (again && this.current === undefined) this.ensureCreated();
      });
  }

  private createMode(): CreateModeName {
    return this.mode;
  }

  private async create(): Promise<void> {
    await ensurePath(this.client, parentPath(this.path));
    const sequential = this.mode === 'ephemeralSequential';
    const target = sequential ? joinPath(parentPath(this.path), this.prefix + basename(this.path)) : this.path;
    let look = false;
    for (;;) {
      if (this.closed) return;
      if (look && sequential) {
        const parent = parentPath(this.path);
        const found = (await retryWhileConnected(this.client, () => this.client.getChildren(parent))).find((c) => c.startsWith(this.prefix));
        if (found !== undefined) return this.created(joinPath(parent, found));
      }
      look = true;
      try {
        const made = await this.client.create(target, this.data, { mode: this.createMode() });
        return this.created(made);
      } catch (error) {
        if (error instanceof NodeExistsError && !sequential) {
          if (await this.isOurs()) return this.created(this.path);
          this.emit('conflict', this.path);
          const wake = new Wakeup();
          const stat = await retryWhileConnected(this.client, () => this.client.exists(this.path, { watch: wake.fire }));
          if (stat !== null) await waitForWake(this.client, wake, { signal: this.closing.signal, what: `${this.path} to be free` });
          continue;
        }
        if (error instanceof NoNodeError) {
          await ensurePath(this.client, parentPath(this.path));
          look = false;
          continue;
        }
        if (!isTransientError(error) || isSessionGone(this.client)) throw error;
      }
    }
  }

  /** An existing `<path>` is ours when our session owns it (ephemeral) or, persistent, always. */
  private async isOurs(): Promise<boolean> {
    if (this.mode === 'persistent') {
      await retryWhileConnected(this.client, () => this.client.setData(this.path, this.data));
      return true;
    }
    const stat = await retryWhileConnected(this.client, () => this.client.exists(this.path));
    return stat !== null && stat.ephemeralOwner === this.client.sessionId;
  }

  private async created(path: string): Promise<void> {
    if (this.closed) {
      await deleteIfExists(this.client, path).catch(() => {});
      return;
    }
    this.current = path;
    this.emit('created', path);
    await this.watchNode(path);
  }

  private async watchNode(path: string): Promise<void> {
    const listener = (event: WatchEvent): void => {
      if (this.closed || this.current !== path) return;
      if (event.type === 'nodeDeleted') {
        this.current = undefined;
        this.emit('lost', new SessionLostError(`persistent node ${path} was deleted`));
        this.prefix = protectedPrefix();
        this.ensureCreated();
      } else {
        void this.watchNode(path).catch(() => {});
      }
    };
    const stat = await retryWhileConnected(this.client, () => this.client.exists(path, { watch: listener }));
    if (stat === null && this.current === path) listener({ type: 'nodeDeleted', path });
  }

  private readonly onExpired = (): void => {
    if (this.mode === 'persistent' || this.current === undefined) return;
    const was = this.current;
    this.current = undefined;
    this.prefix = protectedPrefix();
    this.emit('lost', new SessionLostError(`persistent node ${was}: the session expired, the node is gone`));
  };

  private readonly onConnected = (): void => {
    if (this.current === undefined) this.ensureCreated();
  };
}
