import type { ConnectionOptions } from 'node:tls';
import type { BackoffOptions } from './backoff.js';
import type { Clock } from '../base/clock.js';
import type { HostPort } from './connection-string.js';
import { toBuffer } from './data.js';

/** Credentials sent after every (re)connect, as ZooKeeper's addAuthInfo. */
export interface AuthInfo {
  /** The auth scheme: `digest` (credentials `user:password`), `ip`, `x509`, ... */
  scheme: string;
  /** The credentials; strings are sent as UTF-8. */
  credentials: string | Uint8Array;
}

/**
 * TLS to the servers' secure client port (ZooKeeper's `secureClientPort`),
 * as node:tls takes them: PEM strings or Buffers. The server's certificate
 * is verified against `ca` (default: Node's root CAs) and the host name of
 * the connection string unless `rejectUnauthorized` is false. `cert` and
 * `key` are the client certificate, for servers that ask for one; ZooKeeper
 * and Herd then authenticate the session as `x509:<subject DN>`.
 */
export type ClientTlsOptions = Pick<
  ConnectionOptions,
  'ca' | 'cert' | 'key' | 'passphrase' | 'servername' | 'rejectUnauthorized' | 'checkServerIdentity' | 'minVersion'
>;

/** Options of {@link createClient}. Every duration is in milliseconds. */
export interface ClientOptions {
  /** The session timeout asked for; the server clamps it into [2, 20] × tickTime. Default 30000. */
  sessionTimeout?: number;
  /** How long {@link Client.connect} waits for a session before it gives up and closes the client. Default 15000. */
  connectTimeout?: number;
  /**
   * The longest a request may take, from the call to its reply, including
   * the wait for a reconnect. A request never sent in time fails with
   * ConnectionLossError; one sent and not answered in time fails with
   * RequestTimeoutError and drops the connection (replies are ordered, so
   * the rest cannot be trusted). 0 disables it. Default 30000.
   */
  requestTimeout?: number;
  /**
   * Accept a read-only server (one cut off from its quorum, ZooKeeper's
   * `readonlymode.enabled`): state `connectedReadOnly`, where reads work and
   * writes fail with NotReadOnlyError. Meanwhile the client asks the other
   * hosts in the background whether they are read-write (`isro`, every
   * 100 ms doubling to 60 s) and moves to the first that is: `disconnected`,
   * then `connected`. A session created by a read-only server is local to
   * it, so the read-write server starts a new one. Default false.
   */
  readOnly?: boolean;
  /** Connect with TLS (every host of the connection string must be a secure port). Default: plain TCP. */
  tls?: ClientTlsOptions;
  /** Credentials added right after connecting, and again after every reconnect. */
  auth?: AuthInfo[];
  /**
   * Start a new session automatically after the old one expired (or was
   * declared lost, see {@link sessionLostTimeout}), retrying until a server
   * answers. Default false.
   */
  reconnectOnExpiry?: boolean;
  /**
   * How long the client may stay `disconnected` before it declares the
   * session lost itself: it emits `expired` and fails every waiting request
   * with SessionExpiredError, as Curator does, instead of waiting for a
   * server to say so. By then the ensemble has expired the session (its
   * clock started at the last packet it received). A server in the middle
   * of a handshake at that moment is reachable: its answer decides. Default: the negotiated
   * session timeout; 0 waits for the server's verdict however long it takes
   * (ZooKeeper's Java client behaviour).
   */
  sessionLostTimeout?: number;
  /** The largest reply accepted from a server, in bytes. Default 4 MiB. */
  maxFrameSize?: number;
  /** Reconnect delays. */
  backoff?: BackoffOptions;
  /** Keep the host order of the connection string instead of shuffling it (tests). Default false. */
  noShuffle?: boolean;
  /** The time source of every timer (tests). */
  clock?: Clock;
}

/** Everything the session needs to know, defaults already applied. */
export interface SessionOptions {
  hosts: readonly HostPort[];
  sessionTimeout: number;
  connectTimeout: number;
  requestTimeout: number;
  readOnly: boolean;
  auth: readonly { scheme: string; auth: Buffer }[];
  reconnectOnExpiry: boolean;
  /** Declare the session lost after this long without a server (ms); undefined: the negotiated timeout; 0: never. */
  sessionLostTimeout: number | undefined;
  maxFrameSize: number;
  tls: ClientTlsOptions | undefined;
  backoff: BackoffOptions;
  shuffle: boolean;
  clock: Clock;
}

/** The session's options: the client's, defaults applied. */
export function sessionOptions(hosts: readonly HostPort[], options: ClientOptions, clock: Clock): SessionOptions {
  return {
    hosts,
    sessionTimeout: options.sessionTimeout ?? 30000,
    connectTimeout: options.connectTimeout ?? 15000,
    requestTimeout: options.requestTimeout ?? 30000,
    readOnly: options.readOnly ?? false,
    auth: (options.auth ?? []).map((a) => ({ scheme: a.scheme, auth: toBuffer(a.credentials, null) ?? Buffer.alloc(0) })),
    reconnectOnExpiry: options.reconnectOnExpiry ?? false,
    sessionLostTimeout: options.sessionLostTimeout,
    maxFrameSize: options.maxFrameSize ?? 4 * 1024 * 1024,
    tls: options.tls,
    backoff: options.backoff ?? {},
    shuffle: !(options.noShuffle ?? false),
    clock,
  };
}
