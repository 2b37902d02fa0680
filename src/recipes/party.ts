/**
 * Party and ShallowParty: group membership, node for node compatible with
 * Kazoo's `kazoo.recipe.party`.
 *
 * Usage:
 * ```ts
 * const party = new Party(client, '/app/members', { identifier: 'node-a:8080' });
 * await party.join();
 * await party.members();          // ['node-a:8080', 'node-b:8080'] (unordered)
 * await party.size();
 * party.on('changed', (members) => rebalance(members));
 * await party.watch();            // starts the `changed` events
 * await party.leave();            // may join again later
 * await party.close();            // unwatch and leave, for good (or: await using party = ...)
 * ```
 *
 * Node layout (as Kazoo):
 * - `<path>`: persistent, created when missing.
 * - Party: `<path>/<uuid4 hex>__party__`, ephemeral, data = identifier
 *   (UTF-8). Members are the children containing `__party__`.
 * - ShallowParty: `<path>/<uuid4 hex>-<identifier>`, ephemeral, data =
 *   identifier; members are read from the names alone (one request), so the
 *   identifier must be a valid node name.
 *
 * Failure handling:
 * - The member node's name is unique and not sequential: after a connection
 *   loss during the create the join is simply retried, NodeExists meaning
 *   the lost create was applied. Never two nodes for one member.
 * - Session expiry: our node is gone. A `lost` event fires at once; when
 *   the client gets a new session the member rejoins by itself (unless
 *   {@link leave} was called).
 *
 * Limits: membership lists are snapshots; use `watch()` for `changed` events.
 */
import { EventEmitter } from 'node:events';
import { joinPath } from '../base/path.js';
import type { Client } from '../client/index.js';
import { isTransientError } from '../client/retry.js';
import { NoNodeError, NodeExistsError, SessionLostError } from '../errors.js';
import { deleteIfExists, ensurePath, isSessionGone, readChildTexts, retryWhileConnected, uuidHex, onSessionEvents } from './internal/index.js';

/** Kazoo's marker in Party member names. */
export const PARTY_NODE_NAME = '__party__';

/** Options of {@link Party} and {@link ShallowParty}. */
export interface PartyOptions {
  /** This member's identifier. Default ''. */
  identifier?: string;
}

/** The events of {@link Party} and {@link ShallowParty}. */
export interface PartyEvents {
  /** The member list changed (after `watch()`); the new list. */
  changed: [readonly string[]];
  /** Our membership ended involuntarily (session expiry); we rejoin on the next session. */
  lost: [SessionLostError];
}

/** What Party and ShallowParty share: joining, leaving, listing and watching. */
abstract class BaseParty extends EventEmitter<PartyEvents> {
  /** Ends the subscription to the client's state events (through the client's one hub: see onSessionEvents). */
  private unsubscribe = (): void => {};
  /** This member's identifier. */
  readonly identifier: string;
  /** Our member node: `<path>/<name>`. */
  abstract readonly nodePath: string;
  private participating = false;
  private watching = false;

  /** No I/O. */
  constructor(
    /** The client the party works through. */
    readonly client: Client,
    /** The party's node (the members are its children). */
    readonly path: string,
    options: PartyOptions,
  ) {
    super();
    this.identifier = options.identifier ?? '';
  }

  /** True between join and leave (also while a lost membership waits to rejoin). */
  get isParticipating(): boolean {
    return this.participating;
  }

  /** Joins (idempotent): creates our member node, and keeps it across session expiry until {@link leave}. */
  async join(): Promise<void> {
    if (!this.participating) this.unsubscribe = onSessionEvents(this.client, { expired: this.onExpired, connected: this.onConnected });
    this.participating = true;
    await this.createNode();
  }

  /** Leaves; resolves false when our node was already gone. */
  async leave(): Promise<boolean> {
    this.participating = false;
    this.unsubscribe();
    if (isSessionGone(this.client)) return false;
    return deleteIfExists(this.client, this.nodePath);
  }

