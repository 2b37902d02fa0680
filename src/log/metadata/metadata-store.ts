/**
 * The log's metadata in the coordination store: logs and their segments
 * (layout in ./layout.ts, records and their rules in ./records.ts). Every
 * change is a compare-and-set on the version it was decided from, so two
 * writers (or a writer and a recovery) can never both win: the loser gets
 * MetadataConflictError and must re-read.
 *
 * Failure handling:
 * - Connection loss: reads and fixed-name creates are retried while the
 *   session lives (recipes' retryWhileConnected). A compare-and-set whose
 *   outcome is unknown is settled by reading back: applied when the
 *   record holds what we wrote at the next version (a segment id we added
 *   is in the log's list), retried when the version has not moved, a
 *   conflict otherwise.
 * - A new segment is created and linked into its log in one transaction
 *   that also checks the previous segment's version, so a log never lists
 *   a segment that does not exist, and a segment is added only after the
 *   one before it was seen CLOSED at that very version.
 * - Segment ids come from a sequential create under `ids/`, deleted at
 *   once; an id allocated but not used (a lost race, a crash) is skipped,
 *   never reused. Ids grow by two per allocation (ZooKeeper's counter also
 *   counts the delete), so one store hands out about 10^9 segment ids.
 * - Session gone: every call rejects with the client's error; nothing is
 *   left half-done, because each change is one znode write or one
 *   transaction.
 */
import type { Client } from '../../client/index.js';
import { op } from '../../client/index.js';
import { isTransientError } from '../../client/retry.js';
import { BadArgumentsError, BadVersionError, InvalidStateError, NoNodeError, NodeExistsError } from '../../errors.js';
import { deleteIfExists, ensurePath, retryWhileConnected } from '../../recipes/internal/index.js';
import { decodeLogMetadata, decodeSegmentMetadata, encodeRecord } from './codec.js';
import { MetadataConflictError, NoSuchLogError, NoSuchSegmentError } from './errors.js';
import { checkLogName, ID_PREFIX, IDS_PATH, LOGS_PATH, logPath, SEGMENTS_PATH, segmentIdOf, segmentPath, WRITERS_PATH, writerPath } from './layout.js';
import {
  checkQuorums,
  checkRetention,
  checkSegmentChange,
  pickQuorums,
  pickRetention,
  replaceEnsembleMember,
  type LogMetadata,
  type Quorums,
  type Retention,
  type SegmentMetadata,
  type Versioned,
} from './records.js';
import { UnexpectedDataError } from '../../recipes/errors.js';

/** What a log is created with: its quorums, and optionally its retention policy. */
export type LogSettings = Quorums & { readonly retention?: Retention | undefined };

/** A segment just added to a log, with the log's record after the change. */
export interface AddedSegment {
  readonly id: number;
  readonly log: Versioned<LogMetadata>;
  readonly segment: Versioned<SegmentMetadata>;
}

/** Reads and changes the log layer's metadata through one client. */
export class LogMetadataStore {
  constructor(readonly client: Client) {}

  /**
   * Creates the log `name` with these quorums (and retention policy), or
   * returns it as it is when it exists already: its stored quorums then
   * apply, whatever `settings` says (the first creator decides), while a
   * `retention` given here replaces a different stored one (by
   * compare-and-set). Throws BadArgumentsError for a bad name, quorums or
   * retention.
   */
  async createLog(name: string, settings: LogSettings): Promise<Versioned<LogMetadata>> {
    checkLogName(name);
    checkQuorums(settings);
    const retention = settings.retention === undefined ? undefined : pickRetention(settings.retention);
    if (retention !== undefined) checkRetention(retention);
    await ensurePath(this.client, LOGS_PATH);
    const record: LogMetadata = {
      format: 1,
      ...pickQuorums(settings),
      segments: [],
      createdAt: Date.now(), // wall time: read by people, not by timers
      ...(retention !== undefined ? { retention } : {}),
    };
    try {
      await retryWhileConnected(this.client, () => this.client.create(logPath(name), encodeRecord(record)));
    } catch (error) {
      // Created by someone else, or by our own attempt that lost its reply.
      if (!(error instanceof NodeExistsError)) throw error;
    }
    if (retention === undefined) return this.readLog(name);
    return this.setRetention(name, retention);
  }

