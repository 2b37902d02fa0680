/**
 * The journal: where an operation becomes durable. Every add, fence and
 * delete is one record (record.ts) appended here; a batch of records is one
 * write and one fdatasync (group-commit.ts), and nothing is acknowledged
 * before its batch is synced.
 *
 * Files: `journal/<16-digit sequence>.jnl`:
 *   magic "HERDJNL1" (8 bytes)
 *   records, back to back
 *   zeros: space preallocated in steps (so fdatasync rarely has to write
 *          the file size as well); a zero length field ends the data
 *
 * Checkpoint: the journal is applied to the segment files as it goes, but
 * those are not synced per batch. A checkpoint syncs every segment file
 * written since the last one, then starts a new journal file and deletes
 * the older ones, oldest first; a crash in the middle leaves a suffix of
 * files whose replay is idempotent. Recovery replays every journal file
 * left, then checkpoints, so replay never goes back further than one file.
 *
 * Failure handling:
 * - Recovery: a bad record in the newest file with no good record after it
 *   is the torn tail of a batch that was never synced, so never
 *   acknowledged: it is truncated and logged. Any other bad record, or a
 *   bad magic, refuses to open with {@link CorruptStorageError} naming the
 *   file and offset.
 * - Disk full on a write: the bytes the failed write may have left are
 *   dropped (truncate back, then extend with zeros again), the batch fails
 *   with {@link DiskFullError}, and the next batch writes at the same
 *   place. A failed fsync, or any other write error, leaves the file's
 *   state unknown (the kernel may have dropped the dirty pages): the
 *   journal refuses every later batch with {@link StorageFailedError}.
 */
