/**
 * The servers every recipe test runs against: Herd's TestingServer (in
 * process) and real ZooKeeper 3.8 (test/support/zookeeper.ts) behind a TCP
 * proxy, so both can drop connections. Outside CI a missing ZooKeeper
 * skips its half; under CI=true it fails (requireTool).
 */
import { after, before, describe } from 'node:test';
import { ConnectionLossError } from '../../src/errors.js';
import { createClient, type Client, type ClientOptions } from '../../src/client/index.js';
import type { ServerOptions } from '../../src/server/options.js';
import { TestingServer } from '../../src/testing/testing-server.js';
import { requireTool } from '../support/interop.js';
import { RawSession } from '../support/raw-session.js';
import { startProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';

export interface RecipeTarget {
  readonly name: 'herd' | 'zookeeper';
  /** What clients connect to. */
  readonly connectionString: string;
  /** The server itself (not through the proxy). */
  readonly directConnectionString: string;
  /** A TCP proxy in front of the server, for wire-level faults (latency, drops) on chosen clients. */
  readonly proxy: TcpProxy;
  /** Closes every client connection; sessions survive. */
  dropConnections(): void;
  /** Ends the client's session on the server now (its ephemerals go); the client sees `expired` on reconnect. */
  expire(client: Client): Promise<void>;
  close(): Promise<void>;
}

async function startHerd(options: ServerOptions = {}): Promise<RecipeTarget> {
  const server = await TestingServer.start(options);
  const proxy = await startProxy('127.0.0.1', server.port);
  return {
    name: 'herd',
    connectionString: server.connectionString,
    directConnectionString: server.connectionString,
    proxy,
    dropConnections: () => server.dropConnections(),
    expire: async (client) => server.expireSession(client.sessionId),
    close: async () => {
      await proxy.close();
      await server.close();
    },
  };
}

async function startZk(): Promise<RecipeTarget> {
  const zk: ZooKeeperServer = await startZooKeeper({ tickTime: 250, forceSync: false });
  const proxy: TcpProxy = await startProxy(zk.host, zk.port);
  return {
    name: 'zookeeper',
    connectionString: proxy.connectionString,
    directConnectionString: zk.connectionString,
    proxy,
    dropConnections: () => proxy.dropConnections(),
    // Curator's KillSession: take the session over with its id and password and close it.
    // Clients reach ZooKeeper through the proxy: refuse them meanwhile, or the
    // client would reconnect and take its session back before the close.
    expire: async (client) => {
      await proxy.reject(true);
      proxy.dropConnections();
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            const raw = await RawSession.connect(zk.connectionString, {
              sessionId: client.sessionId,
              passwd: client.sessionPassword,
              timeout: client.negotiatedTimeout,
            });
            // ZooKeeper may close the socket right after (or instead of) the reply.
            await raw.send('closeSession', {}).catch(() => undefined);
            raw.close();
            return;
          } catch (error) {
            if (attempt >= 5) throw error;
            await sleep(100);
          }
        }
      } finally {
        await proxy.reject(false);
      }
    },
    close: async () => {
      await proxy.close();
      await zk.destroy();
    },
  };
}

/**
 * Declares `suite` once per server: `describe('<title> [herd]')` and
 * `describe('<title> [zookeeper]')`. `target()` is valid inside tests.
 * `options.herd` configures Herd's TestingServer (e.g. a short tickTime);
 * `options.concurrency` runs the suite's tests at the same time.
 */
export function forEachTarget(
  title: string,
  suite: (target: () => RecipeTarget) => void,
  options: { herd?: ServerOptions; concurrency?: boolean; targets?: readonly RecipeTarget['name'][] } = {},
): void {
  for (const name of options.targets ?? (['herd', 'zookeeper'] as const)) {
    const available = name === 'herd' || requireTool(undefined, zookeeperAvailable(), 'ZooKeeper 3.8 (java + /usr/share/java/zookeeper.jar)');
    describe(`${title} [${name}]`, { skip: available ? false : 'ZooKeeper not available', concurrency: options.concurrency ?? false }, () => {
      let current: RecipeTarget | undefined;
      before(async () => {
        current = name === 'herd' ? await startHerd(options.herd) : await startZk();
      });
      after(async () => {
        await closeAll();
        await current?.close();
      });
      suite(() => {
        if (!current) throw new Error('target not started');
        return current;
      });
    });
  }
}

