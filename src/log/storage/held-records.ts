/**
 * Records a segment holds in memory: adds queued for the journal, or
 * durable records the segment file has not taken yet. A batch (an
 * ADD_ENTRIES request) is kept as it came, one {@link EntryRun}: one
 * buffer of back-to-back records and the end of each, not a map entry, a
 * buffer view and a decoded object per entry, which were most of a
 * storage node's cost per add. A lone add, a fence or a replayed record is
 * kept one by one beside the runs. A record of a run is decoded only when
 * someone asks for it (a read of an entry not in the file yet).
 */
import { decodeRecord, type DecodedRecord } from './record.js';

/** Consecutive entry records of one segment, back to back in one buffer. */
export interface EntryRun {
  readonly segmentId: number;
  /** The entry id of the first record. */
  readonly first: number;
  /** Records in the run, at least one. */
  readonly count: number;
  readonly bytes: Buffer;
  /** Where record i ends in {@link bytes}. */
  readonly ends: Uint32Array;
  /** While queued for the journal: settles once the run is durable (a second add of the same bytes waits for it). */
  done?: Promise<void>;
}

/** A record with what indexing it needs (the same shape as segment.ts's SegmentRecord). */
export interface HeldRecord {
  readonly record: Buffer;
  readonly decoded: DecodedRecord;
}

/** Record i of `run`, as a view into its buffer. */
export function runRecord(run: EntryRun, i: number): Buffer {
  return run.bytes.subarray(i === 0 ? 0 : run.ends[i - 1]!, run.ends[i]!);
}

/**
 * Held records by key (an entry id; -1 for a fence): the map operations
 * the segment's read and write paths use, over runs and single records.
 */
export class HeldRecords<T extends HeldRecord = HeldRecord> {
  private readonly singles = new Map<number, T>();
  private runs: EntryRun[] = [];
  private runEntries = 0;
  private heldBytes = 0;

  /** Records held. */
  get size(): number {
    return this.singles.size + this.runEntries;
  }

  /** Bytes of the records held. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Whether nothing is held in runs (only single records, if any). */
  get noRuns(): boolean {
    return this.runs.length === 0;
  }

  set(key: number, record: T): void {
    this.heldBytes += record.record.length - (this.singles.get(key)?.record.length ?? 0);
    this.singles.set(key, record);
  }

  /** Holds a run; its entries must not be held already. */
  addRun(run: EntryRun): void {
    this.runs.push(run);
    this.runEntries += run.count;
    this.heldBytes += run.bytes.length;
  }

  /** Stops holding `run` (this very object); false when it was not held. */
  removeRun(run: EntryRun): boolean {
    const i = this.runs.indexOf(run);
    if (i < 0) return false;
    this.runs.splice(i, 1);
    this.runEntries -= run.count;
    this.heldBytes -= run.bytes.length;
    return true;
  }

  has(key: number): boolean {
    return this.singles.has(key) || this.runOf(key) !== undefined;
  }

  /** The single record under `key` (undefined for a run's entry). */
  single(key: number): T | undefined {
    return this.singles.get(key);
  }

  /** The record under `key`; a run's entry is decoded now. */
  get(key: number): HeldRecord | undefined {
    const one = this.singles.get(key);
    if (one !== undefined) return one;
    const run = this.runOf(key);
    if (run === undefined) return undefined;
    const record = runRecord(run, key - run.first);
    return { record, decoded: decodeRecord(record, 0) };
  }

  /** The record bytes under `key`, not decoded. */
  bytesOf(key: number): Buffer | undefined {
    const one = this.singles.get(key);
    if (one !== undefined) return one.record;
    const run = this.runOf(key);
    return run === undefined ? undefined : runRecord(run, key - run.first);
  }

  /** The run holding entry `key`, if any. */
  runOf(key: number): EntryRun | undefined {
    for (const run of this.runs) if (key >= run.first && key < run.first + run.count) return run;
    return undefined;
  }

  /** Whether a run holds any entry of [first, first + count). */
  runOverlaps(first: number, count: number): boolean {
    for (const run of this.runs) if (first < run.first + run.count && run.first < first + count) return true;
    return false;
  }

  /** Forgets a single record; false when `key` is not one (a run's entries go with their run). */
  delete(key: number): boolean {
    const one = this.singles.get(key);
    if (one === undefined) return false;
    this.heldBytes -= one.record.length;
    return this.singles.delete(key);
  }

  /** Forgets the single record under `key` only if it is still `record` (another may have replaced it). */
  deleteIf(key: number, record: T): void {
    if (this.singles.get(key) === record) this.delete(key);
  }

  *keys(): IterableIterator<number> {
    yield* this.singles.keys();
    for (const run of this.runs) for (let i = 0; i < run.count; i++) yield run.first + i;
  }

  /** What is held now: the single records with their keys, and the runs. */
  snapshot(): { singles: [number, T][]; runs: EntryRun[] } {
    return { singles: [...this.singles], runs: [...this.runs] };
  }
}
