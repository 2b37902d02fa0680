/**
 * A node's snapshots: taken every `entries` applied entries or `interval`
 * ms (when anything was applied), kept in memory (the position is what the
 * node publishes for truncation) and, with a `dataDir`, written to its file
 * (./file.ts) for a fast restart.
 *
 * Off the apply path as far as Node allows: an apply only counts; the
 * snapshot is taken in a later macrotask (setImmediate), between applies.
 * Encoding is synchronous (the state is mutable, so the cut must be taken
 * in one go; it costs one pass over the rows), and the file is written,
 * fsynced and renamed asynchronously, one write at a time (a snapshot
 * taken while one is being written replaces the next one waiting).
 */
import type { Clock } from '../../base/clock.js';
import { join } from 'node:path';
import { CorruptSnapshotError } from '../errors.js';
import { toPair } from '../node-types.js';
import { decodeSnapshot, encodeSnapshot } from '../state/snapshot.js';
import type { TableDefinitions } from '../state/definitions.js';
import type { Position, TablesState } from '../state/store.js';
import { readSnapshotFile, SNAPSHOT_FILE, writeSnapshotFile } from './file.js';
import type { ResolvedSnapshotOptions } from './options.js';

/** Where a node's copy last came from other than the log. */
export interface SnapshotLoad {
  /** `'file'`: this node's own snapshot file; `'member'`: another member's snapshot over rpc. */
  readonly from: 'file' | 'member';
  /** The position of the loaded snapshot (null: empty). */
  readonly position: Position | null;
}

/** A node's snapshots, as `tables.snapshots` reports them. */
export interface SnapshotStatus {
  /** The position of this node's latest snapshot (in memory or on disk); null when it has none. */
  readonly position: Position | null;
  /** The position of its latest snapshot written to `dataDir`; null when none (or no dataDir). */
  readonly durable: Position | null;
  /** Snapshots taken since open. */
  readonly taken: number;
  /** The last snapshot loaded (at open from the file, or from a member); null when the copy was built from the log alone. */
  readonly loaded: SnapshotLoad | null;
}

/** What the keeper needs of its node. */
export interface KeeperHost {
  readonly name: string;
  readonly clock: Clock;
  readonly definitions: TableDefinitions;
  /** The node's current state. */
  state(): TablesState;
  /** Reports a failure no call can report (a write that failed, a refused file). */
  warn(err: unknown): void;
}

/** The snapshot schedule and file of one node. */
export class SnapshotKeeper {
  private sinceLast = 0;
  private queued = false;
  private timer: unknown;
  private closed = false;
  private writing: Promise<void> | undefined;
  private nextWrite: { position: Position | null; bytes: Buffer } | undefined;
  private status: SnapshotStatus = { position: null, durable: null, taken: 0, loaded: null };

  constructor(
    private readonly host: KeeperHost,
    private readonly options: ResolvedSnapshotOptions,
  ) {}

  /** The snapshot positions and loads, as of now. */
  get current(): SnapshotStatus {
    return this.status;
  }

  /** What the node publishes beside its applied position: `snapshot` and `durable` as `[segmentId, entryId]` or null. */
  memberData(): { snapshot: [number, number] | null; durable: [number, number] | null } {
    return { snapshot: toPair(this.status.position), durable: toPair(this.status.durable) };
  }

  /** Starts the interval timer. */
  start(): void {
    const tick = (): void => {
      if (this.closed) return;
      if (this.sinceLast > 0) this.queue();
      this.timer = this.host.clock.setTimeout(tick, this.options.interval);
    };
    this.timer = this.host.clock.setTimeout(tick, this.options.interval);
  }

  /**
   * The state in this node's file, or undefined when there is no dataDir,
   * no file, or the file is refused (CorruptSnapshotError, reported through
   * `warn` with the file and offset: the node then starts empty and loads a
   * member's snapshot or the log).
   */
  async loadFile(): Promise<TablesState | undefined> {
    const dir = this.options.dataDir;
    if (dir === undefined) return undefined;
    try {
      const payload = await readSnapshotFile(dir);
      if (payload === undefined) return undefined;
      let state: TablesState;
      try {
        state = decodeSnapshot(payload, this.host.definitions);
      } catch (err) {
        // The chunks' CRCs held, so the damage is in what was written (or the tables declared changed).
        throw new CorruptSnapshotError(`tables snapshot file ${join(dir, SNAPSHOT_FILE)}: ${(err as Error).message} (payload offset 0)`, { cause: err });
      }
      this.status = { ...this.status, position: state.position, durable: state.position, loaded: { from: 'file', position: state.position } };
      return state;
    } catch (err) {
      this.host.warn(err);
      return undefined;
    }
  }

  /** Called after each applied entry: counts, and queues a snapshot every `entries`. */
  applied(): void {
    if (++this.sinceLast >= this.options.entries) this.queue();
  }

  /** Records a snapshot loaded from a member (it counts as this node's latest) and writes it to the file. */
  loadedFromMember(state: TablesState): void {
    this.status = { ...this.status, loaded: { from: 'member', position: state.position } };
    this.record(state);
  }

  private queue(): void {
    if (this.queued || this.closed) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      if (!this.closed) this.take();
    });
  }

  /** Takes a snapshot of the state now. */
  take(): void {
    this.sinceLast = 0;
    this.status = { ...this.status, taken: this.status.taken + 1 };
    this.record(this.host.state());
  }

  private record(state: TablesState): void {
    const position = state.position;
    this.status = { ...this.status, position };
    if (this.options.dataDir === undefined) return;
    this.nextWrite = { position, bytes: encodeSnapshot(state) };
    this.writing ??= this.drain().finally(() => (this.writing = undefined));
  }

  private async drain(): Promise<void> {
    while (this.nextWrite !== undefined) {
      const { position, bytes } = this.nextWrite;
      this.nextWrite = undefined;
      try {
        await writeSnapshotFile(this.options.dataDir!, bytes);
        this.status = { ...this.status, durable: position };
      } catch (err) {
        this.host.warn(err);
      }
    }
  }

  /** Stops the timer and waits for the file write in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.host.clock.clearTimeout(this.timer);
    await this.writing;
  }
}
