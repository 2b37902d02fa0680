/**
 * TreeCache: an in-memory mirror of a subtree (data, stat and children of
 * every node under a root), kept current from a persistent recursive watch,
 * emitting `added`, `updated` and `removed` events (Curator's TreeCache /
 * CuratorCache idea; Kazoo's TreeCache has the same events).
 *
 * Usage:
 * ```ts
 * const cache = new TreeCache(client, '/app/services');
 * cache.on('added', ({ path, node }) => console.log('+', path, node.data?.toString()));
 * cache.on('removed', ({ path }) => console.log('-', path));
 * await cache.start();              // resolves once the first full load is done
 * cache.get('/app/services/api');   // { data, stat, children } or undefined
 * await cache.close();              // or: await using cache = ...;
 * ```
 *
 * Nodes: none of its own; reads the subtree only.
 *
 * How it stays current:
 * - ZooKeeper 3.6+ (and Herd): one `addWatch(root, persistentRecursive)`,
 *   set before the first load; each event re-reads the node it names
 *   (created/changed: data and children; deleted: the subtree is dropped).
 * - Older servers (addWatch answers UNIMPLEMENTED): one-shot data and
 *   child watches on every node, re-armed on each read.
 * - The cache converges on the server's state: every event leads to a read
 *   of the current state, and events are applied one at a time in order.
 *
 * Failure handling: persistent recursive watches are restored by the client
 * after a reconnect, but ZooKeeper does not replay changes made below the
 * root while disconnected. The watch is added with `resync: true`, so the
 * client hands it a `resync` marker after every reconnect and on every new
 * session (it adds the watch again there itself); on that marker the cache
 * reloads the whole subtree and emits the differences. With one-shot
 * watches (fallback) the cache reloads after every reconnect and on the
 * next session after an expiry, which also arms the watches again.
 *
 * Limits: the whole subtree is held in memory; a reload after a reconnect
 * reads every node again. Intermediate states between a change and our
 * read are coalesced.
 */
import { EventEmitter } from 'node:events';
import { basename, joinPath, parentPath } from '../base/path.js';
import type { Client, PersistentWatchEvent } from '../client/index.js';
import type { Stat } from '../jute/records/stat.js';
import { InvalidStateError, NoNodeError, UnimplementedError } from '../errors.js';
import { isSessionGone, retryWhileConnected, onSessionEvents } from './internal/index.js';

/** A node as a {@link TreeCache} holds it. */
export interface CachedNode {
  readonly data: Buffer | null;
  readonly stat: Stat;
  /** Child names (unordered). */
  readonly children: readonly string[];
}

/** The payload of a {@link TreeCache}'s `added`, `updated` and `removed` events. */
export interface TreeCacheChange {
  /** The node's path. */
  readonly path: string;
  /** The node as cached now (`removed`: as it was last cached). */
  readonly node: CachedNode;
}

/** The events of {@link TreeCache}. */
export interface TreeCacheEvents {
  /** A node appeared in the cache. */
  added: [TreeCacheChange];
  /** A cached node's data changed. */
  updated: [TreeCacheChange];
  /** A node left the cache (deleted, or its subtree was). */
  removed: [TreeCacheChange];
  /** The first full load is done. */
  initialized: [];
  /** A reload after a reconnect or a new session is done. */
  resynced: [];
  /** A read failed (the cache goes on); emitted only while someone listens. */
  error: [Error];
}

/** An in-memory mirror of a subtree: see the module comment. */
export class TreeCache extends EventEmitter<TreeCacheEvents> {
  /** Ends the subscription to the client's state events (through the client's one hub: see onSessionEvents). */
  private unsubscribe = (): void => {};
  private readonly nodes = new Map<string, CachedNode>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private started = false;
  private recursive = true;
  /** Fallback only: the one-shot watches may be gone, reload on the next `connected`. */
  private needsReload = false;

  /** No I/O: {@link start} watches and loads. */
  constructor(
    /** The client the cache works through. */
    readonly client: Client,
    /** The subtree's root. */
    readonly root: string,
  ) {
    super();
  }

  /** Starts watching and loads the subtree; resolves once loaded. Rejects with InvalidStateError when started or closed already. */
  async start(): Promise<void> {
    if (this.started || this.closed) throw new InvalidStateError(`tree cache ${this.root}: already ${this.closed ? 'closed' : 'started'}`);
    this.started = true;
    this.unsubscribe = onSessionEvents(this.client, { disconnected: this.onDisconnected, expired: this.onDisconnected, connected: this.onConnected });
    await this.installWatch();
    await this.enqueue(() => this.refresh(this.root, true));
    this.emit('initialized');
  }

