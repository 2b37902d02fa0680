/**
 * The applied state of a tables node: rows with their versions, the
 * secondary indexes, and the position and rolling checksum of the last
 * applied entry. One small object; only {@link apply} (apply.ts) and a
 * snapshot load (snapshot.ts) change it.
 */
import { compareValues, type TableDefinitions } from './definitions.js';
import type { Row, RowKey } from './codec.js';

/** A log position: `{ segmentId, entryId }` (the log layer's LogPosition). */
export interface Position {
  /** The log segment. */
  readonly segmentId: number;
  /** The entry within the segment. */
  readonly entryId: number;
}

/** A row as stored, with the position of the entry that last wrote it. */
export interface StoredRow {
  readonly row: Row;
  readonly version: Position;
}

/** An index query: equality, or a half-open range `[gte, lt)` (either bound optional). */
export type IndexQuery =
  | { readonly index: string; readonly eq: unknown }
  | { readonly index: string; readonly gte?: unknown; readonly lt?: unknown };

/** The checksum of an empty state, before any entry: 64 hex zeros. */
export const INITIAL_CHECKSUM = '0'.repeat(64);

/** Orders positions by segment id, then entry id (as the log's comparePositions). */
export function comparePosition(a: Position, b: Position): number {
  return a.segmentId - b.segmentId || a.entryId - b.entryId;
}

interface IndexEntry {
  readonly value: unknown;
  readonly key: RowKey;
}

const compareEntries = (a: IndexEntry, b: IndexEntry): number => compareValues(a.value, b.value) || compareValues(a.key, b.key);

/** One secondary index: (value, key) pairs kept sorted, searched by bisection. */
class SortedIndex {
  private readonly entries: IndexEntry[] = [];

  /** The first i whose entry is not below `probe`. */
  private lowerBound(probe: (e: IndexEntry) => boolean): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (probe(this.entries[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(entry: IndexEntry): void {
    this.entries.splice(this.lowerBound((e) => compareEntries(e, entry) < 0), 0, entry);
  }

  remove(entry: IndexEntry): void {
    const i = this.lowerBound((e) => compareEntries(e, entry) < 0);
    if (i < this.entries.length && compareEntries(this.entries[i]!, entry) === 0) this.entries.splice(i, 1);
  }

  /** Keys whose value is in `[gte, lt)` (or equal to `eq`), in index order. */
  keys(query: IndexQuery): RowKey[] {
    const [from, below] =
      'eq' in query
        ? [(e: IndexEntry) => compareValues(e.value, query.eq) < 0, (e: IndexEntry) => compareValues(e.value, query.eq) <= 0]
        : [
            (e: IndexEntry) => query.gte !== undefined && compareValues(e.value, query.gte) < 0,
            (e: IndexEntry) => query.lt === undefined || compareValues(e.value, query.lt) < 0,
          ];
    const out: RowKey[] = [];
    for (let i = this.lowerBound(from); i < this.entries.length && below(this.entries[i]!); i++) out.push(this.entries[i]!.key);
    return out;
  }
}

/** One table's rows and their versions, in two maps so a reader's lookup returns the row itself. */
interface TableData {
  readonly rows: Map<RowKey, Row>;
  readonly versions: Map<RowKey, Position>;
}

/** The rows of every table, their indexes, and the last applied position and checksum. */
export class TablesState {
  /** The position of the last applied entry; null before the first. */
  position: Position | null = null;
  /** The rolling checksum after {@link position} (hex SHA-256). */
  checksum = INITIAL_CHECKSUM;
  private readonly tables = new Map<string, TableData>();
  private readonly indexes = new Map<string, Map<string, SortedIndex>>();

  constructor(readonly definitions: TableDefinitions) {
    for (const [name, def] of Object.entries(definitions)) {
      this.tables.set(name, { rows: new Map(), versions: new Map() });
      this.indexes.set(name, new Map((def.indexes ?? []).map((field) => [field, new SortedIndex()])));
    }
  }

  private table(table: string): TableData {
    const data = this.tables.get(table);
    if (data === undefined) throw new Error(`tables state: no table ${table}`); // callers check definitions first
    return data;
  }

  private stored(data: TableData, key: RowKey): StoredRow | undefined {
    const row = data.rows.get(key);
    return row === undefined ? undefined : { row, version: data.versions.get(key)! };
  }

  /**
   * The rows of `table` by key, or undefined for an undeclared table: a
   * handle a reader resolves once (local-reads.ts). It stays live through
   * every later put and delete on this state, not across a replaced state.
   */
  tableRows(table: string): ReadonlyMap<RowKey, Row> | undefined {
    return this.tables.get(table)?.rows;
  }

  /** The row of `key` in `table` with its version, or undefined. */
  get(table: string, key: RowKey): StoredRow | undefined {
    return this.stored(this.table(table), key);
  }

  /** The rows an index query selects, in index order. */
  query(table: string, query: IndexQuery): StoredRow[] {
    const index = this.indexes.get(table)?.get(query.index);
    if (index === undefined) throw new Error(`tables state: no index ${table}.${query.index}`);
    const data = this.table(table);
    return index.keys(query).map((key) => this.stored(data, key)!);
  }

  /** Every row of `table`, sorted by key. */
  rows(table: string): StoredRow[] {
    const def = this.definitions[table]!;
    const data = this.table(table);
    return [...data.rows.keys()].map((key) => this.stored(data, key)!).sort((a, b) => compareValues(a.row[def.key], b.row[def.key]));
  }

  /** Number of rows in `table`. */
  size(table: string): number {
    return this.table(table).rows.size;
  }

  /** Stores `row` under `key` at `version`, updating the indexes. For apply and snapshot loads only. */
  put(table: string, key: RowKey, row: Row, version: Position): void {
    this.delete(table, key);
    const data = this.table(table);
    data.rows.set(key, row);
    data.versions.set(key, version);
    for (const [field, index] of this.indexes.get(table)!) index.insert({ value: row[field], key });
  }

  /** Removes `key`, updating the indexes. For apply only. */
  delete(table: string, key: RowKey): void {
    const data = this.table(table);
    const old = data.rows.get(key);
    if (old === undefined) return;
    data.rows.delete(key);
    data.versions.delete(key);
    for (const [field, index] of this.indexes.get(table)!) index.remove({ value: old[field], key });
  }
}
