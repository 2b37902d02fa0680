/**
 * A storage node's registration in the coordination store (Herd's server
 * or a ZooKeeper ensemble), through Herd's client and the recipe toolkit.
 *
 * Node layout (under the connection string's chroot):
 * ```
 * /herd/log/nodes/<instanceId>      EPHEMERAL, JSON NodeRecord
 *                                   { instanceId, host, port, version, startedAt }
 *                                   exists while the node's session lives: liveness
 * /herd/log/cookies/<host>:<port>   PERSISTENT, JSON CookieRecord { instanceId, updatedAt }
 *                                   which instance owns that address
 * ```
 * The instance id is the node's identity: random, kept in its data
 * directory, new when the directory is wiped. Writers pick ensembles from
 * the nodes under `nodes/`, and segment metadata names the instance ids
 * that hold a copy.
 *
 * The cookie (BookKeeper's, designed against #4812): a node whose data
 * directory was wiped and that comes back at the same address must never
 * be taken for the old one, whose entries it no longer has. At start the
 * node reads its address's cookie:
 * - it names this instance, or there is none: the node (re)writes it;
 * - it names another instance and this data directory is empty (a wiped
 *   node): the node logs that it replaces that instance and writes its own
 *   id (compare-and-set on the cookie's version). The old instance's
 *   segments are then under-replicated, and since no cookie names the old
 *   instance any more, the auditor (src/log/repair/auditor.ts) treats it
 *   as lost at once, with no grace period, and copies its entries from
 *   the other replicas (possibly onto this node: a new, empty instance);
 * - it names another instance and this data directory holds segments (a
 *   data directory moved or copied from another node), or it cannot be
 *   read: the node refuses to start (CookieMismatchError).
 *
 * Failure handling:
 * - Connection loss during a create: the ephemeral node is recognised by
 *   its ephemeral owner (our session) and its data rewritten.
 * - A node for our instance id owned by another session, at our address:
 *   the previous run of this node, killed before its session expired (the
 *   address can only be bound by one process). It is deleted and ours
 *   created, so a quick restart does not wait a session timeout. At
 *   another address: the same instance is serving elsewhere (a copied data
 *   directory, or a previous run on another port whose session has not
 *   expired yet): the node refuses to start (InstanceInUseError).
 * - Session expired: the ephemeral node is gone. With a client the node
 *   created (reconnectOnExpiry) a new session starts; once it is connected
 *   the node registers again.
 * - Limits: an ephemeral node deleted by someone else while the session
 *   lives is not recreated.
 */
import type { Client } from '../../client/index.js';
import { joinPath } from '../../base/path.js';
import { BadVersionError, NodeExistsError, NoNodeError } from '../../errors.js';
import { CookieMismatchError, InstanceInUseError } from '../errors.js';
import { createOwnEphemeral, deleteIfExists, ensurePath, isSessionGone, onSessionEvents, retryWhileConnected } from '../../recipes/internal/index.js';
import { COOKIES_PATH, NODES_PATH } from '../metadata/layout.js';

/** What a storage node publishes at `/herd/log/nodes/<instanceId>`. */
export interface NodeRecord {
  readonly instanceId: string;
  /** The address clients connect to. */
  readonly host: string;
  readonly port: number;
  /** The protocol version the node speaks. */
  readonly version: number;
  /** When this process started serving, epoch ms. */
  readonly startedAt: number;
  /** True when the node serves over TLS (its `tls` option); absent for plain TCP. */
  readonly tls?: boolean;
}

/** What `/herd/log/cookies/<host>:<port>` holds. */
export interface CookieRecord {
  /** The instance that owns the address. */
  readonly instanceId: string;
  /** When the cookie was last written, epoch ms. */
  readonly updatedAt: number;
}

/** The path of a node's registration. */
export function nodePath(instanceId: string): string {
  return joinPath(NODES_PATH, instanceId);
}

/** The path of an address's cookie. */
export function cookiePath(host: string, port: number): string {
  return joinPath(COOKIES_PATH, `${host}:${port}`);
}

export class NodeRegistration {
  /** The session our ephemeral node belongs to; 0n while not registered. */
  private registeredSession = 0n;
  private closed = false;
  private chain: Promise<void> = Promise.resolve();
  /** Ends the subscription to the client's state events (through the client's one hub: see onSessionEvents). */
  private unsubscribe: (() => void) | undefined;
  /** The instance id the address's cookie named before this node took it over, if another. */
  replaced: string | undefined;

  constructor(
    private readonly client: Client,
    private readonly record: NodeRecord,
    /** True when the data directory holds no segment: it may take over an address whose cookie names another instance. */
    private readonly empty: boolean,
    private readonly log: (message: string) => void,
  ) {}

