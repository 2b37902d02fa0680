import type { TxnLog } from '../txn-log.js';
import type { Txn, TxnHeader } from '../txn.js';
import type { PipelineRequest, Stage } from './request.js';

/**
 * Stage 4, log.
 * Consumes: a record with a txn header and a txn (prepare), or a txn of the
 * server's own (createSession, expiry, container deletes: see
 * pipeline/index.ts `commit`).
 * Adds: nothing to the record; appends the txn to the {@link TxnLog}. A
 * durable log batches appends into one fsync (group commit) and reports
 * each batch on disk through `onDurable`, which releases the replies that
 * wait for it (reply stage).
 * Passes on: to apply, at once: the txn is applied before it is durable, but
 * no reply or watch event that depends on it leaves before it is.
 */
export class Log implements Stage {
  constructor(
    private readonly txnLog: TxnLog,
    private readonly next: Stage,
  ) {}

  process(r: PipelineRequest): void {
    this.append(r.txnHeader!, r.txn!);
    this.next.process(r);
  }

  append(header: TxnHeader, txn: Txn): void {
    this.txnLog.append(header, txn);
  }
}
