/**
 * Recovery's second step (node-storage.ts): the journal records left by a
 * crash, applied to the segment files.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecord, RecordKind } from './record.js';
import { Segment, type SegmentRecord } from './segment.js';

/** Bytes of one segment's replayed records gathered before they are written. */
const REPLAY_WRITE = 1024 * 1024;

/**
 * Applies journal records found on recovery to the segment files, a
 * segment's records gathered into large writes. Entries a segment file
 * already holds are skipped, which makes replaying a journal twice harmless.
 */
export class Replay {
  private groups = new Map<number, { records: SegmentRecord[]; bytes: number }>();

  constructor(
    private readonly segments: Map<number, Segment>,
    private readonly dir: string,
  ) {}

  async record(record: Buffer): Promise<void> {
    // Scan buffers are large chunks of the file: keep a copy of just this record.
    const copy = Buffer.from(record);
    const decoded = decodeRecord(copy, 0);
    const id = decoded.segmentId;
    if (decoded.kind === RecordKind.delete) {
      this.groups.delete(id);
      const seg = this.segments.get(id);
      this.segments.delete(id);
      if (seg) {
        await seg.close();
        await unlink(seg.path).catch(() => {});
      }
      return;
    }
    let seg = this.segments.get(id);
    if (!seg) {
      seg = new Segment(id, join(this.dir, `${id}.seg`));
      this.segments.set(id, seg);
    }
    if (decoded.kind === RecordKind.entry ? seg.has(decoded.entryId) : seg.fenced) return;
    const group = this.groups.get(id) ?? { records: [], bytes: 0 };
    group.records.push({ record: copy, decoded });
    group.bytes += copy.length;
    this.groups.set(id, group);
    if (decoded.kind === RecordKind.entry) seg.reserve(decoded.entryId, decoded.timestamp, copy);
    else seg.fenced = true;
    if (group.bytes >= REPLAY_WRITE) await this.write(id);
  }

  async finish(): Promise<void> {
    for (const id of [...this.groups.keys()]) await this.write(id);
  }

  private async write(id: number): Promise<void> {
    const group = this.groups.get(id);
    this.groups.delete(id);
    if (group) await this.segments.get(id)!.apply(group.records);
  }
}
