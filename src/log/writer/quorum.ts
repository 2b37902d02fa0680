/**
 * The quorum rules of one ensemble, pure (BookKeeper's DistributionSchedule):
 * which nodes may still let an ack quorum form, and picking nodes for a new
 * ensemble. Entry e goes to W nodes of its ensemble starting at index
 * e mod E (records.ts: writeSetOf), so an ensemble has E distinct write sets.
 */
import { NotEnoughNodesError } from '../errors.js';
import type { Quorums } from '../metadata/records.js';

/**
 * True when some write set of the ensemble `nodes` still has A nodes among
 * `open` (nodes that did not confirm a fence, or did not say "no entry"):
 * a writer could still get an entry acknowledged there.
 */
export function ackQuorumCanForm(q: Quorums, nodes: readonly string[], open: ReadonlySet<string>): boolean {
  for (let start = 0; start < nodes.length; start++) {
    let count = 0;
    for (let i = 0; i < q.writeQuorum; i++) if (open.has(nodes[(start + i) % nodes.length]!)) count++;
    if (count >= q.ackQuorum) return true;
  }
  return false;
}

/**
 * `count` node ids picked at random from `live`, none of `exclude`. Throws
 * NotEnoughNodesError when there are too few.
 */
export function pickNodes(live: readonly string[], count: number, exclude: ReadonlySet<string>, what: string): string[] {
  const candidates = live.filter((id) => !exclude.has(id));
  if (candidates.length < count) {
    throw new NotEnoughNodesError(`${what}: needs ${count} live storage node(s) besides [${[...exclude].join(', ')}], found ${candidates.length}`);
  }
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  return candidates.slice(0, count);
}
