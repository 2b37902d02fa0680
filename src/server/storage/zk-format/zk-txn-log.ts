import { JuteDecodeError } from '../../../jute/decode-error.js';
import { JuteReader } from '../../../jute/reader.js';
import { CorruptDataError } from '../corrupt-data-error.js';
import { adler32 } from './adler32.js';
import { readZkTxn, readZkTxnHeader, type ZkTxn, type ZkTxnHeader } from './records.js';

/**
 * ZooKeeper transaction log files (FileTxnLog), `version-2/log.<first zxid in hex>`:
 *   FileHeader: int magic 'ZKLG', int version (2), long dbid
 *   records: long Adler-32 of the txn bytes, int length, the txn bytes
 *     (TxnHeader, the txn record, optionally a TxnDigest), byte 'B'
 *   zeros: space preallocated and not yet written (a length of 0 ends the data)
 */

export const ZK_LOG_MAGIC = 0x5a4b4c47; // 'ZKLG'
const EOR = 0x42; // 'B'

export interface ZkLogEntry {
  header: ZkTxnHeader;
  txn: ZkTxn;
  /** Offset of the record in its file. */
  offset: number;
}

export interface ZkLogContents {
  entries: ZkLogEntry[];
  /** Where a torn record starts, when `allowTorn` let reading stop there. */
  tornAt: number | null;
}

const NAME = /^log\.([0-9a-fA-F]+)$/;

/** The first zxid a log file name promises, or null when it is not a log file name. */
export function parseLogName(name: string): bigint | null {
  const m = NAME.exec(name);
  return m ? BigInt(`0x${m[1]}`) : null;
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Decodes a log file's bytes. A record cut short (a file truncated, or a
 * write torn by a crash) throws CorruptDataError naming its offset, unless
 * `allowTorn`: ZooKeeper itself reads such a record as the end of the file
 * (those txns were never acknowledged), and so does this reader then. A
 * record whose checksum does not match is corruption either way.
 */
export function readZkLog(file: string, buf: Buffer, allowTorn = false): ZkLogContents {
  // A file created but never written (ZooKeeper deletes it on start).
  if (buf.length === 0) return { entries: [], tornAt: null };
  const torn = (at: number, reason: string): ZkLogContents => {
    if (allowTorn) return { entries, tornAt: at };
    throw new CorruptDataError(file, at, `${reason} (a torn write: ZooKeeper drops this record and what follows; import with --allow-torn-log to do the same)`);
  };
  const entries: ZkLogEntry[] = [];
  if (buf.length < 16) return torn(0, `log header cut short: ${buf.length} of 16 bytes`);
  const magic = buf.readInt32BE(0);
  if (magic !== ZK_LOG_MAGIC) throw new CorruptDataError(file, 0, `not a ZooKeeper transaction log (magic 0x${(magic >>> 0).toString(16)}, expected 'ZKLG')`);
  let at = 16;
  while (at < buf.length) {
    if (at + 12 > buf.length) {
      if (allZero(buf, at)) break;
      return torn(at, 'record header cut short');
    }
    const checksum = buf.readBigInt64BE(at);
    const len = buf.readInt32BE(at + 8);
    // Preallocated space: the data ends here.
    if (len === 0 && checksum === 0n) break;
    if (len <= 0) throw new CorruptDataError(file, at, `record length ${len}`);
    const end = at + 12 + len;
    if (end + 1 > buf.length) return torn(at, `record of ${len} bytes cut short at the end of the file (${buf.length} bytes)`);
    const bytes = buf.subarray(at + 12, end);
    if (buf[end] !== EOR) return torn(at, `record has no end-of-record byte 'B' at offset ${end}`);
    if (BigInt(adler32(bytes)) !== checksum) throw new CorruptDataError(file, at, 'record checksum mismatch');
    const r = new JuteReader(buf, at + 12, end);
    try {
      const header = readZkTxnHeader(r);
      entries.push({ header, txn: readZkTxn(r, header.type), offset: at });
    } catch (err) {
      const detail = err instanceof JuteDecodeError || err instanceof Error ? err.message : String(err);
      throw new CorruptDataError(file, at, `record passes its checksum but does not decode: ${detail}`);
    }
    at = end + 1;
  }
  return { entries, tornAt: null };
}
