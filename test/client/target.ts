/**
 * The one place the client tests get their server from. The target is
 * chosen by HERD_CLIENT_TARGET: `zookeeper` (default: real ZooKeeper 3.8
 * from the Debian jars, via test/support) or `herd` (Herd's own server,
 * in-process).
 */
import { once } from 'node:events';
import { createClient, type Client, type ClientOptions } from '../../src/client/index.js';
import { startProxy as startSupportProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';

/** A running server the client tests talk to. */
export interface Target {
  readonly kind: 'zookeeper' | 'herd';
  readonly connectionString: string;
  readonly host: string;
  readonly port: number;
  /** The ZooKeeper server, when the target is one (stop/kill/start). */
  readonly zookeeper?: ZooKeeperServer;
  close(): Promise<void>;
}

/** What a target is started with. */
export interface TargetOptions {
  /** The server's tickTime in ms (session timeouts start at 2 ticks). Default 200, for fast expiry tests. */
  tickTime?: number;
}

/** A fault-injecting TCP proxy in front of a target. */
export type Proxy = TcpProxy;

export const targetKind: 'zookeeper' | 'herd' = process.env.HERD_CLIENT_TARGET === 'herd' ? 'herd' : 'zookeeper';

interface HerdHandle {
  connectionString: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the target server. */
export async function startTarget(options: TargetOptions = {}): Promise<Target> {
  if (targetKind === 'herd') {
    // Imported lazily so the client tests do not depend on the server compiling.
    const mod = (await import('../../src/server/server.js')) as {
      startServer(o: { port: number; host: string; tickTime?: number; maxSessionTimeout?: number }): Promise<HerdHandle>;
    };
    const s = await mod.startServer({ port: 0, host: '127.0.0.1', tickTime: options.tickTime ?? 200, maxSessionTimeout: 60000 });
    return { kind: 'herd', connectionString: s.connectionString, host: '127.0.0.1', port: s.port, close: () => s.close() };
  }
  const tickTime = options.tickTime ?? 200;
  const zk = await startZooKeeper({ tickTime, forceSync: false, maxSessionTimeout: 60000 });
  return {
    kind: 'zookeeper',
    connectionString: zk.connectionString,
    host: zk.host,
    port: zk.port,
    zookeeper: zk,
    close: () => zk.destroy(),
  };
}

/** Starts a TCP proxy in front of host:port. */
export function startProxy(host: string, port: number): Promise<Proxy> {
  return startSupportProxy(host, port);
}

let counter = 0;
/** A fresh path for one test, so tests sharing a server do not collide. */
export function uniquePath(name = 'test'): string {
  return `/${name}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** A connected client; closed by the caller. */
export async function connectedClient(connectionString: string, options: ClientOptions = {}): Promise<Client> {
  const client = createClient(connectionString, { sessionTimeout: 10000, ...options });
  await client.connect();
  return client;
}

/** Resolves with the payload of the next `event` of the client, or rejects after `ms`. */
export async function nextEvent<E extends 'connected' | 'disconnected' | 'expired' | 'closed' | 'authFailed' | 'connecting'>(
  client: Client,
  event: E,
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

/** Polls `fn` until it returns true, or throws after `ms`. */
export async function waitFor(fn: () => boolean | Promise<boolean>, ms = 10000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A promise with its resolver, for events awaited in tests. */
export function deferred<T>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
