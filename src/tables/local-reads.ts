/**
 * `db.local`: synchronous reads of this node's copy, the hot path of a
 * tables node (a routing table or a feature flag read on every request).
 *
 * A read that needs no check beyond "is this a declared table and a valid
 * key" costs two Map lookups, the table's and the row's: the table's rows
 * are resolved once per state (store.ts `tableRows`, which maps a key to
 * the row itself, its version kept apart), and whether the node serves
 * reads at all is one flag, recomputed when it changes (a snapshot
 * installed, divergence or its end, close) rather than rechecked per read. Anything else (an unknown
 * table, a bad key, `maxStaleness`, a node not serving) takes the checked
 * path, which throws the typed errors.
 */
import { isStaleRead } from './applied.js';
import type { Clock } from '../base/clock.js';
import { StaleReadError } from './errors.js';
import type { LocalReadOptions, LocalReads } from './options.js';
import type { Row, RowKey } from './state/codec.js';
import { checkIndex, checkKey, tableDefinition } from './state/definitions.js';
import type { IndexQuery, Position, TablesState } from './state/store.js';

/** What the reader reads of its node (core.ts's NodeCore; declared here so the two files do not import each other). */
export interface LocalReaderHost {
  readonly name: string;
  readonly client: { readonly clock: Clock };
  readonly state: TablesState;
  readonly closed: boolean;
  readonly diverged: Error | undefined;
  readonly newest: Position | null;
  readonly behindSince: number | undefined;
  /** Throws unless the node serves reads. */
  checkServing(): void;
}

/** The local reads of one node. */
export class LocalReader implements LocalReads {
  private handles = new Map<string, ReadonlyMap<RowKey, Row>>();
  // The table read last and its rows: a hot loop reads one table, and comparing the name it passes
  // (the same string each time) costs less than looking it up.
  private lastTable!: string;
  private lastRows!: ReadonlyMap<RowKey, Row>;
  /** Not closed and not diverged: what checkServing would let through. */
  private serving = false;

  constructor(private readonly core: LocalReaderHost) {}

  /** Resolves the handles and the serving flag again: the state was replaced, the node diverged or recovered, or closed. */
  refresh(): void {
    const { state, closed, diverged } = this.core;
    this.serving = !closed && diverged === undefined;
    this.handles = new Map(Object.keys(state.definitions).map((table) => [table, state.tableRows(table)!]));
    // Any declared table (there is at least one): never a name that is not.
    [[this.lastTable, this.lastRows]] = this.handles;
  }

  // Arrow properties, so `const { get } = db.local` works as it always did.
  readonly get = (table: string, key: RowKey, options?: LocalReadOptions): Row | undefined => {
    if (this.serving && options?.maxStaleness === undefined && (typeof key === 'string' || Number.isFinite(key))) {
      if (table === this.lastTable) return this.lastRows.get(key);
      const rows = this.handles.get(table);
      if (rows !== undefined) {
        this.lastTable = table;
        this.lastRows = rows;
        return rows.get(key);
      }
    }
    return this.checkedGet(table, key, options);
  };

  readonly query = (table: string, query: IndexQuery, options?: LocalReadOptions): Row[] => {
    checkIndex(this.core.state.definitions, table, query?.index);
    this.check(options);
    return this.core.state.query(table, query).map((r) => r.row);
  };

  private checkedGet(table: string, key: RowKey, options: LocalReadOptions | undefined): Row | undefined {
    const state = this.core.state;
    tableDefinition(state.definitions, table);
    checkKey(table, key);
    this.check(options);
    return state.get(table, key)?.row;
  }

  /** The checks of a local read, synchronous (they wait for nothing). */
  private check(options: LocalReadOptions | undefined): void {
    const core = this.core;
    core.checkServing();
    const maxStaleness = options?.maxStaleness;
    if (maxStaleness !== undefined) {
      const input = { applied: core.state.position, newest: core.newest, behindSince: core.behindSince, now: core.client.clock.now(), maxStaleness };
      if (isStaleRead(input)) throw new StaleReadError(`tables ${core.name}: this node has been behind for more than ${maxStaleness} ms`);
    }
  }
}
