import { JuteDecodeError } from '../../../jute/decode-error.js';
import { OpCode } from '../../../jute/op-codes.js';
import { JuteReader } from '../../../jute/reader.js';
import { readACLs, type ACL } from '../../../jute/records/acl.js';

/**
 * ZooKeeper's transaction records (zookeeper.jute, module
 * org.apache.zookeeper.txn) as its transaction logs store them: a TxnHeader,
 * then the record its type names, then, from 3.6 on, an optional TxnDigest
 * that replay does not need and this reader ignores.
 */

export interface ZkTxnHeader {
  /** The session that issued the txn (the owner of an ephemeral create). */
  clientId: bigint;
  cxid: number;
  zxid: bigint;
  /** Epoch ms; becomes ctime/mtime. */
  time: number;
  /** ZooDefs.OpCode of the txn. */
  type: number;
}

export type ZkTxn =
  | { type: 'create'; path: string; data: Buffer | null; acl: ACL[]; ephemeral: boolean; parentCVersion: number }
  | { type: 'createContainer'; path: string; data: Buffer | null; acl: ACL[]; parentCVersion: number }
  | { type: 'createTTL'; path: string; data: Buffer | null; acl: ACL[]; parentCVersion: number; ttl: bigint }
  | { type: 'delete'; path: string }
  | { type: 'setData'; path: string; data: Buffer | null; version: number }
  | { type: 'setACL'; path: string; acl: ACL[]; version: number }
  | { type: 'check'; path: string }
  | { type: 'createSession'; timeout: number }
  /** 3.6+ lists the ephemerals to delete; older logs (or closeSessionTxn disabled) carry nothing. */
  | { type: 'closeSession'; paths: string[] | null }
  | { type: 'error'; err: number }
  | { type: 'multi'; txns: Array<{ op: number; txn: ZkTxn }> };

export function readZkTxnHeader(r: JuteReader): ZkTxnHeader {
  return { clientId: r.long(), cxid: r.int(), zxid: r.long(), time: r.longNumber(), type: r.int() };
}

/** Data outlives the file buffer it was read from. */
function data(r: JuteReader): Buffer | null {
  const b = r.buffer();
  return b === null ? null : Buffer.from(b);
}

/** A jute `vector<ustring>`, or null when the bytes left are not one (see closeSession). */
function tryPaths(r: JuteReader): string[] | null {
  const start = r.offset;
  try {
    const paths = r.vector((rr) => rr.string()) ?? [];
    // What may follow is nothing or a TxnDigest (int version, long digest).
    if (r.remaining === 0 || r.remaining === 12) return paths;
  } catch {
    // Not a CloseSessionTxn: a 3.5 log, or a digest alone.
  }
  r.offset = start;
  return null;
}

/** Decodes the record of a txn of type `op` (ZooKeeper's SerializeUtils.deserializeTxn). */
export function readZkTxn(r: JuteReader, op: number): ZkTxn {
  const at = r.offset;
  switch (op) {
    case OpCode.create:
    case OpCode.create2: {
      const path = r.string();
      const d = data(r);
      const acl = readACLs(r);
      const ephemeral = r.bool();
      // A CreateTxnV0 (before 3.3) has no parentCVersion; -1 makes replay compute it, as ZooKeeper does.
      const parentCVersion = r.remaining >= 4 ? r.int() : -1;
      return { type: 'create', path, data: d, acl, ephemeral, parentCVersion };
    }
    case OpCode.createContainer:
      return { type: 'createContainer', path: r.string(), data: data(r), acl: readACLs(r), parentCVersion: r.int() };
    case OpCode.createTTL:
      return { type: 'createTTL', path: r.string(), data: data(r), acl: readACLs(r), parentCVersion: r.int(), ttl: r.long() };
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { type: 'delete', path: r.string() };
    case OpCode.setData:
    case OpCode.reconfig:
      return { type: 'setData', path: r.string(), data: data(r), version: r.int() };
    case OpCode.setACL:
      return { type: 'setACL', path: r.string(), acl: readACLs(r), version: r.int() };
    case OpCode.check: {
      const path = r.string();
      r.int();
      return { type: 'check', path };
    }
    case OpCode.createSession:
      return { type: 'createSession', timeout: r.int() };
    case OpCode.closeSession:
      return { type: 'closeSession', paths: r.remaining > 0 ? tryPaths(r) : null };
    case OpCode.error:
      return { type: 'error', err: r.int() };
    case OpCode.multi: {
      const count = r.int();
      if (count < 0 || count > r.remaining) throw new JuteDecodeError(`multi of ${count} txns`, at);
      const txns: Array<{ op: number; txn: ZkTxn }> = [];
      for (let i = 0; i < count; i++) {
        const sub = r.int();
        const bytes = r.buffer() ?? Buffer.alloc(0);
        const sr = new JuteReader(bytes);
        try {
          txns.push({ op: sub, txn: readZkTxn(sr, sub) });
        } catch (err) {
          // Offsets inside a sub-record are relative to it: report the multi's.
          throw new JuteDecodeError(`multi sub-txn ${i} (type ${sub}): ${err instanceof Error ? err.message : String(err)}`, at);
        }
      }
      return { type: 'multi', txns };
    }
    default:
      throw new JuteDecodeError(`unsupported txn type ${op}`, at);
  }
}