  /** Stops watching (removes the recursive watch) and forgets the tree. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.nodes.clear();
    if (this.started && this.recursive) {
      // After an expiry the client still keeps the watch for the next session: forget it here.
      const local = isSessionGone(this.client);
      await this.client.removeWatches(this.root, 'any', { listener: this.listener, local }).catch(() => {});
    }
    await this.queue;
  }

  /** As {@link close}: `await using cache = new TreeCache(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The cached node at `path` (the root or below), or undefined. */
  get(path: string): CachedNode | undefined {
    return this.nodes.get(path);
  }

  /** Every cached path, sorted. */
  paths(): string[] {
    return [...this.nodes.keys()].sort();
  }

  /** True when the server has no addWatch and one-shot watches are used. */
  get usingFallback(): boolean {
    return !this.recursive;
  }

  private async installWatch(): Promise<void> {
    try {
      await retryWhileConnected(this.client, () => this.client.addWatch(this.root, 'persistentRecursive', this.listener, { resync: true }));
    } catch (error) {
      if (!(error instanceof UnimplementedError)) throw error;
      this.recursive = false;
    }
  }

  private readonly listener = (event: PersistentWatchEvent): void => {
    if (this.closed) return;
    const type = event.type;
    if (type === 'resync') void this.reload();
    else if (type === 'nodeDeleted') void this.enqueue(async () => this.removeTree(event.path));
    else if (type === 'nodeCreated' || type === 'nodeDataChanged' || type === 'nodeChildrenChanged') {
      void this.enqueue(() => this.refresh(event.path, false));
    }
  };

  /** Runs steps one at a time, in order; a failed step is reported and the queue goes on. */
  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.closed) return;
      try {
        await step();
      } catch (error) {
        if (isSessionGone(this.client) || this.closed) return;
        if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
      }
    });
    this.queue = run;
    return run;
  }

  /**
   * Reads `path` and reconciles it: upsert, then drop vanished children and
   * read new ones (all of them with `deep`, for a full reload).
   */
  private async refresh(path: string, deep: boolean): Promise<void> {
    if (!this.inTree(path)) return;
    const watch = this.recursive ? undefined : this.listener;
    let data: Buffer | null;
    let stat: Stat;
    let children: string[];
    try {
      const got = await retryWhileConnected(this.client, () => this.client.getData(path, watch ? { watch } : {}));
      data = got.data;
      stat = got.stat;
      children = await retryWhileConnected(this.client, () => this.client.getChildren(path, watch ? { watch } : {}));
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      this.removeTree(path);
      // Without a recursive watch, a missing root needs an exists watch to see its creation.
      if (!this.recursive && path === this.root) await retryWhileConnected(this.client, () => this.client.exists(path, { watch: this.listener }));
      return;
    }
    const before = this.nodes.get(path);
    const node: CachedNode = { data, stat, children };
    this.nodes.set(path, node);
    this.linkToParent(path, true);
    if (before === undefined) this.emit('added', { path, node });
    else if (before.stat.mzxid !== stat.mzxid) this.emit('updated', { path, node });
    for (const gone of before?.children ?? []) {
      if (!children.includes(gone)) this.removeTree(joinPath(path, gone));
    }
    for (const child of children) {
      const childPath = joinPath(path, child);
      if (deep || !this.nodes.has(childPath)) await this.refresh(childPath, deep);
    }
  }

  private removeTree(path: string): void {
    const node = this.nodes.get(path);
    if (node === undefined) return;
    for (const child of node.children) this.removeTree(joinPath(path, child));
    this.nodes.delete(path);
    this.linkToParent(path, false);
    this.emit('removed', { path, node });
  }

  /**
   * Recursive watches send no nodeChildrenChanged: keep the parent's child
   * list in step with the creations and deletions below it.
   */
  private linkToParent(path: string, present: boolean): void {
    if (path === this.root) return;
    const parentAt = parentPath(path);
    const name = basename(path);
    const parent = this.nodes.get(parentAt);
    if (parent === undefined || parent.children.includes(name) === present) return;
    const children = present ? [...parent.children, name] : parent.children.filter((c) => c !== name);
    this.nodes.set(parentAt, { ...parent, children });
  }

  private inTree(path: string): boolean {
    return path === this.root || path.startsWith(this.root === '/' ? '/' : `${this.root}/`);
  }

  /** Reloads everything and emits the differences (after a reconnect or on a new session). */
  private reload(): Promise<void> {
    return this.enqueue(async () => {
      // Vanished paths are dropped by the reconciliation of their parent (or of the root).
      await this.refresh(this.root, true);
      this.emit('resynced');
    });
  }

  private readonly onDisconnected = (): void => {
    if (!this.recursive) this.needsReload = true;
  };

  /** Fallback only (the recursive watch gets `resync` markers instead): reload, which sets the one-shot watches again. */
  private readonly onConnected = (): void => {
    if (!this.needsReload || this.closed) return;
    this.needsReload = false;
    void this.reload();
  };
}
