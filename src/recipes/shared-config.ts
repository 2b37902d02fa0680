/**
 * SharedConfig: a JSON document at one path, read typed, updated with
 * compare-and-set, and watched for changes (Curator's SharedValue idea,
 * with JSON as the format).
 *
 * Usage:
 * ```ts
 * interface Limits { rate: number }
 * const config = new SharedConfig<Limits>(client, '/app/config/limits', { defaultValue: { rate: 10 } });
 * config.on('changed', ({ value }) => applyLimits(value));
 * await config.start();                               // reads, then watches
 * await config.update((cur) => ({ ...cur, rate: cur.rate * 2 })); // CAS, retried on conflict
 * await config.set({ rate: 5 }, config.version);      // fails with BadVersionError if someone was first
 * await config.close();                               // stops watching (or: await using config = ...)
 * ```
 *
 * Node layout: `<path>` persistent (created with its ancestors on the
 * first write); data = the value as UTF-8 JSON. An empty or missing node
 * reads as `defaultValue`.
 *
 * Failure handling: every write is conditional on the version read
 * (BadVersion → `update` re-reads and re-applies; `set` rejects). After a
 * connection loss during a write the outcome is checked by re-reading:
 * version + 1 with our exact bytes means it was applied. Watching survives
 * reconnects and session expiry (DataWatch).
 *
 * Limits: the document must fit in a znode (1 MiB by default). `parse`
 * validates what is read; a node holding invalid JSON (or JSON that `parse`
 * refuses) makes reads reject with UnexpectedDataError (and `changed` is
 * not emitted for it; `error` is).
 */
import { EventEmitter } from 'node:events';
import { parentPath } from '../base/path.js';
import type { Client } from '../client/index.js';
import { isTransientError } from '../client/retry.js';
import { BadVersionError, HerdError, InvalidStateError, NoNodeError, NodeExistsError } from '../errors.js';
import { UnexpectedDataError } from './errors.js';
import { ensurePath, retryWhileConnected } from './internal/index.js';
import { DataWatch } from './watchers.js';

/** Options of {@link SharedConfig}. */
export interface SharedConfigOptions<T> {
  /** The value of a missing or empty node. */
  defaultValue: T;
  /** Validates/converts a parsed document (throw to refuse it). Default: trust the JSON. */
  parse?: (json: unknown) => T;
}

/** A value of a {@link SharedConfig} and the node version it was read at (-1: no node). */
export interface SharedConfigValue<T> {
  readonly value: T;
  readonly version: number;
}

/** The events of {@link SharedConfig}. */
export interface SharedConfigEvents<T> {
  /** The value read first (after `start`) and after every change. */
  changed: [SharedConfigValue<T>];
  /** The node holds something that is not a value (UnexpectedDataError), or a read failed; emitted only while someone listens. */
  error: [Error];
}

/** A JSON document at one path, read typed, updated with compare-and-set, watched: see the module comment. */
export class SharedConfig<T> extends EventEmitter<SharedConfigEvents<T>> {
  private cached: T;
  private cachedVersion = -1;
  private watcher: DataWatch | undefined;

  /** No I/O: {@link start} reads and watches. */
  constructor(
    /** The client the config works through. */
    readonly client: Client,
    /** The document's node. */
    readonly path: string,
    private readonly options: SharedConfigOptions<T>,
  ) {
    super();
    this.cached = options.defaultValue;
  }

  /** The last value seen (after `start`, kept current). */
  get value(): T {
    return this.cached;
  }

  /** The node version of {@link value} (-1: no node). */
  get version(): number {
    return this.cachedVersion;
  }

  /**
   * Reads the value and keeps it current, emitting `changed`; resolves once
   * read. Rejects with InvalidStateError when started already.
   */
  async start(): Promise<void> {
    if (this.watcher) throw new InvalidStateError(`shared config ${this.path}: already started`);
    this.watcher = new DataWatch(
      this.client,
      this.path,
      (data, stat) => {
        try {
          this.cached = this.decode(data);
          this.cachedVersion = stat?.version ?? -1;
          this.emit('changed', { value: this.cached, version: this.cachedVersion });
        } catch (error) {
          if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
        }
      },
      { onError: (e) => this.listenerCount('error') > 0 && this.emit('error', e instanceof Error ? e : new Error(String(e))) },
    );
    await this.watcher.start();
  }

  /** Stops watching. Idempotent. */
  async close(): Promise<void> {
    await this.watcher?.close();
  }

  /** As {@link close}: `await using config = new SharedConfig(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Reads the current value and its version (-1 when the node is missing). Rejects with UnexpectedDataError for a node that is not a value. */
  async read(): Promise<SharedConfigValue<T>> {
    try {
      const { data, stat } = await retryWhileConnected(this.client, () => this.client.getData(this.path));
      return { value: this.decode(data), version: stat.version };
    } catch (error) {
      if (error instanceof NoNodeError) return { value: this.options.defaultValue, version: -1 };
      throw error;
    }
  }

  /**
   * Writes `value` if the node is still at `expectedVersion` (-1: must not
   * exist yet). Rejects with BadVersionError / NodeExistsError otherwise.
   * Resolves with the new version. Retried across connection loss (an
   * applied write is recognised by version and bytes).
   */
  async set(value: T, expectedVersion: number): Promise<number> {
    const bytes = Buffer.from(JSON.stringify(value), 'utf8');
    for (;;) {
      try {
        if (expectedVersion === -1) {
          await ensurePath(this.client, parentPath(this.path));
          await this.client.create(this.path, bytes);
          return 0;
        }
        return (await this.client.setData(this.path, bytes, expectedVersion)).version;
      } catch (error) {
        if (!isTransientError(error)) throw error;
        // Unknown outcome: applied if the node is at the next version with our bytes.
        const { data, stat } = await retryWhileConnected(this.client, () => this.client.getData(this.path)).catch((e: unknown) => {
          if (e instanceof NoNodeError) return { data: null, stat: undefined };
          throw e;
        });
        if (stat !== undefined && stat.version === expectedVersion + 1 && data !== null && data.equals(bytes)) return stat.version;
      }
    }
  }

  /** Applies `fn` to the current value and writes the result atomically, retrying on conflicts. Resolves with what was written. */
  async update(fn: (current: T) => T): Promise<SharedConfigValue<T>> {
    for (;;) {
      const { value, version } = await this.read();
      const next = fn(value);
      try {
        return { value: next, version: await this.set(next, version) };
      } catch (error) {
        if (error instanceof BadVersionError || error instanceof NodeExistsError || error instanceof NoNodeError) continue;
        throw error;
      }
    }
  }

  private decode(data: Buffer | null): T {
    if (data === null || data.length === 0) return this.options.defaultValue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8'));
    } catch (error) {
      throw new UnexpectedDataError(`shared config ${this.path}: the node does not hold JSON`, { cause: error, path: this.path });
    }
    if (!this.options.parse) return parsed as T;
    try {
      return this.options.parse(parsed);
    } catch (error) {
      if (error instanceof HerdError) throw error;
      throw new UnexpectedDataError(`shared config ${this.path}: parse refused the document`, { cause: error, path: this.path });
    }
  }
}