  /** How many members there are now. */
  async size(): Promise<number> {
    return (await this.memberNodes()).length;
  }

  /** The members now (unordered). */
  abstract members(): Promise<string[]>;

  /**
   * Emits `changed` with the member list now and after every change, until
   * {@link unwatch} or {@link close}. Resolves with the current list.
   */
  async watch(): Promise<string[]> {
    this.watching = true;
    return this.refresh();
  }

  /** Stops the `changed` events. */
  unwatch(): void {
    this.watching = false;
  }

  /** Stops watching and leaves (deletes our node). Idempotent. */
  async close(): Promise<void> {
    this.unwatch();
    if (this.participating) await this.leave();
  }

  /** As {@link close}: `await using party = new Party(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected async memberNodes(watch?: () => void): Promise<string[]> {
    await ensurePath(this.client, this.path);
    const children = await retryWhileConnected(this.client, () => this.client.getChildren(this.path, watch ? { watch } : {}));
    return children.filter((c) => this.isMember(c));
  }

  protected abstract isMember(child: string): boolean;
  protected abstract membersOf(nodes: string[]): Promise<string[]>;

  private async refresh(): Promise<string[]> {
    const nodes = await this.memberNodes(() => {
      if (this.watching) this.refresh().catch(() => {});
    });
    const members = await this.membersOf(nodes);
    if (this.watching) this.emit('changed', members);
    return members;
  }

  private async createNode(): Promise<void> {
    await ensurePath(this.client, this.path);
    for (;;) {
      try {
        await this.client.create(this.nodePath, this.identifier, { mode: 'ephemeral' });
        return;
      } catch (error) {
        if (error instanceof NodeExistsError) return;
        if (error instanceof NoNodeError) {
          await ensurePath(this.client, this.path);
          continue;
        }
        if (!isTransientError(error) || isSessionGone(this.client)) throw error;
      }
    }
  }

  private readonly onExpired = (): void => {
    if (this.participating) this.emit('lost', new SessionLostError(`party ${this.path}: session expired, our member node is gone`));
  };
  private readonly onConnected = (): void => {
    // A new session after expiry has no node of ours: join again.
    if (this.participating) this.createNode().catch(() => {});
  };
}

/** Membership with each member's identifier in its node's data (Kazoo's `Party`). */
export class Party extends BaseParty {
  /** Our member node: `<path>/<uuid hex>__party__`. */
  readonly nodePath: string;
  /** No I/O. */
  constructor(client: Client, path: string, options: PartyOptions = {}) {
    super(client, path, options);
    this.nodePath = joinPath(path, uuidHex() + PARTY_NODE_NAME);
  }
  protected isMember(child: string): boolean {
    return child.includes(PARTY_NODE_NAME);
  }
  /** The members' identifiers now (unordered). */
  async members(): Promise<string[]> {
    return this.membersOf(await this.memberNodes());
  }
  protected async membersOf(nodes: string[]): Promise<string[]> {
    return readChildTexts(this.client, this.path, nodes);
  }
}

/** Membership with the identifier in the node name (Kazoo's `ShallowParty`): one request per listing. */
export class ShallowParty extends BaseParty {
  /** Our member node: `<path>/<uuid hex>-<identifier>`. */
  readonly nodePath: string;
  /** No I/O. */
  constructor(client: Client, path: string, options: PartyOptions = {}) {
    super(client, path, options);
    this.nodePath = joinPath(path, `${uuidHex()}-${this.identifier}`);
  }
  protected isMember(): boolean {
    return true;
  }
  /** The members' identifiers now (unordered), from the node names. */
  async members(): Promise<string[]> {
    return this.membersOf(await this.memberNodes());
  }
  protected membersOf(nodes: string[]): Promise<string[]> {
    return Promise.resolve(nodes.map((c) => c.slice(c.indexOf('-') + 1)));
  }
}
