/**
 * The default E/W/A of a tables log whose nodes host its storage nodes
 * (docs/tables.md, "Deployment").
 *
 * The log fixes its quorums when it is created (the first primary's
 * openLog); every later segment has the same. A segment's writer
 * acknowledges nothing past a failed ensemble member until another live
 * storage node has replaced it in the metadata (src/log/writer), and a new
 * primary needs E live nodes to open its segment. So with one storage node
 * per tables process, E must stay below the number of processes for the
 * cluster to keep writing when one of them dies: the spare takes its place.
 *
 *   hosting nodes n   E/W/A
 *   1                 1/1/1   one process works alone
 *   2, 3              2/2/2   every entry on two disks; three processes go on when one dies
 *   4 or more         3/3/2   BookKeeper's default, with a spare
 *
 * n is the number of declared `members` when the tables declare them
 * (deterministic: declare them for a cluster), else the number of live
 * storage nodes when the log is created (a cluster that first starts one
 * process alone gets 1/1/1 for good). E/W/A given in `log` win; with
 * `logNode: false` (external storage nodes) the log's own default, 3/3/2,
 * applies.
 */
import type { Client } from '../../client/index.js';
import { NoNodeError } from '../../errors.js';
import { NODES_PATH } from '../../log/index.js';
import type { TablesLogOptions } from '../primary.js';
import type { TablesLogNodeOptions } from './options.js';

/** E/W/A. */
export interface Quorums {
  readonly ensembleSize: number;
  readonly writeQuorum: number;
  readonly ackQuorum: number;
}

/** The quorums for `n` hosting nodes (see the table above). */
export function quorumsFor(n: number): Quorums {
  if (n <= 1) return { ensembleSize: 1, writeQuorum: 1, ackQuorum: 1 };
  if (n <= 3) return { ensembleSize: 2, writeQuorum: 2, ackQuorum: 2 };
  return { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };
}

/** The E/W/A a tables log is opened with: `log`'s own when it gives any, else the rule above; `{}` (the log's default) with external nodes. */
export async function tablesQuorums(
  client: Client,
  options: { readonly members?: Readonly<Record<string, number>>; readonly log?: TablesLogOptions; readonly logNode?: TablesLogNodeOptions | false },
): Promise<Partial<Quorums>> {
  const { log, members, logNode } = options;
  if (log?.ensembleSize !== undefined || log?.writeQuorum !== undefined || log?.ackQuorum !== undefined || logNode === false) return {};
  if (members !== undefined) return quorumsFor(Object.keys(members).length);
  try {
    return quorumsFor((await client.getChildren(NODES_PATH)).length);
  } catch (error) {
    if (error instanceof NoNodeError) return quorumsFor(1);
    throw error;
  }
}
