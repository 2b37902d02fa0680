/**
 * The name server's in-memory copy of the Pyro4 names in the registry, so
 * that `lookup`, `list` and `count` answer from memory as Pyro4's own name
 * server does, instead of reading the store on every call.
 *
 * How it stays right:
 * - One persistent recursive watch on `/herd/rpc` (ZooKeeper 3.6+ and
 *   Herd's server), set before the first load; each event re-reads the
 *   service or node it names, in order, one step at a time. A change made
 *   through another name server (or by a Node process serving a name) is
 *   seen once its watch event arrives and the node is read.
 * - Writes made through this name server re-read their name before they
 *   answer, so the next lookup sees them (read-your-writes), whatever the
 *   order of the write's reply and its watch event.
 * - ZooKeeper does not replay changes made while disconnected: from a
 *   disconnect until a full reload after the reconnect's resync marker
 *   (client `resync: true`) has finished, the copy is not used and the
 *   name server reads the store as before (`fresh` is false). The same when
 *   a re-read failed, until the reload that follows.
 * - A server without addWatch (ZooKeeper before 3.6): no copy, every call
 *   reads the store.
 *
 * Only the first two levels below `/herd/rpc` are kept (services and their
 * nodes' Pyro4 sides); deeper nodes are not Pyro4 entries.
 */
import { joinPath } from '../../base/path.js';
import type { Client, ClientState, PersistentWatchEvent } from '../../client/index.js';
import { UnimplementedError } from '../../errors.js';
import { isSessionGone, onSessionEvents, retryWhileConnected } from '../../recipes/internal/index.js';
import { RPC_ROOT } from '../registry.js';
import { children, parseEntry, pickEntry, read, type PyroEntry, type PyroSide } from './entries.js';

/** One service: its nodes' Pyro4 sides, and the entry they give. */
interface Service {
  readonly nodes: Map<string, PyroSide | undefined>;
  entry: PyroEntry | undefined;
}

/** The client's states in which changes may be missed: any of them makes the copy stale until the next full reload. */
const LOST = ['disconnected', 'connecting', 'expired', 'authFailed', 'closed'] as const satisfies readonly ClientState[];

/** Wait after a failed re-read before the reload that repairs the copy, ms. */
const REPAIR_DELAY = 500;

/** See the module comment. Constructed, then `start()`; `close()` stops watching. */
export class RegistryCache {
  /** Ends the subscription to the client's state events (through the client's one hub: see onSessionEvents). */
  private unsubscribe = (): void => {};
  private readonly services = new Map<string, Service>();
  private queue: Promise<void> = Promise.resolve();
  /** Bumped at each disconnect: a reload that began before one does not make the copy fresh. */
  private epoch = 0;
  private watching = false;
  private closed = false;
  private repair: NodeJS.Timeout | undefined;
  /** True while the copy may answer: loaded, connected, and nothing missed since. */
  fresh = false;

  constructor(private readonly client: Client) {}

  /** Sets the watch and loads the names; resolves once loaded (or at once without addWatch: the copy stays unused). Rejects with the client's error when the session is over. */
  async start(): Promise<void> {
    this.unsubscribe = onSessionEvents(this.client, Object.fromEntries(LOST.map((state) => [state, this.onLost])));
    try {
      await retryWhileConnected(this.client, () => this.client.addWatch(RPC_ROOT, 'persistentRecursive', this.listener, { resync: true }));
    } catch (error) {
      if (error instanceof UnimplementedError) return;
      throw error;
    }
    this.watching = true;
    await this.reload();
  }

  /** The entry of `name` as last read. Only meaningful while {@link fresh}. */
  entry(name: string): PyroEntry | undefined {
    return this.services.get(name)?.entry;
  }

  /** Every entry, by name. Only meaningful while {@link fresh}. */
  entries(): PyroEntry[] {
    const out: PyroEntry[] = [];
    for (const name of [...this.services.keys()].sort()) {
      const e = this.services.get(name)!.entry;
      if (e) out.push(e);
    }
    return out;
  }

  /** Re-reads `name` after a write through this name server; resolves once the copy has it. */
  async written(name: string): Promise<void> {
    if (this.watching && !this.closed) await this.enqueue(() => this.refreshService(name));
  }

