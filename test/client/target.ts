/**
 * The one place the client tests get their server from. The target is
 * chosen by HERD_CLIENT_TARGET: `zookeeper` (default: real ZooKeeper 3.8
 * from the Debian jars) or `herd` (Herd's own server, in-process). Both
 * come from test/support when it provides them, else from the local
 * fallbacks next to this file.
 */
import { once } from 'node:events';
import { createClient, type Client, type ClientOptions } from '../../src/client/index.js';
import { startLocalProxy, type LocalProxy } from './local-proxy.js';
import { startLocalZooKeeper } from './local-zookeeper.js';

/** A running server the client tests talk to. */
export interface Target {
  readonly kind: 'zookeeper' | 'herd';
  readonly connectionString: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A fault-injecting TCP proxy in front of a target. */
export type Proxy = LocalProxy;

export const targetKind: 'zookeeper' | 'herd' = process.env.HERD_CLIENT_TARGET === 'herd' ? 'herd' : 'zookeeper';

async function optionalImport(specifier: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(new URL(specifier, import.meta.url).href)) as Record<string, unknown>;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/** Starts the target server. */
export async function startTarget(): Promise<Target> {
  if (targetKind === 'herd') {
    const mod = await optionalImport('../../src/server/server.js');
    const startServer = mod?.startServer as
      | ((o: { port: number; host: string }) => Promise<{ connectionString: string; port: number; close(): Promise<void> }>)
      | undefined;
    if (!startServer) throw new Error('Herd server not available');
    const s = await startServer({ port: 0, host: '127.0.0.1' });
    return { kind: 'herd', connectionString: s.connectionString, host: '127.0.0.1', port: s.port, close: () => s.close() };
  }
  const support = await optionalImport('../support/zookeeper.js');
  const start = support?.startZooKeeper as
    | (() => Promise<{ connectionString: string; host: string; port: number; destroy(): Promise<void> }>)
    | undefined;
  const zk = start ? await start() : await startLocalZooKeeper();
  return { kind: 'zookeeper', connectionString: zk.connectionString, host: zk.host, port: zk.port, close: () => zk.destroy() };
}

/** Starts a TCP proxy in front of host:port. */
export async function startProxy(host: string, port: number): Promise<Proxy> {
  const support = await optionalImport('../support/tcp-proxy.js');
  const start = support?.startProxy as ((h: string, p: number) => Promise<Proxy>) | undefined;
  return start ? start(host, port) : startLocalProxy(host, port);
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
