import { DataTree } from '../data-tree.js';
import type { Logger } from '../logger.js';
import { CorruptDataError } from './corrupt-data-error.js';
import { removeFile } from '../../base/durable-fs.js';
import { listFiles } from './data-dir.js';
import { truncateLog } from './file-txn-log.js';
import { readLogData, scanLog } from './log-format.js';
import { readSnapshot } from './snapshot.js';

/**
 * Startup: the newest snapshot that checks out, then every later txn from
 * the logs, in zxid order with no gaps. A torn tail of the last log is cut
 * off with a warning (those txns were never acknowledged); any other damage
 * refuses to start, naming the file and offset, rather than serve a tree
 * that silently lost acknowledged writes.
 */

export interface Recovered {
  tree: DataTree;
  /** Sessions alive at the end of the log, with their timeouts. */
  sessions: Map<bigint, number>;
  /** The log file to continue appending to, and where, or null to start a new one. */
  resume: { path: string; end: number } | null;
  snapshotZxid: bigint;
  txnsReplayed: number;
}

export async function recover(dir: string, log: Logger): Promise<Recovered> {
  const started = performance.now();
  let snapshotReadMs = 0;
  let tree = new DataTree();
  let sessions = new Map<bigint, number>();
  let snapshotZxid = 0n;
  const snapshots = await listFiles(dir, 'snapshot');
  for (let i = snapshots.length - 1; i >= 0; i--) {
    const file = snapshots[i]!;
    const candidate = new DataTree();
    try {
      const contents = await readSnapshot(file.path, candidate);
      tree = candidate;
      sessions = new Map(contents.sessions.map((s) => [s.id, s.timeout]));
      snapshotZxid = contents.zxid;
      snapshotReadMs = contents.readMs;
      break;
    } catch (err) {
      if (!(err instanceof CorruptDataError)) throw err;
      // An older snapshot plus a longer replay gives the same state; the logs it needs are kept.
      log.warn({ file: file.path, reason: err.message }, 'skipping unreadable snapshot');
    }
  }

  const snapshotDone = performance.now();
  const logs = await listFiles(dir, 'log');
  // The last file starting at or before the first txn we need; earlier ones hold only older txns.
  let first = 0;
  for (let i = 0; i < logs.length; i++) if (logs[i]!.zxid <= snapshotZxid + 1n) first = i;
  let expected = snapshotZxid + 1n;
  let txnsReplayed = 0;
  let resume: Recovered['resume'] = null;
  for (let i = first; i < logs.length; i++) {
    const file = logs[i]!;
    const isLast = i === logs.length - 1;
    const scanned = scanLog(file.path, await readLogData(file.path), isLast, expected);
    for (const { header, txn } of scanned.entries) {
      if (header.zxid < expected) continue;
      if (header.zxid !== expected) {
        throw new CorruptDataError(file.path, 0, `missing transactions 0x${expected.toString(16)} to 0x${(header.zxid - 1n).toString(16)}`);
      }
      tree.apply(header, txn, []);
      if (txn.type === 'createSession') sessions.set(txn.sessionId, txn.timeout);
      else if (txn.type === 'closeSession') sessions.delete(txn.sessionId);
      expected++;
      txnsReplayed++;
    }
    if (scanned.tornAt !== null) {
      log.warn({ file: file.path, offset: scanned.tornAt }, 'truncating torn tail of the transaction log (unacknowledged writes)');
      // A file whose header never made it holds nothing: remove it so the next start can create it afresh.
      if (scanned.end === 0) await removeFile(file.path);
      else await truncateLog(file.path, scanned.end);
    }
    if (isLast && scanned.end > 0) resume = { path: file.path, end: scanned.end };
  }
  if (tree.lastZxid < snapshotZxid) tree.lastZxid = snapshotZxid;
  // Where a restart's time goes (the bench's scale suite prints it).
  log.debug(
    {
      snapshotReadMs: Math.round(snapshotReadMs),
      snapshotDecodeMs: Math.round(snapshotDone - started - snapshotReadMs),
      replayMs: Math.round(performance.now() - snapshotDone),
      txnsReplayed,
    },
    'recovery phases',
  );
  return { tree, sessions, resume, snapshotZxid, txnsReplayed };
}
