import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { JuteReader } from '../../jute/reader.js';
import { readACLs, writeACLs, type ACL } from '../../jute/records/acl.js';
import { JuteWriter } from '../../jute/writer.js';
import { DataNode, type DataTree } from '../data-tree.js';
import { copyZnodeData } from '../znode-data.js';
import { CorruptDataError } from './corrupt-data-error.js';
import { syncDir } from '../../base/durable-fs.js';
import { zxidName } from './data-dir.js';
import { EphemeralOwner } from '../txn.js';

/**
 * Snapshot file layout:
 *   magic "HERDSNP1", long zxid,
 *   int session count, (long id, int timeout)*,
 *   int node count, (ustring path, buffer data, vector<ACL>, long czxid, long mzxid,
 *     long ctime, long mtime, int version, int cversion, int aversion,
 *     long ephemeralOwner, long pzxid)*,
 *   uint32 crc32 of everything before it.
 * The tree is serialized in slices between requests, but as of one zxid
 * (see serializeSnapshot); the bytes then go to disk asynchronously.
 */

export const SNAPSHOT_MAGIC = Buffer.from('HERDSNP1', 'latin1');
const CHUNK = 1 << 20;
/** Encoded ACL lists kept during one serialization (a tree holds few distinct lists). */
const MAX_CACHED_ACLS = 4096;

export interface SnapshotSession {
  id: bigint;
  timeout: number;
}

export interface SnapshotContents {
  zxid: bigint;
  sessions: SnapshotSession[];
}

/** Nodes serialized per turn of the event loop, so requests keep flowing while a large tree is written. */
const SLICE_NODES = 5000;

/**
 * Serializes the tree and sessions as they are now (at `zxid`) into chunks
 * (the last one carries the checksum), a slice at a time between turns of
 * the event loop. The tree keeps changing meanwhile: the paths and node
 * objects are captured up front, and the tree's `beforeChange` hook keeps a
 * copy of any node before it changes, so the snapshot is exactly the state
 * at `zxid` (nodes created later are not in the captured list).
 */
export async function serializeSnapshot(tree: DataTree, zxid: bigint, sessions: Iterable<SnapshotSession>): Promise<Buffer[]> {
  const paths: string[] = [];
  const nodes: DataNode[] = [];
  for (const [path, node] of tree.entries()) {
    paths.push(path);
    nodes.push(node);
  }
  const before = new Map<DataNode, DataNode>();
  if (tree.beforeChange) throw new Error('a snapshot is already being taken');
  tree.beforeChange = (node) => {
    if (!before.has(node)) before.set(node, node.clone());
  };
  try {
    const chunks: Buffer[] = [];
    let crc = 0;
    const w = new JuteWriter(CHUNK + 4096);
    const cut = () => {
      const chunk = w.take();
      crc = crc32(chunk, crc);
      chunks.push(chunk);
    };
    w.raw(SNAPSHOT_MAGIC).long(zxid);
    const list = [...sessions];
    w.int(list.length);
    for (const s of list) w.long(s.id).int(s.timeout);
    w.int(paths.length);
    // The tree shares equal ACL lists (AclInterner), so each list is encoded once and copied after.
    const aclBytes = new Map<readonly ACL[], Buffer>();
    for (let i = 0; i < paths.length; i++) {
      if (i > 0 && i % SLICE_NODES === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const n = before.get(nodes[i]!) ?? nodes[i]!;
      w.ustring(paths[i]!).buffer(n.data);
      let acl = aclBytes.get(n.acl);
      if (acl === undefined) {
        const aw = new JuteWriter(64);
        writeACLs(aw, n.acl);
        acl = aw.take();
        if (aclBytes.size < MAX_CACHED_ACLS) aclBytes.set(n.acl, acl);
      }
      w.raw(acl);
      w.longNumber(n.czxid).longNumber(n.mzxid).longNumber(n.ctime).longNumber(n.mtime);
      w.int(n.version).int(n.cversion).int(n.aversion).long(n.ephemeralOwner).longNumber(n.pzxid);
      if (w.offset >= CHUNK) cut();
    }
    cut();
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32BE(crc >>> 0);
    chunks.push(trailer);
    return chunks;
  } finally {
    tree.beforeChange = null;
  }
}

/** Writes a serialized snapshot durably (temp file, fsync, rename) and returns its path. */
export async function writeSnapshot(dir: string, zxid: bigint, chunks: Buffer[], sync: boolean): Promise<string> {
  const path = join(dir, zxidName('snapshot', zxid));
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    for (const chunk of chunks) await fh.write(chunk);
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (sync) await syncDir(dir);
  return path;
}

/** The shared 0n for the common no-owner case, rather than a bigint per znode. */
function ownerOf(owner: bigint): bigint {
  return owner === 0n ? EphemeralOwner.none : owner;
}

/** Reads a snapshot into the (fresh) tree; throws CorruptDataError naming the file and offset. */
export async function readSnapshot(file: string, tree: DataTree): Promise<SnapshotContents> {
  const buf = await readFile(file);
  if (buf.length < SNAPSHOT_MAGIC.length + 12 || !buf.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    throw new CorruptDataError(file, 0, 'not a Herd snapshot (bad magic)');
  }
  const bodyEnd = buf.length - 4;
  if ((crc32(buf.subarray(0, bodyEnd)) >>> 0) !== buf.readUInt32BE(bodyEnd)) {
    throw new CorruptDataError(file, bodyEnd, 'snapshot checksum mismatch');
  }
  const r = new JuteReader(buf, SNAPSHOT_MAGIC.length, bodyEnd);
  try {
    const zxid = r.long();
    const sessions = r.vector((rr) => ({ id: rr.long(), timeout: rr.int() })) ?? [];
    const count = r.int();
    for (let i = 0; i < count; i++) {
      const path = r.string();
      const data = r.buffer();
      const acl = readACLs(r);
      const node = new DataNode(
        copyZnodeData(data),
        acl,
        r.longNumber(),
        r.longNumber(),
        r.longNumber(),
        r.longNumber(),
        r.int(),
        r.int(),
        r.int(),
        ownerOf(r.long()),
        r.longNumber(),
      );
      tree.restore(path, node);
    }
    tree.lastZxid = zxid;
    return { zxid, sessions };
  } catch (err) {
    if (err instanceof CorruptDataError) throw err;
    throw new CorruptDataError(file, r.offset, `snapshot does not decode: ${String(err)}`);
  }
}
