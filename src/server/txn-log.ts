import type { Txn, TxnHeader } from './txn.js';

/**
 * The log stage. Every txn is appended here before it is applied; replies
 * wait until `durableZxid` covers them. A durable log batches appends into
 * one fsync (group commit) and calls `onDurable` when a batch is on disk.
 */
export interface TxnLog {
  append(header: TxnHeader, txn: Txn): void;
  /** The highest zxid that is durable. */
  readonly durableZxid: bigint;
  /** Called whenever durableZxid advances. */
  onDurable: (zxid: bigint) => void;
  close(): Promise<void>;
}

/** No storage: every txn is "durable" as soon as it is appended. For in-memory servers. */
export class MemoryTxnLog implements TxnLog {
  durableZxid = 0n;
  onDurable: (zxid: bigint) => void = () => {};

  append(header: TxnHeader): void {
    this.durableZxid = header.zxid;
  }

  async close(): Promise<void> {}
}
