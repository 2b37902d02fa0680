/**
 * `db.local`: synchronous reads of this node's copy, the hot path of a
 * tables node (a routing table or a feature flag read on every request).
 */
import { isStaleRead } from './applied.js';
import type { NodeCore } from './core.js';
import { StaleReadError } from './errors.js';
import type { LocalReadOptions, LocalReads } from './options.js';
import type { Row, RowKey } from './state/codec.js';
import { checkIndex, checkKey, tableDefinition } from './state/definitions.js';
import type { IndexQuery } from './state/store.js';

/** The local reads of one node. */
export class LocalReader implements LocalReads {
  constructor(private readonly core: NodeCore) {}

  /** Called when the state is replaced, the node diverges or recovers, or closes. */
  refresh(): void {}

  // Arrow properties, so `const { get } = db.local` works as it always did.
  readonly get = (table: string, key: RowKey, options?: LocalReadOptions): Row | undefined => {
    const core = this.core;
    tableDefinition(core.state.definitions, table);
    checkKey(table, key);
    this.check(options);
    return core.state.get(table, key)?.row;
  };

  readonly query = (table: string, query: IndexQuery, options?: LocalReadOptions): Row[] => {
    checkIndex(this.core.state.definitions, table, query?.index);
    this.check(options);
    return this.core.state.query(table, query).map((r) => r.row);
  };

  /** The checks of a local read, synchronous (they wait for nothing). */
  check(options: LocalReadOptions | undefined): void {
    const core = this.core;
    core.checkServing();
    const maxStaleness = options?.maxStaleness;
    if (maxStaleness !== undefined) {
      const input = { applied: core.state.position, newest: core.newest, behindSince: core.behindSince, now: core.client.clock.now(), maxStaleness };
      if (isStaleRead(input)) throw new StaleReadError(`tables ${core.name}: this node has been behind for more than ${maxStaleness} ms`);
    }
  }
}
