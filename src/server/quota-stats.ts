/**
 * ZooKeeper's quota nodes as both Herd's data tree and the ZooKeeper-format
 * importer keep them: where they live and the text of a `zookeeper_stats` /
 * `zookeeper_limits` node (org.apache.zookeeper.StatsTrack).
 */

/** The root of the quota tree: the quota of `/a/b` lives at `/zookeeper/quota/a/b`. */
export const QUOTA_ROOT = '/zookeeper/quota';
/** The child of a quota node holding its limits (set by `setquota`). */
export const QUOTA_LIMITS = 'zookeeper_limits';
/** The child of a quota node holding the subtree's current count and bytes. */
export const QUOTA_STATS = 'zookeeper_stats';

/**
 * StatsTrack's text, "count=N,bytes=M" then any other keys after one more "="
 * (so old parsers ignore them), parsed leniently as ZooKeeper does: a key
 * without a number reads as -1.
 */
export function parseStatsTrack(data: Buffer | null): Map<string, number> {
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

/** The StatsTrack text of `stats`: count and bytes first (-1 when absent), the other keys sorted. */
export function formatStatsTrack(stats: Map<string, number>): Buffer {
  let text = `count=${stats.get('count') ?? -1},bytes=${stats.get('bytes') ?? -1}`;
  const rest = [...stats.keys()].filter((k) => k !== 'count' && k !== 'bytes').sort();
  if (rest.length > 0) text += '=' + rest.map((k) => `;${k}=${stats.get(k)}`).join('');
  return Buffer.from(text, 'utf8');
}