  /**
   * Sets the retention policy of log `name` (null removes it: entries are
   * kept for ever), by compare-and-set on its record, retried when the
   * record changed meanwhile. Resolves with the record after the change (as
   * it was when the policy was already that one). Throws BadArgumentsError
   * for a bad name or policy, NoSuchLogError when there is no such log.
   */
  async setRetention(name: string, retention: Retention | null): Promise<Versioned<LogMetadata>> {
    checkLogName(name);
    const wanted = retention === null ? undefined : pickRetention(retention);
    if (retention !== null) checkRetention(retention);
    for (;;) {
      const log = await this.readLog(name);
      if (sameRetention(log.value.retention, wanted)) return log;
      const { retention: _old, ...rest } = log.value;
      const next: LogMetadata = { ...rest, ...(wanted !== undefined ? { retention: wanted } : {}) };
      try {
        const stat = await retryWhileConnected(this.client, () => this.client.setData(logPath(name), encodeRecord(next), log.version));
        return { value: next, version: stat.version };
      } catch (error) {
        // Changed meanwhile (a segment added), or our own write whose reply was lost: read again and decide again.
        if (!(error instanceof BadVersionError)) throw error;
      }
    }
  }

  /** The log's record; NoSuchLogError when there is no such log. */
  async readLog(name: string): Promise<Versioned<LogMetadata>> {
    checkLogName(name);
    const path = logPath(name);
    try {
      const { data, stat } = await retryWhileConnected(this.client, () => this.client.getData(path));
      return { value: decodeLogMetadata(path, data), version: stat.version };
    } catch (error) {
      if (error instanceof NoNodeError) throw new NoSuchLogError(`no log named ${name}`, { cause: error, path });
      throw error;
    }
  }

