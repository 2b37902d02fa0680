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
 * await reg.waitForInitialCreate(5000);
 * await reg.setData(JSON.stringify(newInfo));
 * await reg.close();                // deletes it
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
 * - Deleted by someone, or gone with an expired session: a `lost` event,
 *   then it is created again as soon as there is a session (a new one after
 *   expiry).
 * - `<path>` held by another session (ephemeral): we wait for it to go
 *   (exists watch) and then create ours; `conflict` is emitted meanwhile.
 *
 * Limits: between the loss and the re-creation the node is absent; others
 * must tolerate that gap.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Client, CreateModeName, WatchEvent } from '../client/index.js';
import { NoNodeError, NodeExistsError } from '../errors.js';
import { Wakeup, deleteIfExists, ensurePath, isConnectionLoss, isSessionGone, parentPath, retry, waitForWake } from './internal/index.js';
import { LockTimeoutError } from './errors.js';

export type PersistentNodeMode = 'ephemeral' | 'ephemeralSequential' | 'persistent';

export interface PersistentNodeEvents {
  /** Created (again); the actual path. */
  created: [string];
  /** Our node went away involuntarily (deleted, session expired); it will be recreated. */
  lost: [Error];
  /** `<path>` exists but is not ours; waiting for it to go. */
  conflict: [string];
  error: [Error];
}

export class PersistentNode extends EventEmitter<PersistentNodeEvents> {
  readonly mode: PersistentNodeMode;
  private data: Buffer;
  private current: string | undefined;
  private closed = false;
  private creating: Promise<void> | undefined;
  private prefix = `_c_${randomUUID()}-`;

  constructor(
    readonly client: Client,
    readonly path: string,
    data: Uint8Array | string = '',
    options: { mode?: PersistentNodeMode } = {},
  ) {
    super();
    this.mode = options.mode ?? 'ephemeral';
    this.data = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  }

  /** The node's path while it exists (with the sequence suffix in the sequential mode). */
  get actualPath(): string | undefined {
    return this.current;
  }

  async start(): Promise<void> {
    this.client.on('expired', this.onExpired);
    this.client.on('connected', this.onConnected);
    this.ensureCreated();
  }

  /** Resolves true once the node exists (false after `timeout` ms). */
  async waitForInitialCreate(timeout?: number): Promise<boolean> {
    if (this.current !== undefined) return true;
    const wake = new Wakeup();
    this.once('created', wake.fire);
    try {
      await waitForWake(this.client, wake.promise, { deadline: timeout === undefined ? undefined : Date.now() + timeout, what: `creating ${this.path}` });
      return true;
    } catch (error) {
      this.off('created', wake.fire);
      if (error instanceof LockTimeoutError) return false;
      throw error;
    }
  }

  /** Changes the data, now if the node exists, and for every re-creation. */
  async setData(data: Uint8Array | string): Promise<void> {
    this.data = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    // A create in flight carries the old data and sets `current` only when it returns: write after it.
    await this.creating?.catch(() => {});
    if (this.current !== undefined) await retry(this.client, () => this.client.setData(this.current!, this.data));
  }

  /** Stops maintaining the node and deletes it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.off('expired', this.onExpired);
    this.client.off('connected', this.onConnected);
    const node = this.current;
    this.current = undefined;
    await this.creating?.catch(() => {});
    const made = this.current ?? node;
    if (made !== undefined && !isSessionGone(this.client)) await deleteIfExists(this.client, made);
  }

  // ---- internals ------------------------------------------------------------------

  private ensureCreated(): void {
    if (this.closed || this.creating) return;
    this.creating = this.create()
      .catch((error: unknown) => {
        if (!this.closed && !isSessionGone(this.client) && this.listenerCount('error') > 0) {
          this.emit('error', error instanceof Error ? error : new Error(String(error)));
        }
      })
      .finally(() => (this.creating = undefined));
  }

  private createMode(): CreateModeName {
    return this.mode;
  }

  private async create(): Promise<void> {
    await ensurePath(this.client, parentPath(this.path));
    const sequential = this.mode === 'ephemeralSequential';
    const target = sequential ? `${parentPath(this.path)}/${this.prefix}${this.path.slice(this.path.lastIndexOf('/') + 1)}` : this.path;
    let look = false;
    for (;;) {
      if (this.closed) return;
      if (look && sequential) {
        const parent = parentPath(this.path);
        const found = (await retry(this.client, () => this.client.getChildren(parent))).find((c) => c.startsWith(this.prefix));
        if (found !== undefined) return this.created(`${parent === '/' ? '' : parent}/${found}`);
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
          const stat = await retry(this.client, () => this.client.exists(this.path, { watch: wake.fire }));
          if (stat !== null) await waitForWake(this.client, wake.promise, { what: `${this.path} to be free` });
          continue;
        }
        if (error instanceof NoNodeError) {
          await ensurePath(this.client, parentPath(this.path));
          look = false;
          continue;
        }
        if (!isConnectionLoss(error) || isSessionGone(this.client)) throw error;
      }
    }
  }

  /** An existing `<path>` is ours when our session owns it (ephemeral) or, persistent, always. */
  private async isOurs(): Promise<boolean> {
    if (this.mode === 'persistent') {
      await retry(this.client, () => this.client.setData(this.path, this.data));
      return true;
    }
    const stat = await retry(this.client, () => this.client.exists(this.path));
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
        this.emit('lost', new Error(`${path} was deleted`));
        this.prefix = `_c_${randomUUID()}-`;
        this.ensureCreated();
      } else {
        void this.watchNode(path).catch(() => {});
      }
    };
    const stat = await retry(this.client, () => this.client.exists(path, { watch: listener }));
    if (stat === null && this.current === path) listener({ type: 'nodeDeleted', path });
  }

  private readonly onExpired = (): void => {
    if (this.mode === 'persistent' || this.current === undefined) return;
    const was = this.current;
    this.current = undefined;
    this.prefix = `_c_${randomUUID()}-`;
    this.emit('lost', new Error(`session expired: ${was} is gone`));
  };

  private readonly onConnected = (): void => {
    if (this.current === undefined) this.ensureCreated();
  };
}
