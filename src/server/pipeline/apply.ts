import type { ApplyResult, DataTree, Trigger } from '../data-tree.js';
import type { SessionTracker } from '../session-tracker.js';
import type { Snapshotter } from '../storage/snapshotter.js';
import type { Txn, TxnHeader } from '../txn.js';
import type { WatchManager } from '../watch-manager.js';
import type { Stage, PipelineRequest } from './request.js';
import type { Reply } from './reply.js';

/**
 * Stage 5, apply.
 * Consumes: a logged record (log), or a logged txn of the server's own.
 * Adds: the txn's {@link ApplyResult} and the write's answer (the reply stage
 * has the handler write the body from the result; closeSession closes after it). The
 * tree changes, the session table follows createSession and closeSession,
 * the snapshotter counts the txn, and the watches the txn fires become
 * watch events.
 * Passes on: the watch events and then the record to reply (whose queue
 * holds both until the txn is durable).
 */
export class Apply implements Stage {
  /** The triggers of the txn being applied: one array reused (nothing keeps it past apply()). */
  private readonly triggers: Trigger[] = [];
  private readonly snapshotSessions = (): Iterable<{ id: bigint; timeout: number }> => this.sessions.snapshotEntries();

  constructor(
    private readonly tree: DataTree,
    private readonly watches: WatchManager,
    private readonly sessions: SessionTracker,
    private readonly snapshotter: Snapshotter | null,
    private readonly reply: Reply,
  ) {}

  process(r: PipelineRequest): void {
    const header = r.txnHeader!;
    const txn = r.txn!;
    const result = this.apply(header, txn);
    r.result = result;
    const err = txn.type === 'error' ? txn.err : 0;
    const handler = r.handler!;
    if (handler.kind !== 'write') throw new Error(`apply: ${r.op?.name ?? r.type} is not a write`);
    // No body closure: the reply stage writes a successful write's body with handler.respond(r.result).
    r.answer(r.xid, this.tree.lastZxid, err, header.zxid, undefined, handler.closesConnection === true);
    this.reply.process(r);
  }

  /** Applies one logged txn and sends the watch events it fires. */
  apply(header: TxnHeader, txn: Txn): ApplyResult {
    // Empty on entry: emptied once per use (not also before it: the length store is a runtime call).
    const triggers = this.triggers;
    try {
      const result = this.tree.apply(header, txn, triggers);
      if (txn.type === 'createSession') this.sessions.add(txn.sessionId, txn.timeout);
      else if (txn.type === 'closeSession') this.sessions.remove(txn.sessionId);
      this.snapshotter?.onTxn(this.tree, this.snapshotSessions);
      for (let i = 0; i < triggers.length; i++) {
        const t = triggers[i]!;
        this.reply.deliver(this.watches.trigger(t.path, t.type), t, header.zxid);
      }
      return result;
    } finally {
      if (triggers.length !== 0) triggers.length = 0;
    }
  }
}
