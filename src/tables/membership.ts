/**
 * A tables node's place in its cluster (src/cluster, `tables.<name>`):
 * joining (and waiting out its own previous process), publishing its
 * applied position and checksum as member data, the weights and the
 * quorum, the membership events, and the integrity check against the
 * primary's published checksum.
 */
import { Deadline, sleep } from '../base/wait.js';
import { joinCluster, type ClusterMember, type ClusterNode, type JsonValue } from '../cluster/index.js';
import type { NodeCore } from './core.js';
import { DivergedError, DuplicateMemberError } from './errors.js';
import { fromPair, posKey, toPair, type MemberData, type QuorumInfo } from './node-types.js';
import { hasQuorum, readWeights, recordWeight } from './quorum.js';
import type { Position } from './state/store.js';
import { truncationInput } from './snapshots/truncation.js';

/** Default `rejoinTimeout`, ms. */
const DEFAULT_REJOIN_TIMEOUT = 60_000;
/** How often a rejoin tries again while its identifier is held, ms. */
const REJOIN_POLL = 250;

/** What membership needs from the rest of the node. */
export interface MembershipHooks {
  /** This node's rpc address. */
  address(): string;
  /** The tail of this node's tenure as primary, or null. */
  tail(): Position | null;
  /** The cluster's onPrimary: this node's tenure. */
  lead(signal: AbortSignal): Promise<void>;
  /** Loads `primary`'s snapshot (the copy diverged). */
  resync(primary: string): void;
}

/** The membership, quorum and integrity of one node. */
export class Membership {
  private readonly weights = new Map<string, number>();
  private connected = new Set<string>();
  private publishTimer: unknown;
  private published = '';

  constructor(
    private readonly core: NodeCore,
    private readonly hooks: MembershipHooks,
  ) {}

  /** Records this node's weight (unless the members are declared) and reads everyone's. */
  async loadWeights(): Promise<void> {
    const { client, name, identifier, weight, options } = this.core;
    if (options.members === undefined) {
      await recordWeight(client, name, identifier, weight);
      for (const [id, w] of await readWeights(client, name)) this.weights.set(id, w);
    } else for (const [id, w] of Object.entries(options.members)) this.weights.set(id, w);
  }

  /**
   * Joins the cluster; while a live member holds this identifier, tries
   * again until `rejoinTimeout`. That member is almost always this node's
   * previous process, SIGKILLed before its session expired. Closing that
   * session at once would need its session password, which only a copy of
   * it persisted by the old process could prove to be ours; the identifier
   * alone proves nothing (two processes misconfigured with one identifier
   * would then close each other in turn), so the node waits for the
   * session to expire instead, which takes at most its session timeout.
   */
  async join(): Promise<ClusterNode> {
    const core = this.core;
    const deadline = new Deadline(core.client.clock, core.options.rejoinTimeout ?? DEFAULT_REJOIN_TIMEOUT);
    for (;;) {
      try {
        return await joinCluster({
          cluster: core.logName,
          identifier: core.identifier,
          address: this.hooks.address(),
          data: this.memberData() as unknown as JsonValue,
          backend: { coordination: core.client },
          onPrimary: ({ signal }) => this.hooks.lead(signal),
        });
      } catch (err) {
        if (!(err instanceof DuplicateMemberError)) throw err;
        if (deadline.expired) {
          throw new DuplicateMemberError(`tables ${core.name}: a live member is still named ${JSON.stringify(core.identifier)} after ${deadline.timeout} ms (rejoinTimeout)`, { cause: err });
        }
        await sleep(core.client.clock, Math.min(REJOIN_POLL, deadline.remaining() ?? REJOIN_POLL));
      }
    }
  }

  /** Follows the cluster's members (once joined) and starts publishing this node's data. */
  async start(): Promise<void> {
    this.core.cluster.on('members', () => void this.onMembers());
    await this.onMembers();
    this.schedulePublish();
  }

  private memberData(): MemberData {
    const core = this.core;
    return {
      weight: core.weight,
      rpc: this.hooks.address(),
      position: toPair(core.state.position),
      checksum: core.state.checksum,
      tail: toPair(this.hooks.tail()),
      ...core.keeper.memberData(),
    };
  }

  private schedulePublish(): void {
    const core = this.core;
    this.publishTimer = core.client.clock.setTimeout(() => {
      const data = this.memberData();
      const text = JSON.stringify(data);
      const done = (): void => {
        if (!core.closed) this.schedulePublish();
      };
      if (text === this.published || core.closed) return done();
      this.published = text;
      core.cluster.publish(data as unknown as JsonValue).then(done, done);
    }, core.options.publishInterval ?? 500);
  }

  /** The connected and total weight now. */
  quorumInfo(): QuorumInfo {
    let connected = 0;
    for (const id of this.connected) connected += this.weights.get(id) ?? 0;
    let total = 0;
    for (const w of this.weights.values()) total += w;
    return { connected, total };
  }

  private async onMembers(): Promise<void> {
    const core = this.core;
    const members = core.cluster.members();
    const now = new Set(members.map((m) => m.identifier));
    const data = (m: ClusterMember): Partial<MemberData> => (m.data ?? {}) as Partial<MemberData>;
    if (core.cluster.isPrimary) core.truncator.consider(members.map((m) => truncationInput(m.data)));
    for (const m of members) {
      if (!this.weights.has(m.identifier) && core.options.members === undefined) this.weights.set(m.identifier, Number(data(m).weight) || 1);
    }
    const joined = [...now].filter((id) => !this.connected.has(id));
    const left = [...this.connected].filter((id) => !now.has(id));
    this.connected = now;
    for (const id of joined) core.events.emit('nodeConnected', { identifier: id, weight: this.weights.get(id) ?? 0 });
    for (const id of left) core.events.emit('nodeDisconnected', { identifier: id, weight: this.weights.get(id) ?? 0 });
    const info = this.quorumInfo();
    const quorum = hasQuorum(info.connected, info.total);
    if (quorum !== core.quorum) {
      core.quorum = quorum;
      core.events.emit(quorum ? 'quorumRegained' : 'quorumLost', info);
    }
    const primary = members.find((m) => m.identifier === core.cluster.primary()?.identifier);
    if (primary === undefined || primary.identifier === core.identifier) return;
    core.heard(fromPair(data(primary).tail));
    core.heard(fromPair(data(primary).position));
    this.checkIntegrity(primary.identifier, fromPair(data(primary).position), data(primary).checksum);
  }

  private checkIntegrity(primary: string, position: Position | null, checksum: unknown): void {
    const core = this.core;
    if (position === null || typeof checksum !== 'string' || core.diverged !== undefined) return;
    const mine = core.checksums.get(posKey(position));
    if (mine === undefined || mine === checksum) return;
    const diverged = new DivergedError(
      `tables ${core.name}: ${core.identifier}'s checksum at ${posKey(position)} differs from the primary ${primary}'s; resyncing from its snapshot`,
    );
    core.setDiverged(diverged);
    core.events.emit('diverged', diverged);
    this.hooks.resync(primary);
  }

  /** Stops publishing. */
  stopPublishing(): void {
    this.core.client.clock.clearTimeout(this.publishTimer);
  }
}
