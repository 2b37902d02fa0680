/**
 * DataWatch and ChildrenWatch: a function called with a node's data (or
 * children) now and after every change, with Kazoo's semantics
 * (`kazoo.recipe.watchers`), on one-shot watches re-armed after each event.
 *
 * Usage:
 * ```ts
 * const dw = new DataWatch(client, '/app/config', (data, stat, event) => {
 *   if (data === null) console.log('no config yet');
 *   else apply(JSON.parse(data.toString()));
 *   // return false to stop watching
 * });
 * await dw.ready;          // the first call has run
 * const cw = new ChildrenWatch(client, '/app/workers', (children) => rebalance(children));
 * cw.stop();
 * ```
 *
 * Nodes: none of its own; it reads the watched path only.
 *
 * Semantics (as Kazoo):
 * - DataWatch calls `fn(null, null)` while the node does not exist and
 *   watches for its creation; it calls `fn` only when the node's mzxid (or
 *   existence) changed since the last call, so a re-armed watch never
 *   produces a duplicate call. It keeps watching across deletions.
 * - ChildrenWatch calls `fn(children)` on every change of the list; it
 *   stops when the node is deleted (or does not exist at the start).
 * - Returning `false` (or a promise of false) from `fn` stops the watch.
 *   Calls never overlap: the next waits for the previous to settle.
 *
 * Failure handling: connection loss is invisible (the client restores the
 * watch and the reads are retried). After session expiry the watch is gone
 * on the server; when the client gets a new session the watcher reads again
 * and calls `fn` if anything changed meanwhile (Kazoo's
 * `allow_session_lost`). A throwing `fn` stops the watcher; the error is
 * passed to the `onError` option.
 *
 * Limits: changes between a watch firing and the re-read are coalesced
 * (ZooKeeper's one-shot watches): `fn` sees the latest state, not every
 * intermediate one.
 */
import type { Client, WatchEvent } from '../client/index.js';
import type { Stat } from '../jute/records/stat.js';
import { NoNodeError } from '../errors.js';
import { retry, isSessionGone } from './internal/index.js';

type Verdict = boolean | void | undefined;

export type DataWatchFn = (data: Buffer | null, stat: Stat | null, event: WatchEvent | undefined) => Verdict | Promise<Verdict>;
export type ChildrenWatchFn = (children: string[], event: WatchEvent | undefined) => Verdict | Promise<Verdict>;

export interface WatcherOptions {
  /** Called when `fn` throws or a read fails for good; the watcher stops. */
  onError?: (error: unknown) => void;
}

/** Shared plumbing: serialized runs, the session listener, stop. */
abstract class Watcher {
  /** Resolves after the first call of `fn`. */
  readonly ready: Promise<void>;
  protected stopped = false;
  private running: Promise<void> = Promise.resolve();
  private resolveReady!: () => void;
  private sawExpiry = false;

  constructor(
    readonly client: Client,
    readonly path: string,
    private readonly options: WatcherOptions,
  ) {
    this.ready = new Promise((r) => (this.resolveReady = r));
    client.on('expired', this.onExpired);
    client.on('connected', this.onConnected);
    queueMicrotask(() => this.schedule(undefined));
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Stops calling `fn`. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.client.off('expired', this.onExpired);
    this.client.off('connected', this.onConnected);
    this.resolveReady();
  }

  protected schedule(event: WatchEvent | undefined): void {
    this.running = this.running.then(async () => {
      if (this.stopped) return;
      try {
        await this.run(event);
      } catch (error) {
        if (isSessionGone(this.client)) return; // resumed by onConnected on a new session
        this.stop();
        this.options.onError?.(error);
      } finally {
        this.resolveReady();
      }
    });
  }

  protected readonly watchListener = (event: WatchEvent): void => {
    if (!this.stopped) this.schedule(event);
  };

  protected abstract run(event: WatchEvent | undefined): Promise<void>;

  private readonly onExpired = (): void => {
    this.sawExpiry = true;
  };
  private readonly onConnected = (): void => {
    if (!this.sawExpiry) return;
    this.sawExpiry = false;
    this.schedule(undefined);
  };
}

/** Kazoo's DataWatch. */
export class DataWatch extends Watcher {
  private lastVersion: bigint | null | undefined;

  constructor(
    client: Client,
    path: string,
    private readonly fn: DataWatchFn,
    options: WatcherOptions = {},
  ) {
    super(client, path, options);
  }

  protected async run(event: WatchEvent | undefined): Promise<void> {
    let data: Buffer | null = null;
    let stat: Stat | null = null;
    try {
      const r = await retry(this.client, () => this.client.getData(this.path, { watch: this.watchListener }));
      data = r.data;
      stat = r.stat;
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      // Missing: watch for its creation. It may have been created in between: then read again.
      const s = await retry(this.client, () => this.client.exists(this.path, { watch: this.watchListener }));
      if (s !== null) return this.run(event);
    }
    const version = stat === null ? null : stat.mzxid;
    if (this.lastVersion !== undefined && version === this.lastVersion) return;
    this.lastVersion = version;
    if ((await this.fn(data, stat, event)) === false) this.stop();
  }
}

/** Kazoo's ChildrenWatch. */
export class ChildrenWatch extends Watcher {
  private prior: string[] | undefined;

  constructor(
    client: Client,
    path: string,
    private readonly fn: ChildrenWatchFn,
    options: WatcherOptions = {},
  ) {
    super(client, path, options);
  }

  protected async run(event: WatchEvent | undefined): Promise<void> {
    let children: string[];
    try {
      children = await retry(this.client, () => this.client.getChildren(this.path, { watch: this.watchListener }));
    } catch (error) {
      if (error instanceof NoNodeError) {
        this.stop();
        return;
      }
      throw error;
    }
    if (this.prior !== undefined && sameMembers(this.prior, children)) return;
    this.prior = children;
    if ((await this.fn(children, event)) === false) this.stop();
  }
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}
