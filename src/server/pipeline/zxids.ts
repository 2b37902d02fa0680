import type { TxnHeader } from '../txn.js';

/**
 * Hands out zxids in order, one per txn, for the prepare stage and for the
 * server's own txns (createSession, expiry, container deletes). Since every
 * txn is applied before the next request is prepared, the last zxid handed
 * out is also the last one applied.
 */
export class Zxids {
  private nextZxid: bigint;

  constructor(lastZxid: bigint) {
    this.nextZxid = lastZxid + 1n;
  }

  /** The header of a new txn: a fresh zxid, stamped with wall-clock ms. */
  header(sessionId: bigint, cxid: number): TxnHeader {
    return { sessionId, cxid, zxid: this.nextZxid++, time: Date.now() };
  }

  /** The last zxid handed out. */
  get last(): bigint {
    return this.nextZxid - 1n;
  }
}
