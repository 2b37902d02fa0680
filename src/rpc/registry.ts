/**
 * The registry, Herd's name server, kept in the coordination store.
 *
 * Node layout:
 * - `/herd/rpc/<name>`: one persistent node per service name.
 * - `/herd/rpc/<name>/_c_<uuid>-instance-<seq>`: one ephemeral sequential
 *   node per serving instance (Curator's protected name, from PersistentNode,
 *   which re-creates it after a session loss), holding the JSON
 *   {@link InstanceInfo}. Liveness is the serving process's session: no
 *   heartbeats between peers.
 *
 * An entry names its `protocol`, so instances of another wire protocol
 * (Pyro4's) can share a service name: a caller skips the entries it cannot speak.
 */
import { EventEmitter } from 'node:events';
import { joinPath } from '../base/path.js';
import { Deadline, sleep, throwIfAborted, timeoutError } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { BadArgumentsError, NoNodeError } from '../errors.js';
import { decodeText, isSessionGone, onSessionEvents, retryWhileConnected } from '../recipes/internal/index.js';
import { PROTOCOL_NAME, PROTOCOL_VERSION } from './protocol.js';

/** The registry's root node. */
export const RPC_ROOT = '/herd/rpc';

/** One served instance, as its registry node holds it (JSON). */
export interface InstanceInfo {
  /** The registry node's name under `/herd/rpc/<name>`. */
  readonly node: string;
  /** The wire protocol: `'herd'` for Herd's own. */
  readonly protocol: string;
  /** The protocol's version. */
  readonly version: number;
  /** Where to connect: `host:port`. */
  readonly address: string;
  /** A hash of the sorted exposed method names: equal for instances with the same interface. */
  readonly interfaceHash: string;
  /** The exposed method names, sorted. */
  readonly methods: readonly string[];
  /** The instance's tags (e.g. `{ dc: 'a' }`). */
  readonly tags: Readonly<Record<string, string>>;
  /** The serving process's identifier (default `<hostname>-<pid>`). */
  readonly identifier: string;
  /** The serving process's pid. */
  readonly pid: number;
  /**
   * The methods safe to run twice (serve's `idempotent`), sorted: a call to
   * one of them is sent again to another instance when its connection is
   * lost before the reply. Empty when none (or an older entry).
   */
  readonly idempotent: readonly string[];
  /** True when the instance is a singleton's elected one (serve's `singleton`); its standbys are not listed. */
  readonly singleton: boolean;
  /** True when the instance serves over TLS (serve's `tls`): callers must connect with lookup's `tls`. */
  readonly tls: boolean;
  /** True when the instance requires the shared secret (serve's `secret`): callers must give lookup's `secret`. */
  readonly secret: boolean;
}

/** A service name and its live instances, as {@link list} returns them. */
export interface ServiceInfo {
  /** The service name (`/herd/rpc/<name>`). */
  readonly name: string;
  /** Its live instances, in registration order (empty when none is live). */
  readonly instances: readonly InstanceInfo[];
}

/** Throws BadArgumentsError unless `name` can be a service name (one path segment). */
export function checkServiceName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('/') || name === '.' || name === '..' || name.includes('\u0000')) {
    throw new BadArgumentsError(`${what}: invalid service name ${JSON.stringify(name)}: one non-empty path segment without '/'`);
  }
}

export function servicePath(name: string): string {
  return joinPath(RPC_ROOT, name);
}

/** The JSON a serving instance registers (without `node`, which ZooKeeper assigns). */
export function encodeEntry(info: Omit<InstanceInfo, 'node'>): string {
  return JSON.stringify(info);
}

/** An entry read back, or undefined when it is not one (foreign or corrupt data is skipped, not fatal). */
export function parseEntry(node: string, text: string): InstanceInfo | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Record<string, unknown>;
  if (typeof e.protocol !== 'string' || typeof e.address !== 'string' || typeof e.version !== 'number') return undefined;
  const tags: Record<string, string> = {};
  if (typeof e.tags === 'object' && e.tags !== null) {
    for (const [k, t] of Object.entries(e.tags)) if (typeof t === 'string') tags[k] = t;
  }
  return {
    node,
    protocol: e.protocol,
    version: e.version,
    address: e.address,
    interfaceHash: typeof e.interfaceHash === 'string' ? e.interfaceHash : '',
    methods: strings(e.methods),
    tags,
    identifier: typeof e.identifier === 'string' ? e.identifier : '',
    pid: typeof e.pid === 'number' ? e.pid : 0,
    idempotent: strings(e.idempotent),
    singleton: e.singleton === true,
    tls: e.tls === true,
    secret: e.secret === true,
  };
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((m): m is string => typeof m === 'string') : [];
}

