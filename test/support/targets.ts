/**
 * The target matrix: the servers every suite that talks to a coordination
 * server runs against (client, recipes, cluster, and the layers above).
 * Herd's TestingServer (in process) and real ZooKeeper 3.8
 * (test/support/zookeeper.ts), each behind a TCP proxy, so both can drop
 * connections. Outside CI a missing ZooKeeper skips its half; under CI=true
 * it fails (requireTool). docs/conventions.md, section 9.
 */
import { once } from 'node:events';
import { after, before, describe } from 'node:test';
import { createClient, type Client, type ClientOptions } from '../../src/client/index.js';
import type { ServerOptions } from '../../src/server/options.js';
import { serverInstance } from '../../src/server/server.js';
import { TestingServer } from '../../src/testing/testing-server.js';
import { requireTool } from './interop.js';
import { RawSession } from './raw-session.js';
import { startProxy, type TcpProxy } from './tcp-proxy.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from './zookeeper.js';

export interface Target {
  readonly name: 'herd' | 'zookeeper';
  /** What clients connect to. */
  readonly connectionString: string;
  /** The server itself (not through the proxy). */
  readonly directConnectionString: string;
  /** A TCP proxy in front of the server, for wire-level faults (latency, drops) on chosen clients. */
  readonly proxy: TcpProxy;
  /** The server's own host and port (not the proxy's), e.g. for a test's own proxies. */
  readonly host: string;
  readonly port: number;
  /** The server's tickTime in ms: session timeouts are bounded by 2 and 20 ticks. */
  readonly tickTime: number;
  /**
   * Stops the server as a crash would, for clients (every connection drops,
   * nothing answers on the port); its data and sessions stay for {@link start}.
   */
  stop(): Promise<void>;
  /** Starts the server stopped by {@link stop} again, on the same port and data. */
  start(): Promise<void>;
  /** Closes every client connection; sessions survive. */
  dropConnections(): void;
  /** Ends the client's session on the server now (its ephemerals go); the client sees `expired` on reconnect. */
  expire(client: Client): Promise<void>;
  close(): Promise<void>;
}

/** What both targets are started with. */
export interface TargetOptions {
  /** The server's tickTime in ms (session timeouts from 2 to 20 ticks). Default: ZooKeeper's 250, Herd's TestingServer's own. */
  tickTime?: number;
  /** The largest session timeout the server grants, in ms. Default 20 ticks. */
  maxSessionTimeout?: number;
}

async function startHerd(options: ServerOptions = {}, common: TargetOptions = {}): Promise<Target> {
  const server = await TestingServer.start({ ...common, ...options });
  const proxy = await startProxy('127.0.0.1', server.port);
  return {
    name: 'herd',
    connectionString: server.connectionString,
    directConnectionString: server.connectionString,
    proxy,
    host: server.host,
    port: server.port,
    tickTime: serverInstance(server).options.tickTime,
    stop: () => server.stop(),
    start: () => server.start(),
    dropConnections: () => server.dropConnections(),
    expire: async (client) => {
      server.expireSession(client.sessionId);
    },
    close: async () => {
      await proxy.close();
      await server.close();
    },
  };
}

async function startZk(options: TargetOptions = {}): Promise<Target> {
  const tickTime = options.tickTime ?? 250;
  const zk: ZooKeeperServer = await startZooKeeper({
    tickTime,
    forceSync: false,
    ...(options.maxSessionTimeout !== undefined ? { maxSessionTimeout: options.maxSessionTimeout } : {}),
  });
  const proxy: TcpProxy = await startProxy(zk.host, zk.port);
  return {
    name: 'zookeeper',
    connectionString: proxy.connectionString,
    directConnectionString: zk.connectionString,
    proxy,
    host: zk.host,
    port: zk.port,
    tickTime,
    stop: () => zk.stop(),
    start: () => zk.start(),
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
 * `options.tickTime` and `options.maxSessionTimeout` configure both servers;
 * `options.herd` configures Herd's TestingServer further (it wins);
 * `options.concurrency` runs the suite's tests at the same time (`true`: all of
 * them; a number: at most that many at once);
 * `options.targets` limits the suite to some servers.
 */
export function forEachTarget(
  title: string,
  suite: (target: () => Target) => void,
  options: TargetOptions & { herd?: ServerOptions; concurrency?: boolean | number; targets?: readonly Target['name'][] } = {},
): void {
  const common: TargetOptions = {
    ...(options.tickTime !== undefined ? { tickTime: options.tickTime } : {}),
    ...(options.maxSessionTimeout !== undefined ? { maxSessionTimeout: options.maxSessionTimeout } : {}),
  };
  for (const name of options.targets ?? (['herd', 'zookeeper'] as const)) {
    const available = name === 'herd' || zookeeperRequired();
    describe(`${title} [${name}]`, { skip: available ? false : 'ZooKeeper not available', concurrency: options.concurrency ?? false }, () => {
      let current: Target | undefined;
      before(async () => {
        current = name === 'herd' ? await startHerd(options.herd, common) : await startZk(common);
      });
      suite(() => {
        if (!current) throw new Error('target not started');
        return current;
      });
      // After the suite's own after hooks, which may still need the server.
      after(async () => {
        await closeAll();
        await current?.close();
      });
    });
  }
}

const open = new Set<Client>();

/** A connected client, closed after the suite (`via` another address, e.g. the proxy). */
export async function connect(target: Target, options: ClientOptions = {}, via = target.connectionString): Promise<Client> {
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


/** Whether real ZooKeeper can run here; under CI=true its absence fails the test (requireTool). */
export function zookeeperRequired(): boolean {
  return requireTool(undefined, zookeeperAvailable(), 'ZooKeeper 3.8 (java + /usr/share/java/zookeeper.jar)');
}

/** Resolves once the client emits `event`, or rejects after `ms`. */
export async function nextEvent(
  client: Client,
  event: 'connected' | 'connectedReadOnly' | 'disconnected' | 'expired' | 'closed' | 'authFailed' | 'connecting',
  ms = 20000,
): Promise<void> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    await once(client, event, { signal: ac.signal });
  } catch (err) {
    throw new Error(`no ${event} event within ${ms} ms (state ${client.state})`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