const open = new Set<Client>();

/** A connected client, closed after the suite (`via` another address, e.g. the proxy). */
export async function connect(target: RecipeTarget, options: ClientOptions = {}, via = target.connectionString): Promise<Client> {
  const client = createClient(via, { sessionTimeout: 4000, requestTimeout: 15000, ...options });
  open.add(client);
  await client.connect();
  return client;
}

export async function closeAll(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.all(all.map((c) => c.close().catch(() => {})));
}

let counter = 0;
/** A fresh path for one test. */
export function uniquePath(name: string): string {
  return `/recipes-${name}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `fn` is true, or throws after `ms`. */
export async function waitFor(fn: () => boolean | Promise<boolean>, ms = 10000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    // A check may hit a connection drop the test itself caused: try again.
    if (await Promise.resolve().then(fn).catch(() => false)) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The client as a recipe sees it, except that its next `create` loses its
 * reply: with `applied` the create reaches the server and succeeds there,
 * with `lost` it never does. Either way the connection is then really
 * dropped and the create rejects with ConnectionLossError, as when a
 * connection dies with a request in flight.
 */
export function loseNextCreate(client: Client, target: RecipeTarget, outcome: 'applied' | 'lost'): { client: Client; created: string[] } {
  let armed = true;
  const created: string[] = [];
  const wrapped = new Proxy(client, {
    get(t, prop) {
      if (prop === 'create') {
        return async (...args: Parameters<Client['create']>): Promise<string> => {
          if (!armed) return t.create(...args);
          armed = false;
          if (outcome === 'applied') created.push(await t.create(...args));
          target.dropConnections();
          throw new ConnectionLossError('injected: connection lost before the create reply', { op: 'create', path: args[0] });
        };
      }
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
  return { client: wrapped, created };
}

/**
 * A real wire fault: the client's next `create` goes out through the
 * proxy with 200 ms of latency each way, and the connection is cut 300 ms
 * later: the server has applied the create, its reply dies in the proxy,
 * and the client sees a genuine ConnectionLossError. `client` must be
 * connected through `target.proxy`.
 */
export function loseNextCreateReplyOnWire(client: Client, target: RecipeTarget): Client {
  let armed = true;
  return new Proxy(client, {
    get(t, prop) {
      if (prop === 'create') {
        return (...args: Parameters<Client['create']>): Promise<string> => {
          if (!armed) return t.create(...args);
          armed = false;
          target.proxy.setLatency(200);
          const pending = t.create(...args);
          setTimeout(() => {
            target.proxy.dropConnections();
            target.proxy.setLatency(0);
          }, 300);
          return pending;
        };
      }
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/**
 * Counts holders: `enter` / `leave` around each critical section; `max` is
 * the most ever inside at once, from an independent log of timestamps.
 */
export class HolderChecker {
  private inside = 0;
  max = 0;
  entries = 0;
  readonly log: { who: string; at: bigint; what: 'in' | 'out' }[] = [];
  enter(who: string): void {
    this.inside++;
    this.entries++;
    this.max = Math.max(this.max, this.inside);
    this.log.push({ who, at: process.hrtime.bigint(), what: 'in' });
  }
  leave(who: string): void {
    this.inside--;
    this.log.push({ who, at: process.hrtime.bigint(), what: 'out' });
  }
  /** Replays the log: the most holders at any time. */
  maxFromLog(): number {
    let n = 0;
    let m = 0;
    for (const e of [...this.log].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.what === 'out' ? -1 : 1))) {
      n += e.what === 'in' ? 1 : -1;
      m = Math.max(m, n);
    }
    return m;
  }
}

/** Runs a test's own request again after a connection loss the test caused. */
export async function retryLoss<T>(fn: () => Promise<T>, attempts = 50): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof ConnectionLossError) || i >= attempts) throw error;
      await sleep(50);
    }
  }
}