/** The live instances of `name`, sorted by registration order; setting `watch` on the children. */
async function readInstances(client: Client, name: string, watch?: () => void): Promise<InstanceInfo[]> {
  const path = servicePath(name);
  let children: string[];
  for (;;) {
    try {
      children = await retryWhileConnected(client, () => client.getChildren(path, watch ? { watch } : {}));
      break;
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      // No instance ever registered: watch for the service node instead of creating it (a reader never writes).
      if (!watch || (await retryWhileConnected(client, () => client.exists(path, { watch }))) === null) return [];
    }
  }
  const bySeq = (n: string): string => n.slice(-10);
  children.sort((a, b) => bySeq(a).localeCompare(bySeq(b)));
  const out: InstanceInfo[] = [];
  for (const node of children) {
    try {
      const { data } = await retryWhileConnected(client, () => client.getData(joinPath(path, node)));
      const entry = parseEntry(node, decodeText(data));
      if (entry) out.push(entry);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }
  return out;
}

/**
 * The services in the registry and their live instances (with tags and
 * methods): all of them, or only `name`. A service with no live instance is
 * listed with none. Rejects with the client's errors (ZooKeeperError,
 * ClientClosedError) and BadArgumentsError for an invalid name.
 */
export async function list(client: Client, name?: string): Promise<ServiceInfo[]> {
  if (name !== undefined) {
    checkServiceName(name, 'list');
    return [{ name, instances: await readInstances(client, name) }];
  }
  let names: string[];
  try {
    names = await retryWhileConnected(client, () => client.getChildren(RPC_ROOT));
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
  names.sort();
  const out: ServiceInfo[] = [];
  for (const n of names) out.push({ name: n, instances: await readInstances(client, n) });
  return out;
}

export interface ServiceViewEvents {
  changed: [readonly InstanceInfo[]];
}

/**
 * The live instances of one service, kept current by a child watch (and
 * re-read after every reconnect, since a new session has no watches).
 */
export class ServiceView extends EventEmitter<ServiceViewEvents> {
  /** Ends the subscription to the client's state events (through the client's one hub: see onSessionEvents). */
  private unsubscribe = (): void => {};
  private current: readonly InstanceInfo[] = [];
  private closed = false;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    readonly client: Client,
    readonly name: string,
  ) {
    super();
  }

  get instances(): readonly InstanceInfo[] {
    return this.current;
  }

  /** Reads the service's instances and watches them (the service node, until one registers). */
  async start(): Promise<void> {
    this.unsubscribe = onSessionEvents(this.client, { connected: this.refresh });
    await this.load();
  }

  /** Resolves with the instances for which `accept` is true once there are any; TimeoutError / CancelledError otherwise. */
  async waitFor(accept: (i: InstanceInfo) => boolean, deadline: Deadline, signal: AbortSignal | undefined, what: string): Promise<InstanceInfo[]> {
    for (;;) {
      throwIfAborted(signal);
      const found = this.current.filter(accept);
      if (found.length > 0) return found;
      if (deadline.expired) throw timeoutError(`${what}: no live instance`, deadline.timeout ?? 0);
      // The watch wakes us on a change; the poll is a safety net should a watch be lost.
      await this.nextChange(Math.min(1000, Math.max(1, deadline.remaining() ?? 1000)), signal);
    }
  }

  /** Resolves on the next `changed`, after `ms`, or rejects when `signal` aborts. */
  private async nextChange(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const wake = new AbortController();
    const onChanged = (): void => wake.abort();
    const onAbort = (): void => wake.abort();
    this.once('changed', onChanged);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await sleep(this.client.clock, ms, wake.signal).catch(() => undefined);
    } finally {
      this.off('changed', onChanged);
      signal?.removeEventListener('abort', onAbort);
    }
    throwIfAborted(signal);
  }

  private readonly refresh = (): void => {
    if (this.closed) return;
    this.again = true;
    if (!this.running) {
      this.running = this.load()
        .catch(() => {
          // A read failed for good (not a session end): try again soon, the view stays as it was meanwhile.
          if (!this.closed) this.client.clock.setTimeout(this.refresh, 1000);
        })
        .finally(() => (this.running = undefined));
    }
  };

  private async load(): Promise<void> {
    do {
      this.again = false;
      try {
        this.current = await readInstances(this.client, this.name, this.refresh);
      } catch (error) {
        // The session is over: the reconnect's `connected` reads again.
        if (isSessionGone(this.client)) return;
        throw error;
      }
      if (!this.closed) this.emit('changed', this.current);
    } while (this.again && !this.closed);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    await this.running?.catch(() => {});
  }
}

export { PROTOCOL_NAME, PROTOCOL_VERSION };
