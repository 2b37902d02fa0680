import { ChangeView } from '../change-view.js';
import type { DataTree } from '../data-tree.js';
import type { ReadOutcome } from '../handlers/context.js';
import type { PipelineRequest, Stage } from './request.js';
import type { Zxids } from './zxids.js';

/**
 * Stage 3, prepare.
 * Consumes: a decoded record with its handler (decode); the record is the handler's context.
 * Adds: for a read, its answer, computed at once from the applied tree (no
 * later stage touches it); for a write, a txn header (a fresh zxid) and the
 * txn the handler computed after validating it, checking ACLs and versions
 * against a {@link ChangeView} of the tree (an error txn when it fails).
 * Passes on: a read to reply; a write to log.
 *
 * Everything runs on the event loop and every txn is applied before the next
 * request is prepared, so prepare reads the applied tree directly.
 */
export class Prepare implements Stage {
  constructor(
    private readonly tree: DataTree,
    private readonly zxids: Zxids,
    private readonly next: Stage,
    private readonly reply: Stage,
  ) {}

  process(r: PipelineRequest): void {
    const handler = r.handler!;
    if (handler.kind === 'read') {
      // A read waits for the writes already applied, so no client sees state that is not durable yet.
      answerOf(r, handler.handle(r, r.req), this.zxids.last, this.tree.lastZxid);
      this.reply.process(r);
      return;
    }
    r.txnHeader = this.zxids.header(r.session!.id, r.xid);
    r.txn = handler.prepare(r, new ChangeView(this.tree), r.req);
    this.next.process(r);
  }
}

/**
 * Answers `r` with a read outcome: by default the request's xid and the last
 * applied zxid, sent once `barrier` is durable; a session op that names its
 * own zxid waits for that one only.
 */
export function answerOf(r: PipelineRequest, o: ReadOutcome, barrier: bigint, lastZxid: bigint = barrier): void {
  const zxid = o.zxid;
  r.answer(o.xid ?? r.xid, zxid ?? lastZxid, o.err, zxid ?? barrier, o.body, o.close === true);
}
