import { JuteDecodeError } from '../../jute/decode-error.js';
import type { JuteReader } from '../../jute/reader.js';
import { readACLs, writeACLs } from '../../jute/records/acl.js';
import type { JuteWriter } from '../../jute/writer.js';
import type { Txn, TxnHeader } from '../txn.js';
import { copyZnodeData } from '../znode-data.js';

/** Binary form of a txn and its header, as stored in the log. One type byte, then the fields. */

const TYPE = {
  createSession: 1,
  closeSession: 2,
  create: 3,
  delete: 4,
  setData: 5,
  setACL: 6,
  check: 7,
  error: 8,
  multi: 9,
} as const satisfies Record<Txn['type'], number>;

/**
 * The halves of the last session id written. Session ids are past 2^53, so
 * JuteWriter.long takes its BigInt path for them on every txn; a connection's
 * pipelined writes come in runs of one session, so one cached id saves it.
 */
let cachedSessionId = 0n;
let cachedHigh = 0;
let cachedLow = 0;

export function writeTxnHeader(w: JuteWriter, h: TxnHeader): void {
  const id = h.sessionId;
  if (id !== cachedSessionId) {
    // As two signed 32-bit ints: the same eight bytes as writeBigInt64BE.
    cachedHigh = Number(BigInt.asIntN(32, id >> 32n));
    cachedLow = Number(BigInt.asIntN(32, id));
    cachedSessionId = id;
  }
  w.int(cachedHigh).int(cachedLow).int(h.cxid).long(h.zxid).longNumber(h.time);
}

export function readTxnHeader(r: JuteReader): TxnHeader {
  return { sessionId: r.long(), cxid: r.int(), zxid: r.long(), time: r.longNumber() };
}

export function writeTxn(w: JuteWriter, txn: Txn): void {
  w.int(TYPE[txn.type]);
  switch (txn.type) {
    case 'createSession':
      w.long(txn.sessionId).int(txn.timeout);
      return;
    case 'closeSession':
      w.long(txn.sessionId);
      return;
    case 'create':
      w.ustring(txn.path).buffer(txn.data);
      writeACLs(w, txn.acl);
      w.long(txn.ephemeralOwner).int(txn.parentCVersion);
      return;
    case 'delete':
    case 'check':
      w.ustring(txn.path);
      return;
    case 'setData':
      w.ustring(txn.path).buffer(txn.data).int(txn.version);
      return;
    case 'setACL':
      w.ustring(txn.path);
      writeACLs(w, txn.acl);
      w.int(txn.version);
      return;
    case 'error':
      w.int(txn.err);
      return;
    case 'multi':
      w.int(txn.txns.length);
      for (const t of txn.txns) writeTxn(w, t);
      return;
  }
}

export function readTxn(r: JuteReader): Txn {
  const at = r.offset;
  const type = r.int();
  switch (type) {
    case TYPE.createSession:
      return { type: 'createSession', sessionId: r.long(), timeout: r.int() };
    case TYPE.closeSession:
      return { type: 'closeSession', sessionId: r.long() };
    case TYPE.create: {
      const path = r.string();
      const data = copy(r.buffer());
      const acl = readACLs(r);
      return { type: 'create', path, data, acl, ephemeralOwner: r.long(), parentCVersion: r.int() };
    }
    case TYPE.delete:
      return { type: 'delete', path: r.string() };
    case TYPE.check:
      return { type: 'check', path: r.string() };
    case TYPE.setData:
      return { type: 'setData', path: r.string(), data: copy(r.buffer()), version: r.int() };
    case TYPE.setACL:
      return { type: 'setACL', path: r.string(), acl: readACLs(r), version: r.int() };
    case TYPE.error:
      return { type: 'error', err: r.int() };
    case TYPE.multi: {
      const count = r.int();
      if (count < 0 || count > r.remaining) throw new JuteDecodeError(`multi of ${count} txns`, at);
      const txns: Txn[] = [];
      for (let i = 0; i < count; i++) txns.push(readTxn(r));
      return { type: 'multi', txns };
    }
    default:
      throw new JuteDecodeError(`unknown txn type ${type}`, at);
  }
}

/** Txn data outlives the file buffer it was read from. */
function copy(b: Buffer | null): Buffer | null {
  return copyZnodeData(b);
}
