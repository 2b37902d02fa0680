import { open } from 'node:fs/promises';
import { JuteReader } from '../../jute/reader.js';
import type { Txn, TxnHeader } from '../txn.js';
import { CorruptDataError } from './corrupt-data-error.js';
import { recordCrc32 } from './crc32.js';
import { readTxn, readTxnHeader } from './txn-codec.js';

/**
 * Transaction log file layout:
 *   magic "HERDTXL1" (8 bytes)
 *   records: int32 length, uint32 crc32 of the payload, payload (TxnHeader + Txn)
 *   zeros: the preallocated space not yet written (a length of 0 ends the data)
 * A crash can leave the last, unacknowledged batch half written. In the last
 * file a bad record with no valid record after it is such a torn tail and is
 * truncated; anything else bad is corruption and stops the server.
 */

export const LOG_MAGIC = Buffer.from('HERDTXL1', 'latin1');
export const RECORD_OVERHEAD = 8;

export interface LogEntry {
  header: TxnHeader;
  txn: Txn;
}

export interface ScannedLog {
  entries: LogEntry[];
  /** Offset after the last good record: where appends continue. */
  end: number;
  /** Set when a torn tail was found (and must be cut off at `end`). */
  tornAt: number | null;
}

function recordAt(buf: Buffer, at: number): { len: number; ok: boolean } | null {
  if (at + RECORD_OVERHEAD > buf.length) return null;
  const len = buf.readInt32BE(at);
  if (len <= 0 || at + RECORD_OVERHEAD + len > buf.length) return { len, ok: false };
  const crc = buf.readUInt32BE(at + 4);
  return { len, ok: recordCrc32(buf, at + RECORD_OVERHEAD, at + RECORD_OVERHEAD + len) === crc };
}

/**
 * Scans one log file's bytes. `isLast` allows a torn tail. Records before
 * `fromZxid` (already in the snapshot) are checked but not decoded or
 * returned: after a restart most of the first log file is such records.
 */
export function scanLog(file: string, buf: Buffer, isLast: boolean, fromZxid = 0n): ScannedLog {
  if (buf.length < LOG_MAGIC.length || !buf.subarray(0, LOG_MAGIC.length).equals(LOG_MAGIC)) {
    if (isLast && buf.subarray(0, Math.min(buf.length, LOG_MAGIC.length)).every((b) => b === 0)) {
      // Created but the header never reached the disk.
      return { entries: [], end: 0, tornAt: 0 };
    }
    throw new CorruptDataError(file, 0, 'not a Herd transaction log (bad magic)');
  }
  const entries: LogEntry[] = [];
  let lastZxid = -1n;
  let at = LOG_MAGIC.length;
  for (;;) {
    if (at + 4 > buf.length || buf.readInt32BE(at) === 0) {
      // End of data; whatever follows must be untouched preallocated space.
      if (firstNonZero(buf, at) === -1) return { entries, end: at, tornAt: null };
    }
    const rec = recordAt(buf, at);
    if (rec?.ok) {
      const r = new JuteReader(buf, at + RECORD_OVERHEAD, at + RECORD_OVERHEAD + rec.len);
      try {
        // The header's zxid follows its client id (long) and cxid (int).
        const zxid = rec.len >= 20 ? buf.readBigInt64BE(at + RECORD_OVERHEAD + 12) : fromZxid;
        if (zxid < fromZxid) {
          lastZxid = zxid;
        } else {
          const header = readTxnHeader(r);
          entries.push({ header, txn: readTxn(r) });
          lastZxid = header.zxid;
        }
      } catch (err) {
        throw new CorruptDataError(file, at, `record passes its checksum but does not decode: ${String(err)}`);
      }
      at += RECORD_OVERHEAD + rec.len;
      continue;
    }
    if (isLast && !validRecordAfter(buf, at + 1, lastZxid)) return { entries, end: at, tornAt: at };
    throw new CorruptDataError(file, at, rec ? 'checksum mismatch' : 'record header cut short');
  }
}

const ZEROS = Buffer.alloc(64 * 1024);

/** First non-zero byte at or after `from`, or -1; compares 64 KiB at a time (preallocated tails are large). */
function firstNonZero(buf: Buffer, from: number): number {
  let i = from;
  while (i < buf.length) {
    const end = Math.min(i + ZEROS.length, buf.length);
    if (buf.subarray(i, end).equals(ZEROS.subarray(0, end - i))) {
      i = end;
      continue;
    }
    for (let j = i; j < end; j++) if (buf[j] !== 0) return j;
  }
  return -1;
}

/** Whether a well-formed record with a newer zxid starts anywhere at or after `from`. */
function validRecordAfter(buf: Buffer, from: number, lastZxid: bigint): boolean {
  for (let at = from; at + RECORD_OVERHEAD < buf.length; at++) {
    if (buf[at] === 0) {
      const next = firstNonZero(buf, at);
      if (next === -1) return false;
      // A record's length starts with zero bytes, so look from a few bytes before the next non-zero one.
      at = Math.max(at, next - 4);
    }
    const rec = recordAt(buf, at);
    if (!rec?.ok) continue;
    try {
      const header = readTxnHeader(new JuteReader(buf, at + RECORD_OVERHEAD, at + RECORD_OVERHEAD + rec.len));
      if (header.zxid > lastZxid) return true;
    } catch {
      // Not a record after all.
    }
  }
  return false;
}

/**
 * Reads a log file up to its last non-zero byte plus {@link TAIL_MARGIN}.
 * The zero tail is preallocated space (tens of MiB); finding where it starts
 * by reading backwards in reused 1 MiB pieces avoids allocating and faulting
 * in all of it. The margin keeps records that end in zero bytes (a zero
 * session id byte, a megabyte of zero data) whole: a record is never longer
 * than the margin, and its length field is non-zero.
 */
const TAIL_MARGIN = 4 << 20;

export async function readLogData(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const piece = Buffer.alloc(1 << 20);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - piece.length);
      const { bytesRead } = await fh.read(piece, 0, end - start, start);
      let i = bytesRead - 1;
      while (i >= 0 && piece[i] === 0) i--;
      if (i >= 0) {
        end = Math.min(size, start + i + 1 + TAIL_MARGIN);
        break;
      }
      end = start;
    }
    const data = Buffer.alloc(end);
    let read = 0;
    while (read < end) {
      const { bytesRead } = await fh.read(data, read, end - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return data;
  } finally {
    await fh.close();
  }
}
