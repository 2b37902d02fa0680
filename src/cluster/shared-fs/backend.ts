/**
 * SharedFsBackend: cluster membership and a primary with no coordination
 * server, only a directory every node can reach (NFS, SMB, a local
 * directory for the nodes of one host) and UDP heartbeats between nodes.
 *
 * Usage (normally through `joinCluster({ backend: { sharedFs: dir } })`):
 * ```ts
 * const backend = new SharedFsBackend({ dir: '/mnt/shared/herd', cluster: 'billing', heartbeatHost: '10.0.0.5' });
 * backend.on('view', (v) => console.log(v.members.map((m) => m.identifier), v.primary));
 * backend.on('elected', ({ epoch }) => startPrimaryWork(epoch));
 * backend.on('deposed', () => stopPrimaryWork());
 * await backend.start({ identifier: 'node01', address: '10.0.0.5:7000', version: '1.4.0', data: null, joinedAt: Date.now() });
 * await backend.setCandidate(true);
 * ```
 *
 * Mechanism (files: see store.ts; datagrams: see heartbeat.ts):
 * - Membership. Each node keeps its member file (identifier, address, version,
 *   data, heartbeat address, incarnation, candidacy, whom it hears) and
 *   sends a heartbeat every `heartbeatInterval` to every member file's
 *   heartbeat address. A node's view holds itself and every member whose
 *   file exists and whose heartbeat (of the file's incarnation) it heard
 *   within the silence limit (max of `heartbeatTimeout` and
 *   `missedHeartbeats` intervals). A silent member drops out of the view;
 *   when heard again it is back. Its file stays: member files are deleted
 *   only by their owner on leave, or by any node that notices the file was
 *   not rewritten for `memberStaleAfter` (the owner is dead or lost the
 *   directory; it rewrites its file when it recovers). So a heartbeat
 *   outage changes views but not the directory, and a dead node's file goes
 *   away without anyone having to be primary.
 * - Primary. A lease, one file per tenure (`lease/<epoch>.json`); the
 *   highest epoch is the current lease. A candidate may begin tenure N+1
 *   when lease N is released, or past `expiresAt + leaseMargin` by its
 *   clock, or held by its own incarnation; it does so by creating
 *   `lease/<N+1>.json` with link(), which fails when the name exists, so of
 *   two nodes racing for the same free lease exactly one succeeds (a rename
 *   over a lease file would let both "win", the second silently replacing
 *   the first). The epoch is the file's number: strictly increasing across
 *   tenures, never reused (the highest file is never deleted). Among live
 *   candidates the lowest identifier goes first; others defer to it for one
 *   `leaseDuration`, then race anyway, so a lower candidate that cannot act does
 *   not block the cluster.
 * - Renewal and stepping down. The holder rewrites its lease file every
 *   `leaseDuration / 3` with `expiresAt = (time the write began) + leaseDuration`, and
 *   counts a renewal only if the write finished before the old
 *   `expiresAt - leaseMargin`. A timer set to that instant emits
 *   `deposed` when no renewal made it, whatever the storage is doing. Others
 *   take over only after `expiresAt + leaseMargin` by their clock, so the
 *   old holder has stepped down at least `2 * leaseMargin` earlier.
 * - Isolation. Each member file lists whom its owner hears. When a strict
 *   majority of the other members (files recently written, and known to the
 *   holder for a whole silence limit, so they had time to hear it) hear some
 *   member but not the holder, the holder is cut off from them: after this
 *   has lasted the silence limit it steps down (`deposed`), then releases the
 *   lease so one of them takes it at once. A cut-off node does not take a lease.
 *   When nobody hears anybody (the heartbeat network is down, storage up),
 *   no one is cut off and the primary keeps its role.
 * - Storage unavailable (a read or write of the directory fails): `degraded`
 *   once, the view freezes, no promotion; the holder cannot renew, so it
 *   steps down at `expiresAt - margin`. The node keeps retrying every
 *   `checkInterval` and, once the directory works again, rewrites its
 *   member file, emits `recovered` and a fresh `view`.
 *
 * Guarantees:
 * - At most one node acts as primary at any instant, provided that the
 *   nodes' clocks agree within `leaseMargin` (trivially on one host), that
 *   no node's event loop stalls longer than that margin, and that the file
 *   system gives close-to-open consistency for renames and links (local
 *   file systems; NFS with default close-to-open semantics, where a reader
 *   opening the file sees the last completed write; beware of `lookupcache`
 *   / `actimeo` settings that let a node read stale names for seconds). A
 *   stalled or paused process can still act on a role it lost: downstream
 *   systems must check the epoch (fencing), which always increases.
 * - A primary that dies is replaced within about `leaseDuration + leaseMargin +
 *   checkInterval` (3.75 s with defaults); a dead member leaves the views
 *   after the silence limit (1.5 s).
 * - Storage trouble never leads to two primaries; it can leave the cluster
 *   without one until the directory works again.
 *
 * Not guaranteed (weaker than the coordination backend):
 * - Views are per node and eventually consistent: two nodes may briefly
 *   disagree on the members (each judges heartbeats itself) or on the
 *   primary (each reads the lease on its own schedule).
 * - Member identifiers must be unique: a join is refused while another live
 *   process rewrites the file of that identifier, but two processes that
 *   start at once can still share (and fight over) one member file.
 * - Heartbeats are not authenticated (keep the port on a trusted network).
 * - A directory that is deleted (not just unreachable) keeps the nodes
 *   degraded: recreating it would restart the epochs, so nodes never do.
 * - A hung mount (NFS `hard`) blocks file operations, which are not timed
 *   out: the node does not report `degraded` until one fails, but the lease
 *   timer still makes the holder step down in time.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { byIdentifier, type ClusterBackend, type ClusterBackendEvents, type ClusterMember, type ClusterView, type JsonValue, type PrimaryInfo } from '../backend.js';
import { HerdError, InvalidStateError } from '../../errors.js';
import { BackendUnavailableError, DuplicateMemberError, NotMemberError } from '../errors.js';
import { Heartbeats } from './heartbeat.js';
import { resolveSharedFsOptions, type ResolvedSharedFsOptions, type SharedFsOptions } from './options.js';
import { ClusterStore, STORE_FORMAT, type LeaseRecord, type MemberRecord } from './store.js';

export type { SharedFsOptions } from './options.js';

type BackendState = 'new' | 'starting' | 'running' | 'closing' | 'closed';

/** This node's tenure as primary. */
interface Tenure {
  readonly epoch: number;
  readonly since: number;
  /** `expiresAt` of the last renewal that landed in time. */
  expiresAt: number;
  /** When the last renewal write began. */
  renewedAt: number;
}

