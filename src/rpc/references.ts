/**
 * Remote references: a served method returns `remote(object, { expose })`
 * and the caller gets a proxy to that object, which the serving process
 * keeps alive until the caller releases it, the caller's connection
 * closes, or the caller's coordination session expires.
 *
 * Session expiry: a process holding references owns one ephemeral node,
 * `/herd/rpc-holders/<identifier>-<uuid>`, per coordination session (made
 * when it receives its first reference) and names it to the server (HOLD);
 * the server watches the node and releases that holder's references when
 * it goes, so a holder cut off from the coordination service but not from
 * the server does not keep them for ever.
 */
import type { Client } from '../client/index.js';
import { BadArgumentsError, ClientClosedError } from '../errors.js';
import { defaultIdentifier, ensurePath, joinPath, retryWhileConnected, uuidHex } from '../recipes/internal/index.js';
import { Exposure } from './expose.js';
import { streamable } from './stream.js';
import type { RemoteObject, RemoteRef } from './types.js';

/** Where holders of remote references keep their ephemeral node. */
export const HOLDERS_ROOT = '/herd/rpc-holders';

/** Options of {@link remote}. */
export interface RemoteOptions {
  /** The methods the holder may call (deny by default, the same rules as `serve`'s `expose`). Required, non-empty. */
  expose: readonly string[];
}

/**
 * Marks `object` to be returned by reference: the caller of the served
 * method gets a {@link RemoteRef} whose calls run on `object` in this
 * process. The object stays reachable until the caller releases the
 * reference ({@link releaseRemote} or `await using`), its connection
 * closes, or its coordination session expires. Callbacks passed to the call
 * that returned the reference live as long as the reference.
 *
 * Throws BadArgumentsError when `expose` names something that is not a
 * method of `object`, or a name that can never be exposed.
 */
export function remote<T extends object>(object: T, options: RemoteOptions): RemoteObject<T> {
  if (typeof object !== 'object' || object === null) throw new BadArgumentsError('remote: the value must be an object');
  return new RemoteMarker(object, new Exposure(options?.expose, object, 'remote')) as unknown as RemoteObject<T>;
}

/** What a {@link RemoteObject} is at run time. */
class RemoteMarker {
  constructor(
    readonly object: object,
    readonly exposure: Exposure,
  ) {}
}

/** The object and exposure behind a {@link remote} marker, or undefined for any other value. */
export function remoteTarget(value: unknown): { object: object; exposure: Exposure } | undefined {
  return value instanceof RemoteMarker ? { object: value.object, exposure: value.exposure } : undefined;
}

/** How a ref proxy reaches its object (connection.ts provides it). */
export interface RefChannel {
  call(method: string, args: unknown[]): Promise<unknown>;
  release(): void;
}

const channels = new WeakMap<object, RefChannel>();

/** A proxy calling `channel`; no control names of its own but Symbol.asyncDispose, so no method is shadowed. */
export function makeRefProxy(channel: RefChannel, what: string): RemoteRef<object> {
  const proxy = new Proxy(Object.create(null) as object, {
    get(_target, key) {
      if (key === Symbol.asyncDispose) return async () => channel.release();
      if (typeof key !== 'string' || key === 'then') return undefined;
      return (...args: unknown[]) => streamable(channel.call(key, args), `${what}.${key}`);
    },
    set: () => false,
  });
  channels.set(proxy, channel);
  return proxy as RemoteRef<object>;
}

/** Releases a reference from a served method ({@link remote}): the server may drop the object. Idempotent; no-op for anything else. */
export async function releaseRemote(ref: object): Promise<void> {
  channels.get(ref)?.release();
}

const holderNodes = new WeakMap<Client, { session: bigint; path: Promise<string> }>();

/** This client's holder node for its current session, created on first use. */
export function holderNode(client: Client): Promise<string> {
  const known = holderNodes.get(client);
  if (known && known.session === client.sessionId) return known.path;
  const path = (async () => {
    await ensurePath(client, HOLDERS_ROOT);
    const node = joinPath(HOLDERS_ROOT, `${defaultIdentifier()}-${uuidHex()}`);
    await retryWhileConnected(client, () => client.create(node, null, { mode: 'ephemeral' }));
    return node;
  })();
  holderNodes.set(client, { session: client.sessionId, path });
  path.catch(() => holderNodes.get(client)?.path === path && holderNodes.delete(client));
  return path;
}

/**
 * Runs `onGone` once the node `path` no longer exists (checked now, then
 * by watch). Returns a function that stops watching. A node that never
 * existed counts as gone.
 */
export function watchHolder(client: Client, path: string, onGone: () => void): () => void {
  let stopped = false;
  const check = (): void => {
    if (stopped) return;
    client.exists(path, { watch: () => check() }).then(
      (stat) => {
        if (stat === null && !stopped) {
          stopped = true;
          onGone();
        }
      },
      // A check that fails (connection loss) is made again a second later; a closed client serves no more.
      (error) => void (error instanceof ClientClosedError || setTimeout(check, 1000).unref()),
    );
  };
  check();
  return () => {
    stopped = true;
  };
}
