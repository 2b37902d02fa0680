import type { DataNode } from './data-node.js';
import { QUOTA_LIMITS, QUOTA_ROOT, QUOTA_STATS, formatStatsTrack, parseStatsTrack } from './quota-stats.js';
import { childName, parentPath } from './tree-keys.js';

/** What the quota bookkeeping reads of the data tree. */
export interface QuotaHost {
  get(path: string): DataNode | undefined;
  /** The tree's hook, called before a node's fields change in place (a snapshot in progress keeps the old state). */
  readonly beforeChange: ((node: DataNode) => void) | null;
}

/**
 * The real path a quota node's parent stands for, as ZooKeeper's path trie
 * sees it ("/zookeeper/quota/a/b" → "/a/b"), or null for the quota root.
 */
function quotaTarget(quotaParent: string): string | null {
  const parts = quotaParent.slice(QUOTA_ROOT.length).split('/').filter((p) => p.trim() !== '');
  return parts.length === 0 ? null : '/' + parts.join('/');
}

/**
 * ZooKeeper's quota bookkeeping (org.apache.zookeeper.Quotas) over the data
 * tree: which paths have a quota, and the zookeeper_stats nodes kept up to
 * date as nodes under them change. The quota nodes' names and text are in
 * quota-stats.ts. Like ZooKeeper, limits are recorded, never enforced.
 */
export class QuotaTracker {
  /**
   * Paths with a quota, ZooKeeper's pTrie: added when a zookeeper_limits node
   * is created, removed with every path below it when one is deleted.
   */
  private readonly quotaPaths = new Set<string>();

  constructor(private readonly tree: QuotaHost) {}

  /** A node was restored from a snapshot: a zookeeper_limits node gives its target a quota. */
  restored(path: string): void {
    if (path.startsWith(QUOTA_ROOT) && childName(path) === QUOTA_LIMITS) {
      const target = quotaTarget(parentPath(path));
      if (target !== null) this.quotaPaths.add(target);
    }
  }

  /** A node of `dataLength` bytes was created at `path` (a quota node, or one under a quota). */
  created(path: string, dataLength: number): void {
    const parentKey = parentPath(path);
    if (parentKey.startsWith(QUOTA_ROOT)) {
      const target = quotaTarget(parentKey);
      const name = childName(path);
      if (target !== null && name === QUOTA_LIMITS) this.quotaPaths.add(target);
      if (target !== null && name === QUOTA_STATS) this.recount(target);
    }
    this.update(path, dataLength, 1);
  }

  /** The node at `path`, of `dataLength` bytes, was deleted. */
  deleted(path: string, dataLength: number): void {
    if (childName(path) === QUOTA_LIMITS && path.startsWith('/zookeeper/')) {
      const target = quotaTarget(parentPath(path));
      // ZooKeeper's PathTrie.deletePath drops the whole subtrie: quotas below go too.
      if (target !== null) {
        for (const q of this.quotaPaths) if (q === target || q.startsWith(target + '/')) this.quotaPaths.delete(q);
      }
    }
    this.update(path, -dataLength, -1);
  }

  /** The value of the node at `path` changed size by `bytesDiff`. */
  resized(path: string, bytesDiff: number): void {
    this.update(path, bytesDiff, 0);
  }

  /** The deepest path with a quota that is `path` or above it (ZooKeeper's getMaxPrefixWithQuota), if any. */
  private prefixOf(path: string): string | null {
    if (this.quotaPaths.size === 0) return null;
    for (let p = path; p.length > 0; p = parentPath(p)) {
      if (this.quotaPaths.has(p)) return p;
    }
    return null;
  }

  /**
   * A node under a quota changed: its zookeeper_stats node's count and bytes
   * move by the diffs. Like ZooKeeper, the stats node's data is replaced in
   * place (no new version or mzxid).
   */
  private update(path: string, bytesDiff: number, countDiff: number): void {
    const prefix = this.prefixOf(path);
    if (prefix === null) return;
    const statNode = this.tree.get(`${QUOTA_ROOT}${prefix}/${QUOTA_STATS}`);
    if (!statNode) return;
    const stats = parseStatsTrack(statNode.data);
    stats.set('count', (stats.get('count') ?? -1) + countDiff);
    stats.set('bytes', (stats.get('bytes') ?? -1) + bytesDiff);
    this.tree.beforeChange?.(statNode);
    statNode.data = formatStatsTrack(stats);
  }

  /** A zookeeper_stats node was created: it starts with the count and bytes of the whole subtree. */
  private recount(target: string): void {
    const statNode = this.tree.get(`${QUOTA_ROOT}${target}/${QUOTA_STATS}`);
    if (!statNode) return;
    let count = 0;
    let bytes = 0;
    const visit = (path: string): void => {
      const node = this.tree.get(path);
      if (!node) return;
      count += 1;
      bytes += node.dataLength;
      if (node.children) for (const name of node.children) visit(path + '/' + name);
    };
    visit(target);
    this.tree.beforeChange?.(statNode);
    statNode.data = formatStatsTrack(new Map([['count', count], ['bytes', bytes]]));
  }
}
