/**
 * The `tx` a transaction function runs with: reads come from this node's
 * copy and are recorded with the version they saw (the read set); writes
 * are buffered (the write set) and read back by later reads of the same
 * transaction. Nothing is sent until the function returns.
 */
import type { RowVersion, Row, RowKey, TransactionEntry, WriteEffect } from './state/codec.js';
import { checkIndex, checkKey, checkRow, tableDefinition } from './state/definitions.js';
import type { IndexQuery, TablesState } from './state/store.js';

/** What a transaction function may do. Every method checks its table (UnknownTableError) at once. */
export interface Transaction {
  /** The row of `key`, as of this transaction (its own writes included), or undefined. */
  get(table: string, key: RowKey): Promise<Row | undefined>;
  /** Buffers a put of `row` (keyed by its table's key field). Throws SchemaViolationError, RowTooLargeError at once. */
  put(table: string, row: Row): Promise<void>;
  /** Buffers the deletion of `key`. */
  delete(table: string, key: RowKey): Promise<void>;
  /**
   * The rows an index query selects on this node's copy, each recorded in the
   * read set. Rows inserted by others into the range are not detected (no
   * phantom protection): read them by key when it matters.
   */
  query(table: string, query: IndexQuery): Promise<Row[]>;
}

const slot = (table: string, key: RowKey): string => `${table}\u0000${typeof key}\u0000${String(key)}`;

/** The recording transaction of one attempt. */
export class RecordingTransaction implements Transaction {
  private readonly reads = new Map<string, { table: string; key: RowKey; version: RowVersion }>();
  private readonly writes = new Map<string, WriteEffect>();

  constructor(private readonly state: TablesState) {}

  private read(table: string, key: RowKey): Row | undefined {
    const written = this.writes.get(slot(table, key));
    if (written !== undefined) return written.op === 'put' ? written.row : undefined;
    const stored = this.state.get(table, key);
    const s = slot(table, key);
    if (!this.reads.has(s)) this.reads.set(s, { table, key, version: stored?.version ?? -1 });
    return stored?.row;
  }

  async get(table: string, key: RowKey): Promise<Row | undefined> {
    tableDefinition(this.state.definitions, table);
    checkKey(table, key);
    return this.read(table, key);
  }

  async put(table: string, row: Row): Promise<void> {
    const key = checkRow(this.state.definitions, table, row);
    this.writes.set(slot(table, key), { op: 'put', table, row });
  }

  async delete(table: string, key: RowKey): Promise<void> {
    tableDefinition(this.state.definitions, table);
    checkKey(table, key);
    this.writes.set(slot(table, key), { op: 'delete', table, key });
  }

  async query(table: string, query: IndexQuery): Promise<Row[]> {
    checkIndex(this.state.definitions, table, query.index);
    const key = this.state.definitions[table]!.key;
    return this.state.query(table, query).flatMap((r) => {
      const row = this.read(table, r.row[key] as RowKey);
      return row === undefined ? [] : [row];
    });
  }

  /** True when the function neither read nor wrote anything. */
  get empty(): boolean {
    return this.reads.size === 0 && this.writes.size === 0;
  }

  /** The puts, for the schema check before sending. */
  puts(): { table: string; row: Row }[] {
    return [...this.writes.values()].flatMap((w) => (w.op === 'put' ? [{ table: w.table, row: w.row }] : []));
  }

  /** The log entry of this attempt. */
  entry(id: string): TransactionEntry {
    return { id, reads: [...this.reads.values()], writes: [...this.writes.values()] };
  }
}
