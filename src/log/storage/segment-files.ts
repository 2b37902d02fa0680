/**
 * The segments of a node's storage and their files: found or created by
 * id, durable records applied to them after each group commit (one write
 * per segment, the segments written in parallel), dropped by a delete,
 * written and synced by a checkpoint. NodeStorage (./node-storage.ts)
 * decides when; this holds what is done to the files.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from '../../base/durable-fs.js';
import { RecordKind } from './record.js';
import type { EntryRun } from './held-records.js';
import { Segment, type SegmentRecord } from './segment.js';

export class SegmentFiles {
  /** The segments held, by id. */
  readonly map = new Map<number, Segment>();

  constructor(
    /** The directory of the segment files. */
    readonly dir: string,
    private readonly logger: (message: string) => void,
  ) {}

  /** The segment `id`, new and empty (its file is created by its first write) when not held yet. */
  open(id: number): Segment {
    let seg = this.map.get(id);
    if (!seg) {
      seg = new Segment(id, join(this.dir, `${id}.seg`));
      this.map.set(id, seg);
    }
    return seg;
  }

  /**
   * Applies durable records to segment files, one write per segment, the
   * segments written in parallel; a delete first applies what came before
   * it. Until the first delete, every record is registered in its segment
   * before this yields (Segment.apply). A segment file that cannot
   * be written keeps its records in memory until a later batch or
   * checkpoint writes them.
   */
  async applyAll(records: readonly (SegmentRecord | EntryRun)[]): Promise<void> {
    let groups = new Map<number, (SegmentRecord | EntryRun)[]>();
    const flush = async (): Promise<void> => {
      const writes = [...groups].map(([id, recs]) =>
        this.open(id)
          .apply(recs)
          .catch((err: unknown) => this.logger(`segment ${id}: write failed, entries kept in memory until it works: ${String(err)}`)),
      );
      groups = new Map();
      await Promise.all(writes);
    };
    for (const r of records) {
      const segmentId = 'ends' in r ? r.segmentId : r.decoded.segmentId;
      if (!('ends' in r) && r.decoded.kind === RecordKind.delete) {
        await flush();
        await this.drop(segmentId);
      } else {
        const list = groups.get(segmentId) ?? [];
        list.push(r);
        groups.set(segmentId, list);
      }
    }
    await flush();
  }

  /** Writes the records segments hold in memory only; false when one still cannot (a checkpoint waits). */
  async writeAll(): Promise<boolean> {
    for (const seg of this.map.values()) {
      await seg.writeUnwritten().catch(() => {});
      if (seg.unwritten.size > 0) return false;
    }
    return true;
  }

  /** Syncs every segment file written since the last call, and the directory (only marks them clean when `fsync` is false). */
  async syncAll(fsync: boolean): Promise<void> {
    for (const seg of this.map.values()) await seg.sync(fsync);
    if (fsync) await syncDir(this.dir);
  }

  private async drop(id: number): Promise<void> {
    const seg = this.map.get(id);
    if (!seg) return;
    this.map.delete(id);
    // Writes of earlier batches may still be on their way to the file.
    await seg.settled();
    // The delete is durable in the journal already: a file that will not close or go away is only logged.
    await seg.close().catch((err: unknown) => this.logger(`segment ${id}: cannot close ${seg.path}: ${String(err)}`));
    await unlink(seg.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') this.logger(`segment ${id}: cannot remove ${seg.path}: ${err.message}`);
    });
  }
}
