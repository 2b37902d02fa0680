import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { JuteReader } from '../../jute/reader.js';
import { readACLs, writeACLs, type ACL } from '../../jute/records/acl.js';
import { JuteWriter } from '../../jute/writer.js';
import { DataNode, type DataTree } from '../data-tree.js';
import { copiedAt, copyZnodeBytes } from '../znode-data.js';
import { CorruptDataError } from './corrupt-data-error.js';
import { syncDir } from '../../base/durable-fs.js';
import { zxidName } from './data-dir.js';

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
  /** Time spent reading the file and checking its checksum, ms (the rest was decoding). */
  readMs: number;
}

/**
 * How long one slice of serialization may hold the event loop, ms. Requests
 * queued behind a slice wait this long at most; at a million znodes the
 * whole serialization is a few hundred ms of work.
 */
const SLICE_MS = 4;

const yieldToEventLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Serializes the tree and sessions as they are at `zxid` into chunks (the
 * last one carries the checksum), a slice at a time between turns of the
 * event loop, walking the live tree rather than a copy of its million
 * entries (which took one long pause per snapshot). The tree keeps changing
 * meanwhile, and the snapshot is still exactly the state at `zxid`:
 * - the tree's `beforeChange` hook keeps a copy of a node before it first
 *   changes, and that copy is written instead;
 * - nodes created after `zxid` are skipped (their czxid is later);
 * - a node deleted before the walk reaches it is kept with its path by the
 *   `beforeDelete` hook and written after the walk, shallowest first so
 *   parents precede children. One deleted after the walk wrote it is
 *   written twice, with the same state; loading keeps the later record.
 * The node count, known only at the end, is patched into the header before
 * the checksum is computed. `sliceMs` (default 4) bounds a slice; at 0,
 * every 256 nodes are a slice (tests use it to interleave changes).
 */
