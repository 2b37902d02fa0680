import { open, truncate, type FileHandle } from 'node:fs/promises';
import { JuteWriter } from '../../jute/writer.js';
import type { Logger } from '../logger.js';
import type { TxnLog } from '../txn-log.js';
import type { Txn, TxnHeader } from '../txn.js';
import { syncDir } from '../../base/durable-fs.js';
import { zxidName } from './data-dir.js';
import { recordCrc32 } from './crc32.js';
import { LOG_MAGIC, RECORD_OVERHEAD } from './log-format.js';
import { writeTxn, writeTxnHeader } from './txn-codec.js';
import { join } from 'node:path';

/**
 * The durable log stage. Appends are encoded at once into a pending batch;
 * one write and one fdatasync carry the whole batch (group commit), and only
 * then does `durableZxid` advance and held replies go out. While a batch is
 * on its way to disk the next one fills up, so under load each fsync covers
 * many transactions. Files are preallocated in large steps so fdatasync does
 * not also have to write file-size metadata, and rolled when they grow past
 * `maxFileSize` or when a snapshot is taken.
 */

export interface FileTxnLogOptions {
  dir: string;
  /** fsync every batch. Only tests may turn it off. */
  forceSync: boolean;
  preallocateBytes: number;
  maxFileSize: number;
  log: Logger;
  /** Called on a write or fsync failure: the server cannot go on. */
  onFatal: (err: Error) => void;
}

export class FileTxnLog implements TxnLog {
  durableZxid: bigint;
  onDurable: (zxid: bigint) => void = () => {};
  /** Transactions appended to the current file (for snapshot scheduling). */
  appendedSinceRoll = 0;

  private fh: FileHandle | null = null;
  private position = 0;
  private allocated = 0;
  /** The batch filling up; swapped with {@link spare} when a flush takes it, so no batch is copied. */
  private pending = new JuteWriter(64 * 1024);
  /** The batch last written to disk, reused for the next one (the flush loop writes one batch at a time). */
  private spare = new JuteWriter(64 * 1024);
  /** Where each record of {@link pending} starts: its length and checksum are filled in at the flush. */
  private recordStarts: number[] = [];
  private spareStarts: number[] = [];
  private pendingZxid = 0n;
  private flushing = false;
  private rollRequested = false;
  private closed = false;
  private idle: Array<() => void> = [];
  /** fsync durations in ms, for metrics. */
  readonly fsyncTimes: number[] = [];
  /** Called with each fsync's duration in ms (the server's metrics). */
  onFsync: ((ms: number) => void) | null = null;

  constructor(
    private readonly options: FileTxnLogOptions,
    lastZxid: bigint,
  ) {
    this.durableZxid = lastZxid;
  }

  /** Continues an existing file at `end` (after recovery), or starts a new one with the next txn. */
  async resume(file: { path: string; end: number } | null): Promise<void> {
    if (!file) return;
    const fh = await open(file.path, 'r+');
    const { size } = await fh.stat();
    this.fh = fh;
    this.position = file.end;
    this.allocated = size;
  }

  append(header: TxnHeader, txn: Txn): void {
    const w = this.pending;
    // Length and checksum come at the flush, in one pass over the batch (sealBatch).
    this.recordStarts.push(w.offset);
    w.int(0).int(0);
    writeTxnHeader(w, header);
    writeTxn(w, txn);
    this.pendingZxid = header.zxid;
    this.scheduleFlush();
  }

  /**
   * Takes the pending batch for writing, with each record's length and CRC
   * filled in, and starts the next batch in the spare buffer. The bytes are
   * those append once wrote record by record; sealing them here takes one
   * view of the batch instead of two Buffer views and the writes per txn.
   */
  private sealBatch(): Buffer {
    const w = this.pending;
    const starts = this.recordStarts;
    const batch = w.view();
    const n = starts.length;
    for (let i = 0; i < n; i++) {
      const start = starts[i]!;
      const end = i + 1 < n ? starts[i + 1]! : batch.length;
      batch.writeInt32BE(end - start - RECORD_OVERHEAD, start);
      batch.writeUInt32BE(recordCrc32(batch, start + RECORD_OVERHEAD, end), start + 4);
    }
    this.pending = this.spare;
    this.spare = w;
    this.recordStarts = this.spareStarts;
    this.spareStarts = starts;
    this.pending.reset();
    this.recordStarts.length = 0;
    return batch;
  }

  /** The next batch starts a new file (after a snapshot, so old files can be purged). */
  roll(): void {
    this.rollRequested = true;
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    // setImmediate lets every request of this I/O turn join the batch.
    setImmediate(() => {
      this.flush().catch((err: unknown) => this.options.onFatal(err instanceof Error ? err : new Error(String(err))));
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.offset > 0 && !this.closed) {
      // Valid until the next sealBatch, which comes after this batch is on disk.
      const batch = this.sealBatch();
      const zxid = this.pendingZxid;
      const firstZxid = batch.readBigInt64BE(RECORD_OVERHEAD + 12);
      if (!this.fh || this.rollRequested || this.position >= this.options.maxFileSize) await this.startFile(firstZxid);
      await this.ensureAllocated(batch.length);
      await this.fh!.write(batch, 0, batch.length, this.position);
      this.position += batch.length;
      if (this.options.forceSync) {
        const t0 = performance.now();
        await this.fh!.datasync();
        const ms = performance.now() - t0;
        this.fsyncTimes.push(ms);
        this.onFsync?.(ms);
        if (this.fsyncTimes.length > 1024) this.fsyncTimes.splice(0, 512);
      }
      this.durableZxid = zxid;
      this.onDurable(zxid);
    }
    this.flushing = false;
    for (const done of this.idle.splice(0)) done();
  }

  private async startFile(firstZxid: bigint): Promise<void> {
    await this.fh?.close();
    this.rollRequested = false;
    const path = join(this.options.dir, zxidName('log', firstZxid));
    this.fh = await open(path, 'wx');
    this.allocated = 0;
    this.position = 0;
    await this.ensureAllocated(LOG_MAGIC.length);
    await this.fh.write(LOG_MAGIC, 0, LOG_MAGIC.length, 0);
    this.position = LOG_MAGIC.length;
    this.appendedSinceRoll = 0;
    if (this.options.forceSync) {
      await this.fh.sync();
      await syncDir(this.options.dir);
    }
  }

  private async ensureAllocated(bytes: number): Promise<void> {
    if (this.position + bytes <= this.allocated) return;
    const step = this.options.preallocateBytes;
    const size = Math.ceil((this.position + bytes) / step) * step;
    await this.fh!.truncate(size);
    this.allocated = size;
    // The new size is metadata: make it durable once here so each batch's fdatasync need not.
    if (this.options.forceSync) await this.fh!.sync();
  }

  /** Resolves once everything appended so far is durable. */
  async drain(): Promise<void> {
    if (!this.flushing) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    await this.fh?.close();
    this.fh = null;
  }
}

/** Cuts a torn tail off the last log file. */
export async function truncateLog(path: string, end: number): Promise<void> {
  await truncate(path, end);
}
