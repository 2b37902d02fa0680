/**
 * Helpers shared by the recipes (not exported from `herd-zk/recipes`):
 * unique names, retries across connection loss, `ensurePath`, waiting for a
 * watch with a deadline and an AbortSignal, and a session guard that turns
 * the client's state events into "lost" for a recipe holding something.
 *
 * What each client state lets a recipe assume (see src/client/state.ts):
 * - `connected`: our ephemerals exist and watches are set.
 * - `disconnected` (suspended): the session may still live; nothing can be
 *   confirmed. Requests wait for the reconnect, in-flight ones fail with
 *   ConnectionLossError, and then the outcome of a write is unknown.
 * - `expired` (lost): our ephemerals are gone, watches will never fire.
 */
import { randomUUID } from 'node:crypto';
import {
  ConnectionLossError,
  HerdError,
  NoNodeError,
  NodeExistsError,
  OperationTimeoutError,
  RequestTimeoutError,
  SessionExpiredError,
} from '../../errors.js';
import type { Client } from '../../client/index.js';
import { CancelledError, LockTimeoutError, SessionLostError } from '../errors.js';

/** 32 lowercase hex digits, as Python's `uuid.uuid4().hex` (Kazoo's contender prefixes). */
export function uuidHex(): string {
  return randomUUID().replace(/-/g, '');
}

/** `parent/child`, without doubling the slash under the root. */
export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** The parent of an absolute path (`/` for a top-level node). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * True for failures after which a write may or may not have been applied:
 * the connection dropped (or the request timed out) before the reply came.
 */
export function isConnectionLoss(error: unknown): boolean {
  return error instanceof ConnectionLossError || error instanceof RequestTimeoutError || error instanceof OperationTimeoutError;
}

/** True when the session is over (its ephemerals are gone). */
export function isSessionGone(client: Client): boolean {
  const s = client.state;
  return s === 'expired' || s === 'closed' || s === 'authFailed';
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The reason of an aborted signal, as an Error (CancelledError when none was given). */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error && r.name !== 'AbortError') return r;
  return new CancelledError('cancelled', { cause: r });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/**
 * Runs `fn`, and again after a connection loss (requests issued while
 * disconnected wait for the reconnect, so the retry is paced by the client).
 * Only for operations that are safe to repeat: reads, deletes of our own
 * nodes, versioned writes. Never for a sequential create: see
 * Lock's createContender for that.
 */
export async function retry<T>(client: Client, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(signal);
    try {
      return await fn();
    } catch (error) {
      if (!isConnectionLoss(error) || isSessionGone(client)) throw error;
      await sleep(Math.min(10 * 2 ** attempt, 500), signal);
    }
  }
}

/**
 * Creates `path` and its missing ancestors as empty persistent nodes.
 * Resolves true when `path` already existed, false when this call created it.
 */
export async function ensurePath(client: Client, path: string, signal?: AbortSignal): Promise<boolean> {
  if ((await retry(client, () => client.exists(path), signal)) !== null) return true;
  const parts = path.split('/').filter((p) => p.length > 0);
  let current = '';
  let created = false;
  for (const part of parts) {
    current += `/${part}`;
    try {
      await retry(client, () => client.create(current), signal);
      created = current === path;
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
      created = false;
    }
  }
  return !created;
}

/** Deletes a node, retrying across connection loss; a missing node is fine. Resolves true when it was deleted here. */
export async function deleteIfExists(client: Client, path: string, version = -1): Promise<boolean> {
  try {
    await retry(client, () => client.delete(path, version));
    return true;
  } catch (error) {
    if (error instanceof NoNodeError) return false;
    throw error;
  }
}

/** A one-shot wake-up, to hand to a watch. */
export class Wakeup {
  readonly promise: Promise<void>;
  private resolveFn!: () => void;
  fired = false;
  constructor() {
    this.promise = new Promise((r) => (this.resolveFn = r));
  }
  readonly fire = (): void => {
    this.fired = true;
    this.resolveFn();
  };
}

export interface WaitOptions {
  /** Epoch ms; undefined waits for ever. */
  deadline?: number | undefined;
  signal?: AbortSignal | undefined;
  /** What timed out, for the LockTimeoutError message. */
  what: string;
}

/**
 * Waits for `wake`, the deadline (LockTimeoutError), the signal (its
 * reason), or the end of the session (SessionExpiredError): a watch set
 * before the expiry will never fire, so waiting on would hang.
 */