export async function serializeSnapshot(
  tree: DataTree,
  zxid: bigint,
  sessions: Iterable<SnapshotSession>,
  options: { sliceMs?: number } = {},
): Promise<Buffer[]> {
  const sliceMs = options.sliceMs ?? SLICE_MS;
  const last = Number(zxid);
  const before = new Map<DataNode, DataNode>();
  const deleted: Array<[string, DataNode]> = [];
  if (tree.beforeChange || tree.beforeDelete) throw new Error('a snapshot is already being taken');
  const keep = (node: DataNode): DataNode => {
    let copy = before.get(node);
    if (copy === undefined) before.set(node, (copy = node.clone()));
    return copy;
  };
  tree.beforeChange = keep;
  tree.beforeDelete = (path, node) => {
    if (node.czxid <= last) deleted.push([path, keep(node)]);
  };
  try {
    const chunks: Buffer[] = [];
    const w = new JuteWriter(CHUNK + 4096);
    w.raw(SNAPSHOT_MAGIC).long(zxid);
    const list = [...sessions];
    w.int(list.length);
    for (const s of list) w.long(s.id).int(s.timeout);
    const countAt = w.offset;
    w.int(0);
    let count = 0;
    // The tree shares equal ACL lists (AclInterner), so each list is encoded once and copied after.
    const aclBytes = new Map<readonly ACL[], Buffer>();
    const write = (path: string, n: DataNode): void => {
      w.ustring(path).buffer(n.data);
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
      count++;
      if (w.offset >= CHUNK) chunks.push(w.take());
    };
    let sliceEnd = performance.now() + sliceMs;
    let k = 0;
    // Map iteration survives changes: entries deleted before they are reached are skipped, new ones come at the end.
    for (const [path, node] of tree.entries()) {
      if ((++k & 255) === 0 && performance.now() >= sliceEnd) {
        await yieldToEventLoop();
        sliceEnd = performance.now() + sliceMs;
      }
      if (node.czxid > last) continue;
      write(path, before.get(node) ?? node);
    }
    tree.beforeChange = null;
    tree.beforeDelete = null;
    const depth = (path: string): number => {
      let d = 0;
      for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) d++;
      return d;
    };
    deleted.sort((a, b) => depth(a[0]) - depth(b[0]));
    for (const [path, node] of deleted) write(path, node);
    chunks.push(w.take());
    chunks[0]!.writeInt32BE(count, countAt);
    let crc = 0;
    for (let i = 0; i < chunks.length; i++) {
      if (i > 0 && i % 8 === 0) await yieldToEventLoop();
      crc = crc32(chunks[i]!, crc);
    }
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32BE(crc >>> 0);
    chunks.push(trailer);
    return chunks;
  } finally {
    tree.beforeChange = null;
    tree.beforeDelete = null;
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

/**
 * The end of the ACL vector that starts at `at`, without decoding it: a
 * snapshot's nodes mostly repeat one list, so the loader compares bytes
 * with the previous node's list and decodes only a list it has not seen.
 */
function aclVectorEnd(buf: Buffer, at: number, end: number): number {
  const need = (n: number): void => {
    if (at + n > end) throw new RangeError(`ACL vector runs past the end of the data at ${at}`);
  };
  need(4);
  const count = buf.readInt32BE(at);
  at += 4;
  if (count < 0) return at;
  if (count > end - at) throw new RangeError(`ACL vector of ${count} entries at ${at - 4}`);
  for (let i = 0; i < count; i++) {
    at += 4;
    for (let j = 0; j < 2; j++) {
      need(4);
      const len = buf.readInt32BE(at);
      at += 4 + Math.max(0, len);
      need(0);
    }
  }
  return at;
}

function sameBytes(buf: Buffer, a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** Reads a snapshot into the (fresh) tree; throws CorruptDataError naming the file and offset. */
export async function readSnapshot(file: string, tree: DataTree): Promise<SnapshotContents> {
  const started = performance.now();
  const buf = await readFile(file);
  if (buf.length < SNAPSHOT_MAGIC.length + 12 || !buf.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    throw new CorruptDataError(file, 0, 'not a Herd snapshot (bad magic)');
  }
  const bodyEnd = buf.length - 4;
  if ((crc32(buf.subarray(0, bodyEnd)) >>> 0) !== buf.readUInt32BE(bodyEnd)) {
    throw new CorruptDataError(file, bodyEnd, 'snapshot checksum mismatch');
  }
  const readMs = performance.now() - started;
  const r = new JuteReader(buf, SNAPSHOT_MAGIC.length, bodyEnd);
  try {
    const zxid = r.long();
    const sessions = r.vector((rr) => ({ id: rr.long(), timeout: rr.int() })) ?? [];
    const count = r.int();
    let aclStart = 0;
    let aclLength = -1;
    let acl: ACL[] = [];
    for (let i = 0; i < count; i++) {
      const path = r.string();
      const dataLength = r.int();
      if (dataLength < -1 || dataLength > r.remaining) throw new RangeError(`value of ${dataLength} bytes with ${r.remaining} left`);
      const dataAt = r.offset;
      r.offset += Math.max(0, dataLength);
      const at = r.offset;
      const aclEnd = aclVectorEnd(buf, at, bodyEnd);
      if (aclEnd - at !== aclLength || !sameBytes(buf, at, aclStart, aclLength)) {
        acl = tree.internAcl(readACLs(r));
        aclStart = at;
        aclLength = aclEnd - at;
      }
      r.offset = aclEnd;
      const node = new DataNode(null, acl, r.longNumber(), r.longNumber(), r.longNumber(), r.longNumber(), r.int(), r.int(), r.int(), r.long(), r.longNumber());
      if (dataLength >= 0) node.setStoredData(copyZnodeBytes(buf, dataAt, dataLength), copiedAt, dataLength);
      tree.restoreInterned(path, node);
    }
    tree.lastZxid = zxid;
    return { zxid, sessions, readMs };
  } catch (err) {
    if (err instanceof CorruptDataError) throw err;
    throw new CorruptDataError(file, r.offset, `snapshot does not decode: ${String(err)}`);
  }
}
