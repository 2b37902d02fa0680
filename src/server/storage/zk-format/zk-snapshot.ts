import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { JuteDecodeError } from '../../../jute/decode-error.js';
import { JuteReader } from '../../../jute/reader.js';
import { ACLCodec, writeACLs, type ACL } from '../../../jute/records/acl.js';
import { StatPersistedCodec } from '../../../jute/records/stat.js';
import { JuteWriter } from '../../../jute/writer.js';
import { CorruptDataError } from '../corrupt-data-error.js';
import { adler32 } from './adler32.js';
import { uncompressXerialSnappy } from './xerial-snappy.js';
import { ZkTree, type ZkNode } from './zk-tree.js';

/**
 * ZooKeeper snapshot files (FileSnap), `version-2/snapshot.<zxid in hex>`,
 * optionally `.gz` or `.snappy` (snapshot.compression.method):
 *   FileHeader: int magic 'ZKSN', int version (2), long dbid
 *   sessions: int count, (long id, int timeout)*
 *   ACL cache: int count, (long id, vector<ACL>)*
 *   nodes, parents first, the root under "": (ustring path, buffer data,
 *     long acl id (-1 = world:anyone all), StatPersisted)* until the path "/"
 *   seal: long Adler-32 of every byte before it, ustring "/"
 *   from 3.6, optionally: ZxidDigest (long zxid, int version, long digest,
 *     or a hex ustring when version < 2) and a seal; from 3.9 the last
 *     processed zxid (long) and a seal. Each seal's checksum runs from the
 *     start of the (uncompressed) stream.
 * The zxid in the name is the last txn applied when the snapshot began; the
 * snapshot is fuzzy and may reflect later txns too.
 */

export const ZK_SNAPSHOT_MAGIC = 0x5a4b534e; // 'ZKSN'
const FILE_VERSION = 2;
/** The dbid ZooKeeper's FileSnap writes. */
const SNAPSHOT_DBID = -1n;
/** ReferenceCountedACLCache's id for OPEN_ACL_UNSAFE. */
const OPEN_ACL_ID = -1n;
const OPEN_ACL: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

export interface ZkSnapshot {
  tree: ZkTree;
  /** Session id -> timeout in ms. */
  sessions: Map<bigint, number>;
}

const NAME = /^snapshot\.([0-9a-fA-F]+)(?:\.(gz|snappy))?$/;

/** The zxid and compression of a snapshot file name, or null when it is not one. */
export function parseSnapshotName(name: string): { zxid: bigint; compression: 'gz' | 'snappy' | null } | null {
  const m = NAME.exec(name);
  if (!m) return null;
  return { zxid: BigInt(`0x${m[1]}`), compression: (m[2] as 'gz' | 'snappy' | undefined) ?? null };
}

