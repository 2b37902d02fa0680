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
 * party.on('change', (members) => rebalance(members));
 * await party.watch();            // starts the change events
 * await party.leave();
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
 * Limits: membership lists are snapshots; use `watch()` for change events.
 */
import { EventEmitter } from 'node:events';
import type { Client } from '../client/index.js';
import { NoNodeError, NodeExistsError } from '../errors.js';
import { deleteIfExists, ensurePath, isConnectionLoss, isSessionGone, joinPath, retry, uuidHex, readChildTexts } from './internal/index.js';
import { SessionLostError } from './errors.js';

/** Kazoo's marker in Party member names. */
export const PARTY_NODE_NAME = '__party__';

export interface PartyOptions {
  /** This member's identifier. Default ''. */
  identifier?: string;
}

export interface PartyEvents {
  /** The member list changed (after `watch()`); the new list. */
  change: [string[]];
  /** Our membership ended involuntarily (session expiry); we rejoin on the next session. */
  lost: [Error];
}

abstract class BaseParty extends EventEmitter<PartyEvents> {
  readonly identifier: string;
  /** Our member node: `<path>/<name>`. */
  abstract readonly nodePath: string;
  private participating = false;
  private watching = false;

  constructor(
    readonly client: Client,
    readonly path: string,
    options: PartyOptions,
  ) {
    super();
    this.identifier = options.identifier ?? '';
  }

  get isParticipating(): boolean {
    return this.participating;
  }

  /** Joins (idempotent). */
  async join(): Promise<void> {
    if (!this.participating) {
      this.client.on('expired', this.onExpired);
      this.client.on('connected', this.onConnected);
    }
    this.participating = true;
    await this.createNode();
  }

  /** Leaves; resolves false when our node was already gone. */
  async leave(): Promise<boolean> {
    this.participating = false;
    this.client.off('expired', this.onExpired);
    this.client.off('connected', this.onConnected);
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
   * Emits `change` with the member list now and after every change, until
   * {@link unwatch}. Resolves with the current list.
   */
  async watch(): Promise<string[]> {
    this.watching = true;
    return this.refresh();
  }

  unwatch(): void {
    this.watching = false;
  }

  protected async memberNodes(watch?: () => void): Promise<string[]> {
    await ensurePath(this.client, this.path);
    const children = await retry(this.client, () => this.client.getChildren(this.path, watch ? { watch } : {}));
    return children.filter((c) => this.isMember(c));
  }

  protected abstract isMember(child: string): boolean;
  protected abstract membersOf(nodes: string[]): Promise<string[]>;

  private async refresh(): Promise<string[]> {
    const nodes = await this.memberNodes(() => {
      if (this.watching) this.refresh().catch(() => {});
    });
    const members = await this.membersOf(nodes);
    if (this.watching) this.emit('change', members);
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
        if (!isConnectionLoss(error) || isSessionGone(this.client)) throw error;
      }
    }
  }

  private readonly onExpired = (): void => {
    if (this.participating) this.emit('lost', new SessionLostError('session expired: left the party'));
  };
  private readonly onConnected = (): void => {
    // A new session after expiry has no node of ours: join again.
    if (this.participating) this.createNode().catch(() => {});
  };
}

/** Membership with each member's identifier in its node's data (Kazoo's `Party`). */
export class Party extends BaseParty {
  readonly nodePath: string;
  constructor(client: Client, path: string, options: PartyOptions = {}) {
    super(client, path, options);
    this.nodePath = joinPath(path, uuidHex() + PARTY_NODE_NAME);
  }
  protected isMember(child: string): boolean {
    return child.includes(PARTY_NODE_NAME);
  }
  async members(): Promise<string[]> {
    return this.membersOf(await this.memberNodes());
  }
  protected async membersOf(nodes: string[]): Promise<string[]> {
    return readChildTexts(this.client, this.path, nodes);
  }
}

/** Membership with the identifier in the node name (Kazoo's `ShallowParty`): one request per listing. */
export class ShallowParty extends BaseParty {
  readonly nodePath: string;
  constructor(client: Client, path: string, options: PartyOptions = {}) {
    super(client, path, options);
    this.nodePath = joinPath(path, `${uuidHex()}-${this.identifier}`);
  }
  protected isMember(): boolean {
    return true;
  }
  async members(): Promise<string[]> {
    return this.membersOf(await this.memberNodes());
  }
  protected membersOf(nodes: string[]): Promise<string[]> {
    return Promise.resolve(nodes.map((c) => c.slice(c.indexOf('-') + 1)));
  }
}
