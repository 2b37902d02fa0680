import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptDataError } from '../corrupt-data-error.js';
import { parseSnapshotName, readZkSnapshot } from './zk-snapshot.js';
import { parseLogName, readZkLog } from './zk-txn-log.js';
import { ZkTree } from './zk-tree.js';

/**
 * Recovers a ZooKeeper database from its files as ZooKeeper's
 * FileTxnSnapLog.restore does: the newest snapshot that reads back whole
 * (an unreadable one is skipped for the next older, up to 100), then every
 * txn with a zxid above the snapshot's from the logs, oldest file first,
 * starting with the last file that begins at or below that zxid. Quota
 * stats nodes are recounted after the snapshot and kept up to date through
 * the replay, as ZooKeeper's DataTree does. Nothing here writes to the
 * directories it reads.
 */

export interface ZkRecoverOptions {
  /** ZooKeeper's dataDir (or its version-2 directory): the snapshots. */
  snapDir: string;
  /** ZooKeeper's dataLogDir (or its version-2), when the logs live apart; default `snapDir`. */
  logDir?: string;
  /** Treat a torn log record as the end of its file, as ZooKeeper does, instead of failing. */
  allowTornLog?: boolean;
  /**
   * Replay the logs from an empty tree when there is no snapshot at all
   * (ZooKeeper's zookeeper.snapshot.trust.empty, for data from before 3.5.3,
   * which wrote no initial snapshot). Default false: that is refused, as
   * ZooKeeper refuses it, since a purged log would silently lose znodes.
   */
  trustEmptySnapshot?: boolean;
  /** Told about skipped snapshots and torn records. */
  warn?: (message: string) => void;
}

export interface ZkRecovered {
  tree: ZkTree;
  /** Session id -> timeout (ms): the sessions alive at the end of the log. */
  sessions: Map<bigint, number>;
  /** The snapshot the tree started from, or null when there was none (replay from an empty tree). */
  snapshot: string | null;
  snapshotZxid: bigint;
  txnsReplayed: number;
  /** The last zxid applied (the snapshot's when no txn followed it). */
  lastZxid: bigint;
}

/** At most this many snapshots are tried, newest first (FileSnap.findNValidSnapshots(100)). */
const MAX_SNAPSHOTS_TRIED = 100;

/** `dir/version-2` when it exists (ZooKeeper's layout), else `dir` itself. */
export async function versionDir(dir: string): Promise<string> {
  const sub = join(dir, 'version-2');
  try {
    if ((await stat(sub)).isDirectory()) return sub;
  } catch {
    // no version-2 below: `dir` is the version-2 directory itself
  }
  const s = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new Error(`${dir}: no such directory`) : err;
  });
  if (!s.isDirectory()) throw new Error(`${dir} is not a directory`);
  return dir;
}

export async function recoverZooKeeper(options: ZkRecoverOptions): Promise<ZkRecovered> {
  const warn = options.warn ?? (() => {});
  const snapDir = await versionDir(options.snapDir);
  const logDir = options.logDir === undefined ? snapDir : await versionDir(options.logDir);
  const snapshots = (await readdir(snapDir))
    .map((name) => ({ name, parsed: parseSnapshotName(name) }))
    .filter((s) => s.parsed !== null)
    .sort((a, b) => (a.parsed!.zxid > b.parsed!.zxid ? -1 : a.parsed!.zxid < b.parsed!.zxid ? 1 : 0))
    .slice(0, MAX_SNAPSHOTS_TRIED);
  const logs = (await readdir(logDir))
    .map((name) => ({ path: join(logDir, name), zxid: parseLogName(name) }))
    .filter((l): l is { path: string; zxid: bigint } => l.zxid !== null)
    .sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));

  let tree = ZkTree.initial();
  let sessions = new Map<bigint, number>();
  let snapshot: string | null = null;
  let snapshotZxid = 0n;
  const failures: string[] = [];
  for (const s of snapshots) {
    const path = join(snapDir, s.name);
    try {
      const read = await readZkSnapshot(path);
      tree = read.tree;
      sessions = read.sessions;
      snapshot = path;
      snapshotZxid = s.parsed!.zxid;
      break;
    } catch (err) {
      if (!(err instanceof CorruptDataError)) throw err;
      failures.push(err.message);
      warn(`skipping unreadable snapshot: ${err.message}`);
    }
  }
  if (snapshot === null && failures.length > 0) {
    throw new Error(`no valid ZooKeeper snapshot in ${snapDir}:\n  ${failures.join('\n  ')}`);
  }
  tree.lastZxid = snapshotZxid;
  // ZooKeeper recounts the quota stats of what it loaded; the snapshot's own figures are not used.
  tree.setupQuotas();
  if (snapshot === null && logs.length > 0 && options.trustEmptySnapshot !== true) {
    throw new Error(`no ZooKeeper snapshot in ${snapDir}, but ${logs.length} transaction log(s) in ${logDir}: ZooKeeper refuses this too (logs may have been purged); import with --trust-empty-snapshot to replay them from an empty tree`);
  }

  // The last file that starts at or before the first txn to replay, and every later one.
  let first = 0;
  for (let i = 0; i < logs.length; i++) if (logs[i]!.zxid <= snapshotZxid + 1n) first = i;
  let txnsReplayed = 0;
  let highest = snapshotZxid;
  for (const log of logs.slice(first)) {
    const contents = readZkLog(log.path, await readFile(log.path), options.allowTornLog === true);
    if (contents.tornAt !== null) warn(`${log.path}: torn record at offset ${contents.tornAt}: ignoring it and the rest of the file, as ZooKeeper does`);
    for (const { header, txn, offset } of contents.entries) {
      if (header.zxid <= snapshotZxid) continue;
      // ZooKeeper logs this and replays the txn anyway; so does this reader.
      if (header.zxid <= highest) warn(`${log.path} at offset ${offset}: zxid 0x${header.zxid.toString(16)} is not above the previous 0x${highest.toString(16)}`);
      else highest = header.zxid;
      tree.apply(header, txn);
      if (txn.type === 'createSession') sessions.set(header.clientId, txn.timeout);
      else if (txn.type === 'closeSession') sessions.delete(header.clientId);
      txnsReplayed++;
    }
  }
  tree.killDeadSessions(sessions, tree.lastZxid);
  return { tree, sessions, snapshot, snapshotZxid, txnsReplayed, lastZxid: tree.lastZxid };
}
