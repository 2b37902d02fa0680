/**
 * Reading the contenders of a lock-shaped recipe (Lock, ReadLock/WriteLock,
 * Election, LeaderLatch, LeaderSelector): their nodes in queue order, each
 * with its identifier (the node's data) and the session that owns it. The
 * node names are parsed by the recipes' own `contenderPattern` and
 * `sortContenders`.
 */
import { joinPath } from '../../../base/path.js';
import type { Client } from '../../../client/index.js';
import { unlessGone } from '../../absent.js';
import { contenderPattern, sortContenders } from '../../../recipes/lock.js';

/** One contender node, in queue order. */
export interface ContenderView {
  readonly node: string;
  readonly identifier: string;
  /** The owning session, `0x...` (an ephemeral node's ephemeralOwner). */
  readonly session: string;
}

/** The contenders under `path` whose names end in one of `names` and a sequence; nodes gone meanwhile are left out. */
export async function readContenders(client: Client, path: string, names: readonly string[]): Promise<ContenderView[]> {
  const sorted = sortContenders(await client.getChildren(path), contenderPattern(names));
  const views = await Promise.all(
    sorted.map(async ({ name }) => {
      const read = await unlessGone(client.getData(joinPath(path, name)), undefined);
      if (read === undefined) return undefined;
      return { node: name, identifier: read.data === null ? '' : read.data.toString('utf8'), session: `0x${read.stat.ephemeralOwner.toString(16)}` };
    }),
  );
  return views.filter((v): v is ContenderView => v !== undefined);
}

/**
 * A contender as one line: `role  identifier  (session 0x.., node n)`;
 * `after` adds parts after the session (`host ...`), `end` after the node.
 */
export function contenderLine(c: ContenderView, role: string, after: readonly string[] = [], end: readonly string[] = []): string {
  const parts = [`session ${c.session}`, ...after, `node ${c.node}`, ...end];
  return `  ${role.padEnd(8)} ${c.identifier === '' ? '-' : c.identifier}  (${parts.join(', ')})\n`;
}
