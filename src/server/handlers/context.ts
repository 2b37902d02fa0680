import type { AuthId, AuthOptions } from '../acl.js';
import type { ServerMetrics } from '../admin/server-metrics.js';
import type { Session } from '../session-tracker.js';
import type { DataTree } from '../data-tree.js';
import type { Delivery, WatchManager } from '../watch-manager.js';
import type { Txn } from '../txn.js';
import type { ApplyResult } from '../data-tree.js';
import type { ChangeView } from '../change-view.js';
import type { JuteWriter } from '../../jute/writer.js';
import type { DataNode } from '../data-node.js';
import { copyZnodeData } from '../znode-data.js';

/** Server-wide settings the handlers consult. */
export interface HandlerSettings {
  /** TTL nodes allowed (zookeeper.extendedTypesEnabled). */
  readonly extendedTypes: boolean;
  /** Which auth providers exist (x509 with a secure port) and the super ids: passed to every ACL check. */
  readonly auth?: AuthOptions;
}

/** The state every handler may read, passed in explicitly rather than reached through a server object. */
export interface ServerState {
  readonly tree: DataTree;
  readonly watches: WatchManager;
  readonly settings: HandlerSettings;
  /** Counters a handler reports into (auth failures). */
  readonly metrics: ServerMetrics;
}

/** The connection a request came in on, as the session ops (auth) see it. */
export interface RequestClient {
  /** The client's IP (the `ip` auth scheme checks it). */
  readonly remoteAddress: string;
  /** Adds identities (an auth packet that succeeded), in ZooKeeper's order. */
  addAuthIds(ids: readonly AuthId[]): void;
}

/** One request as the handlers see it: who sent it and with which identities. */
export interface RequestContext {
  readonly state: ServerState;
  /** The caller's live session (closeSession marks it closing). */
  readonly session: Session;
  readonly sessionId: bigint;
  readonly authIds: readonly AuthId[];
  readonly client: RequestClient;
  /** Sends watch events (filtered by the receivers' READ permission) in order with the replies. */
  notify(deliveries: readonly Delivery[]): void;
  /**
   * Answers a read with `node`: the reply body is the handler's
   * {@link ReadHandler.writeNode} of it, written in the same turn (before any
   * write can change the node). Returns the outcome to return from `handle`.
   * A read answered this way allocates no outcome and no closure.
   */
  found(node: DataNode): ReadOutcome;
}

/**
 * A read's outcome: an error code, or a body written into the reply. The
 * session ops set the rest: `xid` and `zxid` of the reply header when they
 * are not the request's xid and the last applied zxid (the reply then waits
 * for nothing newer than `zxid`), and `close` to end the connection once the
 * reply is written.
 */
export type ReadOutcome = { err: number; body?: (w: JuteWriter) => void; xid?: number; zxid?: bigint; close?: boolean };

/** Answers a read at once from the applied tree. */
export interface ReadHandler<Req> {
  readonly kind: 'read';
  handle(ctx: RequestContext, req: Req): ReadOutcome;
  /** Writes the body of a reply that `handle` answered with {@link RequestContext.found}; required by handlers that call it. */
  writeNode?(w: JuteWriter, node: DataNode): void;
  /** The answer when the body does not decode; without it, MARSHALLINGERROR and the connection closes. */
  malformed?(ctx: RequestContext): ReadOutcome;
}

/**
 * Prepares a write: validates against the view and returns the txn to log
 * and apply (an error txn when validation fails), then writes the reply body
 * from what applying produced.
 */
export interface WriteHandler<Req> {
  readonly kind: 'write';
  prepare(ctx: RequestContext, view: ChangeView, req: Req): Txn;
  respond(result: ApplyResult, w: JuteWriter, req: Req): void;
  /** The answer when the body does not decode; without it, MARSHALLINGERROR and the connection closes. */
  malformed?(ctx: RequestContext): ReadOutcome;
  /** The connection closes once the reply is written (closeSession). */
  readonly closesConnection?: boolean;
}

export type Handler<Req> = ReadHandler<Req> | WriteHandler<Req>;

export const ok: ReadOutcome = { err: 0 };

export function fail(err: number): Txn {
  return { type: 'error', err };
}

/**
 * Request buffers are views into the socket chunk they arrived in; the tree
 * keeps a copy so one small znode does not pin a whole 64 KiB chunk (and,
 * through copyZnodeData, not a slab of short-lived buffers either).
 */
export function ownCopy(data: Buffer | null): Buffer | null {
  return copyZnodeData(data);
}
