/**
 * Reading the records of a journal or segment file back, for recovery.
 *
 * A scan walks records from a start offset. A length field of zero with
 * only zero bytes after it is the end of the data (a journal file is
 * preallocated with zeros; a crash can leave a file extended but unwritten).
 * A record that is cut short, fails its checksum or is not plausible is
 * reported as `bad`, with the offset of the next valid record after it
 * (found by trying every byte offset, cheap fields first) or null when none
 * follows: that null is what tells a torn tail (the last, unacknowledged
 * write of a crash) from corruption in the middle. What to do with either
 * is the caller's policy: the journal truncates a torn tail and refuses
 * anything else; a segment file reports both and serves the entry as
 * missing.
 */
import type { FileHandle } from 'node:fs/promises';
import { checkRecord, MARKER_BODY, MAX_BODY, RECORD_HEADER, RecordKind } from './record.js';

const CHUNK = 4 * 1024 * 1024;
const SEARCH_BLOCK = 1024 * 1024;
/** Header plus a marker body: enough to judge whether a record may start here. */
const PROBE = RECORD_HEADER + MARKER_BODY;

/** Reads a file through one reusable window, so a sequential scan does few large reads. */
export class FileWindow {
  private buf = Buffer.alloc(0);
  private start = 0;

  constructor(
    private readonly fh: FileHandle,
    /** The file's size in bytes. */
    readonly size: number,
  ) {}

  /** The bytes `[offset, offset + length)`, fewer at the end of the file. Views stay valid after later calls. */
  async view(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + length, this.size);
    if (offset >= this.start && end <= this.start + this.buf.length) {
      return this.buf.subarray(offset - this.start, end - this.start);
    }
    const want = Math.max(end - offset, Math.min(CHUNK, this.size - offset));
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(buf, got, want - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.buf = buf.subarray(0, got);
    this.start = offset;
    return this.buf.subarray(0, Math.min(end - offset, got));
  }
}

/** Whether a record for this file may start at `at` in `buf` (which holds at least {@link PROBE} bytes from `at`). */
export type Plausible = (buf: Buffer, at: number) => boolean;

export type ScanEvent =
  /** A whole record with a good checksum; `record` holds exactly its bytes. */
  | { type: 'record'; offset: number; record: Buffer }
  /** Bytes that are not a good record. `probe` is what stands at `offset` (up to 41 bytes). */
  | { type: 'bad'; offset: number; reason: string; resumeAt: number | null; probe: Buffer }
  /** The data ends at `offset`: zeros or nothing follow. */
  | { type: 'end'; offset: number };

function plausibleHeader(buf: Buffer, at: number, plausible: Plausible): boolean {
  const len = buf.readUInt32BE(at);
  if (len < MARKER_BODY || len > MAX_BODY) return false;
  const kind = buf[at + RECORD_HEADER];
  if (kind !== RecordKind.entry && kind !== RecordKind.fence && kind !== RecordKind.delete) return false;
  return plausible(buf, at);
}

async function problemAt(w: FileWindow, at: number, plausible: Plausible): Promise<{ problem: string | null; record: Buffer }> {
  const head = await w.view(at, PROBE);
  if (head.length < PROBE) return { problem: 'record header cut short', record: head };
  const len = head.readUInt32BE(0);
  const record = len <= MAX_BODY ? await w.view(at, RECORD_HEADER + len) : head;
  const problem = checkRecord(record, 0) ?? (plausible(record, 0) ? null : 'record of another file');
  return { problem, record };
}

const ZEROS = Buffer.alloc(64 * 1024);

/** Whether only zero bytes follow `at` (a journal's preallocated tail is megabytes: compared a block at a time). */
async function zerosFrom(w: FileWindow, at: number): Promise<boolean> {
  for (let i = at; i < w.size; ) {
    const v = await w.view(i, ZEROS.length);
    if (!v.equals(ZEROS.subarray(0, v.length))) return false;
    i += v.length;
  }
  return true;
}

/** The offset of the first good record at or after `from`, or null. */
async function findNext(w: FileWindow, from: number, plausible: Plausible): Promise<number | null> {
  let q = from;
  while (q + PROBE <= w.size) {
    const block = await w.view(q, SEARCH_BLOCK + PROBE);
    const last = block.length - PROBE;
    for (let i = 0; i <= last; i++) {
      if (!plausibleHeader(block, i, plausible)) continue;
      if ((await problemAt(w, q + i, plausible)).problem === null) return q + i;
    }
    q += last + 1;
  }
  return null;
}

/** Walks the records of a file from `start`; ends with an `end` event unless a bad stretch runs to the end of the file. */
export async function* scanRecords(w: FileWindow, start: number, plausible: Plausible): AsyncGenerator<ScanEvent> {
  let at = start;
  while (at < w.size) {
    const head = await w.view(at, 4);
    if (head.length === 4 && head.readUInt32BE(0) === 0 && (await zerosFrom(w, at))) break;
    const { problem, record } = await problemAt(w, at, plausible);
    if (problem === null) {
      yield { type: 'record', offset: at, record };
      at += record.length;
      continue;
    }
    const probe = Buffer.from(await w.view(at, RECORD_HEADER + 33));
    const resumeAt = await findNext(w, at + 1, plausible);
    yield { type: 'bad', offset: at, reason: problem, resumeAt, probe };
    if (resumeAt === null) return;
    at = resumeAt;
  }
  yield { type: 'end', offset: at };
}