/** Reads and checks a snapshot file; throws CorruptDataError naming the file and offset. */
export async function readZkSnapshot(file: string): Promise<ZkSnapshot> {
  const parsed = parseSnapshotName(basename(file));
  if (!parsed) throw new CorruptDataError(file, 0, 'not a ZooKeeper snapshot file name (snapshot.<hex zxid>[.gz|.snappy])');
  let buf: Buffer = await readFile(file);
  let where = '';
  if (parsed.compression === 'snappy') {
    buf = await uncompressXerialSnappy(file, buf);
    where = ' of the decompressed stream';
  }
  if (parsed.compression === 'gz') {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw new CorruptDataError(file, 0, `gzip stream does not decompress: ${err instanceof Error ? err.message : String(err)}`);
    }
    // Offsets below count bytes of the decompressed stream.
    where = ' of the decompressed stream';
  }
  const r = new JuteReader(buf);
  try {
    return decode(file, r, where);
  } catch (err) {
    if (err instanceof CorruptDataError) throw err;
    const offset = err instanceof JuteDecodeError ? err.offset : r.offset;
    throw new CorruptDataError(file, offset, `snapshot does not decode${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function decode(file: string, r: JuteReader, where: string): ZkSnapshot {
  const magic = r.int();
  if (magic !== ZK_SNAPSHOT_MAGIC) throw new CorruptDataError(file, 0, `not a ZooKeeper snapshot (magic 0x${(magic >>> 0).toString(16)}, expected 'ZKSN')`);
  r.int();
  r.long();
  const sessions = new Map<bigint, number>();
  for (let n = r.int(); n > 0; n--) sessions.set(r.long(), r.int());
  const acls = new Map<bigint, ACL[]>();
  for (let n = r.int(); n > 0; n--) {
    const at = r.offset;
    const id = r.long();
    const list = r.vector(ACLCodec.read);
    if (list === null) throw new CorruptDataError(file, at, `ACL ${id} has no list${where}`);
    acls.set(id, list);
  }
  const tree = new ZkTree();
  for (;;) {
    const at = r.offset;
    const path = r.string();
    if (path === '/') break;
    const data = r.buffer();
    const aclId = r.long();
    const acl = aclId === OPEN_ACL_ID ? OPEN_ACL : acls.get(aclId);
    if (acl === undefined) throw new CorruptDataError(file, at, `node ${path || '/'} refers to ACL ${aclId}, which the snapshot does not hold${where}`);
    const node: ZkNode = {
      data: data === null ? null : Buffer.from(data),
      acl,
      ...StatPersistedCodec.read(r),
      children: new Set(),
    };
    if (!tree.load(path, node)) throw new CorruptDataError(file, at, `node ${path} comes before its parent${where}`);
  }
  if (!tree.nodes.has('')) throw new CorruptDataError(file, r.offset, `the snapshot has no root node${where}`);
  checkSeal(file, r, where);
  // 3.6+: a zxid digest and 3.9+: the last processed zxid, each sealed again. Replay needs neither.
  if (r.remaining > 0) {
    r.long();
    const version = r.int();
    if (version < 2) r.ustring();
    else r.long();
    checkSeal(file, r, where);
  }
  if (r.remaining > 0) {
    r.long();
    checkSeal(file, r, where);
  }
  if (r.remaining > 0) throw new CorruptDataError(file, r.offset, `${r.remaining} unexpected bytes after the snapshot's last seal${where}`);
  return { tree, sessions };
}

/** A seal: the Adler-32 of everything before it, then "/". */
function checkSeal(file: string, r: JuteReader, where: string): void {
  const at = r.offset;
  const expected = BigInt(adler32(r.buf.subarray(0, at)));
  const stored = r.long();
  if (r.string() !== '/') throw new CorruptDataError(file, at + 8, `snapshot seal has no '/' trailer${where}`);
  if (stored !== expected) throw new CorruptDataError(file, at, `snapshot checksum mismatch${where} (stored ${stored}, computed ${expected})`);
}

/** One znode to write into a ZooKeeper snapshot, fields as StatPersisted holds them. */
export interface ZkSnapshotNode extends Omit<ZkNode, 'children'> {
  /** "" for the root, else the absolute path. */
  path: string;
}

/**
 * Encodes a snapshot ZooKeeper 3.5–3.9 reads: no compression, no digest (a
 * reader that wants one treats its absence as an older snapshot). `nodes`
 * must list parents before children, the root ("") first.
 */
export function encodeZkSnapshot(nodes: readonly ZkSnapshotNode[], sessions: ReadonlyMap<bigint, number>): Buffer {
  const ids = new Map<string, bigint>();
  const lists: ACL[][] = [];
  const aclIds = nodes.map((n) => {
    const key = JSON.stringify(n.acl);
    let id = ids.get(key);
    if (id === undefined) {
      lists.push(n.acl);
      ids.set(key, (id = BigInt(lists.length)));
    }
    return id;
  });
  const w = new JuteWriter(1 << 16);
  w.int(ZK_SNAPSHOT_MAGIC).int(FILE_VERSION).long(SNAPSHOT_DBID);
  w.int(sessions.size);
  for (const [id, timeout] of sessions) w.long(id).int(timeout);
  w.int(lists.length);
  lists.forEach((acl, i) => {
    w.long(BigInt(i + 1));
    writeACLs(w, acl);
  });
  nodes.forEach((n, i) => {
    w.ustring(n.path).buffer(n.data).long(aclIds[i]!);
    StatPersistedCodec.write(w, n);
  });
  w.ustring('/');
  const body = w.take();
  const seal = new JuteWriter(16).long(BigInt(adler32(body))).ustring('/').take();
  return Buffer.concat([body, seal]);
}

/** ZooKeeper's name for a snapshot taken at `zxid`: `snapshot.<hex>`, no padding (Long.toHexString). */
export function zkSnapshotName(zxid: bigint): string {
  return `snapshot.${zxid.toString(16)}`;
}
