/**
 * One pass of the acting auditor (./auditor.ts runs them while it leads),
 * and what it remembers from one pass to the next. Over every log:
 * 1. A member of a CLOSED segment's ensemble that holds entries is *lost*
 *    when its instance is not live and either no address cookie names it
 *    any more (a wiped node came back at its address as a new instance:
 *    it can never return with the data, BookKeeper #4812) or it has not
 *    been live for `gracePeriod` ms (so a node restarting within seconds
 *    costs no copies). The clock of the grace starts when this leader
 *    first sees the node missing.
 * 2. Each lost member is repaired (./repair.ts): its entries are copied to
 *    a live node outside that ensemble, then the member is replaced in the
 *    record by compare-and-set. Data first, metadata second.
 * 3. The replicas check (./replicas-check.ts): each live member of a
 *    CLOSED segment, and of an OPEN one's closed fragments, is asked which
 *    entries it holds; what its write sets give it and it lacks (missed
 *    while it was away, or corrupt there) is copied onto it from another
 *    replica. No metadata changes. Asked once per segment state and node
 *    start, and all again with a CRC scrub every `scrubInterval`.
 * 4. Retention: each log with a policy loses its oldest CLOSED segments
 *    past it (metadata only; the nodes' garbage collectors delete the data).
 *
 * OPEN and IN_RECOVERY segments are left to their writer while it is live
 * (fencing them would stop it); one whose writer node has been gone for
 * `gracePeriod` ms is recovered (./abandoned.ts) and is CLOSED from then
 * on. A segment that is not CLOSED has its record watched, so that it is
 * audited at once when it turns CLOSED.
 *
 * A repair, recovery or check that fails is logged and counted, and the
 * pass goes on; the next pass starts from the metadata again.
 */
import type { Client } from '../../client/index.js';
import { MetadataConflictError, NoSuchSegmentError } from '../metadata/errors.js';
import { segmentPath } from '../metadata/layout.js';
import type { LogMetadataStore } from '../metadata/metadata-store.js';
import type { SegmentMetadata, Versioned } from '../metadata/records.js';
import { applyRetention } from '../retention/retention.js';
import type { NodePool } from '../writer/node-pool.js';
import { AbandonedSegments } from './abandoned.js';
import type { AuditorEvents, AuditorStats } from './auditor-api.js';
import { cookieOwners } from './cookies.js';
import type { ResolvedAuditorOptions } from './options.js';
import { repairMember, type RepairContext } from './repair.js';
import { checkedMembers, refillMember, requiredEntries } from './replicas-check.js';
import { segmentReplication } from './replication.js';

/** The auditor's counters, updated by the passes. */
export type AuditCounters = { -readonly [K in keyof AuditorStats]: AuditorStats[K] };

/** What a pass needs of its auditor. */
export interface AuditHost {
  readonly client: Client;
  readonly options: ResolvedAuditorOptions;
  readonly counters: AuditCounters;
  /** Emits one of the auditor's events. */
  emit<K extends keyof AuditorEvents>(event: K, ...args: AuditorEvents[K]): void;
  /** Starts a pass as soon as the current one ends (a watched segment changed). */
  kick(): void;
}

/** The passes of one leadership: a new instance at each election, so nothing carries over from an earlier one. */
export class AuditPasses {
  /** When this leader first saw each missing instance, by its clock. */
  private readonly missingSince = new Map<string, number>();
  /** The replicas checks passed, `<segmentId>/<node>` -> what they saw (./replicas-check.ts): asked again when it changes. */
  private readonly checked = new Map<string, string>();
  /** Registration `startedAt` of each live node in this pass: a restarted node is checked again. */
  private stamps = new Map<string, number>();
  /** When the next scrubbing pass is due (the replicas check with verify), by the clock. */
  private nextScrubAt: number;
  /** Segments left open by writers that are gone. */
  private readonly abandoned: AbandonedSegments;
  /** The earliest grace period end found in the current pass (a lost member, a gone writer). */
  private passDue = Infinity;
  /** Segments not CLOSED whose record this leader watches, to audit one at once when it turns CLOSED. */
  private readonly watchedSegments = new Set<number>();

