import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
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
 * Chunks of about 1 MiB go to `emit` as they fill (the first holds the
 * header), without the checksum. The node count, known only at the end, is
 * returned with its offset, for the caller to patch in before it computes
 * the checksum. `sliceMs` (default 4) bounds a slice; at 0, every 256 nodes
 * are a slice (tests use it to interleave changes).
 */
async function serializeInto(
  tree: DataTree,
  zxid: bigint,
  sessions: Iterable<SnapshotSession>,
  sliceMs: number,
  emit: (chunk: Buffer) => Promise<void> | void,
): Promise<{ count: number; countAt: number }> {
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
      if (w.offset >= CHUNK) await emit(w.take());
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
    await emit(w.take());
    return { count, countAt };
  } finally {
    tree.beforeChange = null;
    tree.beforeDelete = null;
  }
}

/**
 * The snapshot of the tree at `zxid` as chunks in memory, the last one the
 * checksum (see serializeInto). For a tree a snapshot file is written from
 * at once (import-zk) and for tests; the server streams with
 * {@link writeTreeSnapshot}.
 */
export async function serializeSnapshot(
  tree: DataTree,
  zxid: bigint,
  sessions: Iterable<SnapshotSession>,
  options: { sliceMs?: number } = {},
): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  const { count, countAt } = await serializeInto(tree, zxid, sessions, options.sliceMs ?? SLICE_MS, (chunk) => {
    chunks.push(chunk);
  });
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
}

/**
 * Writes the snapshot of the tree at `zxid` durably (temp file, fsync,
 * rename) and returns its path. Chunks go to the file as they are
 * serialized, so a million-znode snapshot never sits whole in memory (it
 * would double the server's footprint while it is written); the checksum
 * is then computed by reading the file back, a piece per turn of the event
 * loop.
 */
export async function writeTreeSnapshot(dir: string, tree: DataTree, zxid: bigint, sessions: Iterable<SnapshotSession>, sync: boolean): Promise<string> {
  const path = join(dir, zxidName('snapshot', zxid));
  const tmp = `${path}.tmp`;
  // Checked before the temp file is opened: a second snapshot at the same zxid would share its name.
  if (tree.beforeChange || tree.beforeDelete) throw new Error('a snapshot is already being taken');
  const opened = open(tmp, 'w+');
  let size = 0;
  // Started before anything is awaited: the walk's hooks must be in place before the next txn applies.
  const serialized = serializeInto(tree, zxid, sessions, SLICE_MS, async (chunk) => {
    await (await opened).write(chunk, 0, chunk.length, size);
    size += chunk.length;
  });
  let fh: Awaited<typeof opened> | undefined;
  try {
    fh = await opened;
    const { count, countAt } = await serialized;
    const field = Buffer.alloc(4);
    field.writeInt32BE(count);
    await fh.write(field, 0, 4, countAt);
    const piece = Buffer.allocUnsafe(CHUNK);
    let crc = 0;
    for (let at = 0; at < size; ) {
      const { bytesRead } = await fh.read(piece, 0, Math.min(CHUNK, size - at), at);
      if (bytesRead === 0) throw new Error(`${tmp} is shorter than what was written`);
      crc = crc32(piece.subarray(0, bytesRead), crc);
      at += bytesRead;
    }
    field.writeUInt32BE(crc >>> 0);
    await fh.write(field, 0, 4, size);
    if (sync) await fh.sync();
  } catch (err) {
    await serialized.catch(() => undefined);
    await fh?.close();
    if (fh) await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  if (sync) await syncDir(dir);
  return path;
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

/** Snapshots from this size up are checksummed on a worker thread while the main thread decodes. */
const WORKER_CHECKSUM_MIN = 16 << 20;

/** The worker's script (CommonJS, as eval workers run): the CRC-32 of a file's first `length` bytes, read in 8 MiB pieces. */
const CHECKSUM_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, openSync, readSync } = require('node:fs');
const { crc32 } = require('node:zlib');
const fd = openSync(workerData.file, 'r');
const piece = Buffer.allocUnsafe(8 << 20);
let crc = 0;
for (let at = 0; at < workerData.length; ) {
  const n = readSync(fd, piece, 0, Math.min(piece.length, workerData.length - at), at);
  if (n === 0) throw new Error('file shorter than expected');
  crc = crc32(piece.subarray(0, n), crc);
  at += n;
}
closeSync(fd);
parentPort.postMessage(crc >>> 0);
`;

/**
 * The checksum of a large snapshot, computed on another thread: at a
 * million znodes it is about a tenth of the load, and a restarting server
 * has a second core to spare. Falls back to this thread if a worker fails.
 */
function checksumOf(file: string, buf: Buffer, length: number, workerMin: number): Promise<number> {
  const here = (): number => crc32(buf.subarray(0, length)) >>> 0;
  if (length < workerMin) return Promise.resolve(here());
  return new Promise<number>((resolve, reject) => {
    const worker = new Worker(CHECKSUM_WORKER, { eval: true, workerData: { file, length } });
    worker.once('message', (crc: number) => resolve(crc));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`checksum worker exited with code ${code}`)));
  }).catch(here);
}

/**
 * Reads a snapshot into the (fresh) tree; throws CorruptDataError naming the
 * file and offset. The tree is filled while the checksum is still being
 * computed: on a mismatch it is garbage, and the caller drops it with the
 * error. `workerChecksumMin` is the size from which the checksum is computed
 * on a worker thread (default 16 MiB).
 */
export async function readSnapshot(
  file: string,
  tree: DataTree,
  options: { workerChecksumMin?: number } = {},
): Promise<SnapshotContents> {
  const started = performance.now();
  const buf = await readFile(file);
  if (buf.length < SNAPSHOT_MAGIC.length + 12 || !buf.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    throw new CorruptDataError(file, 0, 'not a Herd snapshot (bad magic)');
  }
  const bodyEnd = buf.length - 4;
  const checksum = checksumOf(file, buf, bodyEnd, options.workerChecksumMin ?? WORKER_CHECKSUM_MIN);
  const verify = async (): Promise<void> => {
    if ((await checksum) !== buf.readUInt32BE(bodyEnd)) throw new CorruptDataError(file, bodyEnd, 'snapshot checksum mismatch');
  };
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
    await verify();
    tree.lastZxid = zxid;
    return { zxid, sessions, readMs };
  } catch (err) {
    // A damaged file is reported as the checksum mismatch it is, whatever decoding tripped over first.
    await verify();
    if (err instanceof CorruptDataError) throw err;
    throw new CorruptDataError(file, r.offset, `snapshot does not decode: ${String(err)}`);
  }
}
