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
 * await dw.start();        // resolves once the first call has run
 * const cw = new ChildrenWatch(client, '/app/workers', (children) => rebalance(children));
 * await cw.start();
 * await cw.close();        // or: await using cw = ...;
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
 * - Returning `false` (or a promise of false) from `fn` closes the watcher.
 *   Calls never overlap: the next waits for the previous to settle.
 *
 * Failure handling: connection loss is invisible (the client restores the
 * watch and the reads are retried). After session expiry the watch is gone
 * on the server; when the client gets a new session the watcher reads again
 * and calls `fn` if anything changed meanwhile (Kazoo's
 * `allow_session_lost`). A throwing `fn` closes the watcher; the error is
 * passed to the `onError` option.
 *
 * Limits: changes between a watch firing and the re-read are coalesced
 * (ZooKeeper's one-shot watches): `fn` sees the latest state, not every
 * intermediate one.
 */
import type { Client, WatchEvent } from '../client/index.js';
import type { Stat } from '../jute/records/stat.js';
import { InvalidStateError, NoNodeError } from '../errors.js';
import { isSessionGone, retryWhileConnected, onSessionEvents } from './internal/index.js';

type Verdict = boolean | void | undefined;

/** What a {@link DataWatch} calls: the data and stat (null while the node is missing), and the event that led to the call (none for the first). Return false to close the watcher. */
export type DataWatchFn = (data: Buffer | null, stat: Stat | null, event: WatchEvent | undefined) => Verdict | Promise<Verdict>;
/** What a {@link ChildrenWatch} calls: the children now, and the event that led to the call (none for the first). Return false to close the watcher. */
export type ChildrenWatchFn = (children: string[], event: WatchEvent | undefined) => Verdict | Promise<Verdict>;

/** Options of {@link DataWatch} and {@link ChildrenWatch}. */
export interface WatcherOptions {
  /** Called when `fn` throws or a read fails for good; the watcher closes. */
  onError?: (error: unknown) => void;
}

/** Shared plumbing: serialized runs, the session listener, start and close. */
abstract class Watcher {
  /** Ends the subscription to the client's state events (through the client's one hub: see onSessionEvents). */
  private unsubscribe = (): void => {};
  protected stopped = false;
  private started = false;
  private running: Promise<void> = Promise.resolve();
  private sawExpiry = false;

  /** No I/O: {@link start} reads and watches. */
  constructor(
    /** The client the watcher works through. */
    readonly client: Client,
    /** The watched node. */
    readonly path: string,
    private readonly options: WatcherOptions,
  ) {}

  /** True once closed: by {@link close}, by `fn` returning false or throwing, or (ChildrenWatch) by the node's deletion. */
  get isClosed(): boolean {
    return this.stopped;
  }

  /**
   * Starts watching: resolves once `fn` has been called the first time (or
   * the watcher has closed). Rejects with InvalidStateError when started or
   * closed already.
   */
  async start(): Promise<void> {
    if (this.started || this.stopped) throw new InvalidStateError(`watcher of ${this.path}: already ${this.stopped ? 'closed' : 'started'}`);
    this.started = true;
    this.unsubscribe = onSessionEvents(this.client, { expired: this.onExpired, connected: this.onConnected });
    this.schedule(undefined);
    await this.running;
  }

  /**
   * Stops calling `fn`; resolves once a call in progress has returned.
   * Idempotent. From inside `fn`, return false instead (close would wait
   * for that very call).
   */
  async close(): Promise<void> {
    this.stop();
    await this.running;
  }

  /** As {@link close}: `await using watch = new DataWatch(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Closes without waiting (from inside a run, which close would wait for). */
  protected stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
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

/** Kazoo's DataWatch: `fn` called with the node's data now and after every change; see the module comment. */
export class DataWatch extends Watcher {
  private lastVersion: bigint | null | undefined;

  /** No I/O: {@link start} reads and watches. */
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
      const r = await retryWhileConnected(this.client, () => this.client.getData(this.path, { watch: this.watchListener }));
      data = r.data;
      stat = r.stat;
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      // Missing: watch for its creation. It may have been created in between: then read again.
      const s = await retryWhileConnected(this.client, () => this.client.exists(this.path, { watch: this.watchListener }));
      if (s !== null) return this.run(event);
    }
    const version = stat === null ? null : stat.mzxid;
    if (this.lastVersion !== undefined && version === this.lastVersion) return;
    this.lastVersion = version;
    if ((await this.fn(data, stat, event)) === false) this.stop();
  }
}

/** Kazoo's ChildrenWatch: `fn` called with the node's children now and after every change; see the module comment. */
export class ChildrenWatch extends Watcher {
  private prior: string[] | undefined;

  /** No I/O: {@link start} reads and watches. */
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
      children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path, { watch: this.watchListener }));
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
