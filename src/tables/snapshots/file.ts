/**
 * A node's snapshot file (`<dataDir>/snapshot`): the snapshot bytes
 * (state/snapshot.ts, whose SHA-256 covers the whole), cut into chunks that
 * each carry a CRC32C, so a damaged file is refused with the offset of the
 * first bad chunk, not only "corrupt".
 *
 * Layout (big-endian): magic `HERDTSNP` (8) | format u32 (1) | chunk size
 * u32 | payload length u64 | header CRC32C u32 (of the 24 bytes before it),
 * then per chunk: its bytes (chunk size, the last one shorter) and their
 * CRC32C u32.
 *
 * Written as a database writes its checkpoint: to `snapshot.tmp`, fsync,
 * rename over `snapshot`, fsync the directory; a crash leaves the old file
 * or the new one, never half of one.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '../../log/storage/crc32c.js';
import { CorruptSnapshotError } from '../errors.js';

const MAGIC = Buffer.from('HERDTSNP');
const FORMAT = 1;
const HEADER = 28;
const CHUNK = 64 * 1024;

/** The file name inside a dataDir. */
export const SNAPSHOT_FILE = 'snapshot';

/** Frames `payload` as a snapshot file's contents. */
export function frameSnapshotFile(payload: Uint8Array, chunkSize = CHUNK): Buffer {
  const chunks = Math.ceil(payload.length / chunkSize);
  const out = Buffer.alloc(HEADER + payload.length + 4 * chunks);
  MAGIC.copy(out, 0);
  out.writeUInt32BE(FORMAT, 8);
  out.writeUInt32BE(chunkSize, 12);
  out.writeBigUInt64BE(BigInt(payload.length), 16);
  out.writeUInt32BE(crc32c(out, 0, 24), 24);
  let at = HEADER;
  for (let from = 0; from < payload.length; from += chunkSize) {
    const piece = payload.subarray(from, Math.min(from + chunkSize, payload.length));
    out.set(piece, at);
    out.writeUInt32BE(crc32c(piece), at + piece.length);
    at += piece.length + 4;
  }
  return out;
}

/** The payload of a snapshot file's contents; CorruptSnapshotError naming `file` and the offset of the damage. */
export function unframeSnapshotFile(bytes: Uint8Array, file: string): Buffer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const bad = (offset: number, why: string): never => {
    throw new CorruptSnapshotError(`tables snapshot file ${file}: ${why} at offset ${offset}`);
  };
  if (buf.length < HEADER) bad(buf.length, `truncated header (${buf.length} of ${HEADER} bytes)`);
  if (!buf.subarray(0, 8).equals(MAGIC)) bad(0, 'not a tables snapshot file (bad magic)');
  if (buf.readUInt32BE(24) !== crc32c(buf, 0, 24)) bad(0, 'header checksum mismatch');
  if (buf.readUInt32BE(8) !== FORMAT) bad(8, `unknown format ${buf.readUInt32BE(8)}`);
  const chunkSize = buf.readUInt32BE(12);
  const length = Number(buf.readBigUInt64BE(16));
  if (chunkSize === 0 || !Number.isSafeInteger(length)) bad(12, 'bad chunk size or length');
  const payload = Buffer.alloc(length);
  let at = HEADER;
  for (let from = 0; from < length; from += chunkSize) {
    const size = Math.min(chunkSize, length - from);
    if (at + size + 4 > buf.length) bad(buf.length, `truncated: ${buf.length} bytes, the chunk at offset ${at} needs ${size + 4}`);
    if (buf.readUInt32BE(at + size) !== crc32c(buf, at, at + size)) bad(at, 'chunk checksum mismatch (CRC32C)');
    buf.copy(payload, from, at, at + size);
    at += size + 4;
  }
  if (at !== buf.length) bad(at, `${buf.length - at} unexpected bytes after the last chunk`);
  return payload;
}

/** Reads `<dir>/snapshot`'s payload; undefined when there is none; CorruptSnapshotError (naming the file and offset) when damaged. */
export async function readSnapshotFile(dir: string): Promise<Buffer | undefined> {
  const file = join(dir, SNAPSHOT_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return unframeSnapshotFile(bytes, file);
}

/** Writes `payload` to `<dir>/snapshot` atomically and durably (tmp, fsync, rename, fsync dir). */
export async function writeSnapshotFile(dir: string, payload: Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${SNAPSHOT_FILE}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(frameSnapshotFile(payload));
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, join(dir, SNAPSHOT_FILE));
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
