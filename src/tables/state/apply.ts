/**
 * Applying one log entry to the state: a pure function of (bytes, position,
 * state) that every node runs in log order, so every node reaches the same
 * outcome without talking to the others (rqlite's command processor, apart
 * from its consensus adapter).
 *
 * The outcome is decided from the entry and the state alone:
 * - `rejected` when the entry breaks a rule every node checks the same way
 *   (unknown table, a row without a valid key, a row over maxRowBytes): the
 *   origin checked it before sending, so only a node with different table
 *   definitions sends one. Nothing is written.
 * - `conflict` when a row it read has another version now (the first such
 *   row, in read order). Nothing is written.
 * - `committed` otherwise: every write applied at `position`.
 * Only an entry that cannot be decoded throws (CorruptTransactionError): a
 * corrupt log must stop the node rather than let it guess.
 *
 * Each applied entry extends the rolling checksum: SHA-256 over the previous
 * checksum, the position, the entry's bytes and the outcome.
 */
import { createHash } from 'node:crypto';
import { HerdError } from '../../errors.js';
import { decodeEntry, type Row, type RowKey, type RowVersion } from './codec.js';
import { checkKey, checkRow, tableDefinition } from './definitions.js';
import { comparePosition, type Position, type TablesState } from './store.js';

/** One row change made by a committed entry. */
export interface Change {
  /** The position of the entry that made it. */
  readonly position: Position;
  /** The table of the row. */
  readonly table: string;
  /** The row's key. */
  readonly key: RowKey;
  /** What happened to the row. */
  readonly op: 'put' | 'delete';
  /** The row after a put; undefined after a delete. */
  readonly row: Row | undefined;
  /** The row before, undefined when there was none. */
  readonly previous: Row | undefined;
}

/** Why an entry was rejected: the name, code and message of the error its origin raises. */
export interface RejectionInfo {
  /** The error class name (e.g. `RowTooLargeError`). */
  readonly name: string;
  /** Its code. */
  readonly code: string;
  /** Its message. */
  readonly message: string;
}

/** The outcome of applying an entry; `id` is the origin's transaction id. */
export type ApplyResult =
  | { readonly outcome: 'committed'; readonly position: Position; readonly id: string; readonly changes: readonly Change[] }
  | { readonly outcome: 'conflict'; readonly position: Position; readonly id: string; readonly table: string; readonly key: RowKey }
  | { readonly outcome: 'rejected'; readonly position: Position; readonly id: string; readonly error: RejectionInfo };

const sameVersion = (seen: RowVersion, now: Position | undefined): boolean =>
  seen === -1 ? now === undefined : now !== undefined && comparePosition(seen, now) === 0;

/** Applies the entry `bytes` at `position` to `state` and returns the outcome. Positions must increase. */
export function apply(bytes: Uint8Array, position: Position, state: TablesState): ApplyResult {
  if (state.position !== null && comparePosition(position, state.position) <= 0) {
    throw new Error(`tables apply: position ${position.segmentId}:${position.entryId} is not after ${state.position.segmentId}:${state.position.entryId}`);
  }
  const entry = decodeEntry(bytes);
  const result = decide(entry, position, state);
  state.checksum = nextChecksum(state.checksum, position, bytes, result.outcome);
  state.position = position;
  return result;
}

function decide(entry: ReturnType<typeof decodeEntry>, position: Position, state: TablesState): ApplyResult {
  const { id } = entry;
  const keys: RowKey[] = [];
  try {
    for (const r of entry.reads) {
      tableDefinition(state.definitions, r.table);
      checkKey(r.table, r.key);
    }
    for (const w of entry.writes) {
      if (w.op === 'put') keys.push(checkRow(state.definitions, w.table, w.row));
      else {
        tableDefinition(state.definitions, w.table);
        checkKey(w.table, w.key);
        keys.push(w.key);
      }
    }
  } catch (err) {
    if (!(err instanceof HerdError)) throw err;
    return { outcome: 'rejected', position, id, error: { name: err.name, code: err.code, message: err.message } };
  }
  for (const r of entry.reads) {
    if (!sameVersion(r.version, state.get(r.table, r.key)?.version)) return { outcome: 'conflict', position, id, table: r.table, key: r.key };
  }
  const changes = entry.writes.map((w, i): Change => {
    const key = keys[i]!;
    const previous = state.get(w.table, key)?.row;
    if (w.op === 'put') state.put(w.table, key, w.row, position);
    else state.delete(w.table, key);
    return { position, table: w.table, key, op: w.op, row: w.op === 'put' ? w.row : undefined, previous };
  });
  return { outcome: 'committed', position, id, changes };
}

const OUTCOME_BYTE = { committed: 1, conflict: 2, rejected: 3 } as const;

/** The rolling checksum after applying `bytes` at `position` with `outcome`. */
export function nextChecksum(previous: string, position: Position, bytes: Uint8Array, outcome: ApplyResult['outcome']): string {
  const header = Buffer.alloc(17);
  header.writeDoubleBE(position.segmentId, 0);
  header.writeDoubleBE(position.entryId, 8);
  header.writeUInt8(OUTCOME_BYTE[outcome], 16);
  return createHash('sha256').update(Buffer.from(previous, 'hex')).update(header).update(bytes).digest('hex');
}