  /** The names of every log, sorted. */
  async listLogs(): Promise<string[]> {
    try {
      const names = (await retryWhileConnected(this.client, () => this.client.getChildren(LOGS_PATH))) as string[];
      return names.sort();
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
  }

  /** A segment's record; NoSuchSegmentError when there is none. */
  async readSegment(id: number): Promise<Versioned<SegmentMetadata>> {
    const path = segmentPath(id);
    try {
      const { data, stat } = await retryWhileConnected(this.client, () => this.client.getData(path));
      return { value: decodeSegmentMetadata(path, data), version: stat.version };
    } catch (error) {
      if (error instanceof NoNodeError) throw new NoSuchSegmentError(`no segment ${id}`, { cause: error, path });
      throw error;
    }
  }

  /**
   * Adds an OPEN segment at the end of the log, as decided from `log` (the
   * record and version the writer read). The log's last segment, if any,
   * must be CLOSED: a writer recovers it first. Throws
   * MetadataConflictError when the log or its last segment changed since,
   * InvalidStateError when the last segment is not CLOSED,
   * BadArgumentsError when `segment` is not an OPEN segment of this log
   * with its quorums.
   */
  async addSegment(name: string, log: Versioned<LogMetadata>, segment: SegmentMetadata): Promise<AddedSegment> {
    checkLogName(name);
    const q = log.value;
    if (segment.log !== name || segment.state !== 'OPEN' || segment.lastEntry !== -1) {
      throw new BadArgumentsError(`a new segment of log ${name} must be OPEN, of that log, with no entries`);
    }
    if (segment.ensembleSize !== q.ensembleSize || segment.writeQuorum !== q.writeQuorum || segment.ackQuorum !== q.ackQuorum) {
      throw new BadArgumentsError(`a new segment of log ${name} must have the log's quorums`);
    }
    const previousId = q.segments[q.segments.length - 1];
    const previous = previousId === undefined ? undefined : await this.readSegment(previousId);
    if (previous !== undefined && previous.value.state !== 'CLOSED') {
      throw new InvalidStateError(`log ${name}: segment ${previousId} is ${previous.value.state}; recover it before adding a segment`);
    }
    await ensurePath(this.client, SEGMENTS_PATH);
    await ensurePath(this.client, WRITERS_PATH);
    const id = await this.allocateSegmentId();
    let base = log;
    let check = previous;
    const conflict = (cause: unknown): MetadataConflictError =>
      new MetadataConflictError(`log ${name} changed while segment ${id} was being added`, { cause, path: logPath(name) });
    for (;;) {
      const next: LogMetadata = { ...base.value, segments: [...base.value.segments, id] };
      const ops = [
        ...(check === undefined ? [] : [op.check(segmentPath(previousId!), check.version)]),
        op.create(segmentPath(id), encodeRecord(segment)),
        op.setData(logPath(name), encodeRecord(next), base.version),
      ];
      try {
        await this.client.multi(ops);
        await this.markWriter(id, segment.writer);
        return { id, log: { value: next, version: base.version + 1 }, segment: { value: segment, version: 0 } };
      } catch (error) {
        const lost = isTransientError(error);
        if (!lost && !(error instanceof BadVersionError || error instanceof NoNodeError)) throw error;
        const now = await this.readLog(name);
        if (lost && now.value.segments.includes(id)) {
          await this.markWriter(id, segment.writer);
          return { id, log: now, segment: await this.readSegment(id) };
        }
        if (lost && now.version === base.version && (check === undefined || (await this.readSegment(previousId!)).version === check.version)) continue;
        // Retention (oldest segments removed), a retention policy set, or a
        // repair of the previous CLOSED segment moved a version: the log
        // still ends with the segment this writer saw CLOSED, so nobody else
        // added one, and the segment can go in on the new versions.
        const still = await this.stillEndsWith(now, previousId);
        if (still === false) throw conflict(error);
        base = now;
        check = still;
      }
    }
  }

  /**
   * `log`'s last segment is `previousId` (none when undefined) and still
   * CLOSED: its record (undefined when there is none), or false when the log
   * changed in a way a new segment must not ignore.
   */
  private async stillEndsWith(log: Versioned<LogMetadata>, previousId: number | undefined): Promise<Versioned<SegmentMetadata> | undefined | false> {
    if (log.value.segments[log.value.segments.length - 1] !== previousId) return false;
    if (previousId === undefined) return undefined;
    try {
      const record = await this.readSegment(previousId);
      return record.value.state === 'CLOSED' ? record : false;
    } catch (error) {
      if (error instanceof NoSuchSegmentError) return false;
      throw error;
    }
  }

  /**
   * Replaces a segment's record by `next`, as decided from `current`.
   * Throws BadArgumentsError or InvalidStateError when `next` is not a
   * legal change (records.ts: checkSegmentChange), MetadataConflictError
   * when the record changed since `current` was read, NoSuchSegmentError
   * when it is gone.
   */
  async updateSegment(id: number, current: Versioned<SegmentMetadata>, next: SegmentMetadata): Promise<Versioned<SegmentMetadata>> {
    checkSegmentChange(current.value, next);
    const path = segmentPath(id);
    const bytes = encodeRecord(next);
    for (;;) {
      try {
        const stat = await this.client.setData(path, bytes, current.version);
        if (next.state === 'CLOSED' && current.value.state !== 'CLOSED') await this.dropWriterNode(id);
        return { value: next, version: stat.version };
      } catch (error) {
        if (error instanceof BadVersionError) throw new MetadataConflictError(`segment ${id} changed since version ${current.version}`, { cause: error, path });
        if (error instanceof NoNodeError) throw new NoSuchSegmentError(`no segment ${id}`, { cause: error, path });
        if (!isTransientError(error)) throw error;
        const { data, stat } = await retryWhileConnected(this.client, () => this.client.getData(path));
        if (stat.version === current.version + 1 && data !== null && data.equals(bytes)) {
          if (next.state === 'CLOSED' && current.value.state !== 'CLOSED') await this.dropWriterNode(id);
          return { value: next, version: stat.version };
        }
        if (stat.version !== current.version) throw new MetadataConflictError(`segment ${id} changed since version ${current.version}`, { cause: error, path });
      }
    }
  }

  /**
   * Creates segment `id`'s writer node, owned by this client's session:
   * the auditor recovers the segment once it is gone. Right after the
   * transaction that added the segment rather than in it (an ephemeral in
   * that multi was under suspicion in a flaky Herd-server test, not
   * confirmed). A writer that dies in between leaves a segment with no
   * writer node, which is what a dead writer's segment looks like anyway;
   * a live one that fails here has lost its session and stops.
   */
  private async markWriter(id: number, writer: string): Promise<void> {
    try {
      await retryWhileConnected(this.client, () => this.client.create(writerPath(id), Buffer.from(writer), { mode: 'ephemeral' }));
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
  }

  /** Deletes a CLOSED segment's writer node, if still there: it would otherwise last as long as its writer's session. */
  private async dropWriterNode(id: number): Promise<void> {
    await deleteIfExists(this.client, writerPath(id)).catch(() => {});
  }

  /**
   * Whether segment `id`'s writer is live: its ephemeral writer node
   * exists (a segment created before writer nodes existed has none, and
   * counts as abandoned).
   */
  async writerIsLive(id: number): Promise<boolean> {
    return (await retryWhileConnected(this.client, () => this.client.exists(writerPath(id)))) !== null;
  }

  /**
   * Repair: replaces member `lost` of ensemble `ensembleIndex` of the CLOSED
   * segment `id` (as read in `current`) by `replacement`, by compare-and-set
   * (records.ts: replaceEnsembleMember). Call it only once `replacement`
   * holds every entry `lost` held there. Throws MetadataConflictError when
   * the record changed since `current` was read (another auditor may have
   * repaired it), NoSuchSegmentError when retention deleted it,
   * InvalidStateError or BadArgumentsError when it is not such a change.
   */
  replaceEnsembleMember(id: number, current: Versioned<SegmentMetadata>, ensembleIndex: number, lost: string, replacement: string): Promise<Versioned<SegmentMetadata>> {
    let next: SegmentMetadata;
    try {
      next = replaceEnsembleMember(current.value, ensembleIndex, lost, replacement);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.updateSegment(id, current, next);
  }

  /**
   * Retention: removes the log's oldest segments `ids` (a prefix of its
   * list, all CLOSED) from the log and deletes their records, in one
   * transaction decided from `log`. The storage nodes' copies are deleted
   * by whoever called this, after it returns.
   */
  async removeSegments(name: string, log: Versioned<LogMetadata>, ids: readonly number[]): Promise<Versioned<LogMetadata>> {
    checkLogName(name);
    const list = log.value.segments;
    if (!ids.every((id, i) => list[i] === id)) throw new BadArgumentsError(`log ${name}: only its oldest segments can be removed, in order`);
    const segments = await Promise.all(ids.map((id) => this.readSegment(id))).catch((error: unknown) => {
      // Listed in the log as we read it, gone now: someone removed it since.
      if (error instanceof NoSuchSegmentError) throw new MetadataConflictError(`log ${name} changed: ${error.message}`, { cause: error, path: logPath(name) });
      throw error;
    });
    const open = segments.findIndex((s) => s.value.state !== 'CLOSED');
    if (open >= 0) throw new InvalidStateError(`log ${name}: segment ${ids[open]} is ${segments[open]!.value.state}, not CLOSED`);
    const next: LogMetadata = { ...log.value, segments: list.slice(ids.length) };
    const ops = [op.setData(logPath(name), encodeRecord(next), log.version), ...ids.map((id, i) => op.delete(segmentPath(id), segments[i]!.version))];
    try {
      await retryWhileConnected(this.client, () => this.client.multi(ops));
    } catch (error) {
      if (!(error instanceof BadVersionError || error instanceof NoNodeError)) throw error;
      // A lost reply to our own transaction looks the same as a conflict: tell them apart by reading.
      const now = await this.readLog(name);
      if (now.version === log.version + 1 && ids.every((id) => !now.value.segments.includes(id)) && now.value.segments.length === next.segments.length) return now;
      throw new MetadataConflictError(`log ${name} changed while its segments were being removed`, { cause: error, path: logPath(name) });
    }
    return { value: next, version: log.version + 1 };
  }

  /** A new segment id, never handed out before. */
  private async allocateSegmentId(): Promise<number> {
    await ensurePath(this.client, IDS_PATH);
    // A sequential create is not safe to repeat blindly, but a repeat here
    // only skips an id; the node of the lost attempt is swept below.
    const created = await retryWhileConnected(this.client, () => this.client.create(`${IDS_PATH}/${ID_PREFIX}`, null, { mode: 'persistentSequential' }));
    const id = segmentIdOf(created);
    // Every id node up to ours has served its purpose (its create returned
    // or was lost), so any allocator may delete it.
    const children = (await retryWhileConnected(this.client, () => this.client.getChildren(IDS_PATH))) as string[];
    const done = children.filter((child) => /^id-\d{10}$/.test(child) && segmentIdOf(child) <= id);
    await Promise.all(done.map((child) => deleteIfExists(this.client, `${IDS_PATH}/${child}`).catch(() => undefined)));
    return id;
  }
}

function sameRetention(a: Retention | undefined, b: Retention | undefined): boolean {
  return a?.maxAge === b?.maxAge && a?.maxBytes === b?.maxBytes && (a === undefined) === (b === undefined);
}
