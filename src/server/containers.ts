import type { ApplyResult, DataTree } from './data-tree.js';
import type { Zxids } from './pipeline/zxids.js';
import { EphemeralOwner, type Txn, type TxnHeader } from './txn.js';

/**
 * Deletes containers whose last child is gone and TTL nodes past their ttl,
 * as ZooKeeper's ContainerManager, every `interval` ms while started. Each
 * delete is one of the server's own txns, run through log and apply.
 */
export class ContainerCollector {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly tree: DataTree,
    private readonly zxids: Zxids,
    private readonly commit: (header: TxnHeader, txn: Txn) => ApplyResult,
    private readonly interval: number,
  ) {}

  start(): void {
    this.stop();
    this.timer = setInterval(() => this.collect(), this.interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass now. */
  collect(): void {
    const now = Date.now();
    const doomed: string[] = [];
    for (const path of this.tree.containers) {
      const node = this.tree.get(path);
      // A container that never had a child is kept, so a client can create one and then fill it.
      if (node && node.numChildren === 0 && node.cversion > 0) doomed.push(path);
    }
    for (const path of this.tree.ttls) {
      const node = this.tree.get(path);
      if (node && node.numChildren === 0 && now - node.mtime > EphemeralOwner.ttlOf(node.ephemeralOwner)) doomed.push(path);
    }
    for (const path of doomed) {
      const node = this.tree.get(path);
      if (!node || node.numChildren > 0) continue;
      this.commit(this.zxids.header(0n, 0), { type: 'delete', path });
    }
  }
}