  constructor(
    private readonly host: AuditHost,
    /** Sizes of CLOSED segments (they never change), for retention by size: kept across leaderships. */
    private readonly sizes: Map<number, number>,
  ) {
    const { client, options } = host;
    this.abandoned = new AbandonedSegments(client.clock, options.gracePeriod);
    this.nextScrubAt = options.scrubInterval > 0 ? client.clock.now() + options.scrubInterval : Infinity;
  }

  /** When the next scrub is due, by the clock (Infinity when never). */
  get scrubDue(): number {
    return this.nextScrubAt;
  }

  /** One pass over every log; resolves with when the next pass is due because a grace period ends (Infinity when none). */
  async run(store: LogMetadataStore, pool: NodePool, lost: AbortSignal): Promise<number> {
    const records = await pool.liveNodes();
    // Read after the live list: a node's grace must not start before its absence was seen (a pass
    // that began just before the node went would otherwise date its absence back by the list's read).
    const now = this.host.client.clock.now();
    const liveNodes = new Set(records.map((n) => n.instanceId));
    this.stamps = new Map(records.map((n) => [n.instanceId, n.startedAt]));
    const scrub = now >= this.nextScrubAt;
    if (scrub) {
      // Every member is asked again, and reads what it must hold from disk first.
      this.checked.clear();
      this.nextScrubAt = now + this.host.options.scrubInterval;
    }
    const owners = await cookieOwners(this.host.client);
    this.passDue = Infinity;
    const isLost = (node: string): boolean => {
      if (liveNodes.has(node)) return false;
      if (owners !== undefined && !owners.has(node)) return true;
      const since = this.missingSince.get(node) ?? now;
      this.missingSince.set(node, since);
      if (now - since >= this.host.options.gracePeriod) return true;
      this.passDue = Math.min(this.passDue, since + this.host.options.gracePeriod);
      return false;
    };
    for (const node of this.missingSince.keys()) if (liveNodes.has(node)) this.missingSince.delete(node);
    let underReplicated = 0;
    for (const name of await store.listLogs()) {
      if (lost.aborted) break;
      const log = await store.readLog(name);
      for (const id of log.value.segments) {
        if (lost.aborted) break;
        const segment = await readIfExists(store, id);
        if (segment === undefined) continue;
        if (await this.check({ store, pool, live: liveNodes, signal: lost, copied: (bytes) => this.copied(bytes) }, id, segment, isLost, scrub)) underReplicated++;
      }
      if (this.host.options.retention && log.value.retention !== undefined && !lost.aborted) {
        const result = await applyRetention(store, pool, name, { sizes: this.sizes, now: Date.now() }).catch((error: unknown) => {
          this.host.options.logger(`auditor: log ${name}: retention failed (${message(error)}); trying again at the next pass`);
          return undefined;
        });
        if (result !== undefined) {
          this.host.counters.segmentsDeleted += result.segmentIds.length;
          this.host.options.logger(`auditor: log ${name}: retention deleted segments ${result.segmentIds.join(', ')}`);
          this.host.emit('deleted', result);
        }
      }
    }
    if (!lost.aborted) {
      this.host.counters.underReplicatedSegments = underReplicated;
      this.host.counters.passes++;
    }
    return Math.min(this.passDue, this.nextScrubAt);
  }

  /** Repairs what is lost in one segment, then refills its live members' gaps; true when it is still under-replicated after. */
  private async check(ctx: RepairContext, id: number, segment: Versioned<SegmentMetadata>, isLost: (node: string) => boolean, scrub: boolean): Promise<boolean> {
    const { store, live, signal: lost } = ctx;
    if (segment.value.state !== 'CLOSED') segment = (await this.recoverAbandoned(ctx, id, segment)) ?? segment;
    const s = segment.value;
    if (s.state !== 'CLOSED') {
      this.watchUntilClosed(id);
      // Left to the writer, but for the gaps in its closed fragments; counted when a node it already moved away from held entries.
      const gaps = s.state === 'OPEN' && (await this.refill(ctx, id, s, scrub));
      return gaps || s.ensembles.slice(0, -1).some((e) => e.nodes.some((n) => !live.has(n)));
    }
    const { missing } = segmentReplication(s, s.lastEntry, (n) => live.has(n));
    let remaining = missing.length;
    let current = segment;
    for (const member of missing) {
      if (lost.aborted || !isLost(member.node)) continue;
      try {
        const result = await repairMember(ctx, id, current, member);
        this.host.counters.membersReplaced++;
        remaining--;
        this.host.options.logger(`auditor: segment ${id} of log ${s.log}: copied ${result.entries} entries of ${result.replaced} to ${result.by}`);
        this.host.emit('repaired', result);
        const next = await readIfExists(store, id);
        if (next === undefined) return false;
        current = next;
      } catch (error) {
        if (lost.aborted) break;
        this.host.counters.repairsFailed++;
        this.host.options.logger(`auditor: segment ${id} of log ${s.log}: repairing ${member.node} failed (${message(error)})`);
        if (error instanceof MetadataConflictError || error instanceof NoSuchSegmentError) break; // read again at the next pass
      }
    }
    const gaps = !lost.aborted && (await this.refill(ctx, id, current.value, scrub));
    return remaining > 0 || gaps;
  }

