/**
 * ZooKeeper's quota bookkeeping as its DataTree does it while it loads and
 * replays (org.apache.zookeeper.Quotas, StatsTrack, the pTrie), so an
 * imported tree's `/zookeeper/quota/<path>/zookeeper_stats` nodes hold what
 * ZooKeeper itself would serve from the same files:
 * - on loading a snapshot, every stats node is recounted from the tree
 *   (DataTree.setupQuota → updateQuotaForPath: count and bytes of the whole
 *   subtree, the path itself included), whatever the snapshot stored;
 * - on replaying the logs, a create, delete or setData below a quota moves
 *   the stats of the deepest quota above it, and creating a stats node
 *   recounts it.
 */

import { QUOTA_LIMITS, QUOTA_ROOT, QUOTA_STATS, formatStatsTrack, parseStatsTrack } from '../../quota-stats.js';

/** What of a ZkNode the bookkeeping reads and writes (the tree's own nodes). */
interface QuotaNode {
  data: Buffer | null;
  readonly children: ReadonlySet<string>;
}

const ZOOKEEPER_ROOT = '/zookeeper';

const statPath = (target: string) => `${QUOTA_ROOT}${target}/${QUOTA_STATS}`;
const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/'));
const childOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The quota bookkeeping of one ZkTree, over its node map. */
export class ZkQuotas {
  /** The paths with a quota (ZooKeeper's pTrie). */
  private readonly paths = new Set<string>();

  constructor(private readonly nodes: ReadonlyMap<string, QuotaNode>) {}

  /** DataTree.setupQuota: every leaf zookeeper_limits node under /zookeeper/quota marks a quota, whose stats are recounted. */
  setup(): void {
    this.paths.clear();
    const stack = [QUOTA_ROOT];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.nodes.get(path);
      if (!node) continue;
      if (node.children.size > 0) {
        for (const child of node.children) stack.push(`${path}/${child}`);
        continue;
      }
      if (!path.endsWith(`/${QUOTA_LIMITS}`)) continue;
      // ZooKeeper cuts at the first "/zookeeper_limits", as this does.
      const target = path.slice(QUOTA_ROOT.length, path.indexOf(`/${QUOTA_LIMITS}`));
      this.recount(target);
      this.paths.add(target);
    }
  }

  /** A node was created: quota nodes register or recount, then the deepest quota above counts it. */
  created(path: string, data: Buffer | null): void {
    const parent = parentOf(path);
    if (parent.startsWith(QUOTA_ROOT)) {
      const target = parent.slice(QUOTA_ROOT.length);
      if (childOf(path) === QUOTA_LIMITS) this.paths.add(target);
      if (childOf(path) === QUOTA_STATS) this.recount(target);
    }
    this.update(path, data?.length ?? 0, 1);
  }

  /** A node was deleted: a limits node drops its quota and every quota below it (PathTrie.deletePath). */
  deleted(path: string, data: Buffer | null): void {
    const parent = parentOf(path);
    if (parent.startsWith(ZOOKEEPER_ROOT) && childOf(path) === QUOTA_LIMITS) {
      const target = parent.slice(QUOTA_ROOT.length);
      for (const q of this.paths) if (q === target || q.startsWith(`${target}/`)) this.paths.delete(q);
    }
    this.update(path, -(data?.length ?? 0), -1);
  }

  /** A node's data changed size. */
  resized(path: string, bytesDiff: number): void {
    this.update(path, bytesDiff, 0);
  }

  /** DataTree.updateQuotaForPath: count and bytes of the subtree at `target`, written over its stats node. */
  private recount(target: string): void {
    const stat = this.nodes.get(statPath(target));
    if (!stat) return;
    let count = 0;
    let bytes = 0;
    const stack = [target];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.nodes.get(path);
      if (!node) continue;
      count++;
      bytes += node.data?.length ?? 0;
      for (const child of node.children) stack.push(`${path}/${child}`);
    }
    stat.data = Buffer.from(`count=${count},bytes=${bytes}`, 'utf8');
  }

  /** DataTree.updateQuotaStat on the deepest quota at or above `path` (none for the root or /). */
  private update(path: string, bytesDiff: number, countDiff: number): void {
    if (this.paths.size === 0) return;
    let prefix: string | null = null;
    for (let p = path; p !== ''; p = parentOf(p)) {
      if (this.paths.has(p)) {
        prefix = p;
        break;
      }
    }
    if (prefix === null || prefix === '/') return;
    const stat = this.nodes.get(statPath(prefix));
    if (!stat) return;
    const stats = parseStatsTrack(stat.data);
    stats.set('count', (stats.get('count') ?? -1) + countDiff);
    stats.set('bytes', (stats.get('bytes') ?? -1) + bytesDiff);
    stat.data = formatStatsTrack(stats);
  }
}
