/**
 * The auditor: finds segments whose copies are on storage nodes that are
 * gone and copies them back to W nodes (BookKeeper's Auditor and
 * ReplicationWorker in one), and applies the logs' retention policies
 * (../retention/retention.ts). One auditor acts at a time: every storage
 * node runs a candidate by default (`startLogNode`'s `auditor` option), and
 * any process can run one with {@link startAuditor}; Herd's Election recipe
 * picks the one that acts.
 *
 * ```ts
 * await using auditor = await startAuditor(client, { gracePeriod: 30_000 });
 * auditor.on('repaired', (r) => console.log(`segment ${r.segmentId}: ${r.replaced} -> ${r.by}`));
 * console.log(auditor.stats);   // { leader, underReplicatedSegments, entriesCopied, ... }
 * ```
 *
 * Node layout (src/log/metadata/layout.ts):
 * ```
 * /herd/log/auditor/<uuid>__lock__<seq>   EPHEMERAL_SEQUENTIAL, one per candidate, data: identifier;
 *                                         the lowest is the auditor (Election = Kazoo's Lock)
 * /herd/log/nodes/<instanceId>            read and watched: which nodes are live
 * /herd/log/cookies/<host>:<port>         read: which instances still own an address
 * /herd/log/logs/<name>, segments/<id>    read; a repair and retention change them by compare-and-set
 * ```
 *
 * The leader runs passes (./audit-pass.ts: lost members repaired, the
 * replicas check, abandoned segments recovered, retention) at start, when
 * a node registers or disappears, when a segment or a log is created or
 * deleted, when a segment that is not CLOSED changes (a data watch on each
 * such record, so a segment turning CLOSED is audited at once), when a
 * segment's writer node goes, when a grace period runs out, and every
 * `auditInterval` ms.
 *
 * Failure handling:
 * - Leadership lost (session expired, client closed): the `lost` signal
 *   stops the pass between entries; a repair in progress writes no
 *   metadata. Another candidate is elected and starts over; compare-and-set
 *   makes a repair done twice impossible (./repair.ts).
 * - A pass that fails (a connection lost, a node failing mid-copy) is
 *   logged and counted; the next pass starts from the metadata again.
 * - The session ends while waiting to be elected: the candidate joins the
 *   election again once its client has a new session; a closed client ends
 *   the auditor.
 */
import { EventEmitter } from 'node:events';
import { sleep } from '../../base/wait.js';
import type { Client } from '../../client/index.js';
import { ClientClosedError } from '../../errors.js';
import { ensurePath } from '../../recipes/internal/index.js';
import { Election } from '../../recipes/election.js';
import { ChildrenWatch } from '../../recipes/watchers.js';
import { AUDITOR_PATH, LOGS_PATH, NODES_PATH, SEGMENTS_PATH, WRITERS_PATH } from '../metadata/layout.js';
import { LogMetadataStore } from '../metadata/metadata-store.js';
import { NodePool } from '../writer/node-pool.js';
import { AuditPasses, message, type AuditCounters, type AuditHost } from './audit-pass.js';
import { resolveAuditorOptions, type AuditorOptions, type ResolvedAuditorOptions } from './options.js';

export type { AuditorOptions } from './options.js';
export type { Auditor, AuditorEvents, AuditorStats } from './auditor-api.js';
import type { Auditor, AuditorEvents, AuditorStats } from './auditor-api.js';

/**
 * Starts an auditor candidate on `client` (the caller's: the auditor never
 * closes it) and resolves once it has joined the election. Throws
 * BadArgumentsError for invalid options, and what joining throws.
 */
export async function startAuditor(client: Client, options: AuditorOptions = {}): Promise<Auditor> {
  const auditor = new AuditorImpl(client, resolveAuditorOptions(options));
  await auditor.start();
  return auditor;
}

class AuditorImpl extends EventEmitter<AuditorEvents> implements Auditor, AuditHost {
  readonly identifier: string;
  readonly counters: AuditCounters = {
    leader: false,
    underReplicatedSegments: 0,
    entriesCopied: 0,
    bytesCopied: 0,
    membersReplaced: 0,
    membersRefilled: 0,
    segmentsRecovered: 0,
    repairsFailed: 0,
    segmentsDeleted: 0,
    passes: 0,
  };
  private readonly election: Election;
  private readonly closer = new AbortController();
  private running: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  /** Sizes of CLOSED segments (they never change), for retention by size: kept from one leadership to the next. */
  private readonly sizes = new Map<number, number>();
  private wake: (() => void) | undefined;
  private kicked = false;
  /** Callers of audit() waiting for the next pass to start and end. */
  private nextPassWaiters: (() => void)[] = [];