  /** Recovers segment `id` (not CLOSED) if its writer is gone for good (./abandoned.ts): its CLOSED record then. */
  private async recoverAbandoned(ctx: RepairContext, id: number, segment: Versioned<SegmentMetadata>): Promise<Versioned<SegmentMetadata> | undefined> {
    const s = segment.value;
    try {
      const { closed, due } = await this.abandoned.check(ctx.store, ctx.pool, id, segment);
      if (due !== undefined) this.passDue = Math.min(this.passDue, due);
      if (closed === undefined) return undefined;
      this.host.counters.segmentsRecovered++;
      this.host.options.logger(`auditor: segment ${id} of log ${s.log}: its writer ${s.writer} is gone; recovered it, closed at entry ${closed.value.lastEntry}`);
      this.host.emit('recovered', { segmentId: id, log: s.log, writer: s.writer, lastEntry: closed.value.lastEntry });
      return closed;
    } catch (error) {
      if (ctx.signal.aborted) return undefined;
      this.host.counters.repairsFailed++;
      this.host.options.logger(`auditor: segment ${id} of log ${s.log}: recovering it after its writer ${s.writer} left failed (${message(error)})`);
      return undefined;
    }
  }

  /** The replicas check of a segment's live members (./replicas-check.ts); true when one still lacks entries or could not be checked. */
  private async refill(ctx: RepairContext, id: number, s: SegmentMetadata, scrub: boolean): Promise<boolean> {
    let incomplete = false;
    for (const node of checkedMembers(s)) {
      if (ctx.signal.aborted) break;
      if (!ctx.live.has(node)) continue;
      const key = `${id}/${node}`;
      const seen = `${this.stamps.get(node)}/${s.state}/${s.ensembles.length}`;
      if (this.checked.get(key) === seen) continue;
      // Listed only now, past the cache: a pass over segments already checked walks no entries.
      const required = requiredEntries(s, node);
      if (required.length === 0) continue;
      try {
        const result = await refillMember(ctx, id, s, node, required, scrub);
        this.checked.set(key, seen);
        if (result.entries === 0) continue;
        this.host.counters.membersRefilled++;
        this.host.options.logger(`auditor: segment ${id} of log ${s.log}: ${node} lacked ${result.entries} entries; copied them onto it`);
        this.host.emit('refilled', result);
      } catch (error) {
        if (ctx.signal.aborted) break;
        incomplete = true;
        this.host.counters.repairsFailed++;
        this.host.options.logger(`auditor: segment ${id} of log ${s.log}: the replicas check of ${node} failed (${message(error)})`);
      }
    }
    return incomplete;
  }

  /** Watches the record of a segment that is not CLOSED: its next change (turning CLOSED, an ensemble change) starts a pass at once. */
  private watchUntilClosed(id: number): void {
    if (this.watchedSegments.has(id)) return;
    this.watchedSegments.add(id);
    const fired = (): void => {
      this.watchedSegments.delete(id);
      this.host.kick();
    };
    this.host.client.exists(segmentPath(id), { watch: fired }).catch(() => this.watchedSegments.delete(id));
  }

  private copied(bytes: number): void {
    this.host.counters.entriesCopied++;
    this.host.counters.bytesCopied += bytes;
  }
}

async function readIfExists(store: LogMetadataStore, id: number): Promise<Versioned<SegmentMetadata> | undefined> {
  try {
    return await store.readSegment(id);
  } catch (error) {
    if (error instanceof NoSuchSegmentError) return undefined;
    throw error;
  }
}

/** An error's message, for the log. */
export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