  /** Claims the address's cookie and creates the ephemeral node; re-registers after a session expiry from then on. */
  async start(): Promise<void> {
    await ensurePath(this.client, NODES_PATH);
    await ensurePath(this.client, COOKIES_PATH);
    await this.claimCookie();
    this.unsubscribe = onSessionEvents(this.client, { connected: this.onConnected });
    await this.serial(() => this.register());
  }

  /** Deletes the ephemeral node (when the session still lives) and stops re-registering. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.chain.catch(() => {});
    if (this.registeredSession !== 0n && this.registeredSession === this.client.sessionId && !isSessionGone(this.client)) {
      await deleteIfExists(this.client, nodePath(this.record.instanceId)).catch(() => {});
    }
    this.registeredSession = 0n;
  }

  private readonly onConnected = (): void => {
    if (this.closed || this.registeredSession === this.client.sessionId) return;
    this.log(`new coordination session: registering instance ${this.record.instanceId} again`);
    this.serial(() => this.register()).catch((error: unknown) => {
      this.log(`registering again failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  };

  private serial(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step);
    this.chain = next.catch(() => {});
    return next;
  }

  /** Writes our instance id into the address's cookie, logging the instance it replaces. */
  private async claimCookie(): Promise<void> {
    const { host, port, instanceId } = this.record;
    const path = cookiePath(host, port);
    const data = JSON.stringify({ instanceId, updatedAt: Date.now() } satisfies CookieRecord);
    for (;;) {
      try {
        const { data: old, stat } = await retryWhileConnected(this.client, () => this.client.getData(path));
        const previous = parseCookie(old);
        if (previous === instanceId) return;
        if (previous === undefined && old !== null && old.length > 0) {
          throw new CookieMismatchError(path, undefined, instanceId, `log node ${host}:${port}: the cookie at ${path} cannot be read; refusing to start (delete it if the address is free)`);
        }
        if (previous !== undefined && !this.empty) {
          throw new CookieMismatchError(
            path,
            previous,
            instanceId,
            `log node ${host}:${port}: the cookie at ${path} names instance ${previous}, but this data directory is instance ${instanceId} and holds segments ` +
              `(moved or copied from another node?); refusing to start. If instance ${previous} is retired for good, delete the cookie`,
          );
        }
        await retryWhileConnected(this.client, () => this.client.setData(path, data, stat.version));
        this.replaced = previous;
        this.log(
          `address ${host}:${port} belonged to instance ${previous ?? '(unreadable cookie)'}; it is now instance ${instanceId}, ` +
            `new and empty: the old instance's segments are under-replicated until the auditor copies them`,
        );
        return;
      } catch (error) {
        if (error instanceof NoNodeError) {
          try {
            await retryWhileConnected(this.client, () => this.client.create(path, data));
            return;
          } catch (createError) {
            if (!(createError instanceof NodeExistsError)) throw createError;
          }
          continue;
        }
        if (error instanceof BadVersionError) continue;
        throw error;
      }
    }
  }

  /** Creates our ephemeral node in the current session. */
  private async register(): Promise<void> {
    if (this.closed) return;
    const session = this.client.sessionId;
    const path = nodePath(this.record.instanceId);
    const data = JSON.stringify(this.record);
    await ensurePath(this.client, NODES_PATH);
    for (;;) {
      const stat = await createOwnEphemeral(this.client, path, data);
      if (stat === undefined) break;
      const other = await this.registeredAddress(path);
      if (other === null) continue;
      if (other !== `${this.record.host}:${this.record.port}`) throw new InstanceInUseError(this.record.instanceId, other);
      this.log(`instance ${this.record.instanceId} is still registered by an earlier session (a previous run): replacing it`);
      try {
        await deleteIfExists(this.client, path, stat.version);
      } catch (deleteError) {
        if (!(deleteError instanceof BadVersionError)) throw deleteError;
      }
    }
    this.registeredSession = session;
  }

  /** `host:port` of the registration at `path`; null when it is gone, `(unreadable)` when its data is not a NodeRecord. */
  private async registeredAddress(path: string): Promise<string | null> {
    try {
      const { data } = await retryWhileConnected(this.client, () => this.client.getData(path));
      const record = JSON.parse(data?.toString('utf8') ?? '') as Partial<NodeRecord>;
      return typeof record.host === 'string' && typeof record.port === 'number' ? `${record.host}:${record.port}` : '(unreadable)';
    } catch (error) {
      if (error instanceof NoNodeError) return null;
      if (error instanceof SyntaxError) return '(unreadable)';
      throw error;
    }
  }
}

/** The instance id a cookie names, or undefined for an empty or unreadable one. */
function parseCookie(data: Buffer | null): string | undefined {
  if (data === null || data.length === 0) return undefined;
  try {
    const parsed = JSON.parse(data.toString('utf8')) as Partial<CookieRecord>;
    return typeof parsed.instanceId === 'string' ? parsed.instanceId : undefined;
  } catch {
    return undefined;
  }
}