import { fdatasync } from 'node:fs';
import { mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from '../../base/durable-fs.js';
import { CorruptStorageError, DiskFullError, isDiskFull, StorageFailedError } from './errors.js';
import { FileWindow, scanRecords } from './record-scan.js';
import { writeAt } from './write-at.js';

export const JOURNAL_MAGIC = Buffer.from('HERDJNL1', 'latin1');
const NAME = /^([0-9]{16})\.jnl$/;

/** How the journal writes. */
export interface JournalOptions {
  dir: string;
  fsync: boolean;
  /** Bytes a file grows by at a time. */
  preallocate: number;
  /** A file past this many bytes is rolled over at the next checkpoint. */
  maxFileSize: number;
  logger: (message: string) => void;
}

/** Called with each good record found on recovery, in journal order. */
export type ReplayRecord = (record: Buffer, file: string, offset: number) => void | Promise<void>;

export class Journal {
  /** fdatasync calls made. */
  fsyncs = 0;
  /** How long the last fdatasync took, in ms. */
  lastFsyncDuration = 0;

  private fh: FileHandle | null = null;
  private path = '';
  private position = 0;
  private allocated = 0;
  private failure: Error | null = null;

  private constructor(
    private readonly options: JournalOptions,
    /** Files before the current one, oldest first: deleted at the next checkpoint. */
    private older: string[],
    private nextSeq: number,
  ) {}

  /** Replays every journal file in `options.dir` (creating the directory if needed); the journal has no open file until {@link roll}. */
  static async recover(options: JournalOptions, replay: ReplayRecord): Promise<Journal> {
    await mkdir(options.dir, { recursive: true });
    const files = (await readdir(options.dir))
      .map((name) => NAME.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ path: join(options.dir, m[0]), seq: Number(m[1]) }))
      .sort((a, b) => a.seq - b.seq);
    for (let i = 0; i < files.length; i++) {
      await replayFile(files[i]!.path, i === files.length - 1, replay, options.logger);
    }
    const nextSeq = files.length > 0 ? files[files.length - 1]!.seq + 1 : 1;
    return new Journal(options, files.map((f) => f.path), nextSeq);
  }

  /** Bytes written to the current file (its header included). */
  get size(): number {
    return this.position;
  }

  /** Whether the current file is past `maxFileSize` and should be rolled at a checkpoint. */
  get full(): boolean {
    return this.position >= this.options.maxFileSize;
  }

  /** Starts a new file; the current one joins the files the next {@link removeOlder} deletes. */
  async roll(): Promise<void> {
    const path = join(this.options.dir, `${String(this.nextSeq).padStart(16, '0')}.jnl`);
    const fh = await open(path, 'wx');
    try {
      await fh.truncate(this.options.preallocate);
      await fh.write(JOURNAL_MAGIC, 0, JOURNAL_MAGIC.length, 0);
      if (this.options.fsync) {
        await fh.sync();
        await syncDir(this.options.dir);
      }
    } catch (err) {
      await fh.close();
      // A file left with half a header would read as corruption on the next recovery.
      await unlink(path).catch(() => {});
      throw isDiskFull(err) ? new DiskFullError(`journal ${path}: disk full starting a file`, { cause: err }) : err;
    }
    if (this.fh) {
      await this.fh.close();
      this.older.push(this.path);
    }
    this.nextSeq++;
    this.fh = fh;
    this.path = path;
    this.position = JOURNAL_MAGIC.length;
    this.allocated = this.options.preallocate;
  }

  /** Deletes the files before the current one (the checkpoint's last step: their records are in synced segment files). */
  async removeOlder(): Promise<void> {
    while (this.older.length > 0) {
      await unlink(this.older[0]!).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      this.older.shift();
    }
    if (this.options.fsync) await syncDir(this.options.dir);
  }

  /** Writes a batch of records and syncs it; resolves once it is durable. */
  async append(batch: Buffer): Promise<void> {
    if (this.failure) throw new StorageFailedError(`journal ${this.path}: failed earlier: ${this.failure.message}`, { cause: this.failure });
    if (!this.fh) throw new StorageFailedError('journal: no open file');
    const fh = this.fh;
    try {
      if (this.position + batch.length > this.allocated) {
        const step = this.options.preallocate;
        const size = Math.ceil((this.position + batch.length) / step) * step;
        await fh.truncate(size);
        this.allocated = size;
        // The new size is metadata: one full sync here spares every batch's fdatasync from it.
        if (this.options.fsync) await fh.sync();
      }
      // Inline: a page-cache copy costs less on the loop than a thread hand-off (./write-at.ts); the sync below is async.
      writeAt(fh, batch, this.position);
    } catch (err) {
      if (!isDiskFull(err)) throw this.fail(err);
      await this.dropAfter(fh, err);
      throw new DiskFullError(`journal ${this.path}: disk full writing ${batch.length} bytes at offset ${this.position}`, { cause: err });
    }
    if (this.options.fsync) {
      const t0 = performance.now();
      try {
        await datasync(fh.fd);
      } catch (err) {
        throw this.fail(err);
      }
      this.lastFsyncDuration = performance.now() - t0;
      this.fsyncs++;
    }
    this.position += batch.length;
  }

  /** Zeroes whatever a failed write left after the data, so no stray bytes follow it into recovery. */
  private async dropAfter(fh: FileHandle, cause: unknown): Promise<void> {
    try {
      await fh.truncate(this.position);
      await fh.truncate(this.allocated);
    } catch (err) {
      throw this.fail(err ?? cause);
    }
  }

  private fail(err: unknown): StorageFailedError {
    this.failure = err instanceof Error ? err : new Error(String(err));
    return new StorageFailedError(`journal ${this.path}: ${this.failure.message}`, { cause: err });
  }

  /** Closes the current file (its records stay for the next recovery unless checkpointed). */
  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = null;
  }
}

/**
 * fdatasync through the callback API: one thread-pool request and one
 * promise, without FileHandle's own promise machinery on the path of every
 * group commit (the file stays open: the journal closes it only after its
 * last batch settled).
 */
function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

async function replayFile(path: string, newest: boolean, replay: ReplayRecord, logger: (m: string) => void): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const { size } = await fh.stat();
    const w = new FileWindow(fh, size);
    const magic = await w.view(0, JOURNAL_MAGIC.length);
    if (!magic.equals(JOURNAL_MAGIC)) {
      // A file created just before a crash may not have its header yet.
      if (newest && magic.every((b) => b === 0)) return;
      throw new CorruptStorageError(path, 0, 'not a Herd journal file (bad magic)');
    }
    for await (const ev of scanRecords(w, JOURNAL_MAGIC.length, () => true)) {
      if (ev.type === 'record') await replay(ev.record, path, ev.offset);
      else if (ev.type === 'bad') {
        if (!newest || ev.resumeAt !== null) throw new CorruptStorageError(path, ev.offset, ev.reason);
        logger(`journal ${path}: torn tail at offset ${ev.offset} (${ev.reason}), truncated: it was never acknowledged`);
        await fh.truncate(ev.offset);
        await fh.sync();
      }
    }
  } finally {
    await fh.close();
  }
}