  constructor(
    readonly client: Client,
    readonly options: ResolvedAuditorOptions,
  ) {
    super();
    this.identifier = options.identifier;
    this.election = new Election(client, AUDITOR_PATH, { identifier: options.identifier });
  }

  get stats(): AuditorStats {
    return { ...this.counters };
  }

  async start(): Promise<void> {
    await ensurePath(this.client, AUDITOR_PATH);
    this.running = this.campaign();
    // Joined once our contender node exists (or the campaign ended: its error is logged).
    let done = false;
    void this.running.finally(() => (done = true));
    while (!done && this.election.lock.nodeNameInPath === undefined) await sleep(this.client.clock, 5);
  }

  async audit(): Promise<void> {
    if (!this.counters.leader) return;
    // A pass that starts from now on: one already running may have read the state before the call.
    const done = new Promise<void>((resolve) => this.nextPassWaiters.push(resolve));
    this.kick();
    await done;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closer.abort(new ClientClosedError('auditor closed'));
      this.election.cancel();
      this.wake?.();
      await this.running;
    })();
    return this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Contends until closed: leads while elected, contends again after losing. */
  private async campaign(): Promise<void> {
    while (!this.closer.signal.aborted) {
      try {
        await this.election.run((lost) => this.lead(AbortSignal.any([lost, this.closer.signal])), { signal: this.closer.signal });
      } catch (error) {
        if (this.closer.signal.aborted) return;
        if (error instanceof ClientClosedError) {
          this.options.logger(`auditor ${this.identifier}: the client is closed; stopping`);
          return;
        }
        this.options.logger(`auditor ${this.identifier}: election failed (${message(error)}); joining again`);
        await sleep(this.client.clock, 1000, this.closer.signal).catch(() => {});
      }
    }
  }

  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** The leader's loop: passes until `lost` aborts. */
  private async lead(lost: AbortSignal): Promise<void> {
    this.counters.leader = true;
    const passes = new AuditPasses(this, this.sizes);
    this.emit('elected');
    this.options.logger(`auditor ${this.identifier}: elected`);
    const store = new LogMetadataStore(this.client);
    const pool = new NodePool(this.client, { timeout: this.options.nodeTimeout, connectTimeout: this.options.connectTimeout, tls: this.options.tls });
    const watches: ChildrenWatch[] = [];
    const onLost = (): void => this.wake?.();
    lost.addEventListener('abort', onLost);
    try {
      for (const path of [NODES_PATH, SEGMENTS_PATH, LOGS_PATH, WRITERS_PATH]) {
        await ensurePath(this.client, path);
        const watch = new ChildrenWatch(this.client, path, () => this.kick(), { onError: (e) => this.options.logger(`auditor: watching ${path}: ${message(e)}`) });
        await watch.start();
        watches.push(watch);
      }
      while (!lost.aborted) {
        this.kicked = false;
        // A scrub interval shorter than the audit interval is kept: the scrub is due on time, not at the next pass.
        let nextDue = Math.min(this.client.clock.now() + this.options.auditInterval, passes.scrubDue);
        const waiters = this.nextPassWaiters.splice(0);
        try {
          nextDue = Math.min(nextDue, await passes.run(store, pool, lost));
        } catch (error) {
          if (!lost.aborted) this.options.logger(`auditor ${this.identifier}: pass failed (${message(error)}); trying again at the next one`);
        }
        for (const w of waiters) w();
        if (this.kicked || lost.aborted) continue;
        await new Promise<void>((resolve) => {
          const timer = this.client.clock.setTimeout(resolve, Math.max(0, nextDue - this.client.clock.now()));
          this.wake = () => {
            this.client.clock.clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    } finally {
      lost.removeEventListener('abort', onLost);
      this.counters.leader = false;
      for (const w of this.nextPassWaiters.splice(0)) w();
      await Promise.all(watches.map((w) => w.close().catch(() => {})));
      await pool.close();
    }
  }
}