/** Owns the step-down timer: fires at `expiresAt - margin` unless re-armed by a renewal. */
class StepDownTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly now: () => number,
    private readonly onFire: () => void,
  ) {}

  start(at: number): void {
    this.cancel();
    this.timer = setTimeout(() => this.onFire(), Math.max(0, at - this.now()));
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The cluster state read from the directory in one check. */
interface Snapshot {
  readonly members: ReadonlyMap<string, MemberRecord>;
  readonly lease: LeaseRecord | null;
}

/** A membership-and-primary backend on a shared directory and UDP heartbeats (see the file comment). */
export class SharedFsBackend extends EventEmitter<ClusterBackendEvents> implements ClusterBackend {
  private readonly options: ResolvedSharedFsOptions;
  private readonly store: ClusterStore;
  private readonly now: () => number;
  private readonly incarnation = randomUUID();
  private state: BackendState = 'new';
  private self: ClusterMember | undefined;
  private heartbeats: Heartbeats | undefined;
  private heartbeatPort = 0;
  private candidate = false;
  private degraded = false;
  private tenure: Tenure | null = null;
  private readonly stepDown: StepDownTimer;
  private snapshot: Snapshot = { members: new Map(), lease: null };
  /** Identifiers heard within the silence limit, as last written to our file. */
  private hears: readonly string[] = [];
  private memberDirty = true;
  private lastMemberWrite = 0;
  private lastSweep = 0;
  private cutOffSince: number | null = null;
  private freeSince: number | null = null;
  private lastViewKey = '';
  private checkTimer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private checkAgain = false;
  /** Serializes writes of our member file, and of the lease, so an older content never lands last. */
  private memberWrites: Promise<void> = Promise.resolve();
  private leaseWrites: Promise<void> = Promise.resolve();
  private closePromise: Promise<void> | undefined;

  constructor(options: SharedFsOptions) {
    super();
    this.options = resolveSharedFsOptions(options);
    this.now = this.options.now;
    this.store = new ClusterStore(this.options.dir, this.options.cluster);
    this.stepDown = new StepDownTimer(this.now, () => this.depose('lease not renewed in time'));
  }

  /** The UDP port heartbeats are received on (after `start`). */
  get boundHeartbeatPort(): number {
    return this.heartbeatPort;
  }

  /** The directory holding this cluster's files. */
  get clusterDir(): string {
    return this.store.root;
  }

  async start(self: ClusterMember): Promise<void> {
    if (this.state !== 'new') throw new InvalidStateError(`sharedFs backend cannot start: it is ${this.state}`);
    this.state = 'starting';
    this.self = self;
    const heartbeats = new Heartbeats(this.options.cluster, { identifier: self.identifier, incarnation: this.incarnation }, this.options.heartbeatInterval, this.now);
    this.heartbeats = heartbeats;
    try {
      await this.store.ensureClusterDirs();
      await this.refuseDuplicate(self.identifier);
      this.heartbeatPort = await heartbeats.bind(this.options.heartbeatPort, this.options.heartbeatBindHost);
      await this.writeSelf();
      await this.readSnapshot();
    } catch (error) {
      this.state = 'closed';
      await heartbeats.destroy();
      if (!(error instanceof DuplicateMemberError)) await this.store.deleteMember(self.identifier).catch(() => undefined);
      throw error instanceof HerdError ? error : new BackendUnavailableError(`sharedFs: cannot join ${this.store.root}: ${describe(error)}`, { cause: error });
    }
    heartbeats.on('heard', (beat) => {
      // A sender we have no file of yet (it just joined): read the directory now instead of at the next check.
      if (this.snapshot.members.get(beat.identifier)?.incarnation !== beat.incarnation) this.checkSoon();
    });
    heartbeats.start();
    // Give the members already there a moment to answer, so the first view is not just us.
    const deadline = this.now() + Math.min(this.options.silenceLimit, 2 * this.options.heartbeatInterval + this.options.checkInterval);
    while (this.now() < deadline && !this.allActiveHeard()) await sleep(20);
    this.state = 'running';
    this.emitView(true);
    this.scheduleCheck();
  }

  async setCandidate(candidate: boolean): Promise<void> {
    this.requireMember();
    if (candidate === this.candidate) return;
    this.candidate = candidate;
    this.memberDirty = true;
    if (candidate) {
      // Published before we try, so others see a candidate they should defer to.
      await this.writeSelf().catch(() => undefined);
      this.checkSoon();
      return;
    }
    // Published first, so no one defers to us once the lease is free.
    await this.writeSelf().catch(() => undefined);
    await this.resign('resigned');
  }

  async publish(data: JsonValue): Promise<void> {
    const self = this.requireMember();
    this.self = { ...self, data };
    this.memberDirty = true;
    try {
      await this.writeSelf();
    } catch (error) {
      // Kept: written by the next check once the directory is back.
      throw new BackendUnavailableError(`sharedFs: cannot publish: ${describe(error)}`, { cause: error });
    } finally {
      this.emitView(false);
    }
  }

  async close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    if (this.state === 'new' || this.state === 'closed') {
      this.state = 'closed';
      return;
    }
    this.state = 'closing';
    clearTimeout(this.checkTimer);
    await this.checking;
    this.candidate = false;
    await this.resign('leaving');
    this.stepDown.cancel();
    await this.memberWrites;
    if (this.self !== undefined) await this.store.deleteMember(this.self.identifier).catch(() => undefined);
    await this.heartbeats?.destroy();
    this.state = 'closed';
  }

  /**
   * Rejects the start when a live process has our identifier: its member file is
   * still being rewritten. A file that stops changing is a dead process's
   * (restarted after a crash): waited out, at most the time a file stays
   * recent (about two refreshes), then taken over.
   */
  private async refuseDuplicate(identifier: string): Promise<void> {
    const first = await this.store.readMember(identifier);
    if (first === null) return;
    for (let current = first; this.isActive(current, this.now()); ) {
      await sleep(this.options.checkInterval);
      const next = await this.store.readMember(identifier);
      if (next === null) return;
      if (next.incarnation !== first.incarnation || next.writtenAt !== first.writtenAt) {
        throw new DuplicateMemberError(`sharedFs: a live member of cluster ${this.options.cluster} is already named ${JSON.stringify(identifier)}`);
      }
      current = next;
    }
  }

  private requireMember(): ClusterMember {
    if (this.state !== 'running' || this.self === undefined) throw new NotMemberError(`sharedFs backend is ${this.state}, not a member`);
    return this.self;
  }

  // ---- the periodic check ----

  private scheduleCheck(): void {
    clearTimeout(this.checkTimer);
    if (this.state !== 'running') return;
    this.checkTimer = setTimeout(() => void this.runCheck(), this.options.checkInterval);
  }

  /** Runs a check as soon as the current one (if any) is done. */
  private checkSoon(): void {
    if (this.state !== 'running') return;
    this.readMembersNext = true;
    if (this.checking !== undefined) {
      this.checkAgain = true;
      return;
    }
    clearTimeout(this.checkTimer);
    setImmediate(() => void this.runCheck());
  }

  private async runCheck(): Promise<void> {
    if (this.state !== 'running' || this.checking !== undefined) return;
    clearTimeout(this.checkTimer);
    this.checking = this.check();
    await this.checking;
    this.checking = undefined;
    if (this.checkAgain) {
      this.checkAgain = false;
      this.checkSoon();
    } else {
      this.scheduleCheck();
    }
  }

  /** One round: read the directory, update our file, act on the lease, report the view. */
  private async check(): Promise<void> {
    try {
      const started = this.now();
      // The lease every check; the member files (the bulk of the I/O, one per member) every other one.
      const members = this.degraded || this.readMembersNext || started - this.lastMembersRead >= 2 * this.options.checkInterval;
      await this.readSnapshot(members);
      this.updateHears();
      const now = this.now();
      if (this.degraded || this.memberDirty || now - this.lastMemberWrite >= this.options.memberRefreshInterval) await this.writeSelf();
      if (this.degraded) {
        this.degraded = false;
        this.lastViewKey = ''; // the contract: a fresh view follows `recovered`
        this.emitSafely('recovered');
      }
      await this.actOnLease();
      if (now - this.lastSweep >= this.options.memberRefreshInterval) await this.sweep(now);
    } catch (error) {
      if (!this.degraded && this.state === 'running') {
        this.degraded = true;
        this.freeSince = null;
        this.emitSafely('degraded', new BackendUnavailableError(`sharedFs: ${this.store.root} unavailable: ${describe(error)}`, { cause: error }));
      }
      return;
    }
    this.emitView(false);
  }

  /** Reads the lease and, when `withMembers`, the member files. */
  private async readSnapshot(withMembers = true): Promise<void> {
    const started = this.now();
    let members = this.snapshot.members;
    if (withMembers) {
      this.readMembersNext = false;
      const read = await this.store.readMembers();
      members = read.members;
      this.memberTemps = read.temps;
      const known = new Map<string, number>();
      for (const r of members.values()) known.set(memberKey(r), this.knownSince.get(memberKey(r)) ?? started);
      this.knownSince = known;
      this.lastMembersRead = started;
    }
    const { lease, older, temps: leaseTemps } = await this.store.readLease();
    this.snapshot = { members, lease };
    this.leaseTemps = leaseTemps;
    this.olderLeases = older;
    if (withMembers) {
      this.heartbeats?.setPeers([...members.values()].map((r) => ({ identifier: r.member.identifier, host: r.heartbeat.host, port: r.heartbeat.port })));
    }
  }

  /** When each member file (identifier and incarnation) was first read: we send it heartbeats since. */
  private knownSince = new Map<string, number>();
  private memberTemps: string[] = [];
  private leaseTemps: string[] = [];
  private olderLeases: number[] = [];
  private lastMembersRead = 0;
  private readMembersNext = false;

  /** Whether `record`'s owner was heard within the silence limit. */
  private isHeard(record: MemberRecord, now: number): boolean {
    const at = this.heartbeats?.heardAt(record.member.identifier, record.incarnation);
    return at !== undefined && now - at <= this.options.silenceLimit;
  }

  /** Whether `record` was written recently enough for its `hears` and candidacy to count. */
  private isActive(record: MemberRecord, now: number): boolean {
    return now - record.writtenAt <= 2 * this.options.memberRefreshInterval + this.options.checkInterval;
  }

  private allActiveHeard(): boolean {
    const now = this.now();
    const self = this.self?.identifier;
    return [...this.snapshot.members.values()].every((r) => r.member.identifier === self || !this.isActive(r, now) || this.isHeard(r, now));
  }

  private updateHears(): void {
    const now = this.now();
    const self = this.self?.identifier;
    const hears = [...this.snapshot.members.values()]
      .filter((r) => r.member.identifier !== self && this.isHeard(r, now))
      .map((r) => r.member.identifier)
      .sort();
    if (hears.join('\u0000') !== this.hears.join('\u0000')) {
      this.hears = hears;
      this.memberDirty = true;
    }
  }

  /**
   * Whether a strict majority of the other recently written members hear
   * someone but not us: they can talk among themselves without us.
   */
  private isCutOff(now: number): boolean {
    const self = this.self?.identifier;
    // Only members we have been sending heartbeats to for a whole silence
    // limit can tell whether they hear us: a member that just joined (or
    // whose file we just read) hears its peers before it can hear us.
    const settled = now - this.options.silenceLimit - 2 * this.options.checkInterval;
    const others = [...this.snapshot.members.values()].filter(
      (r) => r.member.identifier !== self && this.isActive(r, now) && (this.knownSince.get(memberKey(r)) ?? now) <= settled,
    );
    if (others.length === 0 || self === undefined) return false;
    const against = others.filter((r) => !r.hears.includes(self) && r.hears.some((h) => h !== self)).length;
    return against * 2 > others.length;
  }

  private async actOnLease(): Promise<void> {
    const now = this.now();
    const lease = this.snapshot.lease;
    const cutOff = this.isCutOff(now);
    this.cutOffSince = cutOff ? (this.cutOffSince ?? now) : null;
    const tenure = this.tenure;
    if (tenure !== null) {
      if (lease === null || lease.epoch !== tenure.epoch || lease.incarnation !== this.incarnation) {
        this.depose(lease !== null && lease.epoch > tenure.epoch ? `a newer tenure (epoch ${lease.epoch}) began` : 'lease file lost');
      } else if (this.cutOffSince !== null && now - this.cutOffSince >= this.options.silenceLimit) {
        await this.resign('cut off from the other members');
      } else if (now - tenure.renewedAt >= this.options.renewInterval) {
        await this.renew(tenure);
      }
      return;
    }
    if (!this.candidate || this.state !== 'running') return;
    const free =
      lease === null ||
      lease.released ||
      now > lease.expiresAt + this.options.leaseMargin ||
      (lease.incarnation === this.incarnation && lease.holder === this.self?.identifier);
    if (!free) {
      this.freeSince = null;
      return;
    }
    this.freeSince ??= now;
    if (cutOff) return;
    if (now - this.freeSince < this.options.leaseDuration && this.lowerCandidate(now) !== undefined) return;
    await this.acquire((lease?.epoch ?? 0) + 1);
  }

  /** A live, active candidate with a lower identifier than ours, if any. */
  private lowerCandidate(now: number): string | undefined {
    const self = this.self?.identifier ?? '';
    for (const r of this.snapshot.members.values()) {
      if (r.candidate && r.member.identifier < self && this.isHeard(r, now) && this.isActive(r, now)) return r.member.identifier;
    }
    return undefined;
  }

  private async acquire(epoch: number): Promise<void> {
    const self = this.self;
    if (self === undefined) return;
    const began = this.now();
    const record: LeaseRecord = {
      format: STORE_FORMAT,
      epoch,
      holder: self.identifier,
      incarnation: this.incarnation,
      since: began,
      expiresAt: began + this.options.leaseDuration,
      released: false,
      writtenAt: began,
    };
    const won = await this.serializeLease(() => this.store.createLease(record));
    if (!won) {
      this.checkAgain = true;
      return;
    }
    const done = this.now();
    if (done >= record.expiresAt - this.options.leaseMargin || !this.candidate || this.state !== 'running') {
      // Too slow to rely on, or no longer wanted: hand it back at once.
      await this.serializeLease(() => this.store.writeLease({ ...record, released: true, writtenAt: this.now() })).catch(() => undefined);
      return;
    }
    this.tenure = { epoch, since: began, expiresAt: record.expiresAt, renewedAt: began };
    this.freeSince = null;
    this.stepDown.start(record.expiresAt - this.options.leaseMargin);
    this.snapshot = { ...this.snapshot, lease: record };
    const info: PrimaryInfo = { identifier: self.identifier, epoch, since: began };
    this.emitSafely('elected', info);
    await this.store.pruneLeases(this.olderLeases);
  }

  private async renew(tenure: Tenure): Promise<void> {
    const self = this.self;
    if (self === undefined) return;
    const began = this.now();
    const record: LeaseRecord = {
      format: STORE_FORMAT,
      epoch: tenure.epoch,
      holder: self.identifier,
      incarnation: this.incarnation,
      since: tenure.since,
      expiresAt: began + this.options.leaseDuration,
      released: false,
      writtenAt: began,
    };
    await this.serializeLease(() => this.store.writeLease(record));
    // Counted only if it landed while the old lease still held by our clock; else the timer deposes us.
    if (this.tenure !== tenure || this.now() >= tenure.expiresAt - this.options.leaseMargin) return;
    tenure.expiresAt = record.expiresAt;
    tenure.renewedAt = began;
    this.stepDown.start(record.expiresAt - this.options.leaseMargin);
    this.snapshot = { ...this.snapshot, lease: record };
  }

  /** Steps down at once (no I/O): emits `deposed`. */
  private depose(reason: string): Tenure | null {
    const tenure = this.tenure;
    if (tenure === null) return null;
    this.tenure = null;
    this.stepDown.cancel();
    this.emitSafely('deposed', reason);
    this.emitView(false);
    return tenure;
  }

  /** Steps down, then releases the lease so another candidate may take it at once. */
  private async resign(reason: string): Promise<void> {
    const tenure = this.depose(reason);
    const self = this.self;
    if (tenure === null || self === undefined) return;
    const now = this.now();
    // Our lease file is ours alone while its epoch is the highest; if a newer tenure began, this write is moot.
    await this.serializeLease(() =>
      this.store.writeLease({
        format: STORE_FORMAT,
        epoch: tenure.epoch,
        holder: self.identifier,
        incarnation: this.incarnation,
        since: tenure.since,
        expiresAt: now,
        released: true,
        writtenAt: now,
      }),
    ).catch(() => undefined);
  }

  /** Deletes stale member files of others and old temp files. */
  private async sweep(now: number): Promise<void> {
    this.lastSweep = now;
    const self = this.self?.identifier;
    const staleBefore = now - this.options.memberStaleAfter;
    for (const r of this.snapshot.members.values()) {
      if (r.member.identifier !== self && r.writtenAt < staleBefore && !this.isHeard(r, now)) {
        await this.store.deleteMember(r.member.identifier).catch(() => undefined);
      }
    }
    await this.store.sweepTemps([...this.memberTemps, ...this.leaseTemps], staleBefore);
    this.heartbeats?.forgetBefore(staleBefore);
  }

  // ---- our member file ----

  private writeSelf(): Promise<void> {
    const run = async (): Promise<void> => {
      const self = this.self;
      if (self === undefined || this.state === 'closed') return;
      const now = this.now();
      this.memberDirty = false;
      const record: MemberRecord = {
        format: STORE_FORMAT,
        member: self,
        heartbeat: { host: this.options.heartbeatHost, port: this.options.heartbeatAdvertisePort ?? this.heartbeatPort },
        incarnation: this.incarnation,
        candidate: this.candidate,
        hears: this.hears,
        writtenAt: now,
      };
      try {
        await this.store.writeMember(record);
        this.lastMemberWrite = now;
      } catch (error) {
        this.memberDirty = true;
        throw error;
      }
    };
    const next = this.memberWrites.then(run, run);
    this.memberWrites = next.catch(() => undefined);
    return next;
  }

  private serializeLease<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.leaseWrites.then(fn, fn);
    this.leaseWrites = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  // ---- view and events ----

  private currentView(): ClusterView {
    const now = this.now();
    const self = this.self;
    const members: ClusterMember[] = [];
    if (self !== undefined) members.push(self);
    for (const r of this.snapshot.members.values()) {
      if (r.member.identifier !== self?.identifier && this.isHeard(r, now)) members.push(r.member);
    }
    members.sort(byIdentifier);
    let primary: PrimaryInfo | null = null;
    if (this.tenure !== null && self !== undefined) {
      primary = { identifier: self.identifier, epoch: this.tenure.epoch, since: this.tenure.since };
    } else {
      const lease = this.snapshot.lease;
      const ours = lease !== null && lease.incarnation === this.incarnation;
      if (lease !== null && !ours && !lease.released && now <= lease.expiresAt && lease.holder !== '') {
        primary = { identifier: lease.holder, epoch: lease.epoch, since: lease.since };
      }
    }
    return { members, primary };
  }

  /** Emits the view if it changed (or `force`); never while degraded: the view is frozen then. */
  private emitView(force: boolean): void {
    if (this.state !== 'running' || this.degraded) return;
    const view = this.currentView();
    const key = JSON.stringify(view);
    if (!force && key === this.lastViewKey) return;
    this.lastViewKey = key;
    this.emitSafely('view', view);
  }

  /** Emits without letting a listener's exception break the backend's own bookkeeping. */
  private emitSafely<K extends keyof ClusterBackendEvents>(event: K, ...args: ClusterBackendEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ClusterBackendEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      // As if thrown from a timer: it reaches 'uncaughtException' like any listener error would.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

function memberKey(record: MemberRecord): string {
  return `${record.member.identifier}\u0000${record.incarnation}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
