/**
 * Snapshots of the applied state: every row with its version, the position
 * and the rolling checksum, so a node can load it and follow the log from
 * the next position. Layout: MessagePack `[1, segmentId, entryId, checksum,
 * [[table, [[row, segmentId, entryId], ...]], ...]]` (tables by name, rows
 * by key, so equal states give equal bytes), followed by the SHA-256 of
 * those bytes (32 bytes). A snapshot whose digest or layout is wrong is
 * refused with CorruptSnapshotError: nothing is loaded.
 */
import { createHash } from 'node:crypto';
import { CorruptSnapshotError } from '../errors.js';
import { decodeValue, encodeValue, type Row } from './codec.js';
import { TablesState, type Position } from './store.js';

const FORMAT = 1;
const DIGEST_BYTES = 32;

/** Encodes `state` as a snapshot. */
export function encodeSnapshot(state: TablesState): Buffer {
  const tables = Object.keys(state.definitions)
    .sort()
    .map((table) => [table, state.rows(table).map((r) => [r.row, r.version.segmentId, r.version.entryId])]);
  const body = encodeValue([FORMAT, state.position?.segmentId ?? -1, state.position?.entryId ?? -1, state.checksum, tables]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/** A snapshot's contents, checked but not loaded into a state. */
export interface SnapshotContents {
  readonly position: Position | null;
  readonly checksum: string;
  /** Per table (by name), its rows with their versions, sorted by key. */
  readonly tables: readonly (readonly [string, readonly (readonly [Row, number, number])[]])[];
}

const bad = (why: string): never => {
  throw new CorruptSnapshotError(`snapshot: ${why}`);
};

/** Checks a snapshot's digest and layout and returns what it holds; CorruptSnapshotError when it fails. */
export function readSnapshot(bytes: Uint8Array): SnapshotContents {
  if (bytes.length <= DIGEST_BYTES) throw new CorruptSnapshotError(`snapshot: ${bytes.length} bytes is too short`);
  const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(bytes.subarray(bytes.length - DIGEST_BYTES))) throw new CorruptSnapshotError('snapshot: checksum mismatch (the snapshot is corrupt)');
  const raw = decodeValue(body);
  if (!Array.isArray(raw) || raw.length !== 5 || raw[0] !== FORMAT) return bad('unknown format');
  const [, segmentId, entryId, checksum, tables] = raw as [number, number, number, string, [string, [Row, number, number][]][]];
  if (!Array.isArray(tables) || typeof checksum !== 'string' || !Number.isInteger(segmentId) || !Number.isInteger(entryId)) return bad('malformed body');
  return { position: segmentId === -1 ? null : { segmentId, entryId }, checksum, tables };
}

/** Decodes a snapshot into a new state for `definitions`; CorruptSnapshotError when it fails its checks. */
export function decodeSnapshot(bytes: Uint8Array, definitions: TablesState['definitions']): TablesState {
  const { position, checksum, tables } = readSnapshot(bytes);
  const state = new TablesState(definitions);
  for (const [table, rows] of tables) {
    const def = definitions[table];
    if (def === undefined) return bad(`table ${table} is not declared here`);
    for (const [row, seg, entry] of rows) state.put(table, row[def.key] as string | number, row, { segmentId: seg, entryId: entry });
  }
  state.position = position;
  state.checksum = checksum;
  return state;
}