  /** Stops watching and forgets the names. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fresh = false;
    clearTimeout(this.repair);
    this.unsubscribe();
    if (this.watching) {
      // Not connected (or the session over, when the client keeps the watch for its next one):
      // forget it here only, rather than wait for a reconnect that may never come.
      const local = this.client.state !== 'connected' && this.client.state !== 'connectedReadOnly';
      await this.client.removeWatches(RPC_ROOT, 'any', { listener: this.listener, local }).catch(() => {});
    }
    // A step still running (a read waiting for a reconnect) is not awaited: it finds `closed` and stops.
    this.services.clear();
  }

  private readonly onLost = (): void => {
    this.epoch++;
    this.fresh = false;
  };

  private readonly listener = (event: PersistentWatchEvent): void => {
    if (this.closed) return;
    if (event.type === 'resync') return void this.reload();
    if (event.path === RPC_ROOT) return void this.reload();
    if (!event.path.startsWith(`${RPC_ROOT}/`)) return;
    const [name, node, deeper] = event.path.slice(RPC_ROOT.length + 1).split('/', 3);
    if (deeper !== undefined || !name) return;
    if (node === undefined) {
      if (event.type === 'nodeDeleted') void this.enqueue(async () => void this.services.delete(name));
      else if (event.type === 'nodeCreated') void this.enqueue(() => this.refreshService(name));
      return;
    }
    if (event.type === 'nodeDeleted') void this.enqueue(async () => this.setNode(name, node, undefined, false));
    else if (event.type === 'nodeCreated' || event.type === 'nodeDataChanged') void this.enqueue(() => this.refreshNode(name, node));
  };

  /** Runs steps one at a time, in order. A failed step leaves the copy unusable until a reload repairs it. */
  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.closed) return;
      try {
        await step();
      } catch {
        this.fresh = false;
        if (!isSessionGone(this.client) && !this.closed) {
          clearTimeout(this.repair);
          // While disconnected the reconnect's resync marker reloads; connected, a read failed for another reason.
          this.repair = setTimeout(() => void this.reload(), REPAIR_DELAY);
        }
      }
    });
    this.queue = run;
    return run;
  }

  /** Reads every service again; the copy is fresh after it when no disconnect came meanwhile. */
  private reload(): Promise<void> {
    const epoch = this.epoch;
    return this.enqueue(async () => {
      const loaded = new Map<string, Service>();
      const names = await children(this.client, RPC_ROOT);
      await Promise.all(
        names.map(async (name) => {
          const service = await this.readService(name);
          if (service.nodes.size > 0) loaded.set(name, service);
        }),
      );
      this.services.clear();
      for (const [name, service] of loaded) this.services.set(name, service);
      const state = this.client.state;
      if (!this.closed && epoch === this.epoch && (state === 'connected' || state === 'connectedReadOnly')) this.fresh = true;
    });
  }

  private async readService(name: string): Promise<Service> {
    const path = joinPath(RPC_ROOT, name);
    const nodes = await children(this.client, path);
    const sides = await Promise.all(
      nodes.map(async (node) => {
        const text = await read(this.client, joinPath(path, node));
        return [node, text === undefined ? undefined : parseEntry(text)] as const;
      }),
    );
    const map = new Map<string, PyroSide | undefined>(sides);
    return { nodes: map, entry: pickEntry(name, map) };
  }

  /** Reads `name` again; a service with no nodes left (or none at all) is dropped: it has no entry either way. */
  private async refreshService(name: string): Promise<void> {
    const service = await this.readService(name);
    if (service.nodes.size > 0) this.services.set(name, service);
    else this.services.delete(name);
  }

  private async refreshNode(name: string, node: string): Promise<void> {
    const text = await read(this.client, joinPath(joinPath(RPC_ROOT, name), node));
    this.setNode(name, node, text === undefined ? undefined : parseEntry(text), text !== undefined);
  }

  /** Records `node` of `name` (present with its side, or gone) and recomputes the name's entry. */
  private setNode(name: string, node: string, side: PyroSide | undefined, present: boolean): void {
    let service = this.services.get(name);
    if (!service) {
      if (!present) return;
      service = { nodes: new Map(), entry: undefined };
      this.services.set(name, service);
    }
    if (present) service.nodes.set(node, side);
    else service.nodes.delete(node);
    service.entry = pickEntry(name, service.nodes);
  }
}
