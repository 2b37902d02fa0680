import type { DataTree } from '../data-tree.js';
import type { Logger } from '../logger.js';
import { removeFile } from '../../base/durable-fs.js';
import { listFiles } from './data-dir.js';
import type { FileTxnLog } from './file-txn-log.js';
import { writeTreeSnapshot, type SnapshotSession } from './snapshot.js';

/**
 * Decides when to snapshot and purges what snapshots make redundant. Like
 * ZooKeeper, the point is randomized in the upper half of snapCount so a
 * fleet of servers started together does not snapshot in lockstep.
 */
export class Snapshotter {
  private sinceSnapshot = 0;
  private threshold: number;
  private running: Promise<void> | null = null;

  constructor(
    private readonly dir: string,
    private readonly snapCount: number,
    private readonly retain: number,
    private readonly sync: boolean,
    private readonly txnLog: FileTxnLog,
    private readonly log: Logger,
  ) {
    this.threshold = this.nextThreshold();
  }

  private nextThreshold(): number {
    const half = Math.max(1, Math.floor(this.snapCount / 2));
    return half + Math.floor(Math.random() * half);
  }

  /** Counts one txn; snapshots when due (one at a time). */
  onTxn(tree: DataTree, sessions: () => Iterable<SnapshotSession>): void {
    if (++this.sinceSnapshot < this.threshold || this.running) return;
    this.sinceSnapshot = 0;
    this.threshold = this.nextThreshold();
    this.running = this.snapshot(tree, sessions()).finally(() => {
      this.running = null;
    });
  }

  /** Takes a snapshot now and purges old files. */
  async snapshot(tree: DataTree, sessions: Iterable<SnapshotSession>): Promise<void> {
    const zxid = tree.lastZxid;
    const started = performance.now();
    // Later txns go to a new file, so files wholly before old snapshots can be deleted.
    this.txnLog.roll();
    try {
      const path = await writeTreeSnapshot(this.dir, tree, zxid, sessions, this.sync);
      this.log.info({ path, nodes: tree.nodeCount - 1, ms: Math.round(performance.now() - started) }, 'snapshot written');
      await this.purge();
    } catch (err) {
      // A failed snapshot loses nothing (the log still has every txn); try again at the next threshold.
      this.log.error({ err: String(err) }, 'snapshot failed');
    }
  }

  /** Keeps the newest `retain` snapshots and the logs needed to replay from the oldest of them. */
  async purge(): Promise<void> {
    const snapshots = await listFiles(this.dir, 'snapshot');
    if (snapshots.length <= this.retain) return;
    const kept = snapshots.slice(-this.retain);
    const oldest = kept[0]!.zxid;
    for (const s of snapshots.slice(0, -this.retain)) await removeFile(s.path);
    const logs = await listFiles(this.dir, 'log');
    for (let i = 0; i + 1 < logs.length; i++) {
      // A file is needed while the next one starts after the first txn to replay.
      if (logs[i + 1]!.zxid <= oldest + 1n) await removeFile(logs[i]!.path);
    }
  }

  async idle(): Promise<void> {
    await this.running;
  }
}
