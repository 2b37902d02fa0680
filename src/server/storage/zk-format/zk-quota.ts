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

/** What of a ZkNode the bookkeeping reads and writes (the tree's own nodes). */
interface QuotaNode {
  data: Buffer | null;
  readonly children: ReadonlySet<string>;
}

const QUOTA_ROOT = '/zookeeper/quota';
const ZOOKEEPER_ROOT = '/zookeeper';
const LIMIT_NODE = 'zookeeper_limits';
const STAT_NODE = 'zookeeper_stats';

/** StatsTrack's text, "count=N,bytes=M" then any other keys (after one more "="), parsed leniently. */
function parseStats(data: Buffer | null): Map<string, number> {
  const stats = new Map<string, number>();
  const text = data === null ? '' : data.toString('utf8');
  for (const pair of text.split(/[,;]+/)) {
    const [key, value] = pair.split('=');
    if (key === undefined || key === '') continue;
    const n = value === undefined || value === '' ? -1 : Number(value);
    stats.set(key, Number.isFinite(n) ? n : -1);
  }
  return stats;
}

function formatStats(stats: Map<string, number>): Buffer {
  let text = `count=${stats.get('count') ?? -1},bytes=${stats.get('bytes') ?? -1}`;
  const rest = [...stats.keys()].filter((k) => k !== 'count' && k !== 'bytes').sort();
  if (rest.length > 0) text += '=' + rest.map((k) => `;${k}=${stats.get(k)}`).join('');
  return Buffer.from(text, 'utf8');
}

const statPath = (target: string) => `${QUOTA_ROOT}${target}/${STAT_NODE}`;
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
      if (!path.endsWith(`/${LIMIT_NODE}`)) continue;
      // ZooKeeper cuts at the first "/zookeeper_limits", as this does.
      const target = path.slice(QUOTA_ROOT.length, path.indexOf(`/${LIMIT_NODE}`));
      this.recount(target);
      this.paths.add(target);
    }
  }

  /** A node was created: quota nodes register or recount, then the deepest quota above counts it. */
  created(path: string, data: Buffer | null): void {
    const parent = parentOf(path);
    if (parent.startsWith(QUOTA_ROOT)) {
      const target = parent.slice(QUOTA_ROOT.length);
      if (childOf(path) === LIMIT_NODE) this.paths.add(target);
      if (childOf(path) === STAT_NODE) this.recount(target);
    }
    this.update(path, data?.length ?? 0, 1);
  }

  /** A node was deleted: a limits node drops its quota and every quota below it (PathTrie.deletePath). */
  deleted(path: string, data: Buffer | null): void {
    const parent = parentOf(path);
    if (parent.startsWith(ZOOKEEPER_ROOT) && childOf(path) === LIMIT_NODE) {
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
    const stats = parseStats(stat.data);
    stats.set('count', (stats.get('count') ?? -1) + countDiff);
    stats.set('bytes', (stats.get('bytes') ?? -1) + bytesDiff);
    stat.data = formatStats(stats);
  }
}
