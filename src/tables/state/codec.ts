/**
 * The transaction entry codec: what a tables transaction puts in the log.
 *
 * An entry is a MessagePack array `[1, id, reads, writes]`:
 * - `id`: the origin's transaction id (`<identifier>/<n>`), so the node
 *   that sent it recognises its own entry when it applies it;
 * - `reads`: `[table, key, segmentId, entryId]` per row read, the version
 *   the transaction saw (the position that last wrote the row; segmentId
 *   and entryId -1 for a row that was absent);
 * - `writes`: row effects, `[0, table, row]` (put) or `[1, table, key]`
 *   (delete). Effects, never statements: applying them needs no clock,
 *   random number or anything else that could differ between nodes.
 *
 * Values are encoded without msgpackr's records or structured clones, so
 * the bytes depend on the value alone and no class is built from the wire.
 */
import { Packr } from 'msgpackr';
import { CorruptTransactionError } from '../errors.js';

/** A row's key: a string or a finite number. */
export type RowKey = string | number;

/** A row: a plain object whose table's `key` field holds its {@link RowKey}. */
export type Row = Readonly<Record<string, unknown>>;

/** The position that last wrote a row: `{ segmentId, entryId }` of its log entry, or -1 for an absent row. */
export type RowVersion = { readonly segmentId: number; readonly entryId: number } | -1;

/** A row a transaction read and the version it saw. */
export interface ReadItem {
  readonly table: string;
  readonly key: RowKey;
  readonly version: RowVersion;
}

/** A row effect of a transaction. */
export type WriteEffect =
  | { readonly op: 'put'; readonly table: string; readonly row: Row }
  | { readonly op: 'delete'; readonly table: string; readonly key: RowKey };

/** A transaction as the log carries it. */
export interface TransactionEntry {
  /** The origin's id for it (`<identifier>/<n>`); '' for the primary's own no-op entries. */
  readonly id: string;
  readonly reads: readonly ReadItem[];
  readonly writes: readonly WriteEffect[];
}

const FORMAT = 1;

const packr = new Packr({
  useRecords: false,
  structuredClone: false,
  moreTypes: false,
  mapsAsObjects: true,
  variableMapSize: true,
});

/** The deterministic MessagePack bytes of a value (rows, snapshot bodies). */
export function encodeValue(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes bytes of {@link encodeValue}. Throws on malformed input. */
export function decodeValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

const versionTuple = (v: RowVersion): [number, number] => (v === -1 ? [-1, -1] : [v.segmentId, v.entryId]);

/** Encodes a transaction entry for the log. */
export function encodeEntry(entry: TransactionEntry): Buffer {
  return encodeValue([
    FORMAT,
    entry.id,
    entry.reads.map((r) => [r.table, r.key, ...versionTuple(r.version)]),
    entry.writes.map((w) => (w.op === 'put' ? [0, w.table, w.row] : [1, w.table, w.key])),
  ]);
}

const isKey = (k: unknown): k is RowKey => typeof k === 'string' || (typeof k === 'number' && Number.isFinite(k));
const isInt = (n: unknown): n is number => Number.isInteger(n);

/** Decodes a log entry; CorruptTransactionError when it is not one {@link encodeEntry} wrote. */
export function decodeEntry(bytes: Uint8Array): TransactionEntry {
  let raw: unknown;
  try {
    raw = decodeValue(bytes);
  } catch (err) {
    throw new CorruptTransactionError(`tables entry: not MessagePack (${(err as Error).message})`, { cause: err });
  }
  const bad = (why: string): never => {
    throw new CorruptTransactionError(`tables entry: ${why}`);
  };
  if (!Array.isArray(raw) || raw.length !== 4) return bad('not a [format, id, reads, writes] array');
  const [format, id, reads, writes] = raw as unknown[];
  if (format !== FORMAT) return bad(`unknown format ${String(format)}`);
  if (typeof id !== 'string') return bad('id is not a string');
  if (!Array.isArray(reads) || !Array.isArray(writes)) return bad('reads or writes is not an array');
  const readItems = reads.map((r: unknown): ReadItem => {
    if (!Array.isArray(r) || r.length !== 4 || typeof r[0] !== 'string' || !isKey(r[1]) || !isInt(r[2]) || !isInt(r[3])) {
      return bad('malformed read');
    }
    return { table: r[0], key: r[1], version: r[2] === -1 ? -1 : { segmentId: r[2], entryId: r[3] } };
  });
  const effects = writes.map((w: unknown): WriteEffect => {
    if (!Array.isArray(w) || w.length !== 3 || typeof w[1] !== 'string') return bad('malformed write');
    if (w[0] === 0 && w[2] !== null && typeof w[2] === 'object' && !Array.isArray(w[2])) return { op: 'put', table: w[1], row: w[2] as Row };
    if (w[0] === 1 && isKey(w[2])) return { op: 'delete', table: w[1], key: w[2] };
    return bad('malformed write');
  });
  return { id, reads: readItems, writes: effects };
}