export function waitForWake(client: Client, wake: Promise<void>, options: WaitOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const { signal, deadline } = options;
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      client.off('expired', onGone);
      client.off('closed', onGone);
      client.off('authFailed', onGone);
    };
    const onAbort = (): void => {
      cleanup();
      reject(abortReason(signal!));
    };
    const onGone = (): void => {
      cleanup();
      reject(new SessionExpiredError(`session ended (${client.state}) while waiting: ${options.what}`));
    };
    if (signal?.aborted) return onAbort();
    if (isSessionGone(client)) return onGone();
    signal?.addEventListener('abort', onAbort, { once: true });
    client.on('expired', onGone);
    client.on('closed', onGone);
    client.on('authFailed', onGone);
    if (deadline !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        reject(new LockTimeoutError(`timed out: ${options.what}`));
      }, Math.max(0, deadline - Date.now()));
    }
    wake.then(() => {
      cleanup();
      resolve();
    });
  });
}

/** Options shared by every recipe that holds something (lock, lease, leadership). */
export interface HoldOptions {
  /**
   * How long the connection may stay lost (suspended) while holding before
   * the hold is declared lost, in ms. Default: the negotiated session
   * timeout, after which the server has expired the session unless it was
   * resumed (as Curator's client-side expiry).
   */
  suspendedTimeout?: number;
}

/**
 * Watches the client while a recipe holds something and calls `onLost`
 * once, at once, when the hold can no longer be trusted: the session
 * expired, the client was closed or refused, or the connection stayed lost
 * longer than the suspended timeout.
 */
export class SessionGuard {
  private timer: NodeJS.Timeout | undefined;
  private active = false;

  constructor(
    private readonly client: Client,
    private readonly onLost: (reason: Error) => void,
    private readonly suspendedTimeout?: number,
  ) {}

  start(): void {
    this.stop();
    this.active = true;
    this.client.on('disconnected', this.onDisconnected);
    this.client.on('connected', this.onConnected);
    this.client.on('connectedReadOnly', this.onConnected);
    this.client.on('expired', this.onExpired);
    this.client.on('closed', this.onClosed);
    this.client.on('authFailed', this.onClosed);
    if (isSessionGone(this.client)) this.lose(new SessionLostError(`session is ${this.client.state}`));
    else if (this.client.state === 'disconnected') this.onDisconnected();
  }

  stop(): void {
    this.active = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.client.off('disconnected', this.onDisconnected);
    this.client.off('connected', this.onConnected);
    this.client.off('connectedReadOnly', this.onConnected);
    this.client.off('expired', this.onExpired);
    this.client.off('closed', this.onClosed);
    this.client.off('authFailed', this.onClosed);
  }

  private lose(reason: Error): void {
    if (!this.active) return;
    this.stop();
    this.onLost(reason);
  }

  private readonly onDisconnected = (): void => {
    clearTimeout(this.timer);
    const ms = this.suspendedTimeout ?? (this.client.negotiatedTimeout || 30000);
    this.timer = setTimeout(
      () => this.lose(new SessionLostError(`connection lost for ${ms} ms (session timeout): the session is presumed expired`)),
      ms,
    );
  };
  private readonly onConnected = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
  };
  private readonly onExpired = (): void => this.lose(new SessionLostError('session expired', { cause: new SessionExpiredError() }));
  private readonly onClosed = (): void => this.lose(new SessionLostError(`client ${this.client.state}`));
}

/** Decodes node data as Kazoo does (`data.decode('utf-8')`), null as ''. */
export function decodeText(data: Buffer | null): string {
  return data === null ? '' : data.toString('utf8');
}

/** A recipe that is acquired, held with a `lost` signal, and released: Lock and Semaphore. */
export interface Holder<O> {
  acquire(options: O): Promise<boolean>;
  release(): Promise<boolean>;
  readonly lost: AbortSignal;
}

/** Acquires, runs `fn` with the `lost` signal, and releases (also when `fn` throws). */
export async function runHeld<T, O>(holder: Holder<O>, fn: (lost: AbortSignal) => T | Promise<T>, options: O): Promise<T> {
  await holder.acquire(options);
  try {
    return await fn(holder.lost);
  } finally {
    await holder.release();
  }
}

/**
 * The data of each named child of `parent` as text, in the order given.
 * A child deleted between the listing and the read is skipped, as is one
 * with null data when `skipNull` is set.
 */
export async function readChildTexts(
  client: Client,
  parent: string,
  names: readonly string[],
  options: { skipNull?: boolean } = {},
): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    try {
      const { data } = await retry(client, () => client.getData(joinPath(parent, name)));
      if (data !== null || !options.skipNull) out.push(decodeText(data));
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }
  return out;
}

export { HerdError };
